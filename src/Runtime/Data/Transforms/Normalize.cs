using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>torchvision's <c>Normalize</c>: (x - mean) / std per channel (one value applies to every channel). A mask target is left alone.</summary>
    public sealed class Normalize : Transform
    {
        /// <summary>Per-channel mean and standard deviation.</summary>
        /// <exception cref="InvalidOptionException">A list is empty or not finite, a std is 0 or less, or the lists differ in length.</exception>
        public Normalize(double[] mean, double[] std)
        {
            Mean = TransformChecks.Finite("Normalize mean", mean, positive: false, "mean=[0.485, 0.456, 0.406]");
            Std = TransformChecks.Finite("Normalize std", std, positive: true, "std=[0.229, 0.224, 0.225]");
            if (Mean.Length != Std.Length)
                throw new InvalidOptionException("Normalize std", $"as many values as mean ({Mean.Length})", TransformFormat.List(Std));
        }

        /// <summary>Per-channel mean.</summary>
        public double[] Mean { get; }

        /// <summary>Per-channel standard deviation (all greater than 0).</summary>
        public double[] Std { get; }

        /// <inheritdoc/>
        public override Example Apply(Example example, TransformRandom random)
        {
            using var scope = torch.NewDisposeScope();
            var image = ImageFunctions.Image(example, "Normalize");
            long c = image.shape[0];
            if (Mean.Length != 1 && Mean.Length != c)
            {
                string convert = c == 1 ? "convert the images to RGB when reading them (ImageMode.Rgb, --image-mode rgb)"
                    : c == 3 ? "convert the images to grey when reading them (ImageMode.Grey, --image-mode grey)" : "give the statistics of each channel";
                throw new InvalidOptionException("Normalize mean and std", $"one value or one per channel of the image ({example.Source} has {c} channel{(c == 1 ? "" : "s")}); {convert} or give {c} value{(c == 1 ? "" : "s")}",
                    $"{Mean.Length} values");
            }
            // As torchvision: the statistics in the image's dtype, subtract then divide.
            var mean = torch.tensor(Mean, dtype: image.dtype).reshape(-1, 1, 1);
            var std = torch.tensor(Std, dtype: image.dtype).reshape(-1, 1, 1);
            return example.With(image.sub(mean).div_(std), example.Target.alias());
        }

        /// <inheritdoc/>
        public override string ToString() => $"Normalize(mean={TransformFormat.List(Mean)}, std={TransformFormat.List(Std)})";
    }
}
