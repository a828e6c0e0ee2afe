using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Dsl.Runtime.Data;
using Dsl.Runtime.Data.Transforms;
using Dsl.Runtime.Training;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks
{
    /// <summary>
    /// The image-folder pipeline (JPEG decode, RandomResizedCrop 224, flip, normalize on the loader's workers) against
    /// what ResNet-18 consumes at 224, and peak memory while training on image folders of growing size.
    /// </summary>
    public static class DataBench
    {
        private const long Seed = 42;

        /// <summary>
        /// A folder of <paramref name="count"/> JPEGs in 10 class folders, <paramref name="width"/> x <paramref name="height"/>,
        /// photo-like content (gradients, shapes, noise) so that files compress as photos do. Kept between runs.
        /// </summary>
        /// <remarks>
        /// <paramref name="noise"/> adds per-pixel noise so JPEGs compress as photos do (slow to write); the memory
        /// benchmark's PNGs do without, since only their decoded size matters there.
        /// </remarks>
        public static string MakeImageFolder(int count, int width, int height, string format = "jpg", bool noise = true)
        {
            string root = Path.Combine(Path.GetTempPath(), $"dsl-bench-images-{count}-{width}x{height}-{format}{(noise ? "" : "-flat")}");
            string done = Path.Combine(root, ".complete");
            if (File.Exists(done)) return root;
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
            var sw = Stopwatch.StartNew();
            var rng = new Random(7);
            var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
            for (int i = 0; i < count; i++)
            {
                string dir = Path.Combine(root, "class" + (i % 10).ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(dir);
                using var surface = SKSurface.Create(info);
                var canvas = surface.Canvas;
                using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                           new[] { RandomColor(rng), RandomColor(rng) }, SKShaderTileMode.Clamp))
                using (var paint = new SKPaint { Shader = shader })
                    canvas.DrawRect(0, 0, width, height, paint);
                using (var paint = new SKPaint { IsAntialias = true })
                {
                    for (int s = 0; s < 12; s++)
                    {
                        paint.Color = RandomColor(rng).WithAlpha((byte)rng.Next(80, 255));
                        canvas.DrawCircle(rng.Next(width), rng.Next(height), rng.Next(10, Math.Max(11, width / 4)), paint);
                    }
                }
                using var image = surface.Snapshot();
                using var bitmap = SKBitmap.FromImage(image);
                if (noise)
                {
                    // Sensor-like noise: photos do not compress like flat drawings.
                    var pixels = bitmap.Pixels;
                    for (int p = 0; p < pixels.Length; p++)
                    {
                        var c = pixels[p];
                        int n = rng.Next(-12, 13);
                        pixels[p] = new SKColor(Clamp(c.Red + n), Clamp(c.Green + n), Clamp(c.Blue + n));
                    }
                    bitmap.Pixels = pixels;
                }
                using var data = bitmap.Encode(format == "png" ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, 90);
                using var file = File.Create(Path.Combine(dir, $"img{i:D6}.{format}"));
                data.SaveTo(file);
            }
            File.WriteAllText(done, "");
            long bytes = Directory.EnumerateFiles(root, "*." + format, SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            Console.WriteLine($"   wrote {count:N0} {format.ToUpperInvariant()} files of {width}x{height} ({bytes / 1048576.0:F0} MiB, {bytes / count / 1024.0:F0} KiB each) to {root} in {sw.Elapsed.TotalSeconds:F0} s");
            return root;

            static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
            static SKColor RandomColor(Random r) => new((byte)r.Next(256), (byte)r.Next(256), (byte)r.Next(256));
        }

        /// <summary>The ImageNet training transforms at <paramref name="size"/>.</summary>
        private static Transform TrainTransform(int size) => TransformPresets.ImageNet(size).Train;

        public sealed record PipelineResult(Stats ByWorkers, Stats OneWorker, int Workers);

        /// <summary>Images/s of ImageFolder + ImageNet training transforms through the BatchLoader, no model attached.</summary>
        public static PipelineResult ImageFolderPipeline(string root, int repeats, int threads)
        {
            using var folder = new ImageFolder(root, ImageMode.Rgb);
            var data = folder.WithTransform(TrainTransform(224));
            Console.WriteLine($"-- image-folder pipeline: {folder.Count:N0} JPEGs, {TrainTransform(224)}, batch 32, prefetch 2, {repeats} repeats (+1 warm-up)");
            var many = new List<double>();
            var one = new List<double>();
            for (int r = -1; r < repeats; r++)
            {
                foreach (int workers in new[] { threads, 1 })
                {
                    var loader = new BatchLoader(data, 32, shuffle: true, seed: Seed, prefetch: 2, workers: workers);
                    long n = 0;
                    var sw = Stopwatch.StartNew();
                    foreach (var b in loader.Epoch(r + 2))
                        using (b) n += b.Size;
                    double ips = n / sw.Elapsed.TotalSeconds;
                    if (r >= 0) (workers == 1 ? one : many).Add(ips);
                }
            }
            var res = new PipelineResult(new Stats(many), new Stats(one), threads);
            Console.WriteLine($"   {threads} workers  images/s {res.ByWorkers.Format("F0")}");
            Console.WriteLine($"   1 worker   images/s {res.OneWorker.Format("F0")}");
            return res;
        }

        /// <summary>Training images/s of torchvision's ResNet-18 (the sample's) at 224, batch 32, on tensors already in memory.</summary>
        public static Stats ResNet18Consumption(int steps, int repeats)
        {
            Console.WriteLine($"-- ResNet-18 training step at 224x224, batch 32 (tensors in memory), {repeats} x {steps} steps (+1 warm-up step)");
            torch.manual_seed(Seed);
            using var model = new ResNetSample.ResNet18();
            model.train();
            using var opt = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9);
            using var x = torch.randn(32, 3, 224, 224);
            using var y = torch.randint(0, 1000, new long[] { 32 });
            void Step()
            {
                using var scope = torch.NewDisposeScope();
                opt.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(x), y);
                loss.backward();
                opt.step();
            }
            Step();
            var ips = new List<double>();
            for (int r = 0; r < repeats; r++)
            {
                var sw = Stopwatch.StartNew();
                for (int s = 0; s < steps; s++) Step();
                ips.Add(32.0 * steps / sw.Elapsed.TotalSeconds);
            }
            var stats = new Stats(ips);
            Console.WriteLine($"   images/s {stats.Format("F1")}");
            return stats;
        }

        /// <summary>
        /// Trainer.Fit for a fixed number of batches on ResNet-18 at 224 with the image-folder pipeline: end-to-end
        /// images/s, to compare with <see cref="ResNet18Consumption"/> (equal when the pipeline keeps up).
        /// </summary>
        public static double ResNet18EndToEnd(string root, int images)
        {
            using var folder = new ImageFolder(root, ImageMode.Rgb);
            var data = folder.Subset(Enumerable.Range(0, Math.Min(images, folder.Count)).ToArray()).WithTransform(TrainTransform(224));
            torch.manual_seed(Seed);
            using var model = new ResNetSample.ResNet18();
            string dir = Path.Combine(Path.GetTempPath(), "dsl-bench-e2e-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            var result = Trainer.Fit(model, data, null, new TrainOptions
            {
                Epochs = 1, BatchSize = 32, LearningRate = 0.01, Seed = Seed, OutputDir = dir, Overwrite = true,
                Progress = ProgressMode.Silent, Plot = false,
            });
            Directory.Delete(dir, recursive: true);
            double ips = result.Last!.ImagesPerSecond;
            Console.WriteLine($"-- Trainer.Fit, ResNet-18 at 224 on the image folder ({data.Count} images, 1 epoch): {ips:F1} images/s end to end");
            return ips;
        }

        /// <summary>
        /// In a child process: trains a small CNN for one epoch on an image folder of <paramref name="images"/> PNGs of
        /// 256x256 (decoded: 192 KiB each) with RandomResizedCrop(32), printing the peak RSS.
        /// </summary>
        public static void PeakMemory(int images)
        {
            string root = MakeImageFolder(images, 256, 256, "png", noise: false);
            using var folder = new ImageFolder(root, ImageMode.Rgb);
            var data = folder.WithTransform(Transform.Compose(new RandomResizedCrop(32), new RandomHorizontalFlip()));
            torch.manual_seed(Seed);
            using var model = new SmallColourNet();
            string dir = Path.Combine(Path.GetTempPath(), "dsl-bench-mem-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            var (rss0, _) = RuntimeBench.Memory();
            var result = Trainer.Fit(model, data, null, new TrainOptions
            {
                Epochs = 1, BatchSize = 64, Seed = Seed, OutputDir = dir, Overwrite = true, Progress = ProgressMode.Silent, Plot = false,
            });
            Directory.Delete(dir, recursive: true);
            var (rss, hwm) = RuntimeBench.Memory();
            double decoded = images * 256.0 * 256 * 3 / 1048576;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   data-memory {images} images: decoded size {decoded:F0} MiB, RSS before {rss0 / 1048576.0:F0} MiB, after {rss / 1048576.0:F0} MiB, peak RSS {hwm / 1048576.0:F0} MiB, {result.Last!.ImagesPerSecond:F0} images/s"));
        }
    }
}
