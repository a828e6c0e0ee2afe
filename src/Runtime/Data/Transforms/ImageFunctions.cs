using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>
    /// The deterministic image functions the transforms apply, following torchvision's tensor code path
    /// (<c>torchvision/transforms/functional_tensor.py</c>): images are float [C, H, W], masks int64 [H, W]; every
    /// function works on the last two dimensions. Results belong to the caller's dispose scope.
    /// </summary>
    internal static class ImageFunctions
    {
        /// <summary>
        /// The example's image as float [C, H, W] (uint8 is scaled by 1/255, as the transformed view does before the
        /// first transform); a clear error when the input is not an image.
        /// </summary>
        public static Tensor Image(Example example, string transform)
        {
            var x = example.Input;
            if (x.dim() != 3)
                throw new InvalidDataException($"{transform} needs an image [C, H, W]; {example.Source} has input {Dsl.Shape.Format(x.shape)}. Use it on image sources only.");
            if (x.dtype == ScalarType.Byte) return x.to_type(ScalarType.Float32).div_(255.0);
            if (!x.is_floating_point())
                throw new InvalidDataException($"{transform} needs a float or uint8 image; {example.Source} is {x.dtype}.");
            return x.alias();
        }

        /// <summary>
        /// The example's mask (int64 [H, W]) when its target is a mask, checked to match the image's size; null for
        /// other targets, which geometry leaves alone.
        /// </summary>
        public static Tensor? Mask(Example example, Tensor image)
        {
            if (example.Kind != TargetKind.Mask) return null;
            var m = example.Target;
            long h = image.shape[^2], w = image.shape[^1];
            if (m.dim() != 2 || m.shape[0] != h || m.shape[1] != w)
                throw new InvalidDataException($"the mask of {example.Source} is {Dsl.Shape.Format(m.shape)} but its image is {h}x{w}; a mask needs one class index per pixel of its image [H, W].");
            return m.alias();
        }

        /// <summary>
        /// Pads left, top, right and bottom with a constant (torchvision's <c>pad</c>, mode "constant"); negative
        /// amounts are not allowed.
        /// </summary>
        public static Tensor Pad(Tensor x, int left, int top, int right, int bottom, double fill)
        {
            if (left == 0 && top == 0 && right == 0 && bottom == 0) return x.alias();
            return nn.functional.pad(x, new long[] { left, right, top, bottom }, PaddingModes.Constant, fill);
        }

        /// <summary>
        /// The box at (<paramref name="top"/>, <paramref name="left"/>) of <paramref name="height"/> x
        /// <paramref name="width"/>; the parts outside the image are <paramref name="fill"/> (torchvision's <c>crop</c>,
        /// which pads with 0 for images; masks pass the ignore index).
        /// </summary>
        public static Tensor Crop(Tensor x, int top, int left, int height, int width, double fill = 0)
        {
            int h = (int)x.shape[^2], w = (int)x.shape[^1];
            int right = left + width, bottom = top + height;
            if (left < 0 || top < 0 || right > w || bottom > h)
            {
                // As torchvision: cut what lies inside, then pad the rest.
                int padLeft = Math.Max(-left + Math.Min(0, right), 0);
                int padTop = Math.Max(-top + Math.Min(0, bottom), 0);
                int padRight = Math.Max(right - Math.Max(w, left), 0);
                int padBottom = Math.Max(bottom - Math.Max(h, top), 0);
                var inside = Slice(x, Math.Max(top, 0), Math.Min(Math.Max(bottom, 0), h), Math.Max(left, 0), Math.Min(Math.Max(right, 0), w));
                return Pad(inside, padLeft, padTop, padRight, padBottom, fill);
            }
            return Slice(x, top, bottom, left, right);
        }

        private static Tensor Slice(Tensor x, int top, int bottom, int left, int right)
        {
            bottom = Math.Max(bottom, top);
            right = Math.Max(right, left);
            return x.narrow(-2, top, bottom - top).narrow(-1, left, right - left);
        }

        /// <summary>
        /// Bilinear resize of an image [C, H, W] (align_corners = false; <paramref name="antialias"/> low-pass filters
        /// when shrinking, as torchvision's <c>resize(antialias=True)</c>). The same size returns the image unchanged.
        /// </summary>
        public static Tensor ResizeImage(Tensor image, int height, int width, bool antialias)
        {
            if (image.shape[^2] == height && image.shape[^1] == width) return image.alias();
            using var batch = image.unsqueeze(0);
            using var resized = nn.functional.interpolate(batch, new long[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false, antialias: antialias);
            return resized.squeeze(0);
        }

        /// <summary>
        /// Nearest resize of a mask [H, W] (torch's "nearest": source index floor(dst * in / out)), so no value is
        /// invented; the class indices are carried in float64, exact for any index.
        /// </summary>
        public static Tensor ResizeMask(Tensor mask, int height, int width)
        {
            if (mask.shape[0] == height && mask.shape[1] == width) return mask.alias();
            using var asFloat = mask.to_type(ScalarType.Float64).unsqueeze(0).unsqueeze(0);
            using var resized = nn.functional.interpolate(asFloat, new long[] { height, width }, mode: InterpolationMode.Nearest);
            return resized.squeeze(0).squeeze(0).to_type(ScalarType.Int64);
        }

        /// <summary>Mirrors left to right (torchvision's <c>hflip</c>).</summary>
        public static Tensor HorizontalFlip(Tensor x) => x.flip(-1);

        /// <summary>
        /// Luma 0.2989 R + 0.587 G + 0.114 B as [1, H, W] (torchvision's <c>rgb_to_grayscale</c>); a 1-channel image is copied.
        /// </summary>
        public static Tensor Grayscale(Tensor image)
        {
            if (image.shape[0] == 1) return image.clone();
            using var r = image[0];
            using var g = image[1];
            using var b = image[2];
            using var rw = r.mul(0.2989);
            using var gw = g.mul(0.587);
            using var bw = b.mul(0.114);
            using var sum = rw.add(gw);
            return sum.add_(bw).unsqueeze(0);
        }

        /// <summary>ratio * a + (1 - ratio) * b, clamped to [0, 1] (torchvision's <c>_blend</c> for float images).</summary>
        public static Tensor Blend(Tensor a, Tensor b, double ratio)
        {
            using var wa = a.mul(ratio);
            using var wb = b.mul(1.0 - ratio);
            return wa.add(wb).clamp_(0.0, 1.0);
        }

        /// <summary>torchvision's <c>adjust_brightness</c>: blend with black.</summary>
        public static Tensor AdjustBrightness(Tensor image, double factor)
        {
            using var zeros = torch.zeros_like(image);
            return Blend(image, zeros, factor);
        }

        /// <summary>torchvision's <c>adjust_contrast</c>: blend with the mean of the grey image.</summary>
        public static Tensor AdjustContrast(Tensor image, double factor)
        {
            using var grey = image.shape[0] == 3 ? Grayscale(image) : image.alias();
            using var mean = grey.mean(new long[] { -3, -2, -1 }, keepdim: true);
            return Blend(image, mean, factor);
        }

        /// <summary>torchvision's <c>adjust_saturation</c>: blend with the grey image (a grey image is unchanged).</summary>
        public static Tensor AdjustSaturation(Tensor image, double factor)
        {
            if (image.shape[0] == 1) return image.alias();
            using var grey = Grayscale(image);
            return Blend(image, grey, factor);
        }

        /// <summary>Checks an image has 1 or 3 channels, as torchvision's colour functions require.</summary>
        public static void RequireGreyOrRgb(Tensor image, Example example, string transform)
        {
            long c = image.shape[0];
            if (c != 1 && c != 3)
                throw new InvalidDataException($"{transform} needs a grey (1-channel) or RGB (3-channel) image; {example.Source} has {c} channels.");
        }
    }
}
