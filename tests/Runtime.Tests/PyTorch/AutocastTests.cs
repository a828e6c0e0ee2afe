using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Dsl.Runtime.Autocast;
using Dsl.Runtime.Graph;
using Dsl.Runtime.PyTorch;
using ResNetSample;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.PyTorch
{
    /// <summary>
    /// Every catalogue network's twin run once by PyTorch under <c>torch.autocast("cpu", dtype=torch.bfloat16)</c> (one
    /// Python process for all), recording the type each module returns (autocast_dtypes.py).
    /// </summary>
    public sealed class AutocastRun : IDisposable
    {
        public const long Batch = 2;

        public AutocastRun()
        {
            Folder = TestData.TempDir("autocast");
            Skipped = PythonTorch.MissingReason;
            if (Skipped is not null) return;
            File.WriteAllText(Path.Combine(Folder, PyTorchExport.TrainScriptName), PyTorchExport.TrainingScript);
            foreach (var entry in ModelCatalog.All)
            {
                PyTorchExport.Export(entry.Info, Path.Combine(Folder, entry.Info.Name + ".py"), withTrainingScript: false);
                // The input the .NET side runs: its shape, and for a language model the vocabulary its token ids come from.
                using var input = TwinRun.Input(entry.Info, Batch);
                File.WriteAllText(Path.Combine(Folder, entry.Info.Name + ".shape.json"), JsonSerializer.Serialize(input.shape));
                var graph = NetworkGraph.Of(entry.Info);
                if (graph.IsTokens) File.WriteAllText(Path.Combine(Folder, entry.Info.Name + ".vocabulary.json"), JsonSerializer.Serialize(graph.Vocabulary));
            }
            var args = new List<string> { Path.Combine(PythonTorch.Helpers, "autocast_dtypes.py"), Folder };
            args.AddRange(ModelCatalog.All.Select(e => e.Info.Name));
            Python = PythonTorch.Run(args, TimeSpan.FromMinutes(10));
            string report = Path.Combine(Folder, "autocast.json");
            if (File.Exists(report))
            {
                using var json = JsonDocument.Parse(File.ReadAllText(report));
                foreach (var entry in json.RootElement.EnumerateObject()) Report[entry.Name] = entry.Value.Clone();
            }
        }

        public string Folder { get; }
        public string? Skipped { get; }
        internal PythonTorch.Result? Python { get; }
        public Dictionary<string, JsonElement> Report { get; } = new();

        public void Dispose()
        {
            if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
        }
    }

    /// <summary>
    /// The casts of bf16 mixed precision, module by module, for every catalogue network: the runtime follows the plan
    /// read from the graph (a lower-precision layer returns bf16, a float32 one float32, any other the type it was
    /// given), and every module returns the type PyTorch's own autocast gives it in the twin.
    /// </summary>
    public sealed class AutocastTests : IClassFixture<AutocastRun>
    {
        /// <summary>
        /// Module kinds whose policy changed between PyTorch 1.13 (the oracle here, Debian's python3-torch) and the
        /// PyTorch 2.x lists that libtorch 2.10 and this runtime follow; a network holding one is not compared.
        /// </summary>
        private static readonly Dictionary<string, string> ChangedSince113 = new()
        {
            ["ConvTranspose2d"] = "PyTorch 1.13's CPU autocast runs conv_transpose2d in float32; the 2.x lists (libtorch 2.10's) put it in lower precision",
        };

        private readonly AutocastRun _run;
        private readonly Xunit.Abstractions.ITestOutputHelper _output;

        public AutocastTests(AutocastRun run, Xunit.Abstractions.ITestOutputHelper output) => (_run, _output) = (run, output);

        public static TheoryData<string> Catalogue()
        {
            var data = new TheoryData<string>();
            foreach (var entry in ModelCatalog.All) data.Add(entry.Name);
            return data;
        }

        /// <summary>Each module's output type in one training-mode forward of <paramref name="model"/> under bf16 mixed precision.</summary>
        private static Dictionary<string, ScalarType> OutputTypes(nn.Module<Tensor, Tensor> model, NetworkInfo info)
        {
            var types = new Dictionary<string, ScalarType>(StringComparer.Ordinal);
            model.train();
            using var autocast = MixedPrecision.Enable(model, Precision.BFloat16);
            var removers = new List<Action>();
            foreach (var (path, module) in model.named_modules().Prepend(("", model)))
            {
                if (module is not nn.Module<Tensor, Tensor> m) continue;
                var hook = m.register_forward_hook((_, _, output) =>
                {
                    types[path] = output.dtype;
                    return output;
                });
                removers.Add(hook.remove);
            }
            torch.manual_seed(0);
            using (torch.NewDisposeScope())
            {
                // Every output in training mode, as the twin computes them (auxiliary heads included).
                if (model is IMultiOutputNetwork multi) multi.ForwardOutputs(TwinRun.Input(info, AutocastRun.Batch)).Dispose();
                else model.call(TwinRun.Input(info, AutocastRun.Batch));
            }
            foreach (var remove in removers) remove();
            return types;
        }

        [SkippableTheory]
        [MemberData(nameof(Catalogue))]
        public void Each_module_returns_the_type_its_autocast_policy_gives_and_the_type_pytorch_autocast_gives(string name)
        {
            var entry = ModelCatalog.Find(name);
            var plan = AutocastPlan.Of(NetworkGraph.Of(entry.Info), Precision.BFloat16);
            using var model = entry.Create();
            var ours = OutputTypes(model, entry.Info);

            // The runtime follows the plan: lower precision -> bf16, float32 -> float32, fall-through -> what arrived
            // (a fall-through layer directly after a lower-precision one returns bf16, which the next check pins).
            foreach (var e in plan.Modules)
            {
                if (!ours.TryGetValue(e.Path, out var type)) continue; // a layer this forward does not call (an optional shortcut)
                if (e.Policy == CastPolicy.LowerPrecision) Assert.True(type == ScalarType.BFloat16, $"{name}: {e.Path} ({e.Kind}) is on the lower-precision list but returned {type}");
                if (e.Policy == CastPolicy.Float32) Assert.True(type == ScalarType.Float32, $"{name}: {e.Path} ({e.Kind}) is on the float32 list but returned {type}");
            }
            Assert.Contains(plan.Modules, e => e.Policy == CastPolicy.LowerPrecision && ours.ContainsKey(e.Path));
            // Master weights: every parameter is still float32 after the forward.
            Assert.All(model.named_parameters(), p => Assert.Equal(ScalarType.Float32, p.parameter.dtype));

            Skip.If(_run.Skipped is not null, _run.Skipped);
            Assert.True(_run.Report.TryGetValue(entry.Info.Name, out var report), $"autocast_dtypes.py reported nothing for {entry.Info.Name}: {_run.Python}");
            var changed = plan.Modules.Select(e => e.Kind).Distinct().Where(ChangedSince113.ContainsKey).ToList();
            Skip.If(changed.Count > 0, $"{name} holds {string.Join(", ", changed)}: {string.Join("; ", changed.Select(k => ChangedSince113[k]))}");
            // PyTorch 1.13 has no CPU LayerNorm or GroupNorm for bf16 inputs with float32 weights (2.x has): such a twin
            // stops in PyTorch under autocast, and the network skips with PyTorch's error.
            Skip.If(report.TryGetProperty("error", out var error), $"the twin of {name} does not run under autocast in this PyTorch: {error}");

            var theirs = report.GetProperty("types").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            int compared = 0;
            foreach (var e in plan.Modules.Where(e => ours.ContainsKey(e.Path)))
            {
                Assert.True(theirs.TryGetValue(e.Path, out var pytorch), $"{name}: the twin has no module {e.Path} ({e.Kind}) that returned a tensor");
                string mine = ours[e.Path] == ScalarType.BFloat16 ? "bfloat16" : ours[e.Path] == ScalarType.Float32 ? "float32" : ours[e.Path].ToString();
                Assert.True(mine == pytorch, $"{name}: {e.Path} ({e.Kind}, {e.Rule.Ops}) returned {mine} here and {pytorch} under PyTorch's autocast");
                compared++;
            }
            // Blocks and the whole network too: merges (residual adds, concatenations) promote alike.
            foreach (var node in NetworkGraph.Of(entry.Info).Root.Descendants().Where(n => n.Form != NodeForm.Leaf && ours.ContainsKey(n.Path) && theirs.ContainsKey(n.Path)))
            {
                string mine = ours[node.Path] == ScalarType.BFloat16 ? "bfloat16" : "float32";
                Assert.True(mine == theirs[node.Path], $"{name}: block {node.Path} returned {mine} here and {theirs[node.Path]} under PyTorch's autocast");
                compared++;
            }
            _output.WriteLine($"{name}: {compared} modules return the same type as under PyTorch's autocast");
        }

    }
}
