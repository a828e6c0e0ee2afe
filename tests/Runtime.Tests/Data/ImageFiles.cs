using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Dsl.Runtime.Data;
using Dsl.Runtime.Tests.PyTorch;
using SkiaSharp;

namespace Dsl.Runtime.Tests.Data
{
    /// <summary>Writes test images with SkiaSharp, gives Fashion-MNIST images as bytes, and asks PIL how it decodes a file.</summary>
    internal static class ImageFiles
    {
        private static readonly Lazy<(byte[][] Images, long[] Labels)> FashionImages = new(() =>
        {
            using var train = Mnist.Load(TestData.FashionSubset, MnistVariant.FashionMnist, train: true);
            var pixels = train.Images.data<byte>().ToArray();
            var labels = train.Labels.data<long>().ToArray();
            var images = new byte[train.Count][];
            for (int i = 0; i < images.Length; i++) images[i] = pixels.AsSpan(i * 784, 784).ToArray();
            return (images, labels);
        });

        /// <summary>Fashion-MNIST training image <paramref name="i"/> of the subset: 28x28 grey bytes, row-major.</summary>
        public static byte[] Fashion(int i) => FashionImages.Value.Images[i];

        /// <summary>Its label.</summary>
        public static long FashionLabel(int i) => FashionImages.Value.Labels[i];

        /// <summary>A colour image made from a grey one: R = v, G = 255 - v, B = the image mirrored left-right (planar [3, h, w]).</summary>
        public static byte[] Coloured(byte[] grey, int h, int w)
        {
            int n = h * w;
            var rgb = new byte[3 * n];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    byte v = grey[y * w + x];
                    rgb[y * w + x] = v;
                    rgb[n + y * w + x] = (byte)(255 - v);
                    rgb[2 * n + y * w + x] = grey[y * w + (w - 1 - x)];
                }
            return rgb;
        }

        /// <summary>
        /// Encodes planar pixels [c, h, w] (c = 1 grey, 3 RGB, 4 RGBA unpremultiplied) as <paramref name="format"/>
        /// with SkiaSharp and writes the file (folders created).
        /// </summary>
        public static void Write(string path, byte[] planar, int c, int h, int w, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 95)
        {
            var info = c == 1
                ? new SKImageInfo(w, h, SKColorType.Gray8, SKAlphaType.Opaque)
                : new SKImageInfo(w, h, SKColorType.Rgba8888, c == 4 ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
            using var bitmap = new SKBitmap(info);
            int bpp = c == 1 ? 1 : 4, n = h * w;
            var row = new byte[w * bpp];
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    int i = y * w + x;
                    if (c == 1) { row[x] = planar[i]; continue; }
                    row[4 * x] = planar[i];
                    row[4 * x + 1] = planar[n + i];
                    row[4 * x + 2] = planar[2 * n + i];
                    row[4 * x + 3] = c == 4 ? planar[3 * n + i] : (byte)255;
                }
                Marshal.Copy(row, 0, bitmap.GetPixels() + y * bitmap.RowBytes, row.Length);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var data = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"SkiaSharp could not encode {path} as {format}");
            File.WriteAllBytes(path, data.ToArray());
        }

        /// <summary>Writes a file holding only the first <paramref name="fraction"/> of its bytes (a broken copy).</summary>
        public static void Truncate(string path, double fraction)
        {
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes.AsSpan(0, (int)(bytes.Length * fraction)).ToArray());
        }

        /// <summary>PIL's reason to skip, or null when /usr/bin/python3 imports PIL and numpy.</summary>
        public static string? PilMissing => LazyPil.Value;

        private static readonly Lazy<string?> LazyPil = new(() =>
        {
            if (!File.Exists(PythonTorch.Python)) return PythonTorch.Python + " is not installed";
            var r = PythonTorch.Run(new[] { "-c", "import PIL, numpy" }, TimeSpan.FromMinutes(1));
            return r.ExitCode == 0 ? null : "PIL or numpy is not importable: " + r.Error.Trim();
        });

        /// <summary>
        /// The pixels PIL decodes from each file after <c>convert(mode)</c> ("RGB" or "L"), as planar [C, H, W] bytes
        /// (torchvision's ToTensor layout).
        /// </summary>
        public static byte[][] PilDecode(IReadOnlyList<string> paths, string mode)
        {
            const string script = """
                import sys, base64, numpy as np
                from PIL import Image
                mode = sys.argv[1]
                for p in sys.argv[2:]:
                    with open(p, 'rb') as f:
                        a = np.asarray(Image.open(f).convert(mode))
                    if a.ndim == 2: a = a[None]
                    else: a = a.transpose(2, 0, 1)
                    print(base64.b64encode(np.ascontiguousarray(a).tobytes()).decode())
                """;
            var r = PythonTorch.Run(new[] { "-c", script, mode }.Concat(paths), TimeSpan.FromMinutes(2));
            if (r.ExitCode != 0) throw new InvalidOperationException("PIL failed: " + r);
            var lines = r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length != paths.Count) throw new InvalidOperationException($"PIL gave {lines.Length} images for {paths.Count} files: " + r);
            return lines.Select(Convert.FromBase64String).ToArray();
        }
    }
}
