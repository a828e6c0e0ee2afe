using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks
{
    /// <summary>Training-step throughput and inference latency: generated vs hand-written ResNet-18 (and PyTorch eager).</summary>
    public static class ModelBench
    {
        public static nn.Module<Tensor, Tensor> Generated(int size)
        {
            torch.manual_seed(0);
            return size == 28 ? new GenResNet18At28() : size == 96 ? new ResNetSample.D2LResNet18() : throw new ArgumentOutOfRangeException(nameof(size));
        }

        /// <summary>The hand-written model; <see cref="HandInPlace"/> switches it to in-place ReLUs (--hand-inplace).</summary>
        public static nn.Module<Tensor, Tensor> Hand()
        {
            torch.manual_seed(0);
            return new HandResNet18(inPlace: HandInPlace);
        }

        public static bool HandInPlace { get; set; }

        public static long Parameters(nn.Module<Tensor, Tensor> m) => m.parameters().Sum(p => p.numel());

        /// <summary>One contender of the training benchmark: runs k SGD steps and returns the seconds.</summary>
        internal sealed class Contender : IDisposable
        {
            public Contender(string name, Func<int, double> run, Action? dispose = null)
            {
                Name = name;
                Run = run;
                _dispose = dispose;
            }

            private readonly Action? _dispose;
            public string Name { get; }
            public Func<int, double> Run { get; }
            /// <summary>Seconds of (zero_grad + forward + loss, backward, optimizer step) summed over k steps.</summary>
            public Func<int, double[]>? Phases { get; init; }
            public List<double> ImagesPerSecond { get; } = new();
            /// <summary>Processor seconds (all threads of the contender's process) of the last <see cref="Run"/>; NaN when unknown.</summary>
            public double LastCpuSeconds { get; set; } = double.NaN;
            public void Dispose() => _dispose?.Invoke();
        }

        /// <summary>
        /// SGD steps of a TorchSharp model, in float32 or under mixed precision (its hooks live as long as the contender);
        /// channels-last as the trainer runs it, with the parameters laid out in place, unless <paramref name="weightCopies"/>
        /// asks for the per-step channels-last copies of contiguous weights instead.
        /// </summary>
        internal static Contender TorchSharpContender(string name, nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, Dsl.Precision precision = Dsl.Precision.Float32, bool channelsLast = false, bool weightCopies = false)
        {
            model.train();
            var opt = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9);
            var layout = channelsLast && !weightCopies ? Dsl.Runtime.Autocast.ChannelsLastParameters.LayOut(model, opt) : null;
            var autocast = Dsl.Runtime.Autocast.MixedPrecision.Enable(model, precision, channelsLast);
            var process = Process.GetCurrentProcess();
            Contender? self = null;
            self = new Contender(name, steps =>
            {
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < steps; i++)
                {
                    using var scope = torch.NewDisposeScope();
                    opt.zero_grad();
                    var loss = nn.functional.cross_entropy(model.forward(x).@float(), y);
                    loss.backward();
                    opt.step();
                }
                double wall = sw.Elapsed.TotalSeconds;
                process.Refresh();
                self!.LastCpuSeconds = (process.TotalProcessorTime - cpu0).TotalSeconds;
                return wall;
            }, () => { autocast.Dispose(); layout?.Dispose(); opt.Dispose(); model.Dispose(); })
            {
                Phases = steps =>
                {
                    var t = new double[3];
                    for (int i = 0; i < steps; i++)
                    {
                        using var scope = torch.NewDisposeScope();
                        long t0 = Stopwatch.GetTimestamp();
                        opt.zero_grad();
                        var loss = nn.functional.cross_entropy(model.forward(x).@float(), y);
                        long t1 = Stopwatch.GetTimestamp();
                        loss.backward();
                        long t2 = Stopwatch.GetTimestamp();
                        opt.step();
                        long t3 = Stopwatch.GetTimestamp();
                        t[0] += Stopwatch.GetElapsedTime(t0, t1).TotalSeconds;
                        t[1] += Stopwatch.GetElapsedTime(t1, t2).TotalSeconds;
                        t[2] += Stopwatch.GetElapsedTime(t2, t3).TotalSeconds;
                    }
                    return t;
                },
            };
            return self;
        }

        /// <summary>The PyTorch script as a subprocess, or null (with the reason) when python3-torch is missing.</summary>
        internal static Contender? PythonContender(Options o, int size, int batch, out string note, string precision = "float32", bool channelsLast = false)
        {
            note = "";
            const string python = "/usr/bin/python3";
            string script = Path.Combine(AppContext.BaseDirectory, "pytorch_step.py");
            if (!File.Exists(python) || !File.Exists(script)) { note = "skipped: python3-torch not installed"; return null; }
            var psi = new ProcessStartInfo(python)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { script, "--threads", o.Threads.ToString(CultureInfo.InvariantCulture), "--size", size.ToString(CultureInfo.InvariantCulture), "--batch", batch.ToString(CultureInfo.InvariantCulture), "--precision", precision })
                psi.ArgumentList.Add(a);
            if (channelsLast) psi.ArgumentList.Add("--channels-last");
            var p = Process.Start(psi)!;
            p.ErrorDataReceived += (_, _) => { };
            p.BeginErrorReadLine();
            string? ready = p.StandardOutput.ReadLine();
            if (ready is null || !ready.StartsWith("ready ", StringComparison.Ordinal))
            {
                p.WaitForExit(5000);
                note = "skipped: python3-torch not installed (the script did not start)";
                return null;
            }
            var parts = ready.Split(' ');
            note = $"PyTorch {parts[1]}, {long.Parse(parts[2], CultureInfo.InvariantCulture):N0} parameters";
            PyTorchVersion = parts[1];
            Contender? self = null;
            self = new Contender($"PyTorch {parts[1]} eager{(precision == "float32" ? "" : " " + precision + " autocast")}{(channelsLast ? ", channels-last" : "")}", steps =>
            {
                p.StandardInput.WriteLine("steps " + steps.ToString(CultureInfo.InvariantCulture));
                p.StandardInput.Flush();
                string line = p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the PyTorch script ended early");
                var fields = line.Split(' ');
                if (fields.Length > 2) self!.LastCpuSeconds = double.Parse(fields[2], CultureInfo.InvariantCulture);
                return double.Parse(fields[1], CultureInfo.InvariantCulture);
            }, () =>
            {
                try { p.StandardInput.WriteLine("quit"); p.StandardInput.Close(); p.WaitForExit(10000); }
                finally { p.Dispose(); }
            })
            {
                Phases = steps =>
                {
                    p.StandardInput.WriteLine("phases " + steps.ToString(CultureInfo.InvariantCulture));
                    p.StandardInput.Flush();
                    string line = p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the PyTorch script ended early");
                    return line.Split(' ').Skip(1).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                },
            };
            return self;
        }

        public static string? PyTorchVersion { get; private set; }

        public sealed record TrainResult(int Size, int Batch, Stats Generated, Stats Hand, Stats? PyTorch, string PythonNote, long GenParams, long HandParams);

        /// <summary>Images/s of SGD steps at the given size and batch; contenders alternate every repeat.</summary>
        public static TrainResult Train(Options o, int size, int batch, int warmup, int repeats, int steps)
        {
            Console.WriteLine($"-- training step, {size}x{size}, batch {batch}: {warmup} warm-up steps, {repeats} alternating repeats of {steps} steps each");
            using var x = torch.rand(batch, 1, size, size);
            using var y = torch.randint(0, 10, new long[] { batch });
            var gen = Generated(size);
            var hand = Hand();
            long genParams = Parameters(gen), handParams = Parameters(hand);
            Console.WriteLine($"   parameters: generated {genParams:N0}, hand-written {handParams:N0}");
            var contenders = new List<Contender>
            {
                TorchSharpContender("generated (DSL)", gen, x, y),
                TorchSharpContender("hand-written TorchSharp", hand, x, y),
            };
            string note = "skipped (--no-python)";
            if (!o.NoPython && PythonContender(o, size, batch, out note) is Contender py) contenders.Add(py);
            Console.WriteLine("   python: " + note);
            try
            {
                foreach (var c in contenders) c.Run(warmup);
                for (int r = 0; r < repeats; r++)
                {
                    // A, B, (P), then B, A, (P): neither TorchSharp contender always runs first.
                    var order = contenders.ToList();
                    if (r % 2 == 1) (order[0], order[1]) = (order[1], order[0]);
                    foreach (var c in order)
                    {
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        double s = c.Run(steps);
                        c.ImagesPerSecond.Add(steps * batch / s);
                    }
                }
            }
            finally
            {
                foreach (var c in contenders) c.Dispose();
            }
            foreach (var c in contenders)
                Console.WriteLine($"   {c.Name,-28} images/s {new Stats(c.ImagesPerSecond).Format()}");
            var g = new Stats(contenders[0].ImagesPerSecond);
            var h = new Stats(contenders[1].ImagesPerSecond);
            Stats? pt = contenders.Count > 2 ? new Stats(contenders[2].ImagesPerSecond) : null;
            Console.WriteLine($"   ratio generated / hand-written: of medians {g.Median / h.Median:F3}; per repeat {PairedRatios(g.Raw, h.Raw).Format("F3")}");
            if (pt is not null)
                Console.WriteLine($"   ratio generated / PyTorch eager: of medians {g.Median / pt.Median:F3}; per repeat {PairedRatios(g.Raw, pt.Raw).Format("F3")}  (PyTorch {PyTorchVersion} vs libtorch {Program.LibTorchVersion}: not the same version)");
            return new TrainResult(size, batch, g, h, pt, note, genParams, handParams);
        }

        /// <summary>
        /// Where a training step's time goes: zero_grad + forward + loss, backward, optimizer step, per contender
        /// (milliseconds per step, medians over alternating repeats). Run with --only phases.
        /// </summary>
        public static void Phases(Options o, int size, int batch, int warmup, int repeats, int steps)
        {
            Console.WriteLine($"-- training-step phases, {size}x{size}, batch {batch}: {warmup} warm-up steps, {repeats} alternating repeats of {steps} steps");
            using var x = torch.rand(batch, 1, size, size);
            using var y = torch.randint(0, 10, new long[] { batch });
            var contenders = new List<Contender>
            {
                TorchSharpContender("generated (DSL)", Generated(size), x, y),
                TorchSharpContender("hand-written TorchSharp", Hand(), x, y),
            };
            if (!o.NoPython && PythonContender(o, size, batch, out _) is Contender py) contenders.Add(py);
            var times = contenders.Select(_ => new[] { new List<double>(), new List<double>(), new List<double>() }).ToArray();
            try
            {
                foreach (var c in contenders) c.Phases!(warmup);
                for (int r = 0; r < repeats; r++)
                {
                    for (int k = 0; k < contenders.Count; k++)
                    {
                        int j = (k + r) % contenders.Count;
                        GC.Collect();
                        var t = contenders[j].Phases!(steps);
                        for (int q = 0; q < 3; q++) times[j][q].Add(t[q] * 1000 / steps);
                    }
                }
            }
            finally
            {
                foreach (var c in contenders) c.Dispose();
            }
            for (int j = 0; j < contenders.Count; j++)
                Console.WriteLine($"   {contenders[j].Name,-28} ms/step: forward+loss {new Stats(times[j][0]).Median:F1}, backward {new Stats(times[j][1]).Median:F1}, optimizer step {new Stats(times[j][2]).Median:F1} (IQR {new Stats(times[j][2]).Q1:F1}-{new Stats(times[j][2]).Q3:F1})");
        }

        public static Stats PairedRatios(IReadOnlyList<double> a, IReadOnlyList<double> b) =>
            new(a.Zip(b, (u, v) => u / v));

        public sealed record InferResult(int Batch, Stats Generated, Stats Hand);

        /// <summary>Forward latency (eval, no_grad) in milliseconds; generated and hand-written calls alternate.</summary>
        public static InferResult Infer(int batch, int warmup, int calls)
        {
            const int size = 96;
            Console.WriteLine($"-- inference, {size}x{size}, batch {batch}: eval mode, no_grad, {warmup} warm-up calls, {calls} alternating calls each");
            using var x = torch.rand(batch, 1, size, size);
            using var gen = Generated(size);
            using var hand = Hand();
            gen.eval();
            hand.eval();
            var models = new[] { gen, hand };
            var (g, h) = AlternatingLatency(models[0], models[1], x, warmup, calls);
            Console.WriteLine($"   generated (DSL)              ms {g.Format("F2")}");
            Console.WriteLine($"   hand-written TorchSharp      ms {h.Format("F2")}");
            Console.WriteLine($"   ratio hand-written / generated latency (> 1: the generated model is faster): of medians {h.Median / g.Median:F3}; per call pair {PairedRatios(h.Raw, g.Raw).Format("F3")}");
            return new InferResult(batch, g, h);
        }

        /// <summary>
        /// Eval-mode latency of two modules on the same input, in milliseconds: <paramref name="warmup"/> calls each, then
        /// <paramref name="calls"/> rounds that alternate which module goes first, so drift on a noisy machine hits both.
        /// </summary>
        public static (Stats First, Stats Second) AlternatingLatency(nn.Module<Tensor, Tensor> first, nn.Module<Tensor, Tensor> second, Tensor x, int warmup, int calls)
        {
            var models = new[] { first, second };
            var ms = new[] { new List<double>(), new List<double>() };
            using (torch.no_grad())
            {
                for (int i = 0; i < warmup; i++)
                    foreach (var m in models)
                        using (torch.NewDisposeScope()) m.forward(x);
                for (int i = 0; i < calls; i++)
                {
                    for (int k = 0; k < 2; k++)
                    {
                        int j = (i + k) % 2;
                        using var scope = torch.NewDisposeScope();
                        long t0 = Stopwatch.GetTimestamp();
                        models[j].forward(x);
                        ms[j].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    }
                }
            }
            return (new Stats(ms[0]), new Stats(ms[1]));
        }
    }
}
