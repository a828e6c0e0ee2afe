using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>
    /// torchvision's <c>ColorJitter</c> without hue: brightness, contrast and saturation factors drawn uniformly from
    /// their ranges (a number v means [max(0, 1 - v), 1 + v]), applied in a random order with torchvision's
    /// <c>adjust_brightness</c>, <c>adjust_contrast</c> and <c>adjust_saturation</c> (each clamps to [0, 1]). A mask
    /// target is left alone.
    /// </summary>
    public sealed class ColorJitter : Transform
    {
        /// <summary>Index of brightness in <see cref="Params.Order"/>.</summary>
        public const int BrightnessOp = 0;

        /// <summary>Index of contrast in <see cref="Params.Order"/>.</summary>
        public const int ContrastOp = 1;

        /// <summary>Index of saturation in <see cref="Params.Order"/>.</summary>
        public const int SaturationOp = 2;

        private readonly string[] _texts = new string[3];

        /// <summary>Jitter amounts: each factor is drawn from [max(0, 1 - v), 1 + v]; 0 leaves that property alone.</summary>
        /// <exception cref="InvalidOptionException">An amount is negative or not finite.</exception>
        public ColorJitter(double brightness = 0, double contrast = 0, double saturation = 0)
        {
            Brightness = FromAmount("brightness", brightness, BrightnessOp);
            Contrast = FromAmount("contrast", contrast, ContrastOp);
            Saturation = FromAmount("saturation", saturation, SaturationOp);
        }

        /// <summary>Explicit factor ranges [min, max] (null leaves that property alone), as torchvision's tuple arguments.</summary>
        /// <exception cref="InvalidOptionException">A range is empty, negative or not finite.</exception>
        public ColorJitter((double Min, double Max)? brightness, (double Min, double Max)? contrast, (double Min, double Max)? saturation)
        {
            Brightness = FromRange("brightness", brightness, BrightnessOp);
            Contrast = FromRange("contrast", contrast, ContrastOp);
            Saturation = FromRange("saturation", saturation, SaturationOp);
        }

        /// <summary>The brightness factor's range, or null when brightness is not jittered.</summary>
        public (double Min, double Max)? Brightness { get; }

        /// <summary>The contrast factor's range, or null when contrast is not jittered.</summary>
        public (double Min, double Max)? Contrast { get; }

        /// <summary>The saturation factor's range, or null when saturation is not jittered.</summary>
        public (double Min, double Max)? Saturation { get; }

        /// <summary>One draw: the order of the three operations (<see cref="BrightnessOp"/>...) and the factors (null when not jittered).</summary>
        public sealed record Params(int[] Order, double? Brightness, double? Contrast, double? Saturation);

        private (double, double)? FromAmount(string name, double v, int op)
        {
            if (!double.IsFinite(v) || v < 0)
                throw new InvalidOptionException("ColorJitter " + name, "a finite number 0 or more (the factor is drawn from [max(0, 1 - v), 1 + v]) or a range [min, max]", TransformFormat.Number(v));
            _texts[op] = TransformFormat.Number(v);
            return v == 0 ? null : (Math.Max(0, 1 - v), 1 + v);
        }

        private (double, double)? FromRange(string name, (double Min, double Max)? range, int op)
        {
            if (range is not { } r) { _texts[op] = "0.0"; return null; }
            var checkedRange = TransformChecks.Range("ColorJitter " + name, r.Min, r.Max, allowZero: true, $"{name}=[0.6, 1.4]");
            _texts[op] = TransformFormat.List(new[] { r.Min, r.Max });
            // torchvision skips a property whose range is exactly [1, 1].
            return r.Min == 1 && r.Max == 1 ? null : checkedRange;
        }

        /// <summary>Draws the order and the factors as torchvision's <c>get_params</c>: the permutation first, then each factor.</summary>
        public Params GetParams(TransformRandom random)
        {
            var order = random.Permutation(3);
            double? b = Brightness is { } rb ? random.Uniform(rb.Min, rb.Max) : null;
            double? c = Contrast is { } rc ? random.Uniform(rc.Min, rc.Max) : null;
            double? s = Saturation is { } rs ? random.Uniform(rs.Min, rs.Max) : null;
            return new Params(order, b, c, s);
        }

        /// <summary>Applies drawn parameters to an image [C, H, W] (1 or 3 channels) in [0, 1].</summary>
        public static Tensor Apply(Tensor image, Params p)
        {
            using var scope = torch.NewDisposeScope();
            var x = image.alias();
            foreach (int op in p.Order)
            {
                if (op == BrightnessOp && p.Brightness is double b) x = ImageFunctions.AdjustBrightness(x, b);
                else if (op == ContrastOp && p.Contrast is double c) x = ImageFunctions.AdjustContrast(x, c);
                else if (op == SaturationOp && p.Saturation is double s) x = ImageFunctions.AdjustSaturation(x, s);
            }
            return x.MoveToOuterDisposeScope();
        }

        /// <inheritdoc/>
        public override Example Apply(Example example, TransformRandom random)
        {
            using var scope = torch.NewDisposeScope();
            var image = ImageFunctions.Image(example, "ColorJitter");
            ImageFunctions.RequireGreyOrRgb(image, example, "ColorJitter");
            return example.With(Apply(image, GetParams(random)), example.Target.alias());
        }

        /// <inheritdoc/>
        public override string ToString() => $"ColorJitter(brightness={_texts[0]}, contrast={_texts[1]}, saturation={_texts[2]})";
    }
}
