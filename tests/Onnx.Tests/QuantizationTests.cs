using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Dsl.Runtime.Graph;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using ResNetSample;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Tests
{
    /// <summary>The int8 QDQ export: its structure, read back with the ONNX protobuf classes, and what ONNX Runtime makes of it.</summary>
    public class QuantizationTests
    {
        /// <summary>The catalogue's networks with at least one convolution.</summary>
        public static IEnumerable<object[]> ConvolutionalNetworks =>
            ModelCatalog.All.Where(e => e.Info.Graph!.Contains("\"module\": \"Conv2d\"", StringComparison.Ordinal) || e.Info.Graph!.Contains("\"module\":\"Conv2d\"", StringComparison.Ordinal)).Select(e => new object[] { e.Name });

        [Theory]
        [MemberData(nameof(ConvolutionalNetworks))]
        public void The_int8_model_loads_in_onnx_runtime_runs_its_convolutions_as_integer_kernels_and_gives_the_declared_shape(string name)
        {
            var entry = ModelCatalog.Find(name);
            using var net = Networks.Create(entry.Create().GetType().Name);
            var input = Networks.InputShape(net);
            torch.manual_seed(3);
            var calibration = new[] { torch.randn(new[] { 2L }.Concat(input).ToArray()) };
            var model = OnnxQuantizer.Quantize(OnnxExporter.Build(NetworkGraph.Of((IDeclaredNetwork)net), net.state_dict()), calibration);
            var g = model.Graph;

            var producer = g.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
            var inits = g.Initializer.ToDictionary(i => i.Name);
            var weighted = g.Node.Where(n => n.OpType is "Conv" or "Gemm").ToList();
            Assert.NotEmpty(weighted);
            foreach (var node in weighted)
            {
                // Activation: QuantizeLinear -> DequantizeLinear -> node, uint8.
                var dq = producer[node.Input[0]];
                Assert.Equal("DequantizeLinear", dq.OpType);
                Assert.Equal("QuantizeLinear", producer[dq.Input[0]].OpType);
                Assert.Equal((int)TensorProto.Types.DataType.Uint8, inits[dq.Input[2]].DataType);
                // Weight: DequantizeLinear of an int8 initializer with one scale per output channel along axis 0.
                var wdq = producer[node.Input[1]];
                Assert.Equal("DequantizeLinear", wdq.OpType);
                var w = inits[wdq.Input[0]];
                Assert.Equal((int)TensorProto.Types.DataType.Int8, w.DataType);
                Assert.Equal(new[] { w.Dims[0] }, inits[wdq.Input[1]].Dims.ToArray());
                Assert.Equal(0, wdq.Attribute.Single(a => a.Name == "axis").I);
                // Bias: int32, dequantized.
                if (node.Input.Count > 2) Assert.Equal((int)TensorProto.Types.DataType.Int32, inits[producer[node.Input[2]].Input[0]].DataType);
                // Output: quantized again, so ONNX Runtime can fuse DQ -> op -> Q into one integer kernel.
                Assert.Contains(g.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == node.Output[0]);
            }
            Assert.DoesNotContain(g.Node, n => n.OpType == "BatchNormalization" && producer.TryGetValue(n.Input[0], out var p) && p.OpType == "Conv");

            string optimized = Path.Combine(Path.GetTempPath(), $"dsl-int8-{Guid.NewGuid():N}.onnx");
            try
            {
                using var options = OnnxPredictor.SessionOptionsFor(1);
                options.OptimizedModelFilePath = optimized;
                using (var session = new InferenceSession(model.ToByteArray(), options))
                {
                    var x = torch.randn(new[] { 3L }.Concat(input).ToArray()).data<float>().ToArray();
                    using var value = OrtValue.CreateTensorValueFromMemory(x, new[] { 3L }.Concat(input).ToArray());
                    // Every output the eval-mode network computes, by name, with its declared shape.
                    var shapes = Dsl.Tests.Shared.EveryOutput.EvalShapes(entry.Info);
                    Assert.Equal(shapes.Keys.OrderBy(k => k, StringComparer.Ordinal), session.OutputMetadata.Keys.OrderBy(k => k, StringComparer.Ordinal));
                    var names = shapes.Keys.ToArray();
                    using var results = session.Run(new RunOptions(), new[] { OnnxExporter.InputName }, new[] { value }, names);
                    for (int i = 0; i < names.Length; i++)
                    {
                        Assert.Equal(new[] { 3L }.Concat(shapes[names[i]]), results[i].GetTensorTypeAndShape().Shape);
                        Assert.All(results[i].GetTensorDataAsSpan<float>().ToArray(), v => Assert.True(float.IsFinite(v)));
                    }
                }
                // ONNX Runtime's own optimised graph: every convolution became an integer kernel (none left in float).
                var ops = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node.Select(n => n.OpType).ToList();
                Assert.DoesNotContain("Conv", ops);
                Assert.Equal(weighted.Count(n => n.OpType == "Conv"), ops.Count(o => o == "QLinearConv"));
            }
            finally
            {
                File.Delete(optimized);
            }
        }

        [Fact]
        public void Activation_parameters_include_zero_exactly_and_cover_the_range()
        {
            // [0, 2.55]: a ReLU's output; zero point 0, 255 steps of 0.01.
            var (scale, zero) = OnnxQuantizer.ActivationParams(0.5f, 2.55f);
            Assert.Equal(0.01f, scale, 6);
            Assert.Equal(0, zero);
            // [-1, 1.55]: zero point 100, so 0 maps to a whole step.
            (scale, zero) = OnnxQuantizer.ActivationParams(-1f, 1.55f);
            Assert.Equal(0.01f, scale, 6);
            Assert.Equal(100, zero);
            // A constant tensor gets a valid (non-zero) scale.
            (scale, _) = OnnxQuantizer.ActivationParams(0f, 0f);
            Assert.True(scale > 0);
        }
    }
}
