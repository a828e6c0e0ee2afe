using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>
    /// torchvision's <c>Grayscale</c>: luma 0.2989 R + 0.587 G + 0.114 B (a grey image is kept), repeated to
    /// <see cref="NumOutputChannels"/> channels. A mask target is left alone.
    /// </summary>
    public sealed class Grayscale : Transform
    {
        /// <summary>Grey with 1 or 3 output channels.</summary>
        /// <exception cref="InvalidOptionException"><paramref name="numOutputChannels"/> is not 1 or 3.</exception>
        public Grayscale(int numOutputChannels = 1)
        {
            if (numOutputChannels is not (1 or 3))
                throw new InvalidOptionException("Grayscale num_output_channels", "1 or 3", numOutputChannels.ToString(System.Globalization.CultureInfo.InvariantCulture));
            NumOutputChannels = numOutputChannels;
        }

        /// <summary>1 (grey) or 3 (the grey channel repeated, for networks that take RGB).</summary>
        public int NumOutputChannels { get; }

        /// <inheritdoc/>
        public override Example Apply(Example example, TransformRandom random)
        {
            using var scope = torch.NewDisposeScope();
            var image = ImageFunctions.Image(example, "Grayscale");
            ImageFunctions.RequireGreyOrRgb(image, example, "Grayscale");
            var grey = ImageFunctions.Grayscale(image);
            var result = NumOutputChannels == 3 ? grey.expand(3, -1, -1).contiguous() : grey;
            return example.With(result, example.Target.alias());
        }

        /// <inheritdoc/>
        public override string ToString() => $"Grayscale(num_output_channels={NumOutputChannels})";
    }
}
