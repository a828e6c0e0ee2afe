using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Dsl.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Benchmarks
{
    /// <summary>Cost of the source generator: full runs for 1, 10 and 100 declarations, and regenerated outputs after edits.</summary>
    public static class GeneratorBench
    {
        private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

        private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
            Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>()
                .Append(MetadataReference.CreateFromFile(typeof(Dsl.InputAttribute).Assembly.Location))
                .Append(MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location))
                .ToImmutableArray());

        /// <summary>
        /// Declarations cycled through: the sample's ResNet-18, ResNetMini, LeNet and the 1x1 residual block, read from
        /// samples/ResNet/Networks.cs with the class name replaced by NAME.
        /// </summary>
        private static readonly Lazy<string[]> Templates = new(() =>
        {
            string text = File.ReadAllText(Path.Combine(Options.RepoRoot(), "samples", "ResNet", "Networks.cs"));
            return new[] { "D2LResNet18", "ResNetMini", "LeNet", "ResidualBlock6" }.Select(name =>
            {
                var match = System.Text.RegularExpressions.Regex.Match(text, @"\[Input\((?:(?!public partial class)[\s\S])*public partial class " + name + ";");
                if (!match.Success) throw new InvalidOperationException($"samples/ResNet/Networks.cs no longer declares {name}.");
                return match.Value.Replace("class " + name + ";", "class NAME;");
            }).ToArray();
        });

        private const int PerFile = 10;

        /// <summary>Source files holding <paramref name="count"/> declarations (ten per file) and one unrelated file.</summary>
        public static (SyntaxTree[] Networks, SyntaxTree Unrelated) Sources(int count)
        {
            var files = new List<SyntaxTree>();
            for (int start = 0; start < count; start += PerFile)
            {
                var sb = new StringBuilder("using Dsl;\n\nnamespace Bench\n{\n");
                for (int i = start; i < Math.Min(count, start + PerFile); i++)
                    sb.Append(Templates.Value[i % Templates.Value.Length].Replace("NAME", "Net" + i)).Append("\n\n");
                sb.Append("    internal static class Helpers" + start + "\n    {\n        public static int Value() => 1;\n    }\n}\n");
                files.Add(CSharpSyntaxTree.ParseText(sb.ToString(), ParseOptions, path: $"Networks{start / PerFile}.cs"));
            }
            var unrelated = CSharpSyntaxTree.ParseText("namespace Bench\n{\n    public static class Other\n    {\n        public static int Answer() => 41;\n    }\n}\n", ParseOptions, path: "Other.cs");
            return (files.ToArray(), unrelated);
        }

        private static CSharpCompilation Compilation(IEnumerable<SyntaxTree> trees) =>
            CSharpCompilation.Create("UserAssembly", trees, References.Value,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        private static GeneratorDriver Driver(bool track) =>
            CSharpGeneratorDriver.Create(
                new[] { new NetworkGenerator().AsSourceGenerator() },
                parseOptions: ParseOptions,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));

        public sealed record CostResult(int Declarations, Stats Milliseconds, int Generated)
        {
            public double PerDeclarationMs => Milliseconds.Median / Declarations;
        }

        public sealed record EditResult(string Edit, int Outputs, int Regenerated, double Milliseconds);

        /// <summary>
        /// A full run: a new driver on a new compilation of already-parsed files (no cached semantic state), so the time
        /// includes the attribute lookup the generator triggers, as in a clean build.
        /// </summary>
        public static CostResult Cost(int count, int warmup, int repeats)
        {
            var (networks, unrelated) = Sources(count);
            var trees = networks.Append(unrelated).ToArray();
            int generated = 0;
            for (int i = 0; i < warmup; i++) Driver(false).RunGenerators(Compilation(trees));
            var ms = new List<double>();
            for (int r = 0; r < repeats; r++)
            {
                var compilation = Compilation(trees);
                var driver = Driver(false);
                long t0 = Stopwatch.GetTimestamp();
                driver = driver.RunGenerators(compilation);
                ms.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                var result = driver.GetRunResult();
                generated = result.GeneratedTrees.Length;
                if (result.Diagnostics.Length > 0) throw new InvalidOperationException("generator diagnostics: " + string.Join("; ", result.Diagnostics));
            }
            if (generated != count) throw new InvalidOperationException($"expected {count} generated files, got {generated}");
            var stats = new Stats(ms);
            Console.WriteLine($"   {count,3} declarations: run ms {stats.Format("F2")}; per declaration {stats.Median / count:F3} ms");
            return new CostResult(count, stats, generated);
        }

        /// <summary>Runs once, applies an edit, runs again; counts the source outputs whose reason is New or Modified.</summary>
        public static List<EditResult> Incremental(int count)
        {
            var (networks, unrelated) = Sources(count);
            var compilation = Compilation(networks.Append(unrelated));
            var results = new List<EditResult>();
            var edits = new (string Name, Func<CSharpCompilation, CSharpCompilation> Apply)[]
            {
                ("method body in an unrelated file", c => Replace(c, unrelated, "=> 41;", "=> 42;")),
                ("method body in a file with 10 declarations", c => Replace(c, networks[0], "Value() => 1;", "Value() => 2;")),
                ("comment added above the declarations", c => Replace(c, networks[0], "namespace Bench", "// edited\nnamespace Bench")),
            };
            foreach (var (name, apply) in edits)
            {
                var driver = Driver(true).RunGenerators(compilation);
                var edited = apply(compilation);
                long t0 = Stopwatch.GetTimestamp();
                driver = driver.RunGenerators(edited);
                double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                var run = driver.GetRunResult().Results.Single();
                var outputs = run.TrackedOutputSteps.SelectMany(kv => kv.Value).SelectMany(step => step.Outputs).ToArray();
                int regenerated = outputs.Count(o => o.Reason is IncrementalStepRunReason.New or IncrementalStepRunReason.Modified);
                Console.WriteLine($"   edit: {name}: {regenerated} of {outputs.Length} outputs regenerated (incremental run {ms:F2} ms)");
                results.Add(new EditResult(name, outputs.Length, regenerated, ms));
            }
            return results;
        }

        private static CSharpCompilation Replace(CSharpCompilation c, SyntaxTree tree, string from, string to)
        {
            string text = tree.GetText().ToString();
            int at = text.IndexOf(from, StringComparison.Ordinal);
            if (at < 0) throw new InvalidOperationException($"'{from}' not found in {tree.FilePath}");
            var changed = tree.WithChangedText(tree.GetText().WithChanges(new TextChange(new TextSpan(at, from.Length), to)));
            return c.ReplaceSyntaxTree(tree, changed);
        }
    }
}
