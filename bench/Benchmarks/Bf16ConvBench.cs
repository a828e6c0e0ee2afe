using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks
{
    /// <summary>
    /// Where a bf16 convolution loses: one convolution, forward and backward, in float32, in bf16 (autocast's cast of
    /// input and weight) and in float32 with the result cast to bf16 (the precision plan's rule for few input channels),
    /// over input-channel counts. Processor time of this process per call: with <c>--threads 1</c> the work done,
    /// whatever else the machine runs.
    /// </summary>
    public static class Bf16ConvBench
    {
        public static void Run(int repeats)
        {
            var process = Process.GetCurrentProcess();
            Console.WriteLine($"-- one convolution, forward + backward, batch 32, processor ms per call (median of {repeats} rotating repeats)");
            Console.WriteLine($"   {"convolution",-34} {"in ch",5} {"float32",9} {"bf16",9} {"f32->bf16",10} {"f32/bf16",9} {"f32/(f32->bf16)",16}");
            foreach (var (label, size, kernel, stride, inputGrad) in new[]
            {
                ("7x7 s2 -> 64, 96x96 (D2L stem)", 96, 7, 2, false),
                ("3x3 s1 -> 64, 48x48", 48, 3, 1, false),
                ("3x3 s1 -> 64, 48x48, input grad", 48, 3, 1, true),
            })
            {
                foreach (int channels in new[] { 1, 3, 4, 8, 16, 32 })
                {
                    var ms = new[] { new List<double>(), new List<double>(), new List<double>() };
                    using var w = torch.randn(64, channels, kernel, kernel).requires_grad_(true);
                    using var x0 = torch.rand(32, channels, size, size);
                    for (int r = 0; r < repeats + 1; r++)
                    {
                        for (int k = 0; k < 3; k++)
                        {
                            int j = (k + r) % 3;
                            using var scope = torch.NewDisposeScope();
                            var x = inputGrad ? x0.clone().requires_grad_(true) : x0;
                            process.Refresh();
                            var cpu0 = process.TotalProcessorTime;
                            Tensor y = j switch
                            {
                                0 => nn.functional.conv2d(x, w, strides: new long[] { stride }, padding: new long[] { kernel / 2 }),
                                1 => nn.functional.conv2d(x.to(ScalarType.BFloat16), w.to(ScalarType.BFloat16), strides: new long[] { stride }, padding: new long[] { kernel / 2 }),
                                _ => nn.functional.conv2d(x, w, strides: new long[] { stride }, padding: new long[] { kernel / 2 }).to(ScalarType.BFloat16),
                            };
                            y.to_type(ScalarType.Float32).sum().backward();
                            process.Refresh();
                            if (r > 0) ms[j].Add((process.TotalProcessorTime - cpu0).TotalMilliseconds);
                            w.grad?.zero_();
                        }
                    }
                    double f = new Stats(ms[0]).Median, b = new Stats(ms[1]).Median, c = new Stats(ms[2]).Median;
                    Console.WriteLine($"   {label,-34} {channels,5} {f,9:F1} {b,9:F1} {c,10:F1} {f / b,9:F2} {f / c,16:F2}");
                }
            }
        }
    }
}
