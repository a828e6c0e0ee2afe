using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// Converts the channels of image samples as PIL's <c>convert</c> does (see <see cref="ImageMode"/>): colour to grey
    /// is PIL's luma, grey to colour repeats the channel; the same conversion the image decoder applies while decoding. Conversion is never implicit: a grey data set meets a 3-channel network only through
    /// <see cref="DataOptions.ImageMode"/> (<c>--image-mode rgb</c>) or <see cref="To"/>.
    /// </summary>
    public static class ChannelConversion
    {
        /// <summary>The mode named <paramref name="word"/>: "rgb", or "grey" ("gray", "l"), any case.</summary>
        /// <exception cref="InvalidOptionException">Another word.</exception>
        public static ImageMode ParseMode(string word) => word?.Trim().ToLowerInvariant() switch
        {
            "rgb" or "colour" or "color" => ImageMode.Rgb,
            "grey" or "gray" or "l" => ImageMode.Grey,
            _ => throw new InvalidOptionException("image mode", "rgb (3 channels) or grey (1 channel)", word ?? ""),
        };

        /// <summary>The channels of <paramref name="mode"/>.</summary>
        public static int Channels(ImageMode mode) => mode == ImageMode.Grey ? 1 : 3;

        /// <summary>
        /// <paramref name="data"/> with every image as <paramref name="mode"/>; a set already in that mode, or whose
        /// samples are not images, is returned unchanged.
        /// </summary>
        public static Dataset To(Dataset data, ImageMode mode)
        {
            if (data.SampleShape is { Rank: 3 } s && s[0] == Channels(mode)) return data;
            if (data.SampleShape is { } other && other.Rank != 3) return data;
            return new ConvertedDataset(data, mode);
        }

        /// <summary>uint8 [C, H, W] (C = 1, 3 or 4; a fourth channel, alpha, is dropped) to <paramref name="mode"/>'s channels.</summary>
        /// <exception cref="ArgumentException">The tensor is not a uint8 image of 1, 3 or 4 channels.</exception>
        public static Tensor Convert(Tensor image, ImageMode mode)
        {
            if (image.dim() != 3 || image.dtype != ScalarType.Byte || image.shape[0] is not (1 or 3 or 4))
                throw new ArgumentException($"expected a uint8 image [C, H, W] with 1, 3 or 4 channels, got {image.dtype} {Dsl.Shape.Format(image.shape)}.", nameof(image));
            using var scope = torch.NewDisposeScope();
            var rgb = image.shape[0] == 4 ? image.narrow(0, 0, 3) : image;
            Tensor result;
            if (mode == ImageMode.Rgb)
                result = rgb.shape[0] == 3 ? rgb.clone() : rgb.expand(3, -1, -1).clone();
            else if (rgb.shape[0] == 1)
                result = rgb.clone();
            else
            {
                var planes = rgb.contiguous().data<byte>().ToArray();
                int n = (int)(rgb.shape[1] * rgb.shape[2]);
                var l = new byte[n];
                for (int i = 0; i < n; i++) l[i] = ImageDecoder.Luma(planes[i], planes[n + i], planes[2 * n + i]);
                result = torch.tensor(l, new long[] { 1, rgb.shape[1], rgb.shape[2] }, ScalarType.Byte);
            }
            return result.MoveToOuterDisposeScope();
        }

        /// <summary>A view whose images are converted when read.</summary>
        private sealed class ConvertedDataset(Dataset source, ImageMode mode) : DatasetView(source)
        {
            private readonly ImageMode _mode = mode;

            public override Dsl.Shape? SampleShape => _source.SampleShape is { Rank: 3 } s ? new Dsl.Shape(Channels(_mode), s[1], s[2]) : null;

            public override Example Read(int index)
            {
                using var raw = _source.Read(index);
                if (raw.Input.dim() != 3 || raw.Input.dtype != ScalarType.Byte)
                    throw new System.IO.InvalidDataException($"{raw.Source} is not an 8-bit image ({raw.Input.dtype} {Dsl.Shape.Format(raw.Input.shape)}), so it cannot be converted to {_mode}; drop the image mode for this data.");
                return raw.With(Convert(raw.Input, _mode), raw.Target.alias());
            }
        }
    }
}
