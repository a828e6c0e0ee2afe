using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>
    /// torchvision's <c>RandomCrop</c>: pads by <see cref="Padding"/> (constant <see cref="Fill"/>), then with
    /// <see cref="PadIfNeeded"/> pads a side shorter than the crop (by the shortfall on both ends, as torchvision does),
    /// then cuts a box of <see cref="Height"/> x <see cref="Width"/> at a random position. A mask target gets the same
    /// box and is padded with <see cref="IgnoreIndex"/>.
    /// </summary>
    public sealed class RandomCrop : Transform
    {
        /// <summary>A square crop of <paramref name="size"/> after padding every side by <paramref name="padding"/>.</summary>
        public RandomCrop(int size, int padding = 0, bool padIfNeeded = false, double fill = 0)
            : this(size, size, new[] { padding }, padIfNeeded, fill) { }

        /// <summary>
        /// A crop of <paramref name="height"/> x <paramref name="width"/>; <paramref name="padding"/> is torchvision's: one
        /// value for every side, two for left/right and top/bottom, or four for left, top, right, bottom.
        /// </summary>
        /// <exception cref="InvalidOptionException">A size is not positive, a padding is negative or has another count, or the fill is not finite.</exception>
        public RandomCrop(int height, int width, int[] padding, bool padIfNeeded = false, double fill = 0)
        {
            Height = TransformChecks.PositiveSize("RandomCrop height", height);
            Width = TransformChecks.PositiveSize("RandomCrop width", width);
            padding ??= new[] { 0 };
            if (padding.Length is not (1 or 2 or 4))
                throw new InvalidOptionException("RandomCrop padding", "one value (every side), two (left/right, top/bottom) or four (left, top, right, bottom), such as padding=4", TransformFormat.List(padding));
            foreach (var p in padding) TransformChecks.NonNegative("RandomCrop padding", p);
            Padding = padding.Length switch
            {
                1 => (padding[0], padding[0], padding[0], padding[0]),
                2 => (padding[0], padding[1], padding[0], padding[1]),
                _ => (padding[0], padding[1], padding[2], padding[3]),
            };
            _paddingText = padding.Length == 1 ? TransformFormat.Int(padding[0]) : TransformFormat.List(padding);
            PadIfNeeded = padIfNeeded;
            if (!double.IsFinite(fill)) throw new InvalidOptionException("RandomCrop fill", "a finite number (the value of padded pixels)", TransformFormat.Number(fill));
            Fill = fill;
        }

        private readonly string _paddingText;

        /// <summary>Crop height.</summary>
        public int Height { get; }

        /// <summary>Crop width.</summary>
        public int Width { get; }

        /// <summary>Padding added first: left, top, right, bottom.</summary>
        public (int Left, int Top, int Right, int Bottom) Padding { get; }

        /// <summary>Pads an image still smaller than the crop after <see cref="Padding"/> instead of failing.</summary>
        public bool PadIfNeeded { get; }

        /// <summary>The value of padded image pixels (images are in [0, 1]).</summary>
        public double Fill { get; }

        /// <summary>The value of padded mask pixels (the loss ignores it).</summary>
        public long IgnoreIndex { get; init; } = 255;

        /// <summary>
        /// All the padding an image of <paramref name="height"/> x <paramref name="width"/> receives before the crop:
        /// <see cref="Padding"/> plus, with <see cref="PadIfNeeded"/>, the shortfall on both ends of a short side.
        /// </summary>
        public (int Left, int Top, int Right, int Bottom) TotalPadding(int height, int width)
        {
            var (l, t, r, b) = Padding;
            int ph = height + t + b, pw = width + l + r;
            if (PadIfNeeded && pw < Width) { l += Width - pw; r += Width - pw; }
            if (PadIfNeeded && ph < Height) { t += Height - ph; b += Height - ph; }
            return (l, t, r, b);
        }

        /// <summary>
        /// Draws the crop box (torchvision's <c>get_params</c>) for an image of <paramref name="height"/> x
        /// <paramref name="width"/> before padding; the box is in the coordinates of the padded image
        /// (<see cref="TotalPadding"/>). No draw when the padded image is exactly the crop's size.
        /// </summary>
        /// <exception cref="InvalidDataException">The padded image is smaller than the crop.</exception>
        public (int Top, int Left, int Height, int Width) GetParams(int height, int width, TransformRandom random)
        {
            var (l, t, r, b) = TotalPadding(height, width);
            int h = height + t + b, w = width + l + r;
            if (h < Height || w < Width)
                throw new InvalidDataException($"RandomCrop of {Height}x{Width} is larger than the image ({h}x{w} after padding); pass pad_if_needed=True, more padding, or a Resize before it.");
            if (h == Height && w == Width) return (0, 0, h, w);
            int top = random.Int(0, h - Height + 1);
            int left = random.Int(0, w - Width + 1);
            return (top, left, Height, Width);
        }

        /// <inheritdoc/>
        public override Example Apply(Example example, TransformRandom random)
        {
            using var scope = torch.NewDisposeScope();
            var image = ImageFunctions.Image(example, "RandomCrop");
            var mask = ImageFunctions.Mask(example, image);
            int height = (int)image.shape[1], width = (int)image.shape[2];
            (int top, int left, int h, int w) box;
            try { box = GetParams(height, width, random); }
            catch (InvalidDataException e) { throw new InvalidDataException($"{example.Source}: {e.Message}", e); }
            return example.With(Cut(image, height, width, box, Fill), mask is null ? example.Target.alias() : Cut(mask, height, width, box, IgnoreIndex));
        }

        /// <summary>Pads and crops <paramref name="x"/> (an image or a mask) with a box from <see cref="GetParams"/>.</summary>
        internal Tensor Cut(Tensor x, int height, int width, (int Top, int Left, int Height, int Width) box, double fill)
        {
            var (l, t, _, _) = TotalPadding(height, width);
            // The crop of the padded image is a crop of the original shifted by the padding; Crop fills what lies outside.
            return ImageFunctions.Crop(x, box.Top - t, box.Left - l, box.Height, box.Width, fill);
        }

        /// <inheritdoc/>
        public override string ToString() =>
            $"RandomCrop({TransformFormat.SquareOrPair(Height, Width)}, padding={_paddingText}, pad_if_needed={TransformFormat.Bool(PadIfNeeded)}, fill={FillText}" +
            $"{(IgnoreIndex != 255 ? ", ignore_index=" + IgnoreIndex : "")})";

        private string FillText => Fill == Math.Floor(Fill) && Math.Abs(Fill) < 1e9 ? ((long)Fill).ToString(System.Globalization.CultureInfo.InvariantCulture) : TransformFormat.Number(Fill);
    }
}
