using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Dsl.Runtime.Autocast;
using Dsl.Runtime.Device;
using Dsl.Runtime.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks
{
    /// <summary>
    /// bf16 mixed precision on the sample's D2L ResNet-18: the training step against float32 and against PyTorch eager
    /// under CPU autocast; inference against float32 TorchSharp and float32 ONNX Runtime.
    /// </summary>
    public static class Bf16Bench
    {
        /// <summary>Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX-BF16), as the trainer checks it.</summary>
        public static bool CpuHasBf16 => PrecisionSupport.CpuFlags() is { } flags && PrecisionSupport.Bf16Flags.Any(flags.Contains);

        /// <summary>
        /// One contender's images/s and processor ms per step. <paramref name="Ratio"/> of two rows is the median of their
        /// per-repeat images/s ratios (the rotation gives each repeat the same load).
        /// </summary>
        public sealed record Row(string Name, Stats ImagesPerSecond, Stats CpuMs);

        public sealed record TrainResult(int Size, int Batch, Row Float32, Row Bf16, Row? PyTorchFloat32, Row? PyTorchBf16, Row? PyTorchBf16ChannelsLast, string PythonNote, IReadOnlyList<Row> All);

        /// <summary>
        /// Images/s of SGD steps (momentum 0.9, cross-entropy) in contenders that run in rotation, each repeat starting
        /// with a different one, so the machine's load hits them alike: the generated network in float32 and in bf16
        /// mixed precision (<see cref="MixedPrecision"/>), each contiguous and channels-last (<see cref="ChannelsLast"/>),
        /// and the PyTorch script in float32 and under <c>torch.autocast("cpu", dtype=torch.bfloat16)</c>, each
        /// contiguous and channels-last. Then the forward, backward and optimizer phases of each.
        /// </summary>
        public static TrainResult Train(Options o, int size, int batch, int warmup, int repeats, int steps)
        {
            Console.WriteLine($"-- training step, {size}x{size}, batch {batch}: {warmup} warm-up steps, {repeats} rotating repeats of {steps} steps each");
            using var x = torch.rand(batch, 1, size, size);
            using var y = torch.randint(0, 10, new long[] { batch });
            var contenders = new List<ModelBench.Contender>
            {
                ModelBench.TorchSharpContender(Float32Contiguous, ModelBench.Generated(size), x, y),
                ModelBench.TorchSharpContender(Float32ChannelsLast, ModelBench.Generated(size), x, y, channelsLast: true),
                ModelBench.TorchSharpContender(Bf16Contiguous, ModelBench.Generated(size), x, y, Precision.BFloat16),
                ModelBench.TorchSharpContender(Bf16ChannelsLast, ModelBench.Generated(size), x, y, Precision.BFloat16, channelsLast: true),
                ModelBench.TorchSharpContender(Bf16ChannelsLastCopies, ModelBench.Generated(size), x, y, Precision.BFloat16, channelsLast: true, weightCopies: true),
            };
            string note = "skipped (--no-python)";
            if (!o.NoPython)
            {
                if (ModelBench.PythonContender(o, size, batch, out note) is { } pf) contenders.Add(pf);
                if (ModelBench.PythonContender(o, size, batch, out _, channelsLast: true) is { } pfc) contenders.Add(pfc);
                if (ModelBench.PythonContender(o, size, batch, out _, "bf16") is { } pb) contenders.Add(pb);
                if (ModelBench.PythonContender(o, size, batch, out _, "bf16", channelsLast: true) is { } pbc) contenders.Add(pbc);
            }
            Console.WriteLine("   python: " + note);
            var phases = contenders.Select(_ => new[] { new List<double>(), new List<double>(), new List<double>() }).ToArray();
            var cpuMs = contenders.Select(_ => new List<double>()).ToArray();
            try
            {
                foreach (var c in contenders) c.Run(warmup);
                for (int r = 0; r < repeats; r++)
                {
                    for (int k = 0; k < contenders.Count; k++)
                    {
                        int j = (k + r) % contenders.Count;
                        var c = contenders[j];
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        c.ImagesPerSecond.Add(steps * batch / c.Run(steps));
                        cpuMs[j].Add(c.LastCpuSeconds * 1000 / steps);
                    }
                }
                // Where the time goes: one phase-timed repeat per contender, in rotation too.
                for (int r = 0; r < Math.Max(1, repeats / 2); r++)
                {
                    for (int k = 0; k < contenders.Count; k++)
                    {
                        int j = (k + r) % contenders.Count;
                        var t = contenders[j].Phases!(steps);
                        for (int q = 0; q < 3; q++) phases[j][q].Add(t[q] * 1000 / steps);
                    }
                }
            }
            finally
            {
                foreach (var c in contenders) c.Dispose();
            }
            var rows = contenders.Select((c, j) => new Row(c.Name, new Stats(c.ImagesPerSecond), new Stats(cpuMs[j]))).ToList();
            for (int j = 0; j < contenders.Count; j++)
                Console.WriteLine($"   {contenders[j].Name,-52} images/s {rows[j].ImagesPerSecond.Format()}; ms/step: forward+loss {new Stats(phases[j][0]).Median:F1}, backward {new Stats(phases[j][1]).Median:F1}, optimizer {new Stats(phases[j][2]).Median:F1}; processor ms/step {rows[j].CpuMs.Median:F0}");
            Row? Find(string prefix, string suffix) => rows.FirstOrDefault(r => r.Name.StartsWith(prefix, StringComparison.Ordinal) && r.Name.EndsWith(suffix, StringComparison.Ordinal));
            var f = Find(Float32Contiguous, Float32Contiguous)!;
            var b = Find(Bf16Default, Bf16Default)!;
            var pyF = Find("PyTorch", " eager");
            var pyB = Find("PyTorch", "bf16 autocast");
            var pyBc = Find("PyTorch", "bf16 autocast, channels-last");
            // Processor time counts the work done whatever else runs on the machine (with one thread exactly; with more,
            // threads waiting at barriers add to it); wall-clock speed is what a user sees.
            void Compare(string what, Row a, Row? over)
            {
                if (over is null) return;
                string cpu = double.IsFinite(a.CpuMs.Median) && double.IsFinite(over.CpuMs.Median) ? $"; processor time {over.CpuMs.Median / a.CpuMs.Median:F2} ({a.CpuMs.Median:F0} vs {over.CpuMs.Median:F0} ms, > 1: less work)" : "";
                Console.WriteLine($"   {what}: images/s of medians {a.ImagesPerSecond.Median / over.ImagesPerSecond.Median:F2}; per repeat {ModelBench.PairedRatios(a.ImagesPerSecond.Raw, over.ImagesPerSecond.Raw).Format("F2")}{cpu}");
            }
            Compare($"{b.Name} / {f.Name}", b, f);
            foreach (var r in rows.Where(r => r.Name.StartsWith("generated", StringComparison.Ordinal) && r != b && r != f))
                Compare($"{r.Name} / {(r.Name.Contains("bf16") ? b.Name : f.Name)}", r, r.Name.Contains("bf16") ? b : f);
            if (pyF is not null && pyB is not null) Compare("PyTorch bf16 autocast / float32", pyB, pyF);
            if (pyB is not null) Compare($"{b.Name} / PyTorch bf16 autocast (contiguous)", b, pyB);
            if (pyBc is not null) Compare($"{b.Name} / PyTorch bf16 autocast, channels-last", b, pyBc);
            if (pyB is not null) Console.WriteLine($"   (PyTorch {ModelBench.PyTorchVersion} vs libtorch {Program.LibTorchVersion}: not the same version)");
            return new TrainResult(size, batch, f, b, pyF, pyB, pyBc, note, rows);
        }

        private const string Float32Contiguous = "generated float32";
        private const string Float32ChannelsLast = "generated float32, channels-last";
        private const string Bf16Contiguous = "generated bf16 mixed, contiguous";
        private const string Bf16ChannelsLast = "generated bf16 mixed, channels-last";
        /// <summary>
        /// For comparison only: contiguous parameters, each convolution given a channels-last copy of its weight every
        /// step (what the trainer did before it laid the parameters out in place).
        /// </summary>
        private const string Bf16ChannelsLastCopies = "generated bf16 mixed, channels-last weight copies";

        /// <summary>What <c>train --precision bf16</c> runs.</summary>
        private const string Bf16Default = Bf16ChannelsLast;

        public sealed record InferResult(int Batch, Stats Float32, Stats Bf16, Stats Onnx);

        /// <summary>
        /// Forward latency (eval, no_grad) of the D2L ResNet-18 at 96x96: TorchSharp float32, TorchSharp bf16 mixed
        /// precision, ONNX Runtime float32 (all graph optimisations, <paramref name="threads"/> intra-op threads); the
        /// three in rotation call by call.
        /// </summary>
        public static InferResult Infer(int batch, int warmup, int calls, int threads)
        {
            const int size = 96;
            Console.WriteLine($"-- inference, {size}x{size}, batch {batch}: TorchSharp float32 vs TorchSharp bf16 mixed vs ONNX Runtime float32; {warmup} warm-up calls, {calls} rotating calls each");
            using var x = torch.rand(batch, 1, size, size);
            using var net = ModelBench.Generated(size);
            using var netBf16 = ModelBench.Generated(size);
            net.eval();
            netBf16.eval();
            using var autocast = MixedPrecision.Enable(netBf16, Precision.BFloat16);
            using var onnx = OnnxPredictor.For((IDeclaredNetwork)net, threads);
            var models = new nn.Module<Tensor, Tensor>[] { net, netBf16, onnx };
            var ms = models.Select(_ => new List<double>()).ToArray();
            using (torch.no_grad())
            {
                using (torch.NewDisposeScope())
                {
                    var a = net.forward(x);
                    var c = netBf16.forward(x).@float();
                    Console.WriteLine($"   bf16 vs float32 logits: largest difference {(a - c).abs().max().item<float>():F4} (largest logit {a.abs().max().item<float>():F3}); same top-1 for {a.argmax(1).eq(c.argmax(1)).sum().item<long>()} of {batch}");
                }
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
            var (f, b, r) = (new Stats(ms[0]), new Stats(ms[1]), new Stats(ms[2]));
            Console.WriteLine($"   TorchSharp float32           ms {f.Format("F2")}");
            Console.WriteLine($"   TorchSharp bf16 mixed        ms {b.Format("F2")}");
            Console.WriteLine($"   ONNX Runtime float32         ms {r.Format("F2")}");
            Console.WriteLine($"   speed-up bf16 vs float32 TorchSharp: of medians {f.Median / b.Median:F2}; per call pair {ModelBench.PairedRatios(f.Raw, b.Raw).Format("F2")}");
            Console.WriteLine($"   speed-up bf16 TorchSharp vs float32 ONNX Runtime: of medians {r.Median / b.Median:F2}");
            return new InferResult(batch, f, b, r);
        }

        /// <summary>
        /// Where the bf16 step's time goes: every layer of the D2L ResNet-18 alone, forward and backward on an input of
        /// its shape and of the type it gets in the network (float32 for the first convolution, bf16 after it), in
        /// float32 and under bf16 mixed precision, in rotation; prints the layers by bf16 time with the ratio. Processor time
        /// of this process, which counts the work whatever else the machine runs (exactly with <c>--threads 1</c>; wall-clock
        /// times on the loaded machine once made the stem's convolution look slower in bf16, which it is not).
        /// </summary>
        public static void Layers(int batch, int repeats)
        {
            const int size = 96;
            Console.WriteLine($"-- layer by layer, forward + backward, {size}x{size}, batch {batch}: float32 vs bf16 mixed, processor ms, median of {repeats} rotating repeats");
            var process = Process.GetCurrentProcess();
            using var net = ModelBench.Generated(size);
            net.train();
            var graph = Dsl.Runtime.Graph.NetworkGraph.Of((IDeclaredNetwork)net);
            var modules = net.named_modules().ToDictionary(m => m.name, m => m.module);
            var rows = new List<(string Path, string Kind, double F32, double Bf16)>();
            bool first = true;
            foreach (var node in graph.Root.Descendants().Where(n => n.Form == Dsl.Runtime.Graph.NodeForm.Leaf))
            {
                if (modules[node.Path] is not nn.Module<Tensor, Tensor> layer) continue;
                var shape = node.Input.Prepend(batch).ToArray();
                var times = new[] { new List<double>(), new List<double>() };
                for (int r = 0; r < repeats + 1; r++)
                {
                    for (int k = 0; k < 2; k++)
                    {
                        int j = (k + r) % 2;
                        var precision = j == 0 ? Precision.Float32 : Precision.BFloat16;
                        using var scope = torch.NewDisposeScope();
                        using var autocast = MixedPrecision.Enable(layer, precision);
                        var leaf = torch.rand(shape);
                        if (j == 1 && !first) leaf = leaf.to(ScalarType.BFloat16);
                        // The image needs no gradient in the network: the first layer's backward computes its weights' only.
                        if (!first) leaf.requires_grad_(true);
                        var x = leaf.clone(); // not a leaf: in-place layers (ReLU) may write it
                        process.Refresh();
                        var cpu0 = process.TotalProcessorTime;
                        layer.call(x).to_type(ScalarType.Float32).sum().backward();
                        process.Refresh();
                        if (r > 0) times[j].Add((process.TotalProcessorTime - cpu0).TotalMilliseconds);
                    }
                }
                first = false;
                rows.Add((node.Path, node.Module, new Stats(times[0]).Median, new Stats(times[1]).Median));
            }
            Console.WriteLine($"   all layers: float32 {rows.Sum(r => r.F32):F0} ms, bf16 {rows.Sum(r => r.Bf16):F0} ms");
            foreach (var kind in rows.GroupBy(r => r.Kind).OrderByDescending(g => g.Sum(r => r.Bf16)))
                Console.WriteLine($"   {kind.Key,-20} x{kind.Count(),-3} float32 {kind.Sum(r => r.F32),8:F1} ms, bf16 {kind.Sum(r => r.Bf16),8:F1} ms, float32/bf16 {kind.Sum(r => r.F32) / kind.Sum(r => r.Bf16):F2}");
            Console.WriteLine("   slowest layers in bf16:");
            foreach (var r in rows.OrderByDescending(r => r.Bf16).Take(8))
                Console.WriteLine($"   {r.Path,-28} {r.Kind,-18} float32 {r.F32,7:F1} ms, bf16 {r.Bf16,7:F1} ms, float32/bf16 {r.F32 / r.Bf16:F2}");
        }
    }
}
