using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Dsl.Runtime.Data;
using Dsl.Runtime.Data.Transforms;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.Data
{
    /// <summary>
    /// The per-sample transforms against torchvision (Debian's python3-torchvision, through <see cref="TransformOracle"/>):
    /// geometry exactly, values within 1e-6; then the random draws' distributions, masks moved with their images,
    /// reproducibility, and the transform text.
    /// </summary>
    public sealed class TransformTests : IClassFixture<TransformOracle>
    {
        private readonly TransformOracle _oracle;
        private readonly ITestOutputHelper _output;

        // Pixel arithmetic (blend, normalise, grey) agrees to float32 rounding.
        private const double Tolerance = 1e-6;

        // Bilinear resampling computes its source coordinates and weights in float32, and libtorch 2.x (TorchSharp) does
        // it in another order than torch 1.13 (the oracle): torch 1.13's own float32 resize differs from its float64
        // result by up to 1.3e-6 on these inputs, so the two float32 results are compared at 2e-6.
        private const double ResampleTolerance = 2e-6;

        public TransformTests(TransformOracle oracle, ITestOutputHelper output)
        {
            _oracle = oracle;
            _output = output;
        }

        // ---- against torchvision -----------------------------------------------------------------------------------

        private void CompareCategory(string category, double tolerance)
        {
            Skip.If(_oracle.Skipped is not null, _oracle.Skipped);
            Assert.True(_oracle.Results.ContainsKey("_versions"), "the oracle did not finish: " + _oracle.Python);
            var cases = _oracle.Cases.Where(c => c.Category == category).ToList();
            Assert.NotEmpty(cases);
            double worst = 0;
            foreach (var c in cases)
            {
                Assert.True(_oracle.Results.TryGetValue(c.Name, out var r), $"no oracle result for {c.Name}");
                Assert.False(r.TryGetProperty("error", out var error), $"{c.Name}: torchvision failed: {error}");
                if (c.Box is not null)
                {
                    var box = r.GetProperty("box").EnumerateArray().Select(v => v.GetInt32()).ToArray();
                    Assert.True(box.SequenceEqual(c.Box), $"{c.Name}: box (top, left, height, width) is [{string.Join(", ", c.Box)}], torchvision's [{string.Join(", ", box)}]");
                    continue;
                }
                var shape = r.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
                Assert.True(shape.SequenceEqual(c.Shape), $"{c.Name}: shape {Dsl.Shape.Format(c.Shape)}, torchvision's {Dsl.Shape.Format(shape)}");
                var expected = r.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                Assert.Equal(expected.Length, c.Values!.Length);
                double caseWorst = 0;
                int worstAt = -1;
                for (int i = 0; i < expected.Length; i++)
                {
                    double d = Math.Abs(expected[i] - c.Values[i]);
                    if (!(d <= caseWorst)) { caseWorst = d; worstAt = i; }
                }
                Assert.True(caseWorst <= tolerance, $"{c.Name}: element {worstAt} is {c.Values[Math.Max(worstAt, 0)]}, torchvision's {expected[Math.Max(worstAt, 0)]} (difference {caseWorst:E2} > {tolerance:E0})");
                worst = Math.Max(worst, caseWorst);
            }
            _output.WriteLine($"{category}: {cases.Count} cases, largest difference {worst:E2} (torch {_oracle.Results["_versions"].GetProperty("torch")}, torchvision {_oracle.Results["_versions"].GetProperty("torchvision")}; Python took {_oracle.PythonSeconds:F1} s)");
        }

        [SkippableFact]
        public void Resize_matches_torchvision_with_and_without_antialiasing() => CompareCategory("resize", ResampleTolerance);

        [SkippableFact]
        public void Resize_of_a_mask_is_torchs_nearest_exactly() => CompareCategory("resize_mask", 0);

        [SkippableFact]
        public void CenterCrop_matches_torchvision_offsets_and_padding() => CompareCategory("center_crop", 0);

        [SkippableFact]
        public void RandomCrop_pads_and_crops_as_torchvision_for_the_drawn_box() => CompareCategory("random_crop", 0);

        [SkippableFact]
        public void RandomResizedCrop_crops_and_resizes_as_torchvision_for_the_drawn_box() => CompareCategory("random_resized_crop", ResampleTolerance);

        [SkippableFact]
        public void Flip_colour_normalize_and_grayscale_match_torchvision() => CompareCategory("photometric", Tolerance);

        [SkippableFact]
        public void ColorJitter_applies_its_drawn_order_and_factors_as_torchvision() => CompareCategory("color_jitter", Tolerance);

        [SkippableFact]
        public void RandomResizedCrop_GetParams_is_torchvisions_get_params_on_the_same_draws() => CompareCategory("rrc_params", 0);

        [SkippableFact]
        public void RandomCrop_GetParams_is_torchvisions_get_params_on_the_same_draws() => CompareCategory("crop_params", 0);


        [Fact]
        public void Grayscale_with_three_channels_repeats_the_grey_channel_of_a_grey_image()
        {
            // torchvision 0.14 keeps one channel here (it expands to the input's shape); a network asking for 3 gets 3.
            using var scope = torch.NewDisposeScope();
            var grey = TransformOracle.RandomImage(7, 1, 6, 5);
            using var e = TransformOracle.ImageExample(grey);
            using var r = new Grayscale(3).Apply(e, new TransformRandom(0, 0, 0));
            Assert.Equal(new long[] { 3, 6, 5 }, r.Input.shape);
            for (int c = 0; c < 3; c++) Assert.True(Same(r.Input[c], grey[0]), $"channel {c} is not the grey input");
        }

        private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

        // ---- distributions of the draws ----------------------------------------------------------------------------

        [Fact]
        public void RandomResizedCrop_boxes_lie_in_the_image_with_area_and_ratio_in_their_ranges()
        {
            const int H = 60, W = 80, N = 3000;
            var t = new RandomResizedCrop(32);
            int small = 0, large = 0, tall = 0, wide = 0;
            for (int i = 0; i < N; i++)
            {
                var (top, left, h, w) = t.GetParams(H, W, new TransformRandom(11, 0, i));
                Assert.True(top >= 0 && left >= 0 && h > 0 && w > 0 && top + h <= H && left + w <= W, $"draw {i}: box ({top}, {left}, {h}, {w}) is not inside {H}x{W}");
                // The box is the rounded sqrt(area * ratio) x sqrt(area / ratio): bounds widened by half a pixel.
                Assert.True((w + 0.5) * (h + 0.5) >= 0.08 * H * W && (w - 0.5) * (h - 0.5) <= 1.0 * H * W, $"draw {i}: area {w * h} outside scale [0.08, 1] of {H * W}");
                Assert.True((w + 0.5) / (h - 0.5) >= 0.75 && (w - 0.5) / (h + 0.5) <= 4.0 / 3.0, $"draw {i}: ratio {w}/{h} outside [3/4, 4/3]");
                double area = (double)w * h / (H * W), ratio = (double)w / h;
                if (area < 0.2) small++;
                if (area > 0.9) large++;
                if (ratio < 0.9) tall++;
                if (ratio > 1.1) wide++;
            }
            // Rejected draws (large areas with extreme ratios do not fit) are drawn again, so only the spread is checked here.
            Assert.True(small > 0 && large > 0 && tall > N / 10 && wide > N / 10, $"boxes do not spread over the ranges");
        }

        [Fact]
        public void RandomResizedCrop_area_is_uniform_and_ratio_log_uniform_when_every_draw_fits()
        {
            // Areas 10%..40% of a 100x100 image with ratios in [3/4, 4/3] always fit, so no draw is rejected.
            const int N = 4000;
            var t = new RandomResizedCrop(16, 16, (0.1, 0.4), null);
            int belowQuarter = 0, belowHalf = 0, tall = 0, wide = 0;
            for (int i = 0; i < N; i++)
            {
                var (_, _, h, w) = t.GetParams(100, 100, new TransformRandom(21, 0, i));
                double area = w * h / 10000.0;
                if (area < 0.175) belowQuarter++;
                if (area < 0.25) belowHalf++;
                if (w < h) tall++;
                if (w > h) wide++;
            }
            // Quartiles of U(0.1, 0.4) (rounding the sides moves an area by about 1%); exp(U(log 3/4, log 4/3)) is
            // symmetric about 1 in log space. 0.035 is more than 4 standard deviations of each share.
            Assert.InRange(belowQuarter / (double)N, 0.25 - 0.035, 0.25 + 0.035);
            Assert.InRange(belowHalf / (double)N, 0.5 - 0.035, 0.5 + 0.035);
            Assert.InRange(tall / (double)N, 0.47 - 0.035, 0.47 + 0.035);
            Assert.InRange(wide / (double)N, 0.47 - 0.035, 0.47 + 0.035);
        }

        [Fact]
        public void RandomResizedCrop_falls_back_to_the_central_crop_clamped_to_the_ratio_bounds()
        {
            // No box of area >= 0.99 with ratio >= 2 fits a square: torchvision keeps the full width and height w / 2.
            var t = new RandomResizedCrop(8, 8, (0.99, 1.0), (2.0, 3.0));
            Assert.Equal((12, 0, 25, 50), t.GetParams(50, 50, new TransformRandom(0, 0, 0)));
            // Too wide an image for ratios up to 4/3: full height, width round(30 * 4/3) = 40, centred.
            var u = new RandomResizedCrop(8, 8, (0.9, 1.0), null);
            Assert.Equal((0, 25, 30, 40), u.GetParams(30, 90, new TransformRandom(0, 0, 0)));
        }

        [Fact]
        public void RandomHorizontalFlip_flips_with_frequency_p()
        {
            foreach (double p in new[] { 0.3, 0.5 })
            {
                var t = new RandomHorizontalFlip(p);
                int flips = Enumerable.Range(0, 20000).Count(i => t.GetParams(new TransformRandom(3, 0, i)));
                // Binomial(20000, p): 0.01 is more than 3 standard deviations.
                Assert.InRange(flips / 20000.0, p - 0.01, p + 0.01);
            }
            Assert.DoesNotContain(Enumerable.Range(0, 1000), i => new RandomHorizontalFlip(0).GetParams(new TransformRandom(3, 0, i)));
            Assert.All(Enumerable.Range(0, 1000), i => Assert.True(new RandomHorizontalFlip(1).GetParams(new TransformRandom(3, 0, i))));
        }

        [Fact]
        public void RandomCrop_positions_are_uniform_over_every_offset()
        {
            var t = new RandomCrop(32, 32, new[] { 0 });
            var tops = new int[9];
            var lefts = new int[9];
            for (int i = 0; i < 9000; i++)
            {
                var (top, left, h, w) = t.GetParams(40, 40, new TransformRandom(5, 2, i));
                Assert.Equal((32, 32), (h, w));
                tops[top]++;
                lefts[left]++;
            }
            // 1000 expected each; a standard deviation is about 30.
            Assert.All(tops, n => Assert.InRange(n, 880, 1120));
            Assert.All(lefts, n => Assert.InRange(n, 880, 1120));
        }

        [Fact]
        public void ColorJitter_factors_are_uniform_in_their_ranges_and_every_order_occurs()
        {
            var t = new ColorJitter(0.4, 0.4, 1.5);
            var orders = new HashSet<string>();
            double sumB = 0;
            const int N = 6000;
            for (int i = 0; i < N; i++)
            {
                var p = t.GetParams(new TransformRandom(9, 0, i));
                Assert.InRange(p.Brightness!.Value, 0.6, 1.4);
                Assert.InRange(p.Contrast!.Value, 0.6, 1.4);
                Assert.InRange(p.Saturation!.Value, 0.0, 2.5); // max(0, 1 - 1.5) = 0
                Assert.Equal(new[] { 0, 1, 2 }, p.Order.OrderBy(x => x));
                orders.Add(string.Join(",", p.Order));
                sumB += p.Brightness.Value;
            }
            Assert.Equal(6, orders.Count);
            Assert.InRange(sumB / N, 0.99, 1.01);
            var none = new ColorJitter(0, 0.5, 0).GetParams(new TransformRandom(1, 0, 0));
            Assert.Null(none.Brightness);
            Assert.NotNull(none.Contrast);
            Assert.Null(none.Saturation);
        }

        // ---- masks ---------------------------------------------------------------------------------------------

        /// <summary>
        /// A class map of 8x8 blocks of classes 0..2 and its one-hot image (channel k is 1 where the class is k): after
        /// any geometry, a pixel whose channel k is 1 comes only from class-k pixels, so its mask value must be k.
        /// </summary>
        private static (Tensor Image, Tensor Mask) ClassMapPair(int seed, int h, int w)
        {
            var random = new Random(seed);
            var map = new long[h * w];
            var blocks = new int[(h + 7) / 8, (w + 7) / 8];
            for (int by = 0; by < blocks.GetLength(0); by++)
                for (int bx = 0; bx < blocks.GetLength(1); bx++) blocks[by, bx] = random.Next(3);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) map[y * w + x] = blocks[y / 8, x / 8];
            var mask = torch.tensor(map).reshape(h, w);
            var image = nn.functional.one_hot(mask, 3).permute(2, 0, 1).to_type(ScalarType.Float32).contiguous();
            return (image, mask);
        }

        private static void AssertAligned(string what, Tensor image, Tensor mask, long ignoreIndex, bool padded)
        {
            Assert.Equal(image.shape[1..], mask.shape);
            var values = mask.unique().Item1.data<long>().ToArray();
            Assert.All(values, v => Assert.True(v is >= 0 and <= 2 || (padded && v == ignoreIndex), $"{what}: mask value {v} is new"));
            var img = image.contiguous().data<float>().ToArray();
            var m = mask.contiguous().data<long>().ToArray();
            int hw = m.Length, checkedPixels = 0;
            for (int i = 0; i < hw; i++)
            {
                for (int k = 0; k < 3; k++)
                    if (img[k * hw + i] >= 1 - 1e-5)
                    {
                        Assert.True(m[i] == k, $"{what}: pixel {i} is wholly class {k} in the image but {m[i]} in the mask");
                        checkedPixels++;
                    }
                bool black = img[i] == 0 && img[hw + i] == 0 && img[2 * hw + i] == 0;
                // A one-hot image is never black but where it was padded.
                Assert.True(black == (m[i] == ignoreIndex), $"{what}: pixel {i} is {(black ? "padding" : "image")} in the image but {m[i]} in the mask");
            }
            Assert.True(checkedPixels > hw / 3, $"{what}: only {checkedPixels} of {hw} pixels could be checked");
        }

        [Fact]
        public void Geometry_moves_the_mask_with_the_image_nearest_and_padded_with_the_ignore_index()
        {
            using var scope = torch.NewDisposeScope();
            var (image, mask) = ClassMapPair(1, 40, 45);
            var cases = new (string Name, Transform T, long Ignore, bool Pads)[]
            {
                ("RandomResizedCrop(24)", new RandomResizedCrop(24), 255, false),
                ("RandomResizedCrop(64) enlarging", new RandomResizedCrop(64, 64, (0.2, 0.5), null, antialias: false), 255, false),
                ("RandomHorizontalFlip(p=1.0)", new RandomHorizontalFlip(1.0), 255, false),
                ("RandomCrop(40, padding=6)", new RandomCrop(40, padding: 6), 255, true),
                ("RandomCrop(50, pad_if_needed) ignore 9", new RandomCrop(50, 50, new[] { 0 }, padIfNeeded: true) { IgnoreIndex = 9 }, 9, true),
                ("CenterCrop([50, 30])", new CenterCrop(50, 30), 255, true),
                ("Resize(17)", new Resize(17), 255, false),
                ("Resize([80, 90])", new Resize(80, 90), 255, false),
                ("imagenet train", TransformPresets.ImageNet(32).Train is Compose c ? new Compose(c.Transforms.Take(2)) : throw new InvalidOperationException(), 255, false),
            };
            foreach (var (name, t, ignore, pads) in cases)
                for (int seed = 0; seed < 6; seed++)
                {
                    using var e = new Example(image.clone(), mask.clone(), TargetKind.Mask, "shapes/001.png");
                    using var r = t.Apply(e, new TransformRandom(seed, 0, 0));
                    Assert.Equal(TargetKind.Mask, r.Kind);
                    AssertAligned($"{name} seed {seed}", r.Input, r.Target, ignore, pads);
                    if (pads) Assert.True(r.Target.eq(ignore).any().item<bool>(), $"{name} seed {seed}: no padding reached the mask");
                }
            // The flip really mirrors the mask.
            using var ex = new Example(image.clone(), mask.clone(), TargetKind.Mask, "shapes/001.png");
            using var flipped = new RandomHorizontalFlip(1.0).Apply(ex, new TransformRandom(0, 0, 0));
            Assert.True(Same(flipped.Target, mask.flip(1)));
        }

        [Fact]
        public void Photometric_transforms_leave_the_mask_alone()
        {
            using var scope = torch.NewDisposeScope();
            var (image, mask) = ClassMapPair(2, 12, 14);
            foreach (var t in new Transform[] { new ColorJitter(0.5, 0.5, 0.5), new Normalize(new[] { 0.5 }, new[] { 0.2 }), new Grayscale(3) })
            {
                using var e = new Example(image.clone(), mask.clone(), TargetKind.Mask, "m");
                using var r = t.Apply(e, new TransformRandom(4, 0, 0));
                Assert.True(Same(r.Target, mask), $"{t} changed the mask");
                Assert.False(Same(r.Input, image), $"{t} did not change the image");
            }
        }

        [Fact]
        public void A_mask_of_another_size_than_its_image_is_named()
        {
            using var e = new Example(torch.zeros(3, 10, 12), torch.zeros(new long[] { 9, 12 }, ScalarType.Int64), TargetKind.Mask, "masks/007.png");
            var error = Assert.Throws<InvalidDataException>(() => new RandomHorizontalFlip().Apply(e, new TransformRandom(0, 0, 0)));
            Assert.Equal("the mask of masks/007.png is [9, 12] but its image is 10x12; a mask needs one class index per pixel of its image [H, W].", error.Message);
        }

        // ---- reproducibility -------------------------------------------------------------------------------------

        private sealed class Photos : Dataset
        {
            private readonly Tensor[] _images;

            public Photos(int n) => _images = Enumerable.Range(0, n).Select(i => (TransformOracle.RandomImage(100 + i, 3, 30, 40) * 255).to_type(ScalarType.Byte).DetachFromDisposeScope()).ToArray();
            public override string Name => "photos";
            public override int Count => _images.Length;
            public override Example Read(int index) => new(_images[index].clone(), torch.tensor((long)index), TargetKind.Class, $"photo {index}");
            public override void Dispose() { foreach (var t in _images) t.Dispose(); }
        }

        [Fact]
        public void The_same_seed_epoch_and_index_give_the_same_sample_and_another_epoch_another()
        {
            using var scope = torch.NewDisposeScope();
            using var photos = new Photos(4);
            var train = TransformText.Parse("RandomResizedCrop(24); RandomHorizontalFlip(); ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4); Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])");
            using var view = photos.WithTransform(train);
            for (int i = 0; i < 4; i++)
            {
                using var a = view.Get(i, 7, 0);
                using var b = view.Get(i, 7, 0);
                using var c = view.Get(i, 7, 1);
                using var d = view.Get(i, 8, 0);
                Assert.Equal(new long[] { 3, 24, 24 }, a.Input.shape);
                Assert.True(Same(a.Input, b.Input), $"sample {i}: two reads differ");
                Assert.False(Same(a.Input, c.Input), $"sample {i}: epochs 0 and 1 give the same sample");
                Assert.False(Same(a.Input, d.Input), $"sample {i}: seeds 7 and 8 give the same sample");
                // The view is the transform applied to the image scaled to [0, 1], with the generator of (seed, epoch, index).
                using var raw = photos.Read(i);
                using var scaled = raw.With(raw.Input.to_type(ScalarType.Float32).div(255.0), raw.Target.alias());
                using var direct = train.Apply(scaled, new TransformRandom(7, 0, i));
                Assert.True(Same(a.Input, direct.Input), $"sample {i}: the view differs from the transform");
                Assert.Equal(i, a.Target.item<long>());
            }
            // A split reaches a sample by its index in the source, so it is transformed the same way.
            var (trainSplit, _) = view.Split(0.25, seed: 3);
            using var viaSplit = trainSplit.Get(0, 7, 0);
            int sourceIndex = (int)viaSplit.Target.item<long>();
            using var viaSource = view.Get(sourceIndex, 7, 0);
            Assert.True(Same(viaSplit.Input, viaSource.Input));
        }

        // ---- text ----------------------------------------------------------------------------------------------

        [Theory]
        [InlineData("RandomResizedCrop(224); RandomHorizontalFlip(); ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4); Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])",
            "RandomResizedCrop(224, scale=[0.08, 1.0], ratio=[0.75, 1.3333333333333333], antialias=True); RandomHorizontalFlip(p=0.5); ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4); Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])")]
        [InlineData("Resize([32, 48], antialias=False); CenterCrop([20, 30]); Grayscale(3)",
            "Resize([32, 48], antialias=False); CenterCrop([20, 30]); Grayscale(num_output_channels=3)")]
        [InlineData("Resize(size=(300,)) ;CenterCrop(size=[7])", "Resize(300, antialias=True); CenterCrop(7)")]
        [InlineData("RandomCrop(size=32, padding=(4, 2), pad_if_needed=True, fill=0.5)", "RandomCrop(32, padding=[4, 2], pad_if_needed=True, fill=0.5)")]
        [InlineData("RandomCrop([30, 32], 4, ignore_index=0)", "RandomCrop([30, 32], padding=4, pad_if_needed=False, fill=0, ignore_index=0)")]
        [InlineData("RandomResizedCrop([100, 120], (0.5, 1), ratio=[1, 2], antialias=False)", "RandomResizedCrop([100, 120], scale=[0.5, 1.0], ratio=[1.0, 2.0], antialias=False)")]
        [InlineData("ColorJitter(brightness=[0.5, 1.5], saturation=0.2)", "ColorJitter(brightness=[0.5, 1.5], contrast=0.0, saturation=[0.8, 1.2])")]
        [InlineData("RandomHorizontalFlip(0.25); Normalize([0.5], [2.5e-1]);", "RandomHorizontalFlip(p=0.25); Normalize(mean=[0.5], std=[0.25])")]
        [InlineData("none", "none")]
        public void Text_parses_to_transforms_that_print_the_same_syntax(string text, string printed)
        {
            var t = TransformText.Parse(text);
            Assert.Equal(printed, t.ToString());
            Assert.Equal(printed, TransformText.Parse(printed).ToString());
        }

        [Fact]
        public void Text_arguments_reach_the_transforms()
        {
            var c = Assert.IsType<Compose>(TransformText.Parse("RandomCrop(size=[30, 32], padding=(4, 2), pad_if_needed=True, fill=0.5, ignore_index=7); ColorJitter(contrast=[0.5, 1.5])"));
            var crop = Assert.IsType<RandomCrop>(c.Transforms[0]);
            Assert.Equal((30, 32, (4, 2, 4, 2), true, 0.5, 7L), (crop.Height, crop.Width, crop.Padding, crop.PadIfNeeded, crop.Fill, crop.IgnoreIndex));
            var jitter = Assert.IsType<ColorJitter>(c.Transforms[1]);
            Assert.Equal(((double, double)?)null, jitter.Brightness);
            Assert.Equal((0.5, 1.5), jitter.Contrast);
            var rrc = Assert.IsType<RandomResizedCrop>(Assert.IsType<Compose>(TransformText.Parse("RandomResizedCrop(224)")).Transforms[0]);
            Assert.Equal((224, 224, (0.08, 1.0), (0.75, 4.0 / 3.0), true), (rrc.Height, rrc.Width, rrc.Scale, rrc.Ratio, rrc.Antialias));
            var resize = Assert.IsType<Resize>(Assert.IsType<Compose>(TransformText.Parse("Resize(64)")).Transforms[0]);
            Assert.Equal((64, (int?)null, (int?)null), (resize.Size!.Value, resize.Height, resize.Width));
            Assert.Equal((64, 96), resize.OutputSize(40, 60));
            Assert.Equal((85, 64), resize.OutputSize(60, 45)); // int(64 * 60 / 45) = 85
        }

        private const string Norm = "Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])";

        [Theory]
        [InlineData("imagenet", 224, "RandomResizedCrop(224, scale=[0.08, 1.0], ratio=[0.75, 1.3333333333333333], antialias=True); RandomHorizontalFlip(p=0.5); " + Norm, "Resize(256, antialias=True); CenterCrop(224); " + Norm)]
        [InlineData("ImageNet(160)", 224, "RandomResizedCrop(160, scale=[0.08, 1.0], ratio=[0.75, 1.3333333333333333], antialias=True); RandomHorizontalFlip(p=0.5); " + Norm, "Resize(182, antialias=True); CenterCrop(160); " + Norm)]
        [InlineData("cifar", 32, "RandomCrop(32, padding=4, pad_if_needed=False, fill=0); RandomHorizontalFlip(p=0.5); Normalize(mean=[0.4914, 0.4822, 0.4465], std=[0.247, 0.2435, 0.2616])", "Normalize(mean=[0.4914, 0.4822, 0.4465], std=[0.247, 0.2435, 0.2616])")]
        [InlineData("cifar(size=40)", 32, "RandomCrop(40, padding=4, pad_if_needed=False, fill=0); RandomHorizontalFlip(p=0.5); Normalize(mean=[0.4914, 0.4822, 0.4465], std=[0.247, 0.2435, 0.2616])", "Normalize(mean=[0.4914, 0.4822, 0.4465], std=[0.247, 0.2435, 0.2616])")]
        [InlineData("none", 224, "none", "none")]
        [InlineData("RandomResizedCrop(96); RandomHorizontalFlip(); ColorJitter(0.2); Normalize([0.5], [0.5])", 224,
            "RandomResizedCrop(96, scale=[0.08, 1.0], ratio=[0.75, 1.3333333333333333], antialias=True); RandomHorizontalFlip(p=0.5); ColorJitter(brightness=0.2, contrast=0.0, saturation=0.0); Normalize(mean=[0.5], std=[0.5])",
            "Resize(109, antialias=True); CenterCrop(96); Normalize(mean=[0.5], std=[0.5])")]
        [InlineData("RandomCrop(32, padding=4); Normalize([0.5], [0.5])", 224, "RandomCrop(32, padding=4, pad_if_needed=False, fill=0); Normalize(mean=[0.5], std=[0.5])", "CenterCrop(32); Normalize(mean=[0.5], std=[0.5])")]
        public void Presets_and_explicit_lists_give_train_and_eval_transforms(string text, int size, string train, string eval)
        {
            var pair = TransformText.ParsePair(text, size);
            Assert.Equal(train, pair.Train.ToString());
            Assert.Equal(eval, pair.Eval.ToString());
        }

        [Fact]
        public void Presets_in_code_equal_the_presets_by_name()
        {
            Assert.Equal(TransformPresets.ImageNet(128).ToString(), TransformText.ParsePair("imagenet", 128).ToString());
            Assert.Equal(TransformPresets.Cifar().ToString(), TransformText.ParsePair("cifar", 32).ToString());
            Assert.Equal(TransformPresets.None.ToString(), TransformText.ParsePair("none", 32).ToString());
            Assert.Equal(256, TransformPresets.EvalResize(224));
        }

        private const string Known = "known transforms: Resize, CenterCrop, RandomResizedCrop, RandomCrop, RandomHorizontalFlip, ColorJitter, Normalize, Grayscale, ImageToSequence; presets: imagenet, cifar, none; " +
            "for example \"RandomResizedCrop(224); RandomHorizontalFlip(); Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])\" or \"cifar\"";

        [Theory]
        [InlineData("RandomFlip()", "a transform name", "'RandomFlip' at character 1")]
        [InlineData("Resize(224); resize(3)", "a transform name spelled as torchvision does (Resize)", "'resize' at character 14")]
        [InlineData("Resize(224, interpolation=2)", "an argument of Resize: size, antialias", "'interpolation' at character 13")]
        [InlineData("CenterCrop()", "CenterCrop with its size, such as CenterCrop(224)", "'CenterCrop' at character 1")]
        [InlineData("Resize(224", "',' or ')' in the arguments of Resize", "nothing at the end")]
        [InlineData("Resize(22.5)", "a whole number for Resize size", "'22.5' at character 8")]
        [InlineData("RandomHorizontalFlip() RandomCrop(3)", "';' between transforms, or '(' after RandomHorizontalFlip", "'RandomCrop' at character 24")]
        [InlineData("Normalize(mean=[0.5], [0.5])", "a keyword argument (name=value) after keyword arguments, as in Python", "'[' at character 23")]
        [InlineData("RandomCrop(32, padding=four)", "a value: a number, True, False, None or a [list]", "'four' at character 24")]
        [InlineData("RandomResizedCrop(224, scale=0.5)", "a range [min, max] for RandomResizedCrop scale", "'0.5' at character 30")]
        [InlineData("RandomHorizontalFlip(0.5, 0.5)", "at most 1 argument(s) for RandomHorizontalFlip(p)", "'0.5' at character 27")]
        [InlineData("Resize(size=3, size=4)", "each argument of Resize once", "'size' at character 16")]
        [InlineData("imagenet", "a list of transforms (\"imagenet\" is a preset with separate train and eval transforms: use TransformText.ParsePair)", "'imagenet' at character 1")]
        [InlineData("RandomCrop(32); cifar", "a transform name (presets stand alone, not in a list)", "'cifar' at character 17")]
        [InlineData("  ", "at least one transform or a preset", "nothing at the end")]
        public void Text_errors_name_the_token_the_known_transforms_and_an_example(string text, string expected, string got)
        {
            var error = Assert.Throws<InvalidOptionException>(() => TransformText.Parse(text));
            Assert.Equal($"transforms must be {expected}; {Known}; got {got} of \"{text}\".", error.Message);
            Assert.Equal("transforms", error.Option);
        }

        [Theory]
        [InlineData("Resize(-3)", "Resize size must be a whole number of pixels greater than 0; got -3.")]
        [InlineData("CenterCrop([0, 5])", "CenterCrop height must be a whole number of pixels greater than 0; got 0.")]
        [InlineData("RandomCrop(32, padding=-1)", "RandomCrop padding must be a whole number of pixels, 0 or more; got -1.")]
        [InlineData("RandomCrop(32, padding=[1, 2, 3])", "RandomCrop padding must be one value (every side), two (left/right, top/bottom) or four (left, top, right, bottom), such as padding=4; got [1, 2, 3].")]
        [InlineData("Normalize(mean=[0.5, 0.5, 0.5], std=[0.2, 0, 0.2])", "Normalize std must be finite numbers greater than 0, such as std=[0.229, 0.224, 0.225]; got [0.2, 0.0, 0.2].")]
        [InlineData("Normalize(mean=[0.5, 0.5], std=[0.2])", "Normalize std must be as many values as mean (2); got [0.2].")]
        [InlineData("RandomResizedCrop(224, scale=[1.0, 0.08])", "RandomResizedCrop scale must be a range [min, max] of finite numbers with 0 < min <= max, such as scale=[0.08, 1.0]; got [1.0, 0.08].")]
        [InlineData("RandomResizedCrop(224, ratio=[0, 2])", "RandomResizedCrop ratio must be a range [min, max] of finite numbers with 0 < min <= max, such as ratio=[0.75, 1.3333333333333333]; got [0.0, 2.0].")]
        [InlineData("RandomHorizontalFlip(p=1.5)", "RandomHorizontalFlip p must be a probability between 0 and 1; got 1.5.")]
        [InlineData("ColorJitter(brightness=-0.1)", "ColorJitter brightness must be a finite number 0 or more (the factor is drawn from [max(0, 1 - v), 1 + v]) or a range [min, max]; got -0.1.")]
        [InlineData("ColorJitter(saturation=[1.5, 0.5])", "ColorJitter saturation must be a range [min, max] of finite numbers with 0 <= min <= max, such as saturation=[0.6, 1.4]; got [1.5, 0.5].")]
        [InlineData("Grayscale(2)", "Grayscale num_output_channels must be 1 or 3; got 2.")]
        public void Bad_arguments_name_the_argument_what_it_accepts_and_what_it_got(string text, string message)
        {
            var error = Assert.Throws<InvalidOptionException>(() => TransformText.Parse(text));
            Assert.Equal(message, error.Message);
        }

        [Fact]
        public void Errors_at_apply_time_name_the_sample_and_the_fix()
        {
            using var scope = torch.NewDisposeScope();
            using var grey = new Example(torch.rand(1, 8, 8), torch.tensor(0L), TargetKind.Class, "digits/3/017.png");
            var normalize = TransformPresets.ImageNet(8).Eval;
            var e1 = Assert.Throws<InvalidOptionException>(() => normalize.Apply(grey, new TransformRandom(0, 0, 0)));
            Assert.Equal("Normalize mean and std must be one value or one per channel of the image (digits/3/017.png has 1 channel); convert the images to RGB when reading them (ImageMode.Rgb, --image-mode rgb) or give 1 value; got 3 values.", e1.Message);

            var e2 = Assert.Throws<InvalidDataException>(() => new RandomCrop(40).Apply(grey, new TransformRandom(0, 0, 0)));
            Assert.Equal("digits/3/017.png: RandomCrop of 40x40 is larger than the image (8x8 after padding); pass pad_if_needed=True, more padding, or a Resize before it.", e2.Message);

            using var row = new Example(torch.rand(4), torch.tensor(0L), TargetKind.Class, "data.csv row 3");
            var e3 = Assert.Throws<InvalidDataException>(() => new Resize(8).Apply(row, new TransformRandom(0, 0, 0)));
            Assert.Equal("Resize needs an image [C, H, W]; data.csv row 3 has input [4]. Use it on image sources only.", e3.Message);

            using var rgba = new Example(torch.rand(4, 8, 8), torch.tensor(0L), TargetKind.Class, "logo.png");
            var e4 = Assert.Throws<InvalidDataException>(() => new ColorJitter(0.5).Apply(rgba, new TransformRandom(0, 0, 0)));
            Assert.Equal("ColorJitter needs a grey (1-channel) or RGB (3-channel) image; logo.png has 4 channels.", e4.Message);
        }
    }
}
