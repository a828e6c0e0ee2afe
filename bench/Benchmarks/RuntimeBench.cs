using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Dsl.Runtime.Data;
using Dsl.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks
{
    /// <summary>Trainer overhead, data-pipeline throughput and memory growth over epochs.</summary>
    public static class RuntimeBench
    {
        private const int Batch = 128;
        private const long Seed = 42;

        public static ImageDataset LoadTrain(int count)
        {
            string folder = Options.FindData();
            using var full = Mnist.Load(folder, MnistVariant.FashionMnist, train: true);
            Console.WriteLine($"   data: {folder} ({full.Count:N0} training images), using the first {Math.Min(count, full.Count):N0}");
            var subset = full.Take(count);
            // The IDX decoding's garbage is the benchmark's, not the training's: collect it before measuring.
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            return subset;
        }

        private static string TempDir(string name)
        {
            string dir = Path.Combine(Path.GetTempPath(), "dsl-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture), name);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            return dir;
        }

        private static nn.Module<Tensor, Tensor> Model()
        {
            torch.manual_seed(Seed);
            return new ResNetSample.ResNetMini();
        }

        private static TrainOptions FitOptions(string dir, int epochs) => new()
        {
            Epochs = epochs,
            BatchSize = Batch,
            Seed = Seed,
            OutputDir = dir,
            Progress = ProgressMode.Silent,
        };

        /// <summary>The loop Trainer.Fit replaces: same loader (shuffle, seed, prefetch), same optimizer, same step.</summary>
        private static double BareEpoch(nn.Module<Tensor, Tensor> model, ImageDataset train)
        {
            var sw = Stopwatch.StartNew();
            var defaults = new TrainOptions();
            using var opt = torch.optim.SGD(model.parameters(), defaults.LearningRate, momentum: defaults.Momentum, weight_decay: defaults.WeightDecay);
            var loader = new BatchLoader(train, Batch, shuffle: true, seed: Seed, prefetch: defaults.Prefetch);
            torch.manual_seed(unchecked(Seed * 1_000_003L + 1));
            model.train();
            foreach (var batch in loader.Epoch(1))
            {
                using (batch)
                using (torch.NewDisposeScope())
                {
                    opt.zero_grad();
                    var loss = nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
                    loss.backward();
                    opt.step();
                }
            }
            return sw.Elapsed.TotalSeconds;
        }

        public sealed record OverheadResult(Stats FitSeconds, Stats FitTrainLoopSeconds, Stats BareSeconds, int Images)
        {
            /// <summary>Median over repeats of Fit time / bare time (the two run back to back), minus one.</summary>
            public double Overhead => ModelBench.PairedRatios(FitSeconds.Raw, BareSeconds.Raw).Median - 1;
            public double OverheadOfMedians => FitSeconds.Median / BareSeconds.Median - 1;
            public double LoopOverhead => ModelBench.PairedRatios(FitTrainLoopSeconds.Raw, BareSeconds.Raw).Median - 1;
        }

        /// <summary>One epoch through Trainer.Fit against the bare loop, alternating, same model type, data, optimizer and seed.</summary>
        public static OverheadResult TrainerOverhead(int images, int repeats)
        {
            Console.WriteLine($"-- trainer overhead: ResNetMini (the sample's), batch {Batch}, one epoch, {repeats} alternating repeats + 1 warm-up");
            using var train = LoadTrain(images);
            var fit = new List<double>();
            var fitLoop = new List<double>();
            var bare = new List<double>();
            for (int r = -1; r < repeats; r++)
            {
                for (int k = 0; k < 2; k++)
                {
                    bool runFit = (r + k) % 2 == 0;
                    using var model = Model();
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    if (runFit)
                    {
                        string dir = TempDir("fit");
                        var sw = Stopwatch.StartNew();
                        var result = Trainer.Fit(model, train, null, FitOptions(dir, 1));
                        double s = sw.Elapsed.TotalSeconds;
                        if (r >= 0)
                        {
                            fit.Add(s);
                            fitLoop.Add(train.Count / result.Last!.ImagesPerSecond);
                        }
                    }
                    else
                    {
                        double s = BareEpoch(model, train);
                        if (r >= 0) bare.Add(s);
                    }
                }
            }
            var res = new OverheadResult(new Stats(fit), new Stats(fitLoop), new Stats(bare), train.Count);
            Console.WriteLine($"   Trainer.Fit (whole call: epoch, checkpoint, metrics.csv, metrics.png) s {res.FitSeconds.Format("F3")}");
            Console.WriteLine($"   Trainer.Fit training loop only (from its images/s)           s {res.FitTrainLoopSeconds.Format("F3")}");
            Console.WriteLine($"   bare loop                                                     s {res.BareSeconds.Format("F3")}");
            Console.WriteLine($"   overhead (median of paired ratios): whole call {res.Overhead * 100:F2}%, training loop {res.LoopOverhead * 100:F2}%; of medians: whole call {res.OverheadOfMedians * 100:F2}%");
            Console.WriteLine($"   paired Fit/bare per repeat: {ModelBench.PairedRatios(fit, bare).Format("F3")}");
            return res;
        }

        public sealed record PipelineResult(Stats Prefetched, Stats Synchronous, int Images);

        /// <summary>Images/s of the runtime's BatchLoader with the resize-to-96 transform, no model attached.</summary>
        public static PipelineResult Pipeline(int images, int repeats)
        {
            Console.WriteLine($"-- data pipeline: BatchLoader, batch 32, scale + bilinear resize 28 -> 96, {repeats} repeats (+1 warm-up)");
            using var train = LoadTrain(images);
            var transform = new ImageTransform { Resize = 96 };
            var pre = new List<double>();
            var sync = new List<double>();
            for (int r = -1; r < repeats; r++)
            {
                foreach (int prefetch in new[] { 2, 0 })
                {
                    var loader = new BatchLoader(train, 32, shuffle: true, seed: Seed, transform: transform, prefetch: prefetch);
                    long n = 0;
                    var sw = Stopwatch.StartNew();
                    foreach (var b in loader.Epoch(r + 2))
                        using (b) n += b.Size;
                    double ips = n / sw.Elapsed.TotalSeconds;
                    if (r >= 0) (prefetch == 0 ? sync : pre).Add(ips);
                }
            }
            var res = new PipelineResult(new Stats(pre), new Stats(sync), train.Count);
            Console.WriteLine($"   prefetch 2 (default)      images/s {res.Prefetched.Format("F0")}");
            Console.WriteLine($"   prefetch 0 (calling thread) images/s {res.Synchronous.Format("F0")}");
            return res;
        }

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallopt")]
        private static extern int Mallopt(int parameter, int value);

        /// <summary>
        /// glibc raises its mmap threshold each time a large mmapped block is freed (up to 32 MiB), after which large
        /// tensor buffers come from the heap arenas and fragment them; fixing the threshold (M_MMAP_THRESHOLD = -3)
        /// keeps them mmapped, so freeing a tensor returns its pages. Same as MALLOC_MMAP_THRESHOLD_=65536.
        /// </summary>
        public static void FixMmapThreshold()
        {
            if (!OperatingSystem.IsLinux()) return;
            try { Console.WriteLine($"   mallopt(M_MMAP_THRESHOLD, 65536) = {Mallopt(-3, 65536)}"); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { Console.WriteLine("   mallopt unavailable: " + e.Message); }
        }

        /// <summary>VmRSS and VmHWM of this process in bytes, from /proc/self/status (0 where unavailable).</summary>
        public static (long Rss, long Hwm) Memory()
        {
            long rss = 0, hwm = 0;
            try
            {
                foreach (var line in File.ReadLines("/proc/self/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
                    else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kb(line);
                }
            }
            catch (IOException) { }
            return (rss, hwm);

            static long Kb(string line) =>
                long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }

        public sealed record RssResult(long[] RssAfterEpoch, long PeakHwm, long PeakWorkingSet, int Images)
        {
            public double GrowthPercent => (RssAfterEpoch[^1] - RssAfterEpoch[0]) * 100.0 / RssAfterEpoch[0];
            public double SteadyGrowthPercent => (RssAfterEpoch[^1] - RssAfterEpoch[2]) * 100.0 / RssAfterEpoch[2];
        }

        /// <summary>
        /// RSS after each of 5 epochs of Trainer.Fit on ResNetMini. Variants isolate causes of growth:
        /// "default" (Trainer.Fit as a user calls it), "noplot" (no metrics.png), "noprefetch" (batches built on the
        /// training thread), "bare" (the bare loop, no trainer at all), "collect" (default plus a full compacting GC before each reading).
        /// </summary>
        public static RssResult Rss(int images, string variant = "default")
        {
            const int epochs = 5;
            Console.WriteLine($"-- memory: ResNetMini, {epochs} epochs, batch {Batch}, variant {variant}" +
                (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is string arenas ? $", MALLOC_ARENA_MAX={arenas}" : ""));
            using var train = LoadTrain(images);
            using var model = Model();
            var rss = new List<long>();
            void Record(int epoch, double imagesPerSecond)
            {
                if (variant == "collect")
                {
                    // Managed garbage (e.g. the checkpoint's byte arrays on the large-object heap) is not counted.
                    System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    GC.WaitForPendingFinalizers();
                }
                var (now, hwm) = Memory();
                rss.Add(now);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"   after epoch {epoch}: RSS {now / 1048576.0:F1} MiB, peak (VmHWM) {hwm / 1048576.0:F1} MiB, managed heap now {GC.GetTotalMemory(false) / 1048576.0:F1} MiB, allocated so far {GC.GetTotalAllocatedBytes() / 1048576.0:F0} MiB, gen2 GCs {GC.CollectionCount(2)}, {imagesPerSecond:F0} images/s"));
            }
            if (variant == "bare")
            {
                for (int e = 1; e <= epochs; e++)
                {
                    double s = BareEpoch(model, train);
                    Record(e, train.Count / s);
                }
            }
            else
            {
                var options = FitOptions(TempDir("rss"), epochs) with
                {
                    Plot = variant != "noplot",
                    Prefetch = variant == "noprefetch" ? 0 : 2,
                    OnEpochEnd = m => Record(m.Epoch, m.ImagesPerSecond),
                };
                Trainer.Fit(model, train, null, options);
            }
            var (_, peak) = Memory();
            using var self = Process.GetCurrentProcess();
            var res = new RssResult(rss.ToArray(), peak, self.PeakWorkingSet64, train.Count);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   RSS growth epoch 1 -> {epochs}: {res.GrowthPercent:F2}%; epoch 3 -> {epochs}: {res.SteadyGrowthPercent:F2}%; peak RSS {peak / 1048576.0:F1} MiB (Process.PeakWorkingSet64 {res.PeakWorkingSet / 1048576.0:F1} MiB)"));
            return res;
        }
    }
}
