using System;
using System.IO;
using System.Linq;
using Dsl.Runtime.Data;
using SkiaSharp;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;

namespace Dsl.Runtime.Tests.Data
{
    public class ImageDecoderTests
    {
        private readonly ITestOutputHelper _output;

        public ImageDecoderTests(ITestOutputHelper output) => _output = output;

        private static byte[] Bytes(torch.Tensor t) => t.data<byte>().ToArray();

        /// <summary>PIL's convert("L"), written out here: ITU-R 601-2 luma in 16-bit fixed point, rounded.</summary>
        private static byte PilLuma(int r, int g, int b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);

        [Fact]
        public void Grey_png_reads_back_its_pixels_exactly_in_grey_and_repeated_in_rgb()
        {
            string dir = TestData.TempDir("decode-grey");
            for (int i = 0; i < 5; i++)
            {
                string path = Path.Combine(dir, $"{i}.png");
                ImageFiles.Write(path, ImageFiles.Fashion(i), 1, 28, 28);
                using var grey = ImageDecoder.Decode(path, ImageMode.Grey);
                Assert.Equal(new long[] { 1, 28, 28 }, grey.shape);
                Assert.Equal(torch.ScalarType.Byte, grey.dtype);
                Assert.Equal(ImageFiles.Fashion(i), Bytes(grey));
                using var rgb = ImageDecoder.Decode(path, ImageMode.Rgb);
                Assert.Equal(new long[] { 3, 28, 28 }, rgb.shape);
                Assert.Equal(ImageFiles.Fashion(i).Concat(ImageFiles.Fashion(i)).Concat(ImageFiles.Fashion(i)).ToArray(), Bytes(rgb));
                Assert.Equal((28, 28), ImageDecoder.ReadSize(path));
            }
        }

        [Fact]
        public void Colour_png_reads_back_its_rgb_exactly_and_grey_is_pils_luma()
        {
            string dir = TestData.TempDir("decode-colour");
            const int h = 17, w = 23; // not square: a transposed read would show
            var random = new Random(7);
            var rgb = new byte[3 * h * w];
            random.NextBytes(rgb);
            // The extremes and the rounding boundary of the luma formula.
            rgb[0] = 255; rgb[h * w] = 255; rgb[2 * h * w] = 255;
            rgb[1] = 0; rgb[h * w + 1] = 0; rgb[2 * h * w + 1] = 0;
            string path = Path.Combine(dir, "colour.png");
            ImageFiles.Write(path, rgb, 3, h, w);

            using var read = ImageDecoder.Decode(path, ImageMode.Rgb);
            Assert.Equal(new long[] { 3, h, w }, read.shape);
            Assert.Equal(rgb, Bytes(read));

            using var grey = ImageDecoder.Decode(path, ImageMode.Grey);
            Assert.Equal(new long[] { 1, h, w }, grey.shape);
            var expected = Enumerable.Range(0, h * w).Select(i => PilLuma(rgb[i], rgb[h * w + i], rgb[2 * h * w + i])).ToArray();
            Assert.Equal(expected, Bytes(grey));
            Assert.Equal(255, Bytes(grey)[0]);
            Assert.Equal(0, Bytes(grey)[1]);
        }

        [SkippableFact]
        public void Colour_and_grey_png_decode_as_pil_converts_them()
        {
            Skip.If(ImageFiles.PilMissing != null, ImageFiles.PilMissing);
            string dir = TestData.TempDir("decode-pil-png");
            const int h = 9, w = 31;
            var random = new Random(11);
            var rgba = new byte[4 * h * w];
            random.NextBytes(rgba);
            var rgb = rgba.AsSpan(0, 3 * h * w).ToArray();
            string[] files = { Path.Combine(dir, "rgb.png"), Path.Combine(dir, "rgba.png"), Path.Combine(dir, "grey.png") };
            ImageFiles.Write(files[0], rgb, 3, h, w);
            ImageFiles.Write(files[1], rgba, 4, h, w);
            ImageFiles.Write(files[2], rgba.AsSpan(0, h * w).ToArray(), 1, h, w);
            var pilRgb = ImageFiles.PilDecode(files, "RGB");
            var pilL = ImageFiles.PilDecode(files, "L");
            for (int i = 0; i < files.Length; i++)
            {
                using var a = ImageDecoder.Decode(files[i], ImageMode.Rgb);
                using var b = ImageDecoder.Decode(files[i], ImageMode.Grey);
                Assert.Equal(pilRgb[i], Bytes(a));
                Assert.Equal(pilL[i], Bytes(b));
            }
        }

        [Fact]
        public void Alpha_is_dropped_keeping_the_stored_colours()
        {
            string dir = TestData.TempDir("decode-alpha");
            const int h = 4, w = 8, n = h * w;
            var rgba = new byte[4 * n];
            new Random(3).NextBytes(rgba);
            for (int i = 0; i < w; i++) rgba[3 * n + i] = 0;        // fully transparent first row
            for (int i = w; i < 2 * w; i++) rgba[3 * n + i] = 128;  // half transparent second row
            string path = Path.Combine(dir, "alpha.png");
            ImageFiles.Write(path, rgba, 4, h, w);
            using var read = ImageDecoder.Decode(path, ImageMode.Rgb);
            Assert.Equal(rgba.AsSpan(0, 3 * n).ToArray(), Bytes(read));
        }

        [Fact]
        public void Jpeg_reads_within_jpeg_tolerance_of_the_pixels_encoded()
        {
            string dir = TestData.TempDir("decode-jpeg");
            for (int i = 0; i < 4; i++)
            {
                var colour = Tinted(ImageFiles.Fashion(i));
                string greyPath = Path.Combine(dir, $"grey{i}.jpg"), colourPath = Path.Combine(dir, $"colour{i}.jpg");
                ImageFiles.Write(greyPath, ImageFiles.Fashion(i), 1, 28, 28, SKEncodedImageFormat.Jpeg, quality: 95);
                ImageFiles.Write(colourPath, colour, 3, 28, 28, SKEncodedImageFormat.Jpeg, quality: 95);
                using var grey = ImageDecoder.Decode(greyPath, ImageMode.Grey);
                using var rgb = ImageDecoder.Decode(colourPath, ImageMode.Rgb);
                Assert.Equal(new long[] { 1, 28, 28 }, grey.shape);
                Assert.Equal(new long[] { 3, 28, 28 }, rgb.shape);
                var (greyMean, greyMax) = Difference(ImageFiles.Fashion(i), Bytes(grey));
                var (rgbMean, rgbMax) = Difference(colour, Bytes(rgb));
                _output.WriteLine($"image {i}: grey mean {greyMean:F2} max {greyMax}; colour mean {rgbMean:F2} max {rgbMax}");
                // Quality 95: within a few levels on average, and far below the pixels' spread at the sharpest edges
                // (colour loses more there to chroma subsampling). A misplaced channel or row would differ by tens.
                Assert.True(greyMean < 2 && greyMax < 40, $"grey JPEG {i}: mean {greyMean}, max {greyMax}");
                Assert.True(rgbMean < 6 && rgbMax < 80, $"colour JPEG {i}: mean {rgbMean}, max {rgbMax}");
            }
        }

        [SkippableFact]
        public void Jpeg_decodes_as_pil_decodes_it()
        {
            Skip.If(ImageFiles.PilMissing != null, ImageFiles.PilMissing);
            string dir = TestData.TempDir("decode-jpeg-pil");
            var files = new System.Collections.Generic.List<string>();
            for (int i = 0; i < 4; i++)
            {
                string g = Path.Combine(dir, $"grey{i}.jpg"), c = Path.Combine(dir, $"colour{i}.jpg");
                ImageFiles.Write(g, ImageFiles.Fashion(i), 1, 28, 28, SKEncodedImageFormat.Jpeg, quality: 80 + 5 * i);
                ImageFiles.Write(c, ImageFiles.Coloured(ImageFiles.Fashion(i), 28, 28), 3, 28, 28, SKEncodedImageFormat.Jpeg, quality: 80 + 5 * i);
                files.Add(g);
                files.Add(c);
            }
            var pilRgb = ImageFiles.PilDecode(files, "RGB");
            var pilL = ImageFiles.PilDecode(files, "L");
            for (int i = 0; i < files.Count; i++)
            {
                using var rgb = ImageDecoder.Decode(files[i], ImageMode.Rgb);
                using var grey = ImageDecoder.Decode(files[i], ImageMode.Grey);
                var (m1, x1) = Difference(pilRgb[i], Bytes(rgb));
                var (m2, x2) = Difference(pilL[i], Bytes(grey));
                _output.WriteLine($"{Path.GetFileName(files[i])}: RGB vs PIL mean {m1:F3} max {x1}; L vs PIL mean {m2:F3} max {x2}");
                Assert.Equal(pilRgb[i], Bytes(rgb));
                Assert.Equal(pilL[i], Bytes(grey));
            }
        }

        [SkippableFact]
        public void Sixteen_bit_pngs_keep_the_high_byte_and_are_refused_as_masks()
        {
            Skip.If(ImageFiles.PilMissing != null, ImageFiles.PilMissing);
            string dir = TestData.TempDir("decode-16bit");
            // PIL writes the 16-bit grey PNG; the 16-bit colour PNG is assembled with zlib (PIL cannot write one).
            const string script = """
                import sys, struct, zlib, base64, numpy as np
                from PIL import Image
                d = sys.argv[1]
                grey = (np.arange(20 * 24).reshape(20, 24) * 137 % 65536).astype(np.uint16)
                Image.fromarray(grey).save(d + '/grey16.png')
                rgb = np.random.RandomState(0).randint(0, 65536, (20, 24, 3)).astype('>u2')
                def chunk(t, b): return struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b) & 0xffffffff)
                raw = b''.join(b'\x00' + rgb[y].tobytes() for y in range(20))
                with open(d + '/rgb16.png', 'wb') as f:
                    f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 24, 20, 16, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
                print(base64.b64encode((grey >> 8).astype(np.uint8).tobytes()).decode())
                """;
            var r = Dsl.Runtime.Tests.PyTorch.PythonTorch.Run(new[] { "-c", script, dir }, TimeSpan.FromMinutes(1));
            Assert.True(r.ExitCode == 0, r.ToString());
            var highBytes = Convert.FromBase64String(r.Output.Trim());

            string rgb16 = Path.Combine(dir, "rgb16.png"), grey16 = Path.Combine(dir, "grey16.png");
            using (var rgb = ImageDecoder.Decode(rgb16, ImageMode.Rgb))
                Assert.Equal(ImageFiles.PilDecode(new[] { rgb16 }, "RGB")[0], Bytes(rgb));
            using (var grey = ImageDecoder.Decode(grey16, ImageMode.Grey))
                Assert.Equal(highBytes, Bytes(grey));

            ImageFiles.Write(Path.Combine(dir, "seg", "images", "x.png"), new byte[3 * 20 * 24], 3, 20, 24);
            Directory.CreateDirectory(Path.Combine(dir, "seg", "masks"));
            File.Copy(grey16, Path.Combine(dir, "seg", "masks", "x.png"));
            var e = Assert.Throws<InvalidDataException>(() => SegmentationFolder.Open(Path.Combine(dir, "seg"), 3));
            Assert.Equal($"{Path.Combine(dir, "seg", "masks", "x.png")}: a mask must be an 8-bit greyscale PNG holding one class index per pixel, but this is a 16-bit greyscale PNG. " +
                "Save the class indices as 8-bit (PIL: Image.fromarray(indices.astype(numpy.uint8)).save(path)).", e.Message);
        }

        [Theory]
        [InlineData("png")]
        [InlineData("jpg")]
        public void A_truncated_image_is_an_error_naming_the_file(string extension)
        {
            string dir = TestData.TempDir("decode-truncated");
            string path = Path.Combine(dir, "cut." + extension);
            ImageFiles.Write(path, ImageFiles.Coloured(ImageFiles.Fashion(0), 28, 28), 3, 28, 28,
                extension == "png" ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg);
            ImageFiles.Truncate(path, 0.6);
            var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(path, ImageMode.Rgb));
            _output.WriteLine(e.Message);
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains("truncated", e.Message);
        }

        [Fact]
        public void A_file_that_is_not_an_image_is_an_error_naming_the_file()
        {
            string dir = TestData.TempDir("decode-unreadable");
            string path = Path.Combine(dir, "notes.png");
            File.WriteAllText(path, "these are notes, not pixels\n");
            var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(path, ImageMode.Rgb));
            Assert.Equal($"{path}: unreadable image: the content is not a JPEG, PNG, BMP or WebP image the decoder recognises. Replace or remove the file.", e.Message);

            string empty = Path.Combine(dir, "empty.jpg");
            File.WriteAllBytes(empty, Array.Empty<byte>());
            var e2 = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(empty, ImageMode.Grey));
            Assert.Equal($"{empty}: the image file is empty (0 bytes); replace it with a readable image or remove it.", e2.Message);
        }

        /// <summary>A brown tint of a grey image (R = v, G = 3v/4, B = v/2), planar [3, 28, 28]: colour with the moderate chroma of photographs.</summary>
        private static byte[] Tinted(byte[] grey) =>
            grey.Concat(grey.Select(v => (byte)(v * 3 / 4))).Concat(grey.Select(v => (byte)(v / 2))).ToArray();

        private static (double Mean, int Max) Difference(byte[] a, byte[] b)
        {
            Assert.Equal(a.Length, b.Length);
            long sum = 0;
            int max = 0;
            for (int i = 0; i < a.Length; i++)
            {
                int d = Math.Abs(a[i] - b[i]);
                sum += d;
                max = Math.Max(max, d);
            }
            return ((double)sum / a.Length, max);
        }
    }
}
