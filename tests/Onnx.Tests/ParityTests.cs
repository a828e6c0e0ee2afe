using System;
using System.Linq;
using Dsl.Runtime.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Tests
{
    /// <summary>ONNX Runtime computes what TorchSharp computes in eval mode, for every declared network.</summary>
    public class ParityTests
    {
        /// <summary>
        /// Tolerance relative to the output's scale: |onnx - torch| &lt;= 1e-4 * max(1, max |torch|). float32 sums of
        /// thousands of products differ in the last bits between libtorch's and ONNX Runtime's kernels (and ONNX Runtime
        /// folds BatchNorm into the convolution), so an elementwise relative bound would fail on logits near zero.
        /// </summary>
        private const double Tolerance = 1e-4;

        [Theory]
        [MemberData(nameof(Networks.Names), MemberType = typeof(Networks))]
        public void Onnx_runtime_logits_equal_torchsharp_eval_logits_at_batch_1_and_5(string network)
        {
            using var net = Networks.Create(network);
            using var onnx = OnnxPredictor.For((IDeclaredNetwork)net);
            foreach (long batch in new long[] { 1, 5 })
            {
                using var scope = torch.NewDisposeScope();
                torch.manual_seed(100 + batch);
                var x = Networks.RandomInput(net, batch);
                Tensor expected;
                using (torch.no_grad()) expected = net.call(x);
                var actual = onnx.call(x);

                Assert.Equal(expected.shape, actual.shape);
                double scale = Math.Max(1, expected.abs().max().item<float>());
                double error = (actual - expected).abs().max().item<float>();
                // One sample of a one-output network has nothing to vary; the batch of 5 must vary.
                if (expected.numel() > 1)
                    Assert.True(expected.std().item<float>() > 1e-4, $"{network}: the outputs hardly vary, so they test nothing");
                Assert.True(error <= Tolerance * scale, $"{network}, batch {batch}: max |onnx - torch| = {error:E2}, allowed {Tolerance * scale:E2}");
            }
        }
    }
}
