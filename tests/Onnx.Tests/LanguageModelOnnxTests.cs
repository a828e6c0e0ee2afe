using System;
using System.Linq;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.Onnx.Proto;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Onnx.Tests
{
    /// <summary>A language model's ONNX export: int64 token input with a free batch and sequence length, its logits at several lengths.</summary>
    public class LanguageModelOnnxTests
    {
        [Fact]
        public void Token_input_is_int64_with_free_batch_and_sequence_and_the_logits_follow_the_length()
        {
            using var net = Networks.Create("GptMini");
            var model = ModelProto.Parser.ParseFrom(((IDeclaredNetwork)net).ToOnnx());
            var input = model.Graph.Input.Single();
            Assert.Equal((int)TensorProto.Types.DataType.Int64, input.Type.TensorType.ElemType);
            Assert.Equal(new[] { "batch", "sequence" }, input.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString()).ToArray());
            Assert.Equal(new[] { "batch", "sequence", "256" }, model.Graph.Output.Single().Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString()).ToArray());
            // One initializer for the tied weight: the head reads transformer.wte.weight.
            Assert.Single(model.Graph.Initializer, i => i.Name == "transformer.wte.weight");
            Assert.DoesNotContain(model.Graph.Initializer, i => i.Name.StartsWith("lm_head", StringComparison.Ordinal));

            using var onnx = OnnxPredictor.For((IDeclaredNetwork)net, threads: 1);
            Assert.True(onnx.TakesTokens);
            foreach (long length in new long[] { 1, 7, 128 })
            {
                using var scope = NewDisposeScope();
                torch.manual_seed(length);
                var ids = torch.randint(0, 256, new long[] { 2, length }, dtype: ScalarType.Int64);
                Tensor expected;
                using (no_grad()) expected = net.call(ids);
                var actual = onnx.call(ids);
                Assert.Equal(new long[] { 2, length, 256 }, actual.shape);
                double error = (actual - expected).abs().max().item<float>();
                Assert.True(error < 1e-4, $"length {length}: max |onnx - torch| = {error:E2}");
            }
        }
    }
}
