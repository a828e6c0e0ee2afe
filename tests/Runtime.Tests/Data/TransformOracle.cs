using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Dsl.Runtime.Data;
using Dsl.Runtime.Data.Transforms;
using Dsl.Runtime.Tests.PyTorch;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.Data
{
    /// <summary>
    /// The transforms' outputs next to torchvision's on the same inputs and parameters: every case is computed here, then
    /// one Python process (transform_oracle.py) applies torchvision's own transforms to the same inputs with the
    /// parameters drawn here, and, for the "*_params" cases, runs torchvision's get_params on this side's random words.
    /// </summary>
    public sealed class TransformOracle
    {
        /// <summary>One comparison: what this side computed and what the oracle must be asked.</summary>
        public sealed record Case(string Name, string Category, Dictionary<string, object> Request, long[] Shape, double[]? Values, int[]? Box);

        public TransformOracle()
        {
            Cases = BuildCases();
            Skipped = PythonTorch.MissingReason;
            if (Skipped is not null) return;
            string folder = TestData.TempDir("transform-oracle");
            string input = Path.Combine(folder, "cases.json"), output = Path.Combine(folder, "results.json");
            File.WriteAllText(input, JsonSerializer.Serialize(Cases.Select(c => c.Request)));
            var started = DateTime.UtcNow;
            Python = PythonTorch.Run(new[] { Path.Combine(TestData.RepoRoot, "tests", "Runtime.Tests", "Data", "transform_oracle.py"), input, output }, TimeSpan.FromMinutes(3));
            PythonSeconds = (DateTime.UtcNow - started).TotalSeconds;
            if (File.Exists(output))
            {
                using var json = JsonDocument.Parse(File.ReadAllText(output));
                foreach (var entry in json.RootElement.EnumerateObject()) Results[entry.Name] = entry.Value.Clone();
            }
        }

        public List<Case> Cases { get; }
        public string? Skipped { get; }
        internal PythonTorch.Result? Python { get; }
        public double PythonSeconds { get; }
        public Dictionary<string, JsonElement> Results { get; } = new();

        // ---- inputs ----------------------------------------------------------------------------------------------

        /// <summary>A float image [C, H, W] of uniform values in [0, 1] (System.Random, so the values are fixed).</summary>
        public static Tensor RandomImage(int seed, int c, int h, int w)
        {
            var random = new Random(seed);
            var data = new float[c * h * w];
            for (int i = 0; i < data.Length; i++) data[i] = (float)random.NextDouble();
            return torch.tensor(data).reshape(c, h, w);
        }

        public static Tensor RandomMask(int seed, int h, int w, int classes)
        {
            var random = new Random(seed);
            var data = new long[h * w];
            for (int i = 0; i < data.Length; i++) data[i] = random.Next(classes);
            return torch.tensor(data).reshape(h, w);
        }

        public static Example ImageExample(Tensor image) => new(image.clone(), torch.tensor(3L), TargetKind.Class, "test image");

        public static Dictionary<string, object> Encode(Tensor t)
        {
            using var d = t.to_type(ScalarType.Float64).contiguous();
            return new Dictionary<string, object> { ["shape"] = t.shape, ["data"] = d.data<double>().ToArray() };
        }

        private static Case Image(string name, string category, string op, Tensor input, Tensor output, Dictionary<string, object> args)
        {
            using var o = output.to_type(ScalarType.Float64).contiguous();
            var request = new Dictionary<string, object> { ["name"] = name, ["op"] = op, ["image"] = Encode(input), ["args"] = args };
            return new Case(name, category, request, output.shape, o.data<double>().ToArray(), null);
        }

        private static Case Params(string name, string category, string op, (int, int, int, int) box, Dictionary<string, object> args)
        {
            var request = new Dictionary<string, object> { ["name"] = name, ["op"] = op, ["args"] = args };
            return new Case(name, category, request, Array.Empty<long>(), null, new[] { box.Item1, box.Item2, box.Item3, box.Item4 });
        }

        /// <summary>The first <paramref name="n"/> words of the generator keyed (seed, 0, 0), as decimal strings for JSON.</summary>
        private static string[] Words(long seed, int n)
        {
            var r = new TransformRandom(seed, 0, 0);
            return Enumerable.Range(0, n).Select(_ => r.NextULong().ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }

        private static Tensor Run(Transform t, Tensor image, long seed = 0)
        {
            using var e = ImageExample(image);
            using var result = t.Apply(e, new TransformRandom(seed, 0, 0));
            return result.Input.clone();
        }

        // ---- the cases ------------------------------------------------------------------------------------------

        private static List<Case> BuildCases()
        {
            using var scope = torch.NewDisposeScope();
            var cases = new List<Case>();
            var rgb = RandomImage(1, 3, 23, 31);
            var tall = RandomImage(2, 1, 20, 12);
            var big = RandomImage(3, 3, 40, 50);
            var cifar = RandomImage(4, 3, 32, 32);

            // Resize: smaller edge and [h, w], shrinking and enlarging, with and without antialiasing, the same size.
            foreach (bool aa in new[] { true, false })
            {
                string a = aa ? "aa" : "noaa";
                cases.Add(Image($"resize int16 wide {a}", "resize", "resize", rgb, Run(new Resize(16, aa), rgb), new() { ["size"] = new[] { 16 }, ["antialias"] = aa }));
                cases.Add(Image($"resize int7 tall {a}", "resize", "resize", tall, Run(new Resize(7, aa), tall), new() { ["size"] = new[] { 7 }, ["antialias"] = aa }));
                cases.Add(Image($"resize int40 tall up {a}", "resize", "resize", tall, Run(new Resize(40, aa), tall), new() { ["size"] = new[] { 40 }, ["antialias"] = aa }));
                cases.Add(Image($"resize 40x50 up {a}", "resize", "resize", rgb, Run(new Resize(40, 50, aa), rgb), new() { ["size"] = new[] { 40, 50 }, ["antialias"] = aa }));
                cases.Add(Image($"resize 9x40 mixed {a}", "resize", "resize", rgb, Run(new Resize(9, 40, aa), rgb), new() { ["size"] = new[] { 9, 40 }, ["antialias"] = aa }));
                cases.Add(Image($"resize big 17 {a}", "resize", "resize", big, Run(new Resize(17, aa), big), new() { ["size"] = new[] { 17 }, ["antialias"] = aa }));
            }
            cases.Add(Image("resize same size", "resize", "resize", rgb, Run(new Resize(23), rgb), new() { ["size"] = new[] { 23 }, ["antialias"] = true }));

            // Masks: nearest, through the transform's mask path.
            var mask = RandomMask(5, 17, 13, 5);
            foreach (var (h, w) in new[] { (9, 30), (40, 26), (5, 5) })
            {
                using var e = new Example(torch.zeros(3, 17, 13), mask.clone(), TargetKind.Mask, "mask");
                using var r = new Resize(h, w).Apply(e, new TransformRandom(0, 0, 0));
                var request = new Dictionary<string, object> { ["name"] = $"resize mask {h}x{w}", ["op"] = "resize_mask", ["image"] = Encode(mask), ["args"] = new Dictionary<string, object> { ["size"] = new[] { h, w } } };
                using var t = r.Target.to_type(ScalarType.Float64);
                cases.Add(new Case($"resize mask {h}x{w}", "resize_mask", request, r.Target.shape, t.data<double>().ToArray(), null));
            }

            // CenterCrop: inside (with .5 offsets that round half to even), larger than the image (zero padding), mixed.
            foreach (var (h, w) in new[] { (16, 16), (10, 20), (22, 30), (20, 28), (30, 40), (23, 40), (12, 31), (24, 33) })
                cases.Add(Image($"center crop {h}x{w}", "center_crop", "center_crop", rgb, Run(new CenterCrop(h, w), rgb), new() { ["size"] = new[] { h, w } }));

            // RandomCrop: the box drawn here, padding and crop by torchvision's forward.
            var crops = new (string Name, RandomCrop T, Tensor Img, object Padding)[]
            {
                ("cifar pad4", new RandomCrop(32, padding: 4), cifar, 4),
                ("20x24 pad[1,2] fill.5", new RandomCrop(20, 24, new[] { 1, 2 }, fill: 0.5), rgb, new[] { 1, 2 }),
                ("40 pad_if_needed", new RandomCrop(40, 40, new[] { 0 }, padIfNeeded: true, fill: 0.25), rgb, 0),
                ("26x36 pad[1,2,3,4] pad_if_needed", new RandomCrop(26, 36, new[] { 1, 2, 3, 4 }, padIfNeeded: true), rgb, new[] { 1, 2, 3, 4 }),
                ("exact size", new RandomCrop(23, 31, new[] { 0 }), rgb, 0),
            };
            foreach (var (name, t, img, padding) in crops)
                for (int seed = 0; seed < 3; seed++)
                {
                    var box = t.GetParams((int)img.shape[1], (int)img.shape[2], new TransformRandom(seed, 0, 0));
                    cases.Add(Image($"random crop {name} seed {seed}", "random_crop", "random_crop", img, Run(t, img, seed), new()
                    {
                        ["size"] = new[] { t.Height, t.Width }, ["padding"] = padding, ["pad_if_needed"] = t.PadIfNeeded, ["fill"] = t.Fill,
                        ["box"] = new[] { box.Top, box.Left, box.Height, box.Width },
                    }));
                }

            // RandomResizedCrop: the box drawn here, crop and resize by torchvision's forward.
            var rrcs = new (string Name, RandomResizedCrop T)[]
            {
                ("16 aa", new RandomResizedCrop(16)),
                ("12x20 noaa", new RandomResizedCrop(12, 20, antialias: false)),
                ("64 up aa", new RandomResizedCrop(64, 64, (0.3, 0.6), (0.5, 2.0))),
            };
            foreach (var (name, t) in rrcs)
                for (int seed = 0; seed < 4; seed++)
                {
                    var box = t.GetParams(40, 50, new TransformRandom(seed, 0, 0));
                    cases.Add(Image($"random resized crop {name} seed {seed}", "random_resized_crop", "random_resized_crop", big, Run(t, big, seed), new()
                    {
                        ["size"] = new[] { t.Height, t.Width }, ["scale"] = new[] { t.Scale.Min, t.Scale.Max }, ["ratio"] = new[] { t.Ratio.Min, t.Ratio.Max },
                        ["antialias"] = t.Antialias, ["box"] = new[] { box.Top, box.Left, box.Height, box.Width },
                    }));
                }

            // Flip: find a seed that flips, so the case compares a flipped image.
            var flip = new RandomHorizontalFlip();
            int flipSeed = Enumerable.Range(0, 100).First(s => flip.GetParams(new TransformRandom(s, 0, 0)));
            cases.Add(Image("hflip", "photometric", "hflip", rgb, Run(flip, rgb, flipSeed), new()));

            // Colour: each adjust_* on RGB and grey, then ColorJitter with its drawn order and factors.
            foreach (var (img, kind) in new[] { (rgb, "rgb"), (tall, "grey") })
                foreach (double f in new[] { 0.0, 0.3, 1.0, 1.7 })
                {
                    cases.Add(Image($"brightness {f} {kind}", "photometric", "adjust_brightness", img, ColorJitter.Apply(img, new ColorJitter.Params(new[] { 0, 1, 2 }, f, null, null)), new() { ["factor"] = f }));
                    cases.Add(Image($"contrast {f} {kind}", "photometric", "adjust_contrast", img, ColorJitter.Apply(img, new ColorJitter.Params(new[] { 0, 1, 2 }, null, f, null)), new() { ["factor"] = f }));
                    cases.Add(Image($"saturation {f} {kind}", "photometric", "adjust_saturation", img, ColorJitter.Apply(img, new ColorJitter.Params(new[] { 0, 1, 2 }, null, null, f)), new() { ["factor"] = f }));
                }
            var jitters = new (ColorJitter T, double B, double C, double S)[] { (new ColorJitter(0.4, 0.4, 0.4), 0.4, 0.4, 0.4), (new ColorJitter(0.5, 0, 0.8), 0.5, 0, 0.8), (new ColorJitter(1.5, 0.9, 0), 1.5, 0.9, 0) };
            for (int j = 0; j < jitters.Length; j++)
                for (int seed = 0; seed < 4; seed++)
                {
                    var (t, b, c, s) = jitters[j];
                    var p = t.GetParams(new TransformRandom(seed, 0, 0));
                    var img = seed % 2 == 0 ? rgb : tall;
                    cases.Add(Image($"color jitter {j} seed {seed}", "color_jitter", "color_jitter", img, Run(t, img, seed), new()
                    {
                        ["brightness"] = b, ["contrast"] = c, ["saturation"] = s, ["order"] = p.Order,
                        ["b"] = p.Brightness!, ["c"] = p.Contrast!, ["s"] = p.Saturation!,
                    }));
                }

            var imagenet = new Normalize(TransformPresets.ImageNetMean.ToArray(), TransformPresets.ImageNetStd.ToArray());
            cases.Add(Image("normalize imagenet", "photometric", "normalize", rgb, Run(imagenet, rgb), new() { ["mean"] = imagenet.Mean, ["std"] = imagenet.Std }));
            var one = new Normalize(new[] { 0.5 }, new[] { 0.25 });
            cases.Add(Image("normalize one value on rgb", "photometric", "normalize", rgb, Run(one, rgb), new() { ["mean"] = one.Mean, ["std"] = one.Std }));
            cases.Add(Image("normalize grey", "photometric", "normalize", tall, Run(one, tall), new() { ["mean"] = one.Mean, ["std"] = one.Std }));
            foreach (int n in new[] { 1, 3 })
            {
                cases.Add(Image($"grayscale {n} of rgb", "photometric", "grayscale", rgb, Run(new Grayscale(n), rgb), new() { ["num_output_channels"] = n }));
            }
            // Grey input with 3 output channels differs on purpose: torchvision 0.14 returns 1 channel (expand to the input's shape).
            cases.Add(Image("grayscale 1 of grey", "photometric", "grayscale", tall, Run(new Grayscale(1), tall), new() { ["num_output_channels"] = 1 }));

            // get_params: torchvision's own box arithmetic on this side's random words.
            var rrcParams = new (string Name, int H, int W, (double, double) Scale, (double, double) Ratio, int Seeds)[]
            {
                ("40x50 default", 40, 50, (0.08, 1.0), (3.0 / 4.0, 4.0 / 3.0), 120),
                ("100x30 default", 100, 30, (0.08, 1.0), (3.0 / 4.0, 4.0 / 3.0), 60),
                ("224x224 (0.25,1) (0.5,2)", 224, 224, (0.25, 1.0), (0.5, 2.0), 60),
                ("50x50 fallback tall", 50, 50, (0.99, 1.0), (2.0, 3.0), 3),
                ("30x90 fallback wide", 30, 90, (0.9, 1.0), (3.0 / 4.0, 4.0 / 3.0), 3),
                ("7x5 small", 7, 5, (0.08, 1.0), (3.0 / 4.0, 4.0 / 3.0), 30),
            };
            foreach (var (name, h, w, scale, ratio, seeds) in rrcParams)
            {
                var t = new RandomResizedCrop(8, 8, scale, ratio);
                for (int seed = 0; seed < seeds; seed++)
                    cases.Add(Params($"rrc params {name} seed {seed}", "rrc_params", "rrc_params", t.GetParams(h, w, new TransformRandom(seed, 0, 0)), new()
                    {
                        ["height"] = h, ["width"] = w, ["scale"] = new[] { scale.Item1, scale.Item2 }, ["ratio"] = new[] { ratio.Item1, ratio.Item2 }, ["words"] = Words(seed, 64),
                    }));
            }
            foreach (var (h, w, th, tw) in new[] { (40, 40, 32, 32), (23, 31, 20, 24), (23, 31, 23, 31) })
            {
                var t = new RandomCrop(th, tw, new[] { 0 });
                for (int seed = 0; seed < 10; seed++)
                    cases.Add(Params($"crop params {h}x{w} to {th}x{tw} seed {seed}", "crop_params", "crop_params", t.GetParams(h, w, new TransformRandom(seed, 0, 0)), new()
                    {
                        ["height"] = h, ["width"] = w, ["size"] = new[] { th, tw }, ["words"] = Words(seed, 8),
                    }));
            }
            return cases;
        }
    }
}
