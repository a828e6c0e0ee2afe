using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>
    /// torchvision's <c>RandomResizedCrop</c>: a box of random area (a fraction in <see cref="Scale"/> of the image's)
    /// and random aspect ratio (log-uniform in <see cref="Ratio"/>), resized to <see cref="Height"/> x
    /// <see cref="Width"/> (bilinear; a mask target gets the same box, resized with nearest).
    /// </summary>
    public sealed class RandomResizedCrop : Transform
    {
        /// <summary>The default area range, torchvision's (0.08, 1.0).</summary>
        public static readonly (double Min, double Max) DefaultScale = (0.08, 1.0);

        /// <summary>The default aspect ratio range, torchvision's (3/4, 4/3).</summary>
        public static readonly (double Min, double Max) DefaultRatio = (3.0 / 4.0, 4.0 / 3.0);

        /// <summary>A square output of <paramref name="size"/> with torchvision's default scale and ratio.</summary>
        public RandomResizedCrop(int size) : this(size, size) { }

        /// <summary>An output of <paramref name="height"/> x <paramref name="width"/>.</summary>
        /// <exception cref="InvalidOptionException">A size is not positive, or a range is empty, not finite or not positive (scale above 1 is allowed, as torchvision).</exception>
        public RandomResizedCrop(int height, int width, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null, bool antialias = true)
        {
            Height = TransformChecks.PositiveSize("RandomResizedCrop height", height);
            Width = TransformChecks.PositiveSize("RandomResizedCrop width", width);
            var s = scale ?? DefaultScale;
            var r = ratio ?? DefaultRatio;
            Scale = TransformChecks.Range("RandomResizedCrop scale", s.Min, s.Max, allowZero: false, "scale=[0.08, 1.0]");
            Ratio = TransformChecks.Range("RandomResizedCrop ratio", r.Min, r.Max, allowZero: false, "ratio=[0.75, 1.3333333333333333]");
            Antialias = antialias;
        }

        /// <summary>Output height.</summary>
        public int Height { get; }

        /// <summary>Output width.</summary>
        public int Width { get; }

        /// <summary>The range of the crop's area as a fraction of the image's.</summary>
        public (double Min, double Max) Scale { get; }

        /// <summary>The range of the crop's aspect ratio (width / height).</summary>
        public (double Min, double Max) Ratio { get; }

        /// <summary>Low-pass filters when shrinking (torchvision's <c>antialias=True</c>).</summary>
        public bool Antialias { get; }

        /// <summary>
        /// Draws the crop box for an image of <paramref name="height"/> x <paramref name="width"/> as torchvision's
        /// <c>get_params</c>: up to 10 attempts of area ~ U(scale) * H * W and ratio = exp(U(log ratio)), kept when the
        /// rounded box fits; otherwise the whole image, cut to the nearest ratio bound, centred. The area and ratio are
        /// float32, as torchvision draws them.
        /// </summary>
        public (int Top, int Left, int Height, int Width) GetParams(int height, int width, TransformRandom random)
        {
            double area = (double)height * width;
            float logLow = MathF.Log((float)Ratio.Min), logHigh = MathF.Log((float)Ratio.Max);
            for (int attempt = 0; attempt < 10; attempt++)
            {
                double targetArea = area * (float)random.Uniform(Scale.Min, Scale.Max);
                double aspect = MathF.Exp((float)random.Uniform(logLow, logHigh));
                int w = (int)Math.Round(Math.Sqrt(targetArea * aspect), MidpointRounding.ToEven);
                int h = (int)Math.Round(Math.Sqrt(targetArea / aspect), MidpointRounding.ToEven);
                if (0 < w && w <= width && 0 < h && h <= height)
                {
                    int top = random.Int(0, height - h + 1);
                    int left = random.Int(0, width - w + 1);
                    return (top, left, h, w);
                }
            }
            double inRatio = (double)width / height;
            int ch, cw;
            if (inRatio < Ratio.Min) { cw = width; ch = (int)Math.Round(cw / Ratio.Min, MidpointRounding.ToEven); }
            else if (inRatio > Ratio.Max) { ch = height; cw = (int)Math.Round(ch * Ratio.Max, MidpointRounding.ToEven); }
            else { cw = width; ch = height; }
            return ((height - ch) / 2, (width - cw) / 2, ch, cw);
        }

        /// <inheritdoc/>
        public override Example Apply(Example example, TransformRandom random)
        {
            using var scope = torch.NewDisposeScope();
            var image = ImageFunctions.Image(example, "RandomResizedCrop");
            var mask = ImageFunctions.Mask(example, image);
            var (top, left, h, w) = GetParams((int)image.shape[1], (int)image.shape[2], random);
            var outImage = ImageFunctions.ResizeImage(ImageFunctions.Crop(image, top, left, h, w), Height, Width, Antialias);
            var outTarget = mask is null ? example.Target.alias() : ImageFunctions.ResizeMask(ImageFunctions.Crop(mask, top, left, h, w), Height, Width);
            return example.With(outImage, outTarget);
        }

        /// <inheritdoc/>
        public override string ToString() =>
            $"RandomResizedCrop({TransformFormat.SquareOrPair(Height, Width)}, scale={TransformFormat.List(new[] { Scale.Min, Scale.Max })}, " +
            $"ratio={TransformFormat.List(new[] { Ratio.Min, Ratio.Max })}, antialias={TransformFormat.Bool(Antialias)})";
    }
}
