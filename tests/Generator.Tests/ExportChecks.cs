using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Dsl.Generator.Tests.ResNetFamily;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.PyTorch;
using Xunit;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// What the property tests check beyond C# for every case without a diagnostic: its ONNX model loads in ONNX Runtime
    /// and computes the module's eval-mode output (<see cref="Onnx"/>), and its PyTorch twin imports under python3, builds,
    /// runs a forward of the declared output shape and has the module's state_dict keys (in any order: weights move by key). Twins are collected while the
    /// cases run (<see cref="AddTwin"/>) and imported together (<see cref="CheckTwins"/>): one python3 process per
    /// <see cref="TwinsPerProcess"/> twins, not one per case.
    /// </summary>
    internal sealed class ExportChecks : IDisposable
    {
        /// <summary>Twins one python3 process imports (a process costs about two seconds to start torch).</summary>
        public const int TwinsPerProcess = 400;

        private readonly string _dir;
        private readonly List<(string File, string Listing)> _twins = new();

        public ExportChecks(string name)
        {
            _dir = Path.Combine(Path.GetTempPath(), "dsl-" + name + "-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_dir);
        }

        /// <summary>
        /// Seeds libtorch's generator from <paramref name="listing"/> (a stable hash, not string.GetHashCode, which
        /// changes per process): a case's weights and input are the same in every run, so a failure reproduces
        /// from its listing and the fuzz seed alone.
        /// </summary>
        public static void SeedFor(string listing)
        {
            ulong hash = 14695981039346656037UL;
            foreach (char c in listing) hash = (hash ^ c) * 1099511628211UL;
            torch.manual_seed((long)(hash & 0x7FFFFFFFFFFFFFFFUL));
        }

        /// <summary>Twins collected so far.</summary>
        public int Twins => _twins.Count;

        /// <summary>
        /// Exports <paramref name="net"/> (in eval mode) to ONNX, loads it in ONNX Runtime and checks that it computes
        /// <paramref name="expected"/> (the module's output for <paramref name="x"/>) within 1e-4 of its scale, where both are finite.
        /// </summary>
        public static void Onnx(nn.Module<Tensor, Tensor> net, Tensor x, Tensor expected, string listing)
        {
            using var scope = NewDisposeScope();
            try
            {
                using var onnx = new OnnxPredictor(((IDeclaredNetwork)net).ToOnnx(), threads: 1);
                var actual = onnx.call(x);
                Assert.True(actual.shape.SequenceEqual(expected.shape), $"No diagnostic, but the ONNX model's output is [{string.Join(", ", actual.shape)}], the module's [{string.Join(", ", expected.shape)}]:\n{listing}");
                // Where the forward is numerically degenerate (a normalisation of a near-constant channel, a chain of
                // Add merges that overflows), libtorch and ONNX Runtime may disagree on which values overflow: the values
                // finite in both are compared, and an output finite in the module may not be non-finite everywhere in ONNX.
                var finite = expected.isfinite().logical_and(actual.isfinite());
                Assert.True(!expected.isfinite().all().item<bool>() || finite.any().item<bool>(), $"No diagnostic, but the ONNX model's output is not finite where the module's is:\n{listing}");
                var zero = zeros_like(expected);
                double error = where(finite, actual - expected, zero).abs().max().item<float>();
                double allowed = 1e-4 * Math.Max(1, where(finite, expected, zero).abs().max().item<float>());
                Assert.True(error <= allowed, $"No diagnostic, but the ONNX model's output differs from the module's by {error}:\n{listing}");
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"No diagnostic, but the ONNX model cannot be written or loaded: {(e.InnerException ?? e).Message.Split('\n')[0]}\n{listing}");
            }
        }

        /// <summary>Writes the twin of the network described by <paramref name="info"/>, to be imported by <see cref="CheckTwins"/>.</summary>
        /// <param name="keys">The .NET module's state_dict keys, in order.</param>
        public void AddTwin(NetworkInfo info, IEnumerable<string> keys, string listing)
        {
            string twin;
            try
            {
                twin = PyTorchTwin.Render(info);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"No diagnostic, but the PyTorch twin cannot be written: {e.Message}\n{listing}");
            }
            string path = Path.Combine(_dir, $"case{_twins.Count}.py");
            File.WriteAllText(path, twin, new UTF8Encoding(false));
            File.WriteAllText(Path.ChangeExtension(path, ".json"), JsonSerializer.Serialize(keys.ToArray()));
            _twins.Add((path, listing));
        }

        /// <summary>
        /// Imports every twin collected; fails listing the first three that do not import, build, run or have the
        /// module's keys. Returns null, or why the twins were not checked (python3-torch missing): the caller skips with it.
        /// </summary>
        public string? CheckTwins()
        {
            if (PythonOracle.MissingReason is { } missing) return missing;
            string script = Path.Combine(_dir, "check.py");
            File.WriteAllText(script, CheckScript);
            var failures = new List<string>();
            for (int start = 0; start < _twins.Count; start += TwinsPerProcess)
            {
                var files = _twins.Skip(start).Take(TwinsPerProcess).Select(t => "\"" + Path.GetFileName(t.File) + "\"");
                var (code, output, error) = PythonOracle.Run($"\"{script}\" \"{_dir}\" {string.Join(" ", files)}", TimeSpan.FromMinutes(5));
                var failed = output.Split('\n').Where(l => l.StartsWith("FAIL ", StringComparison.Ordinal)).ToList();
                failures.AddRange(failed);
                int count = Math.Min(TwinsPerProcess, _twins.Count - start);
                Assert.True(code == 0 && (failed.Count > 0 || output.Contains($"OK {count}", StringComparison.Ordinal)), $"python3 failed ({code}):\n{output}\n{error}");
            }
            string Listing(string line)
            {
                string file = line.Substring(5, line.IndexOf(':', StringComparison.Ordinal) - 5);
                var twin = _twins.FirstOrDefault(t => Path.GetFileName(t.File) == file);
                return line + "\n" + twin.Listing + "\n---- twin ----\n" + (twin.File is null ? "" : File.ReadAllText(twin.File));
            }
            Assert.True(failures.Count == 0, $"Twins that do not import or run ({failures.Count} of {_twins.Count}):\n" + string.Join("\n\n", failures.Take(3).Select(Listing)));
            return null;
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
                // A temporary folder left behind is harmless.
            }
        }

        /// <summary>Imports the twins named on the command line, builds each network class, runs a forward and compares the state_dict keys.</summary>
        private const string CheckScript = """
            import importlib.util, json, os, sys, traceback
            import torch
            folder = sys.argv[1]
            ok = 0
            for name in sys.argv[2:]:
                path = os.path.join(folder, name)
                try:
                    spec = importlib.util.spec_from_file_location(name[:-3], path)
                    module = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(module)
                    cls = getattr(module, module.__all__[0])
                    net = cls().eval()
                    # Two samples: PyTorch 1.13's group_norm refuses one value per group (a GroupNorm on a 1x1 map of
                    # one sample), which libtorch, and so the .NET module, computes.
                    with torch.no_grad():
                        tokens = getattr(cls, "vocabulary", 0) > 0
                        y = net(torch.zeros(2, *cls.input_shape, dtype=torch.long if tokens else torch.float32))
                    assert tuple(y.shape[1:]) == tuple(cls.output_shape), f"output {tuple(y.shape)} vs {cls.output_shape}"
                    # The same keys (weights move between the two by key; TorchSharp lists a module's buffers after all parameters).
                    keys = sorted(net.state_dict().keys())
                    expected = sorted(json.load(open(path[:-3] + ".json", encoding="utf-8")))
                    assert keys == expected, f"state_dict keys {keys} vs the .NET module's {expected}"
                    ok += 1
                except BaseException as e:
                    print(f"FAIL {name}: {type(e).__name__}: {e}".replace("\n", " "))
                    traceback.print_exc(file=sys.stdout)
            print(f"OK {ok}")
            """;
    }
}
