using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Dsl.Runtime.Interop;
using Dsl.Runtime.PyTorch;
using Dsl.Tests.Shared;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.PyTorch
{
    /// <summary>
    /// Every network of the sample (or the <c>types</c> a derived fixture names), exported as its PyTorch twin and run by
    /// PyTorch (one Python process for all): the .NET module's weights (BatchNorm statistics randomised) and an input go
    /// in, the twin's logits, parameter count and state_dict come back.
    /// </summary>
    public class TwinRun : IDisposable
    {
        public TwinRun() : this(PyTorchTwinTests.NetworkTypes) { }

        protected TwinRun(IReadOnlyList<Type> types)
        {
            Folder = TestData.TempDir("pytorch-twins");
            Skipped = PythonTorch.MissingReason;
            if (Skipped is not null) return;
            File.WriteAllText(Path.Combine(Folder, PyTorchExport.TrainScriptName), PyTorchExport.TrainingScript);
            foreach (var type in types)
            {
                torch.manual_seed(1);
                using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
                var info = ((IDeclaredNetwork)net).Info;
                ((IDeclaredNetwork)net).ExportPyTorch(Path.Combine(Folder, type.Name + ".py"), withTrainingScript: false);
                RandomiseBatchNorm(net);
                net.eval();
                // The 224x224 networks are checked at batch 1 to stay fast; the small ones at 2 (batch handling).
                long batch = info.InputShape.Elements > 100_000 ? 1 : 2;
                using var input = Input(info, batch);
                using (torch.no_grad())
                {
                    Outputs[type.Name] = EveryOutput.Of(net, input);
                }
                NetState[type.Name] = net.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
                net.SavePyTorch(Path.Combine(Folder, type.Name + ".weights.safetensors"));
                PyTorchCheckpoint.SaveTensors(new Dictionary<string, Tensor> { ["input"] = input }, Path.Combine(Folder, type.Name + ".input.safetensors"));
            }
            var args = new List<string> { Path.Combine(PythonTorch.Helpers, "twin_check.py"), Folder };
            args.AddRange(types.Select(t => t.Name));
            Python = PythonTorch.Run(args, TimeSpan.FromMinutes(10));
            string report = Path.Combine(Folder, "report.json");
            if (File.Exists(report))
            {
                using var json = JsonDocument.Parse(File.ReadAllText(report));
                foreach (var entry in json.RootElement.EnumerateObject()) Report[entry.Name] = entry.Value.Clone();
            }
        }

        /// <summary>
        /// A batch the network takes: normal values, or for a language model token ids in [0, vocabulary), at most 24 per
        /// sample where the length is free (GPT-2's 1024 positions cost what a short prompt does; shorter inputs are exercised).
        /// </summary>
        internal static Tensor Input(NetworkInfo info, long batch)
        {
            var graph = Dsl.Runtime.Graph.NetworkGraph.Of(info);
            var shape = info.InputShape.WithBatch(batch);
            if (!graph.IsTokens) return torch.randn(shape);
            if (graph.AnySize) shape[1] = Math.Min(shape[1], 24);
            return torch.randint(0, graph.Vocabulary, shape, dtype: ScalarType.Int64);
        }

        public string Folder { get; }
        public string? Skipped { get; }
        internal PythonTorch.Result? Python { get; }
        public Dictionary<string, JsonElement> Report { get; } = new();
        /// <summary>Every output of each .NET module in eval mode, by name (<see cref="EveryOutput"/>).</summary>
        public Dictionary<string, Dictionary<string, Tensor>> Outputs { get; } = new();
        public Dictionary<string, Dictionary<string, long[]>> NetState { get; } = new();

        /// <summary>
        /// Fresh BatchNorm layers normalise with mean 0 and variance 1 and scale by 1, which would hide a twin that
        /// mixed up the statistics or the affine parameters.
        /// </summary>
        private static void RandomiseBatchNorm(nn.Module net)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            foreach (var (_, module) in net.named_modules())
            {
                if (module is TorchSharp.Modules.GroupNorm gn)
                {
                    gn.weight!.copy_(torch.rand(gn.weight.shape[0]).add_(0.5));
                    gn.bias!.copy_(torch.randn(gn.bias!.shape[0]).mul_(0.1));
                    continue;
                }
                if (module is not TorchSharp.Modules.BatchNorm bn) continue; // BatchNorm1d and BatchNorm2d
                long c = bn.running_mean!.shape[0];
                bn.running_mean.copy_(torch.randn(c).mul_(0.1));
                bn.running_var!.copy_(torch.rand(c).add_(0.5));
                bn.weight!.copy_(torch.rand(c).add_(0.5));
                bn.bias!.copy_(torch.randn(c).mul_(0.1));
            }
            // Likewise a layer scale (1e-6 makes its block almost the identity) and a LayerNorm2d's scale and shift.
            // Reference initialisation zeroes some weights (torchvision's ViT head and class token): a zero head gives
            // zero logits on both sides whatever the rest computes, so weights that start all zero get random values.
            foreach (var (name, parameter) in net.named_parameters())
            {
                if (name.EndsWith("layer_scale", StringComparison.Ordinal)) parameter.copy_(torch.rand(parameter.shape).add_(0.5));
                else if (parameter.numel() > 1 && !name.EndsWith("bias", StringComparison.Ordinal) && parameter.count_nonzero().item<long>() == 0)
                    parameter.copy_(torch.randn(parameter.shape).mul_(0.02));
            }
            foreach (var (_, module) in net.named_modules())
            {
                if (module is not Dsl.Layers.LayerNorm2d norm) continue;
                norm.weight.copy_(torch.rand(norm.weight.shape).add_(0.5));
                norm.bias.copy_(torch.randn(norm.bias.shape).mul_(0.1));
            }
        }

        public void Dispose()
        {
            foreach (var t in Outputs.Values.SelectMany(o => o.Values)) t.Dispose();
            Directory.Delete(Folder, recursive: true);
        }
    }

    public sealed class PyTorchTwinTests : IClassFixture<TwinRun>
    {
        private readonly TwinRun _run;
        private readonly Xunit.Abstractions.ITestOutputHelper _output;

        public PyTorchTwinTests(TwinRun run, Xunit.Abstractions.ITestOutputHelper output)
        {
            _run = run;
            _output = output;
        }

        /// <summary>Every generated network of the sample, found by reflection, so a new declaration is covered without listing it.</summary>
        public static IReadOnlyList<Type> NetworkTypes { get; } = typeof(ResNetSample.ModelCatalog).Assembly.GetTypes()
            .Where(t => typeof(IDeclaredNetwork).IsAssignableFrom(t) && t.IsClass && !t.IsAbstract)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToArray();

        public static TheoryData<string> Networks()
        {
            var data = new TheoryData<string>();
            foreach (var t in NetworkTypes) data.Add(t.Name);
            return data;
        }

        private JsonElement Entry(string network)
        {
            Skip.If(_run.Skipped is not null, _run.Skipped);
            Assert.True(_run.Report.TryGetValue(network, out var entry), $"twin_check.py reported nothing for {network}: {_run.Python}");
            Assert.False(entry.TryGetProperty("error", out var error), $"The twin of {network} failed in PyTorch:\n{error}");
            return entry;
        }

        [Fact]
        public void The_sample_declares_networks_to_check()
        {
            Assert.Contains("ResNetMini", NetworkTypes.Select(t => t.Name));
            Assert.True(NetworkTypes.Count >= ResNetSample.ModelCatalog.All.Count, string.Join(", ", NetworkTypes.Select(t => t.Name)));
        }

        [SkippableTheory]
        [MemberData(nameof(Networks))]
        public void The_twin_has_the_compile_time_parameter_count_and_the_dotnet_state_dict(string network)
        {
            var entry = Entry(network);
            var type = NetworkTypes.Single(t => t.Name == network);
            long declared = (long)type.GetField("ParameterCount")!.GetValue(null)!;
            Assert.Equal(declared, entry.GetProperty("parameters").GetInt64());

            var twin = entry.GetProperty("state").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray());
            var net = _run.NetState[network];
            Assert.Equal(net.Keys.OrderBy(k => k, StringComparer.Ordinal), twin.Keys.OrderBy(k => k, StringComparer.Ordinal));
            foreach (var (key, shape) in net)
            {
                // A scalar buffer (num_batches_tracked) may be [] on one side and [1] on the other; both hold one number.
                if (shape.Aggregate(1L, (a, b) => a * b) == 1 && twin[key].Aggregate(1L, (a, b) => a * b) == 1) continue;
                Assert.True(shape.SequenceEqual(twin[key]), $"{key}: .NET [{string.Join(", ", shape)}], twin [{string.Join(", ", twin[key])}]");
            }
        }

        [SkippableTheory]
        [MemberData(nameof(Networks))]
        public void The_twin_computes_every_output_of_the_dotnet_module_on_the_same_weights(string network)
        {
            Entry(network);
            var twin = PyTorchCheckpoint.ReadTensors(Path.Combine(_run.Folder, network + ".outputs.safetensors"));
            try
            {
                // float32 rounding grows with the size of the logits: torchvision's initialisation (Kaiming, fan-out) gives
                // ResNet-34 and -50 logits in the hundreds on random input, where 1e-4 of a logit is below float32's resolution.
                double worst = EveryOutput.AssertClose(_run.Outputs[network], twin, 1e-4, $"{network}: the twin against the .NET module");
                _output.WriteLine($"{network}: outputs {string.Join(", ", twin.Keys)}, largest difference {worst:G3} of the output's scale");
            }
            finally
            {
                foreach (var t in twin.Values) t.Dispose();
            }
        }
    }
}
