using System;
using System.IO;
using System.Linq;
using Dsl.Runtime.Interop;
using Dsl.Runtime.Onnx;
using Dsl.Tests.Shared;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.PyTorch
{
    /// <summary>Sizes per dimension in every kind that takes them: a convolution, pools with ceil mode and dilation, a transposed convolution.</summary>
    [Input(3, 13, 14)]
    [Conv2d(8, "1, 3", Paddings = "0, 1")]
    [MaxPool2d("3, 2", Strides = "2, 1", Paddings = "1, 0", CeilMode = true)]
    [ReLU]
    [AvgPool2d("1, 3", Strides = "1, 2", Paddings = "0, 1", CeilMode = true)]
    [ConvTranspose2d(6, "2, 3", Strides = "2, 1", Paddings = "0, 1", OutputPadding = 1, Dilations = "1, 2", Groups = 2)]
    [MaxPool2d(2, Strides = "1, 2", Dilations = "2, 1")]
    [Flatten]
    [Linear(4)]
    public partial class TwinPerDimension;

    public sealed class PerDimensionTwinRun : TwinRun
    {
        public PerDimensionTwinRun() : base(new[] { typeof(TwinPerDimension) }) { }
    }

    /// <summary>
    /// The exports of <see cref="TwinPerDimension"/> render each size per axis: the PyTorch twin builds the .NET parameters
    /// and computes its logits, and so does the ONNX file in ONNX Runtime.
    /// </summary>
    public sealed class PerDimensionExportTests : IClassFixture<PerDimensionTwinRun>
    {
        private readonly PerDimensionTwinRun _run;

        public PerDimensionExportTests(PerDimensionTwinRun run) => _run = run;

        [SkippableFact]
        public void The_twin_has_the_dotnet_parameters_and_logits()
        {
            Skip.If(_run.Skipped is not null, _run.Skipped);
            string name = nameof(TwinPerDimension);
            Assert.True(_run.Report.TryGetValue(name, out var entry), "twin_check.py reported nothing: " + _run.Python);
            Assert.False(entry.TryGetProperty("error", out var error), "The twin failed in PyTorch:\n" + error);
            Assert.Equal(TwinPerDimension.ParameterCount, entry.GetProperty("parameters").GetInt64());
            var state = entry.GetProperty("state").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray());
            Assert.Equal(_run.NetState[name].Keys.OrderBy(k => k, StringComparer.Ordinal), state.Keys.OrderBy(k => k, StringComparer.Ordinal));
            foreach (var (key, shape) in _run.NetState[name]) Assert.Equal(shape, state[key]);

            var twin = PyTorchCheckpoint.ReadTensors(Path.Combine(_run.Folder, name + ".outputs.safetensors"));
            try
            {
                EveryOutput.AssertClose(_run.Outputs[name], twin, 1e-4, $"{name}: the twin against the .NET module");
            }
            finally
            {
                foreach (var t in twin.Values) t.Dispose();
            }
        }

        [Fact]
        public void ONNX_Runtime_computes_the_dotnet_logits()
        {
            torch.manual_seed(3);
            using var net = new TwinPerDimension();
            net.eval();
            using var scope = torch.NewDisposeScope();
            var x = torch.randn(3, 3, 13, 14);
            Tensor expected;
            using (torch.no_grad()) expected = net.call(x);
            using var onnx = new OnnxPredictor(((IDeclaredNetwork)net).ToOnnx(), threads: 1);
            var actual = onnx.call(x);
            Assert.Equal(expected.shape, actual.shape);
            double difference = (actual - expected).abs().max().item<float>();
            Assert.True(difference < 1e-4 * Math.Max(1, expected.abs().max().item<float>()), $"ONNX Runtime's logits differ by up to {difference:G3}");
        }
    }
}
