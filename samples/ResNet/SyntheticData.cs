using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using SkiaSharp;

namespace ResNetSample
{
    /// <summary>
    /// Small synthetic data sets for the tasks the catalogue's non-classifiers learn (<c>make-data</c>), written in the
    /// formats the runtime reads: a segmentation folder of grey shapes and a CSV regression table. Seeded: the same
    /// arguments write the same files.
    /// </summary>
    public static class SyntheticData
    {
        /// <summary>
        /// Grey <paramref name="size"/>x<paramref name="size"/> images of one to three bright rectangles and discs on a
        /// noisy darker background, with 8-bit masks: 1 inside a shape, 0 outside. Writes <c>root/train</c> and
        /// <c>root/val</c>, each with <c>images/</c> and <c>masks/</c> (the layout <c>--format segmentation</c> reads).
        /// </summary>
        public static void Shapes(string root, int train = 2000, int val = 400, int size = 32, int seed = 1)
        {
            var rng = new Random(seed);
            foreach (var (split, count) in new[] { ("train", train), ("val", val) })
            {
                for (int i = 0; i < count; i++)
                {
                    var image = new byte[size * size];
                    var mask = new byte[size * size];
                    int background = rng.Next(20, 90);
                    int shapes = rng.Next(1, 4);
                    for (int s = 0; s < shapes; s++)
                    {
                        int brightness = rng.Next(150, 256);
                        int cx = rng.Next(size), cy = rng.Next(size), r = rng.Next(3, size / 4 + 1);
                        bool disc = rng.Next(2) == 0;
                        for (int y = 0; y < size; y++)
                            for (int x = 0; x < size; x++)
                            {
                                bool inside = disc ? (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r : Math.Abs(x - cx) <= r && Math.Abs(y - cy) <= r * 2 / 3;
                                if (!inside) continue;
                                mask[y * size + x] = 1;
                                image[y * size + x] = (byte)brightness;
                            }
                    }
                    for (int p = 0; p < image.Length; p++)
                    {
                        int v = (mask[p] == 1 ? image[p] : background) + rng.Next(-40, 41); // noise: the classes overlap pixel by pixel
                        image[p] = (byte)Math.Clamp(v, 0, 255);
                    }
                    string name = $"{i:D5}.png";
                    WriteGrey(Path.Combine(root, split, "images", name), image, size);
                    WriteGrey(Path.Combine(root, split, "masks", name), mask, size);
                }
            }
        }

        /// <summary>
        /// A text corpus every Debian system has: the license texts of <c>/usr/share/common-licenses</c> (package
        /// base-files, essential), in file-name order, separated by blank lines (about 450,000 characters).
        /// </summary>
        /// <returns>The number of files and characters written.</returns>
        public static (int Files, int Characters) Licenses(string path, string folder = "/usr/share/common-licenses")
        {
            if (!Directory.Exists(folder))
                throw new DirectoryNotFoundException($"{folder} does not exist (it comes with Debian's base-files package); give any UTF-8 text file to train on instead.");
            var files = Directory.GetFiles(folder).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            var text = string.Join("\n\n", files.Select(File.ReadAllText));
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null) Directory.CreateDirectory(directory);
            File.WriteAllText(path, text, new UTF8Encoding(false));
            return (files.Length, text.Length);
        }

        /// <summary>
        /// A regression table: 8 features uniform in [-1, 1] and y = sin(pi x0) + x1 x2 + 0.5 x3^2 - x4 + 0.3 x5 + noise
        /// (normal, standard deviation 0.1; x6 and x7 do not matter). Header <c>x0,...,x7,y</c>.
        /// </summary>
        public static void Regression(string path, int rows = 4000, int seed = 1)
        {
            var rng = new Random(seed);
            var sb = new StringBuilder("x0,x1,x2,x3,x4,x5,x6,x7,y\n");
            var x = new double[8];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < 8; j++) x[j] = rng.NextDouble() * 2 - 1;
                double noise = 0.1 * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                double y = Math.Sin(Math.PI * x[0]) + x[1] * x[2] + 0.5 * x[3] * x[3] - x[4] + 0.3 * x[5] + noise;
                foreach (var v in x) sb.Append(v.ToString("F5", CultureInfo.InvariantCulture)).Append(',');
                sb.Append(y.ToString("F5", CultureInfo.InvariantCulture)).Append('\n');
            }
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            File.WriteAllText(path, sb.ToString());
        }

        private static void WriteGrey(string path, byte[] pixels, int size)
        {
            using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Gray8, SKAlphaType.Opaque));
            for (int y = 0; y < size; y++) Marshal.Copy(pixels, y * size, bitmap.GetPixels() + y * bitmap.RowBytes, size);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100) ?? throw new IOException($"could not encode {path}");
            File.WriteAllBytes(path, data.ToArray());
        }
    }
}
