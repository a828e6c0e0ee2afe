using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Tests.Shared;
using Dsl.Runtime.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Tests
{
    /// <summary>ONNX Runtime computes what TorchSharp computes in eval mode, for every declared network and every output it has there.</summary>
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
        public void Onnx_runtime_outputs_equal_torchsharp_eval_outputs_at_batch_1_and_5(string network)
        {
            using var net = Networks.Create(network);
            using var onnx = OnnxPredictor.For((IDeclaredNetwork)net);
            foreach (long batch in new long[] { 1, 5 })
            {
                using var scope = torch.NewDisposeScope();
                torch.manual_seed(100 + batch);
                var x = Networks.RandomInput(net, batch);
                Dictionary<string, Tensor> expected;
                using (torch.no_grad()) expected = EveryOutput.Of(net, x);
                // One sample of a one-output network has nothing to vary; the batch of 5 must vary.
                foreach (var (name, output) in expected)
                    if (output.numel() > 1)
                        Assert.True(output.std().item<float>() > 1e-4, $"{network}: output '{name}' hardly varies, so it tests nothing");
                EveryOutput.AssertClose(expected, onnx.Outputs(x), Tolerance, $"{network}, batch {batch}, ONNX Runtime against TorchSharp");
                // The predictor's forward is the network's: the main output.
                using (torch.no_grad()) Assert.Equal(net.call(x).shape, onnx.call(x).shape);
            }
        }
    }
}
