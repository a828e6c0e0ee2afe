using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>
    /// torchvision's <c>CenterCrop</c>: the central <see cref="Height"/> x <see cref="Width"/> box, its offsets rounded
    /// as torchvision does (<c>round((H - h) / 2)</c>, half to even); an image smaller than the box is padded with 0
    /// (the extra pixel on the bottom/right), a mask with <see cref="IgnoreIndex"/>.
    /// </summary>
    public sealed class CenterCrop : Transform
    {
        /// <summary>A square crop of <paramref name="size"/>.</summary>
        public CenterCrop(int size) : this(size, size) { }

        /// <summary>A crop of <paramref name="height"/> x <paramref name="width"/>.</summary>
        /// <exception cref="InvalidOptionException">A side is not positive.</exception>
        public CenterCrop(int height, int width)
        {
            Height = TransformChecks.PositiveSize("CenterCrop height", height);
            Width = TransformChecks.PositiveSize("CenterCrop width", width);
        }

        /// <summary>Output height.</summary>
        public int Height { get; }

        /// <summary>Output width.</summary>
        public int Width { get; }

        /// <summary>The value of mask pixels added when the image is smaller than the crop (the loss ignores it).</summary>
        public long IgnoreIndex { get; init; } = 255;

        /// <summary>
        /// The top-left corner of the crop in an image of <paramref name="height"/> x <paramref name="width"/>; negative
        /// where the image is smaller than the crop (that part is padding).
        /// </summary>
        public (int Top, int Left) Offsets(int height, int width) => (Offset(height, Height), Offset(width, Width));

        // Larger crop: torchvision pads (crop - size) // 2 before and crops at 0; otherwise round half to even, as Python's round.
        private static int Offset(int size, int crop) =>
            crop > size ? -((crop - size) / 2) : (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven);

        /// <inheritdoc/>
        public override Example Apply(Example example, TransformRandom random)
        {
            using var scope = torch.NewDisposeScope();
            var image = ImageFunctions.Image(example, "CenterCrop");
            var mask = ImageFunctions.Mask(example, image);
            var (top, left) = Offsets((int)image.shape[1], (int)image.shape[2]);
            var outImage = ImageFunctions.Crop(image, top, left, Height, Width, 0);
            var outTarget = mask is null ? example.Target.alias() : ImageFunctions.Crop(mask, top, left, Height, Width, IgnoreIndex);
            return example.With(outImage, outTarget);
        }

        /// <inheritdoc/>
        public override string ToString() =>
            $"CenterCrop({TransformFormat.SquareOrPair(Height, Width)}{(IgnoreIndex != 255 ? ", ignore_index=" + IgnoreIndex : "")})";
    }
}
