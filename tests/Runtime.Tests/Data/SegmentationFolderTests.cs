using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Dsl.Runtime.Data;
using SkiaSharp;
using TorchSharp;
using Xunit;

namespace Dsl.Runtime.Tests.Data
{
    public class SegmentationFolderTests
    {
        private static readonly SKColor[] ClassColours = { new(20, 30, 40), new(200, 40, 60), new(30, 180, 90) };

        private static byte[] Bytes(torch.Tensor t) => t.data<byte>().ToArray();

        /// <summary>
        /// One scene of the synthetic shapes set: a background (class 0), a rectangle (class 1) and a circle (class 2)
        /// drawn with SkiaSharp, and its mask computed per pixel; the circle's anti-aliased rim is marked 255 (ignore).
        /// Returns the image (planar RGB) and the mask.
        /// </summary>
        private static (byte[] Image, byte[] Mask) Scene(int seed, int w, int h)
        {
            var random = new Random(seed);
            int x0 = random.Next(0, w / 2), y0 = random.Next(0, h / 2), x1 = x0 + random.Next(4, w / 2), y1 = y0 + random.Next(4, h / 2);
            float cx = random.Next(w / 4, 3 * w / 4), cy = random.Next(h / 4, 3 * h / 4), r = random.Next(4, Math.Min(w, h) / 3);
            var mask = new byte[w * h];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    byte c = 0;
                    if (x >= x0 && x < x1 && y >= y0 && y < y1) c = 1;
                    double d = Math.Sqrt((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy));
                    if (d < r - 1) c = 2;
                    else if (d <= r + 1) c = 255;
                    mask[y * w + x] = c;
                }
            using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
            using (var canvas = new SKCanvas(bitmap))
            {
                canvas.Clear(ClassColours[0]);
                using var rect = new SKPaint { Color = ClassColours[1], IsAntialias = false };
                canvas.DrawRect(SKRect.Create(x0, y0, x1 - x0, y1 - y0), rect);
                using var circle = new SKPaint { Color = ClassColours[2], IsAntialias = true };
                canvas.DrawCircle(cx, cy, r, circle);
            }
            var rgba = new byte[w * h * 4];
            for (int y = 0; y < h; y++) Marshal.Copy(bitmap.GetPixels() + y * bitmap.RowBytes, rgba, y * w * 4, w * 4);
            int n = w * h;
            var planar = new byte[3 * n];
            for (int i = 0; i < n; i++)
                for (int c = 0; c < 3; c++) planar[c * n + i] = rgba[4 * i + c];
            return (planar, mask);
        }

        [Fact]
        public void Shapes_set_reads_back_images_and_masks_paired_by_name()
        {
            string root = TestData.TempDir("seg-shapes");
            const int w = 40, h = 30;
            var scenes = new Dictionary<string, (byte[] Image, byte[] Mask)>();
            // Written out of order, some images as JPEG: pairs are found by name and sorted by it.
            foreach (var (stem, ext) in new[] { ("scene03", "png"), ("scene01", "png"), ("scene02", "jpg"), ("scene00", "png"), ("scene10", "png") })
            {
                var (image, mask) = Scene(int.Parse(stem[5..]), w, h);
                ImageFiles.Write(Path.Combine(root, "images", $"{stem}.{ext}"), image, 3, h, w,
                    ext == "png" ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, quality: 95);
                ImageFiles.Write(Path.Combine(root, "masks", $"{stem}.png"), mask, 1, h, w);
                scenes[stem] = (image, mask);
            }
            using var data = SegmentationFolder.Open(root, classes: 3);
            Assert.Equal(TargetKind.Mask, data.TargetKind);
            Assert.Equal(new[] { "0", "1", "2" }, data.ClassNames);
            Assert.Equal(255, data.IgnoreIndex);
            Assert.Equal(new Dsl.Shape(3, h, w), data.SampleShape);
            Assert.Null(data.ClassLabels());
            var stems = new[] { "scene00", "scene01", "scene02", "scene03", "scene10" };
            Assert.Equal(stems.Select(s => (Path.Combine(root, "images", s + (s == "scene02" ? ".jpg" : ".png")), Path.Combine(root, "masks", s + ".png"))), data.Pairs);
            Assert.Equal(5, data.Count);

            for (int i = 0; i < data.Count; i++)
            {
                var (image, mask) = scenes[stems[i]];
                using var e = data.Read(i);
                Assert.Equal(data.Pairs[i].Image, e.Source);
                Assert.Equal(new long[] { 3, h, w }, e.Input.shape);
                Assert.Equal(new long[] { h, w }, e.Target.shape);
                Assert.Equal(torch.ScalarType.Int64, e.Target.dtype);
                Assert.Equal(mask.Select(v => (long)v), e.Target.data<long>().ToArray());
                Assert.Contains(255L, e.Target.data<long>().ToArray());
                var read = Bytes(e.Input);
                if (stems[i] != "scene02") Assert.Equal(image, read);
                // Every labelled pixel shows its class's colour in the image read with it: exactly from PNG, within
                // JPEG's error on average (its sharp class edges ring); a wrongly paired mask would be off by about 100.
                int n = w * h, worst = 0, labelled = 0;
                long total = 0;
                for (int p = 0; p < n; p++)
                {
                    if (mask[p] == 255) continue;
                    var colour = ClassColours[mask[p]];
                    foreach (int d in new[] { read[p] - colour.Red, read[n + p] - colour.Green, read[2 * n + p] - colour.Blue })
                    {
                        worst = Math.Max(worst, Math.Abs(d));
                        total += Math.Abs(d);
                    }
                    labelled++;
                }
                if (stems[i] == "scene02") Assert.True(total / (3.0 * labelled) < 6, $"{stems[i]}: labelled pixels are {total / (3.0 * labelled):F1} levels from their class colours on average");
                else Assert.Equal(0, worst);
            }

            using var grey = new SegmentationFolder(Path.Combine(root, "images"), Path.Combine(root, "masks"), 3, ImageMode.Grey, ignoreIndex: 255, classNames: new[] { "background", "rectangle", "circle" });
            Assert.Equal(new[] { "background", "rectangle", "circle" }, grey.ClassNames);
            Assert.Equal(new Dsl.Shape(1, h, w), grey.SampleShape);
            using var g = grey.Read(0);
            Assert.Equal(new long[] { 1, h, w }, g.Input.shape);
        }

        [Fact]
        public void Sizes_may_differ_between_pairs_and_reads_are_thread_safe()
        {
            string root = TestData.TempDir("seg-sizes");
            for (int i = 0; i < 12; i++)
            {
                int w = 20 + 3 * i, h = 16 + i;
                var (image, mask) = Scene(i, w, h);
                ImageFiles.Write(Path.Combine(root, "images", $"{i:D2}.png"), image, 3, h, w);
                ImageFiles.Write(Path.Combine(root, "masks", $"{i:D2}.png"), mask, 1, h, w);
            }
            using var data = SegmentationFolder.Open(root, classes: 3);
            Assert.Null(data.SampleShape);
            var sequential = Enumerable.Range(0, data.Count).Select(i => { using var e = data.Read(i); return (Bytes(e.Input), e.Target.data<long>().ToArray()); }).ToArray();
            var parallel = new (byte[], long[])[data.Count];
            Parallel.For(0, data.Count * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
            {
                using var e = data.Read(k % data.Count);
                var v = (Bytes(e.Input), e.Target.data<long>().ToArray());
                lock (parallel) parallel[k % data.Count] = v;
            });
            for (int i = 0; i < data.Count; i++)
            {
                Assert.Equal(sequential[i].Item1, parallel[i].Item1);
                Assert.Equal(sequential[i].Item2, parallel[i].Item2);
                Assert.Equal(Scene(i, 20 + 3 * i, 16 + i).Mask.Select(v => (long)v), sequential[i].Item2);
            }
        }

        private static string Pairs(string name, int count, int w = 24, int h = 20)
        {
            string root = TestData.TempDir(name);
            for (int i = 0; i < count; i++)
            {
                var (image, mask) = Scene(i, w, h);
                ImageFiles.Write(Path.Combine(root, "images", $"{i}.jpg"), image, 3, h, w, SKEncodedImageFormat.Jpeg);
                ImageFiles.Write(Path.Combine(root, "masks", $"{i}.png"), mask, 1, h, w);
            }
            return root;
        }

        [Fact]
        public void Unpaired_files_are_named()
        {
            string root = Pairs("seg-unpaired", 3);
            File.Delete(Path.Combine(root, "masks", "1.png"));
            var e = Assert.Throws<InvalidDataException>(() => SegmentationFolder.Open(root, 3));
            Assert.Equal($"1 image(s) have no mask in {Path.Combine(root, "masks")}: {Path.Combine(root, "images", "1.jpg")}. Each image needs a mask with the same name and the extension .png (image x.jpg, mask x.png); add the masks or remove those images.", e.Message);

            File.Delete(Path.Combine(root, "images", "1.jpg"));
            File.Delete(Path.Combine(root, "images", "2.jpg"));
            var e2 = Assert.Throws<InvalidDataException>(() => SegmentationFolder.Open(root, 3));
            Assert.Equal($"1 mask(s) have no image in {Path.Combine(root, "images")}: {Path.Combine(root, "masks", "2.png")}. Each mask needs an image with the same name (mask x.png, image x.jpg or x.png); add the images or remove those masks.", e2.Message);

            var e3 = Assert.Throws<DirectoryNotFoundException>(() => SegmentationFolder.Open(Path.Combine(root, "images"), 3));
            Assert.StartsWith($"The images folder {Path.Combine(root, "images", "images")} not found; segmentation data is a folder of images and a folder of masks", e3.Message);
        }

        [Fact]
        public void A_mask_whose_size_differs_from_its_image_names_both_files_and_sizes()
        {
            string root = Pairs("seg-size", 3);
            var (_, mask) = Scene(1, 23, 20);
            ImageFiles.Write(Path.Combine(root, "masks", "1.png"), mask, 1, 20, 23);
            var e = Assert.Throws<InvalidDataException>(() => SegmentationFolder.Open(root, 3));
            Assert.Equal($"Mask {Path.Combine(root, "masks", "1.png")} is 23x20 (width x height) but its image {Path.Combine(root, "images", "1.jpg")} is 24x20; a mask must have its image's size. " +
                "Resize the mask with nearest-neighbour sampling (never bilinear: it mixes class indices) or re-export it from the image.", e.Message);
        }

        [Fact]
        public void A_mask_value_outside_the_classes_is_named_with_its_pixel_when_read()
        {
            string root = Pairs("seg-value", 2);
            var (_, mask) = Scene(1, 24, 20);
            Assert.True(mask.Take(7 * 24 + 5).All(v => v < 3 || v == 255)); // the first bad value in reading order is the one set here
            mask[7 * 24 + 5] = 7; // x = 5, y = 7
            ImageFiles.Write(Path.Combine(root, "masks", "1.png"), mask, 1, 20, 24);
            using var data = SegmentationFolder.Open(root, 3);
            using (data.Read(0)) { }
            var e = Assert.Throws<InvalidDataException>(() => data.Read(1));
            Assert.Equal($"{Path.Combine(root, "masks", "1.png")}: pixel (x=5, y=7) has value 7, which is neither a class (0 to 2) nor the ignore index 255. Fix the mask, or give the right number of classes (at least 8) or ignore index.", e.Message);

            // With 8 classes the value is a class.
            using var more = SegmentationFolder.Open(root, 8);
            using var ok = more.Read(1);
            Assert.Equal(7L, ok.Target[7, 5].item<long>());
        }

        [Fact]
        public void Masks_must_be_8_bit_grey_pngs_and_options_must_fit_them()
        {
            string root = Pairs("seg-format", 2);
            var colour = new byte[3 * 24 * 20];
            ImageFiles.Write(Path.Combine(root, "masks", "1.png"), colour, 3, 20, 24);
            var e = Assert.Throws<InvalidDataException>(() => SegmentationFolder.Open(root, 3));
            Assert.StartsWith($"{Path.Combine(root, "masks", "1.png")}: a mask must be an 8-bit greyscale PNG holding one class index per pixel, but this is a 8-bit colour or palette PNG image.", e.Message);

            File.Delete(Path.Combine(root, "masks", "1.png"));
            ImageFiles.Write(Path.Combine(root, "masks", "1.jpg"), new byte[24 * 20], 1, 20, 24, SKEncodedImageFormat.Jpeg);
            var e2 = Assert.Throws<InvalidDataException>(() => SegmentationFolder.Open(root, 3));
            Assert.StartsWith($"{Path.Combine(root, "masks")}: masks must be PNG files (lossless, 8-bit greyscale, a class index per pixel), but {Path.Combine(root, "masks", "1.jpg")} is not.", e2.Message);

            var e3 = Assert.Throws<InvalidOptionException>(() => SegmentationFolder.Open(root, 3, ignoreIndex: 2));
            Assert.Equal("ignore index must be a mask value that is not a class: 3 to 255; got 2.", e3.Message);
            var e4 = Assert.Throws<InvalidOptionException>(() => SegmentationFolder.Open(root, 300));
            Assert.Equal("classes must be between 1 and 256 (masks are 8-bit); got 300.", e4.Message);
        }
    }
}
