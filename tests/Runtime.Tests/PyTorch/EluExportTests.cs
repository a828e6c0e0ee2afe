using System;
using System.IO;
using System.Linq;
using Dsl.Runtime.Interop;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.PyTorch;
using Dsl.Tests.Shared;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.PyTorch
{
    /// <summary>
    /// <c>[ELU]</c> at three values of alpha: 0 first, where the input is half negative (an exporter that dropped alpha 0
    /// would compute ONNX's default 1 there), 0.5 and the default 1.
    /// </summary>
    [Input(3, 8, 8)]
    [ELU(Alpha = 0)]
    [Conv2d(6, 3, Padding = 1)]
    [ELU(Alpha = 0.5)]
    [Conv2d(6, 3, Padding = 1)]
    [ELU]
    [Flatten]
    [Linear(4)]
    public partial class TwinElu;

    public sealed class EluTwinRun : TwinRun
    {
        public EluTwinRun() : base(new[] { typeof(TwinElu) }) { }
    }

    /// <summary>
    /// A new simple kind end to end: <see cref="TwinElu"/>'s compile-time facts, its TorchSharp layers against ELU's
    /// formula, its ONNX file (each Elu's alpha written, 0 included) in ONNX Runtime and its PyTorch twin against the
    /// .NET module.
    /// </summary>
    public sealed class EluExportTests : IClassFixture<EluTwinRun>
    {
        private static readonly double[] Alphas = { 0, 0.5, 1 };

        private readonly EluTwinRun _run;

        public EluExportTests(EluTwinRun run) => _run = run;

        [Fact]
        public void The_compile_time_facts_have_three_shape_preserving_ELU_layers_without_parameters()
        {
            var elus = TwinElu.Info.Layers.Where(l => l.Type == "ELU").ToArray();
            Assert.Equal(new[] { "elu1", "elu2", "elu3" }, elus.Select(l => l.Name));
            Assert.Equal(new[] { "[3, 8, 8]", "[6, 8, 8]", "[6, 8, 8]" }, elus.Select(l => l.OutputShape.ToString()));
            Assert.All(elus, l => Assert.Equal(0, l.Parameters));
            Assert.Equal((6 * 3 * 9 + 6) + (6 * 6 * 9 + 6) + (4 * 6 * 64 + 4), TwinElu.ParameterCount);
        }

        [Fact]
        public void Each_ELU_layer_computes_the_formula_with_its_alpha()
        {
            using var net = new TwinElu();
            using var scope = NewDisposeScope();
            var x = linspace(-4, 4, 81).reshape(1, 1, 9, 9);
            var modules = net.named_modules().Where(m => m.name.StartsWith("elu", StringComparison.Ordinal)).Select(m => (nn.Module<Tensor, Tensor>)m.module).ToArray();
            Assert.Equal(3, modules.Length);
            for (int i = 0; i < 3; i++)
            {
                var expected = where(x > 0, x, Alphas[i] * (x.exp() - 1));
                Assert.True(modules[i].call(x).allclose(expected, rtol: 1e-6, atol: 1e-6), $"elu{i + 1} does not compute alpha {Alphas[i]}");
            }
        }

        [Fact]
        public void The_ONNX_file_writes_each_alpha_and_ONNX_Runtime_computes_the_dotnet_logits()
        {
            torch.manual_seed(3);
            using var net = new TwinElu();
            net.eval();
            byte[] model = ((IDeclaredNetwork)net).ToOnnx();
            var elus = Dsl.Runtime.Onnx.Proto.ModelProto.Parser.ParseFrom(model).Graph.Node.Where(n => n.OpType == "Elu").ToArray();
            Assert.Equal(3, elus.Length);
            for (int i = 0; i < 3; i++)
            {
                var alpha = elus[i].Attribute.Single(a => a.Name == "alpha");
                Assert.True(alpha.HasF, $"Elu {i}'s alpha is not written");
                Assert.Equal((float)Alphas[i], alpha.F);
            }

            using var scope = NewDisposeScope();
            var x = randn(5, 3, 8, 8);
            Tensor expected;
            using (no_grad()) expected = net.call(x);
            using var onnx = new OnnxPredictor(model, threads: 1);
            var actual = onnx.call(x);
            Assert.Equal(expected.shape, actual.shape);
            double difference = (actual - expected).abs().max().item<float>();
            Assert.True(difference < 1e-4 * Math.Max(1, expected.abs().max().item<float>()), $"ONNX Runtime's logits differ by up to {difference:G3}");
            // Alpha 0 matters on this input: the first layer gets negatives, which ONNX's default alpha (1) would keep.
            Assert.True((x < 0).sum().item<long>() > 100);
        }

        [SkippableFact]
        public void The_twin_has_the_dotnet_parameters_and_logits()
        {
            Skip.If(_run.Skipped is not null, _run.Skipped);
            string name = nameof(TwinElu);
            Assert.True(_run.Report.TryGetValue(name, out var entry), "twin_check.py reported nothing: " + _run.Python);
            Assert.False(entry.TryGetProperty("error", out var error), "The twin failed in PyTorch:\n" + error);
            Assert.Equal(TwinElu.ParameterCount, entry.GetProperty("parameters").GetInt64());
            var twin = PyTorchCheckpoint.ReadTensors(Path.Combine(_run.Folder, name + ".outputs.safetensors"));
            try
            {
                EveryOutput.AssertClose(_run.Outputs[name], twin, 1e-5, $"{name}: the twin against the .NET module");
            }
            finally
            {
                foreach (var t in twin.Values) t.Dispose();
            }
        }

        [Fact]
        public void The_twin_writes_nn_ELU_with_alpha_where_it_is_not_the_default()
        {
            string folder = TestData.TempDir("elu-twin");
            try
            {
                string file = Path.Combine(folder, "elu.py");
                PyTorchExport.Export(TwinElu.Info, file);
                string code = File.ReadAllText(file);
                Assert.Contains("nn.ELU(alpha=0.0)", code);
                Assert.Contains("nn.ELU(alpha=0.5)", code);
                Assert.Contains("nn.ELU()", code);
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
