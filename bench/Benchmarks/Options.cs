using System;
using System.Globalization;
using System.IO;

namespace Dsl.Benchmarks
{
    /// <summary>Command line: <c>[--quick] [--threads N] [--only name] [--no-python]</c>.</summary>
    public sealed record Options
    {
        public static readonly string[] Names = { "train", "infer", "onnx", "int8", "bf16", "bf16-infer", "generator", "trainer", "pipeline", "rss", "phases", "images", "datamem", "lm", "bf16-convs" };

        /// <summary>Sections that run only when asked for with --only.</summary>
        public static readonly string[] OnDemand = { "phases", "bf16-convs" };

        public bool Quick { get; init; }
        public int Threads { get; init; } = Environment.ProcessorCount;
        public string? Only { get; init; }
        public bool NoPython { get; init; }
        public bool Child { get; init; }
        public string Variant { get; init; } = "default";
        public bool Mallopt { get; init; }
        public bool HandInPlace { get; init; }
        /// <summary>Child process of the data-memory benchmark: train on an image folder of this many images.</summary>
        public int? ChildDataImages { get; init; }

        public bool Runs(string name) => Only is null ? Array.IndexOf(OnDemand, name) < 0 : string.Equals(Only, name, StringComparison.OrdinalIgnoreCase);

        public static Options Parse(string[] args)
        {
            var o = new Options();
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--quick": o = o with { Quick = true }; break;
                    case "--full": o = o with { Quick = false }; break;
                    case "--no-python": o = o with { NoPython = true }; break;
                    case "--child": o = o with { Child = true }; break;
                    case "--mallopt": o = o with { Mallopt = true }; break;
                    case "--hand-inplace": o = o with { HandInPlace = true }; break;
                    case "--variant" when i + 1 < args.Length: o = o with { Variant = args[++i] }; break;
                    case "--child-data" when i + 1 < args.Length:
                        o = o with { ChildDataImages = int.Parse(args[++i], CultureInfo.InvariantCulture) };
                        break;
                    case "--threads" when i + 1 < args.Length:
                        o = o with { Threads = int.Parse(args[++i], CultureInfo.InvariantCulture) };
                        break;
                    case "--only" when i + 1 < args.Length:
                        string name = args[++i];
                        if (Array.IndexOf(Names, name) < 0)
                            throw new ArgumentException($"--only {name}: expected one of {string.Join(", ", Names)}.");
                        o = o with { Only = name };
                        break;
                    case "-h": case "--help":
                        Console.WriteLine("usage: Benchmarks [--quick] [--threads N] [--only " + string.Join("|", Names) + "] [--no-python] [--hand-inplace]");
                        Environment.Exit(0);
                        break;
                    default:
                        throw new ArgumentException($"unknown argument '{args[i]}' (try --help).");
                }
            }
            if (o.Threads <= 0) throw new ArgumentException("--threads must be positive.");
            return o;
        }

        /// <summary>The repository root: the nearest folder above the current one or the program's that holds Dsl.sln.</summary>
        public static string RepoRoot()
        {
            foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    if (File.Exists(Path.Combine(dir.FullName, "Dsl.sln"))) return dir.FullName;
                }
            }
            throw new DirectoryNotFoundException("Dsl.sln not found above " + Directory.GetCurrentDirectory() + " or " + AppContext.BaseDirectory + ".");
        }

        /// <summary>Fashion-MNIST: shared/data/fashion-mnist above the current folder, else the repository's built-in subset.</summary>
        public static string FindData()
        {
            foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    string shared = Path.Combine(dir.FullName, "shared", "data", "fashion-mnist");
                    if (Directory.Exists(Path.Combine(dir.FullName, "shared", "data")) && Directory.Exists(shared)) return shared;
                }
            }
            string subset = Path.Combine(RepoRoot(), "samples", "ResNet", "data", "fashion-mnist-subset");
            if (Directory.Exists(subset)) return subset;
            throw new DirectoryNotFoundException("No shared/data/fashion-mnist above the current folder and no samples/ResNet/data/fashion-mnist-subset.");
        }
    }
}
