using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>
    /// torchvision's <c>Resize</c>: bilinear (align_corners = false) to a fixed [h, w], or the smaller edge to
    /// <see cref="Size"/> keeping the aspect ratio as torchvision computes it (the longer edge is
    /// <c>int(size * long / short)</c>, truncated). A mask target is resized to the same size with nearest.
    /// </summary>
    public sealed class Resize : Transform
    {
        /// <summary>Resizes the smaller edge to <paramref name="size"/> (the other keeps the aspect ratio).</summary>
        /// <exception cref="InvalidOptionException"><paramref name="size"/> is not positive.</exception>
        public Resize(int size, bool antialias = true)
        {
            Size = TransformChecks.PositiveSize("Resize size", size);
            Antialias = antialias;
        }

        /// <summary>Resizes to exactly <paramref name="height"/> x <paramref name="width"/>.</summary>
        /// <exception cref="InvalidOptionException">A side is not positive.</exception>
        public Resize(int height, int width, bool antialias = true)
        {
            Height = TransformChecks.PositiveSize("Resize height", height);
            Width = TransformChecks.PositiveSize("Resize width", width);
            Antialias = antialias;
        }

        /// <summary>The target of the smaller edge, or null when <see cref="Height"/> and <see cref="Width"/> are fixed.</summary>
        public int? Size { get; }

        /// <summary>The fixed output height, or null when <see cref="Size"/> sets the smaller edge.</summary>
        public int? Height { get; }

        /// <summary>The fixed output width, or null when <see cref="Size"/> sets the smaller edge.</summary>
        public int? Width { get; }

        /// <summary>Low-pass filters when shrinking (torchvision's <c>antialias=True</c>, its default since 0.17). Masks are never filtered.</summary>
        public bool Antialias { get; }

        /// <summary>The output size for an input of <paramref name="height"/> x <paramref name="width"/> (torchvision's <c>_compute_resized_output_size</c>).</summary>
        public (int Height, int Width) OutputSize(int height, int width)
        {
            if (Size is not int size) return (Height!.Value, Width!.Value);
            bool wide = width > height;
            int shortSide = wide ? height : width, longSide = wide ? width : height;
            int newLong = (int)((double)((long)size * longSide) / shortSide);
            return wide ? (size, newLong) : (newLong, size);
        }

        /// <inheritdoc/>
        public override Example Apply(Example example, TransformRandom random)
        {
            using var scope = torch.NewDisposeScope();
            var image = ImageFunctions.Image(example, "Resize");
            var mask = ImageFunctions.Mask(example, image);
            var (h, w) = OutputSize((int)image.shape[1], (int)image.shape[2]);
            var outImage = ImageFunctions.ResizeImage(image, h, w, Antialias);
            var outTarget = mask is null ? example.Target.alias() : ImageFunctions.ResizeMask(mask, h, w);
            return example.With(outImage, outTarget);
        }

        /// <inheritdoc/>
        public override string ToString() =>
            $"Resize({(Size is int s ? TransformFormat.Int(s) : TransformFormat.Size(Height!.Value, Width!.Value))}, antialias={TransformFormat.Bool(Antialias)})";
    }
}
