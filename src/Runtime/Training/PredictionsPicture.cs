using System.Globalization;
using Dsl.Runtime.Data;
using Dsl.Runtime.Device;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// The picture of a segmentation model's predictions (<c>predictions.png</c>): for the first up to
    /// <see cref="MaxSamples"/> samples of a set, one row each of image | true mask | predicted mask, masks coloured
    /// with PASCAL VOC's palette (<see cref="ClassColor"/>), ignored pixels in <see cref="IgnoreColor"/>, and a legend
    /// of the class colours below. Drawn with SkiaSharp.
    /// </summary>
    /// <remarks>
    /// The image is the network's input for that sample (after the set's transforms), with the batch normalisation of
    /// the <see cref="ImageTransform"/> undone; if its values still leave [0, 1] (a Normalize among the per-sample
    /// transforms), it is min-max scaled per image for display. One channel is shown grey, three or more as RGB (the
    /// first three). Panels are the mask's size, enlarged by a whole factor to at least <see cref="MinPanel"/> pixels
    /// (nearest neighbour, so each mask pixel is a uniform block) or reduced to at most <see cref="MaxPanel"/>.
    /// </remarks>
    public static class PredictionsPicture
    {
        /// <summary>Name of the picture in the run folder.</summary>
        public const string FileName = "predictions.png";

        /// <summary>The most samples drawn.</summary>
        public const int MaxSamples = 8;

        /// <summary>A panel's longer side is enlarged to at least this many pixels.</summary>
        public const int MinPanel = 128;

        /// <summary>A panel's longer side is reduced to at most this many pixels.</summary>
        public const int MaxPanel = 256;

        /// <summary>Space between and around the panels, in pixels.</summary>
        internal const int Margin = 8;

        /// <summary>Height of the column titles above the panels.</summary>
        internal const int Header = 24;

        /// <summary>The colour of ignored pixels: PASCAL VOC's "void" colour (its masks' index 255).</summary>
        public static SKColor IgnoreColor { get; } = new(224, 224, 192);

        /// <summary>
        /// The colour of class <paramref name="index"/>: PASCAL VOC's colour map (the bits of the index spread over
        /// R, G and B from the high bit down; 0 is black, 1 dark red, 2 dark green, 3 olive, ...), repeating after 255.
        /// </summary>
        public static SKColor ClassColor(int index)
        {
            int c = ((index % 256) + 256) % 256;
            int r = 0, g = 0, b = 0;
            for (int j = 0; j < 8; j++)
            {
                r |= ((c >> 0) & 1) << (7 - j);
                g |= ((c >> 1) & 1) << (7 - j);
                b |= ((c >> 2) & 1) << (7 - j);
                c >>= 3;
            }
            return new SKColor((byte)r, (byte)g, (byte)b);
        }

        /// <summary>
        /// Runs <paramref name="model"/> (eval mode, no gradients; the previous mode is restored) on the first up to
        /// <paramref name="samples"/> samples of <paramref name="data"/>, read as the validation loader reads them
        /// (epoch 1, <paramref name="seed"/>, <paramref name="transform"/>), and writes the picture to
        /// <paramref name="path"/> atomically.
        /// </summary>
        /// <exception cref="OutputWriteException">The file could not be written (the previous one is unchanged).</exception>
        public static void Save(string path, nn.Module<Tensor, Tensor> model, Dataset data, SegmentationTask task, ImageTransform? transform = null,
            DeviceSetup? device = null, long seed = 42, int samples = MaxSamples) =>
            Save(path, model, data, task, transform, device, seed, samples, null);

        internal static void Save(string path, nn.Module<Tensor, Tensor> model, Dataset data, SegmentationTask task, ImageTransform? transform,
            DeviceSetup? device, long seed, int samples, Func<string, Stream, Stream>? filter)
        {
            int n = Math.Min(samples, data.Count);
            if (n <= 0) throw new ArgumentException($"'{data.Name}' has no samples to draw.", nameof(data));
            transform ??= ImageTransform.ScaleOnly;
            var loader = new BatchLoader(data, n, shuffle: false, seed: seed, transform: transform, prefetch: 0);
            bool wasTraining = model.training;
            model.eval();
            try
            {
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                Tensor? images = null, masks = null, predicted = null;
                foreach (var batch in loader.Epoch(1))
                {
                    using (batch)
                    {
                        var x = device?.PrepareInput(batch.X) ?? batch.X;
                        predicted = model.call(x).argmax(1).cpu();
                        masks = batch.Y.cpu().alias();
                        images = Displayable(batch.X.cpu(), transform);
                    }
                    break;
                }
                byte[] png = Draw(images!, masks!, predicted!, task, data.ClassNames);
                AtomicFile.Write(path, s => s.Write(png), filter);
            }
            finally
            {
                model.train(wasTraining);
            }
        }

        /// <summary>
        /// The displayed image of each sample as bytes [N, h, w, 3] (RGB), or null when the input is not an image
        /// batch [N, C, h, w]: normalisation undone, then min-max scaled per image if still outside [0, 1].
        /// </summary>
        internal static Tensor? Displayable(Tensor x, ImageTransform transform)
        {
            if (x.dim() != 4) return null;
            using var scope = torch.NewDisposeScope();
            x = x.to_type(ScalarType.Float32);
            long channels = x.shape[1];
            if (transform.Mean is not null && transform.Std is not null && (transform.Mean.Length == 1 || transform.Mean.Length == channels))
            {
                var mean = torch.tensor(transform.Mean.Select(v => (float)v).ToArray()).reshape(1, -1, 1, 1);
                var std = torch.tensor(transform.Std.Select(v => (float)v).ToArray()).reshape(1, -1, 1, 1);
                x = x.mul(std).add_(mean);
            }
            const float slack = 1e-3f;
            if (x.min().item<float>() < -slack || x.max().item<float>() > 1 + slack)
            {
                var flat = x.flatten(1);
                var lo = flat.amin(new long[] { 1 }, keepdim: true);
                var hi = flat.amax(new long[] { 1 }, keepdim: true);
                x = flat.sub(lo).div_(hi.sub(lo).clamp_min_(1e-12)).reshape(x.shape);
            }
            x = channels >= 3 ? x.narrow(1, 0, 3) : x.narrow(1, 0, 1).expand(-1, 3, -1, -1);
            return x.clamp(0, 1).mul_(255).round_().to_type(ScalarType.Byte).permute(0, 2, 3, 1).contiguous().MoveToOuterDisposeScope();
        }

        /// <summary>The panel size for masks of <paramref name="height"/> x <paramref name="width"/>.</summary>
        internal static (int Width, int Height) PanelSize(int height, int width)
        {
            int longer = Math.Max(height, width);
            if (longer < MinPanel)
            {
                int factor = (MinPanel + longer - 1) / longer;
                return (width * factor, height * factor);
            }
            if (longer > MaxPanel)
            {
                double f = (double)MaxPanel / longer;
                return (Math.Max(1, (int)Math.Round(width * f)), Math.Max(1, (int)Math.Round(height * f)));
            }
            return (width, height);
        }

        /// <summary>Top-left corner of the panel of sample <paramref name="row"/>, column 0 image, 1 true mask, 2 prediction.</summary>
        internal static (int X, int Y) PanelOrigin(int row, int column, int panelWidth, int panelHeight) =>
            (Margin + column * (panelWidth + Margin), Header + row * (panelHeight + Margin));

        private static byte[] Draw(Tensor? images, Tensor masks, Tensor predicted, SegmentationTask task, IReadOnlyList<string> classNames)
        {
            int n = (int)masks.shape[0], h = (int)masks.shape[1], w = (int)masks.shape[2];
            var (pw, ph) = PanelSize(h, w);
            int classes = task.Classes;
            using var typeface = SKTypeface.FromFamilyName(ScottPlot.Fonts.Default) ?? SKTypeface.Default;
            using var font = new SKFont(typeface, 13);
            using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };

            // Legend entries: a swatch and the class name, wrapped into lines of the picture's width.
            int width = 3 * pw + 4 * Margin;
            var legend = new List<(SKColor Color, string Label)>();
            for (int c = 0; c < classes; c++)
                legend.Add((ClassColor(c), c < classNames.Count && classNames[c].Length > 0 ? classNames[c] : c.ToString(CultureInfo.InvariantCulture)));
            legend.Add((IgnoreColor, "ignored"));
            const int line = 20, swatch = 12;
            var placed = new List<(int X, int Line, SKColor Color, string Label)>();
            int lx = Margin, lines = 1;
            foreach (var (color, label) in legend)
            {
                int entry = swatch + 4 + (int)Math.Ceiling(font.MeasureText(label)) + 12;
                if (lx + entry > width - Margin && lx > Margin)
                {
                    lx = Margin;
                    lines++;
                }
                placed.Add((lx, lines - 1, color, label));
                lx += entry;
            }
            int legendTop = Header + n * (ph + Margin);
            int height = legendTop + lines * line + Margin;

            using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
            using (var canvas = new SKCanvas(bitmap))
            {
                canvas.Clear(SKColors.White);
                string[] titles = { "image", "true mask", "predicted" };
                for (int col = 0; col < 3; col++)
                    canvas.DrawText(titles[col], Margin + col * (pw + Margin), Header - 7, SKTextAlign.Left, font, text);

                long[] truth = masks.to_type(ScalarType.Int64).contiguous().data<long>().ToArray();
                long[] guess = predicted.to_type(ScalarType.Int64).contiguous().data<long>().ToArray();
                byte[]? pixels = images?.contiguous().data<byte>().ToArray();
                int ih = images is null ? 0 : (int)images.shape[1], iw = images is null ? 0 : (int)images.shape[2];
                var nearest = new SKSamplingOptions(SKFilterMode.Nearest);
                var linear = new SKSamplingOptions(SKFilterMode.Linear);
                for (int i = 0; i < n; i++)
                {
                    if (pixels is not null)
                    {
                        using var image = Rgb(pixels, i, ih, iw);
                        Blit(canvas, image, PanelOrigin(i, 0, pw, ph), pw, ph, ih > ph || iw > pw ? linear : nearest);
                    }
                    using var trueMask = Colour(truth, i, h, w, task.IgnoreIndex);
                    Blit(canvas, trueMask, PanelOrigin(i, 1, pw, ph), pw, ph, nearest);
                    using var guessMask = Colour(guess, i, h, w, null);
                    Blit(canvas, guessMask, PanelOrigin(i, 2, pw, ph), pw, ph, nearest);
                }

                using var fill = new SKPaint { IsAntialias = false };
                foreach (var (x, l, color, label) in placed)
                {
                    int top = legendTop + l * line;
                    fill.Color = color;
                    canvas.DrawRect(x, top + 3, swatch, swatch, fill);
                    canvas.DrawText(label, x + swatch + 4, top + 3 + swatch - 1, SKTextAlign.Left, font, text);
                }
            }
            using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            return encoded.ToArray();
        }

        private static void Blit(SKCanvas canvas, SKImage image, (int X, int Y) origin, int width, int height, SKSamplingOptions sampling) =>
            canvas.DrawImage(image, new SKRect(origin.X, origin.Y, origin.X + width, origin.Y + height), sampling);

        private static SKImage Rgb(byte[] pixels, int sample, int h, int w)
        {
            var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque);
            var rgba = new byte[w * h * 4];
            int start = sample * h * w * 3;
            for (int p = 0; p < w * h; p++)
            {
                rgba[4 * p] = pixels[start + 3 * p];
                rgba[4 * p + 1] = pixels[start + 3 * p + 1];
                rgba[4 * p + 2] = pixels[start + 3 * p + 2];
                rgba[4 * p + 3] = 255;
            }
            return SKImage.FromPixelCopy(info, rgba);
        }

        /// <summary>
        /// A mask in class colours, <paramref name="ignoreIndex"/> in <see cref="IgnoreColor"/>. Predictions are drawn
        /// without one: they show what the model predicts everywhere, also where the true mask is ignored.
        /// </summary>
        private static SKImage Colour(long[] mask, int sample, int h, int w, int? ignoreIndex)
        {
            var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque);
            var rgba = new byte[w * h * 4];
            int start = sample * h * w;
            for (int p = 0; p < w * h; p++)
            {
                long v = mask[start + p];
                var c = v == ignoreIndex ? IgnoreColor : ClassColor((int)v);
                rgba[4 * p] = c.Red;
                rgba[4 * p + 1] = c.Green;
                rgba[4 * p + 2] = c.Blue;
                rgba[4 * p + 3] = 255;
            }
            return SKImage.FromPixelCopy(info, rgba);
        }
    }
}
