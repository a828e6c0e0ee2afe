using System;
using System.Collections.Generic;
using System.Diagnostics;
using Dsl.Runtime.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks
{
    /// <summary>Inference latency of the same network and weights: TorchSharp eager against ONNX Runtime on its export.</summary>
    public static class OnnxBench
    {
        public sealed record Result(int Batch, Stats Torch, Stats Onnx);

        /// <summary>
        /// The sample's D2L ResNet-18 at 96x96 in eval mode: TorchSharp's forward under no_grad, and
        /// <see cref="OnnxPredictor"/> (all graph optimisations, intra-op threads = <paramref name="threads"/>) on the model
        /// exported from it, tensors in and out as a caller sees them (the copy into and out of ONNX Runtime included).
        /// Calls alternate one by one, so both see the same machine load.
        /// </summary>
        public static Result Infer(int batch, int warmup, int calls, int threads)
        {
            const int size = 96;
            Console.WriteLine($"-- inference, {size}x{size}, batch {batch}: TorchSharp eager (eval, no_grad) vs ONNX Runtime ({threads} intra-op threads, optimisation level all); {warmup} warm-up calls, {calls} alternating calls each");
            using var x = torch.rand(batch, 1, size, size);
            using var net = ModelBench.Generated(size);
            net.eval();
            using var onnx = OnnxPredictor.For((IDeclaredNetwork)net, threads);
            var (t, o) = ModelBench.AlternatingLatency(net, onnx, x, warmup, calls);
            Console.WriteLine($"   TorchSharp eager             ms {t.Format("F2")}");
            Console.WriteLine($"   ONNX Runtime                 ms {o.Format("F2")}");
            Console.WriteLine($"   speed-up TorchSharp / ONNX Runtime latency: of medians {t.Median / o.Median:F2}; per call pair {ModelBench.PairedRatios(t.Raw, o.Raw).Format("F2")}");
            return new Result(batch, t, o);
        }
    }
}
