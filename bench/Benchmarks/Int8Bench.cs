using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Dsl.Runtime.Data;
using Dsl.Runtime.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks
{
    /// <summary>Inference latency of one network and its weights three ways: TorchSharp eager, float32 ONNX Runtime, int8 (QDQ) ONNX Runtime.</summary>
    public static class Int8Bench
    {
        public sealed record Result(int Batch, Stats Torch, Stats Float, Stats Int8);

        /// <summary>Random images for calibration: the ranges do not change the speed of the integer kernels.</summary>
        private sealed class RandomImages : Dataset
        {
            private readonly long[] _shape;
            public RandomImages(int count, params long[] shape) => (Count, _shape) = (count, shape);
            public override string Name => "random images";
            public override int Count { get; }
            public override Example Read(int index)
            {
                var generator = new torch.Generator((ulong)index + 1);
                return new Example(torch.rand(_shape, generator: generator), torch.tensor(0L), TargetKind.Class, $"#{index}");
            }
        }

        /// <summary>
        /// The sample's D2L ResNet-18 at 96x96 in eval mode; both ONNX models with all graph optimisations and
        /// <paramref name="threads"/> intra-op threads, tensors in and out as a caller sees them. The three run in
        /// rotation call by call, so machine load hits them alike.
        /// </summary>
        public static Result Infer(int batch, int warmup, int calls, int threads)
        {
            const int size = 96;
            Console.WriteLine($"-- inference, {size}x{size}, batch {batch}: TorchSharp eager vs ONNX Runtime float32 vs ONNX Runtime int8 (QDQ, {threads} intra-op threads); {warmup} warm-up calls, {calls} rotating calls each");
            using var x = torch.rand(batch, 1, size, size);
            using var net = ModelBench.Generated(size);
            net.eval();
            using var calibration = new RandomImages(64, 1, size, size);
            var watch = Stopwatch.StartNew();
            byte[] int8Model = ((IDeclaredNetwork)net).ToOnnxInt8(calibration, options: new QuantizationOptions { CalibrationSamples = 64 });
            Console.WriteLine($"   quantized in {watch.Elapsed.TotalSeconds:F1} s (64 calibration images): {int8Model.Length / 1048576.0:F1} MiB vs {((IDeclaredNetwork)net).ToOnnx().Length / 1048576.0:F1} MiB float32");
            using var f32 = OnnxPredictor.For((IDeclaredNetwork)net, threads);
            using var i8 = new OnnxPredictor(int8Model, threads);
            var models = new nn.Module<Tensor, Tensor>[] { net, f32, i8 };
            var ms = models.Select(_ => new List<double>()).ToArray();
            using (torch.no_grad())
            {
                for (int i = 0; i < warmup; i++)
                    foreach (var m in models)
                        using (torch.NewDisposeScope()) m.forward(x);
                for (int i = 0; i < calls; i++)
                {
                    for (int k = 0; k < models.Length; k++)
                    {
                        int j = (i + k) % models.Length;
                        using var scope = torch.NewDisposeScope();
                        long t0 = Stopwatch.GetTimestamp();
                        models[j].forward(x);
                        ms[j].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    }
                }
            }
            var (t, f, q) = (new Stats(ms[0]), new Stats(ms[1]), new Stats(ms[2]));
            Console.WriteLine($"   TorchSharp eager float32     ms {t.Format("F2")}");
            Console.WriteLine($"   ONNX Runtime float32         ms {f.Format("F2")}");
            Console.WriteLine($"   ONNX Runtime int8            ms {q.Format("F2")}");
            Console.WriteLine($"   speed-up int8 vs float32 ONNX Runtime: of medians {f.Median / q.Median:F2}; per call pair {ModelBench.PairedRatios(f.Raw, q.Raw).Format("F2")}");
            Console.WriteLine($"   speed-up int8 ONNX Runtime vs TorchSharp: of medians {t.Median / q.Median:F2}");
            return new Result(batch, t, f, q);
        }
    }
}
