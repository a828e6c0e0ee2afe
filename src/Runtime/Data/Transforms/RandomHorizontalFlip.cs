using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>torchvision's <c>RandomHorizontalFlip</c>: mirrors left to right with probability <see cref="P"/> (a mask target with it).</summary>
    public sealed class RandomHorizontalFlip : Transform
    {
        /// <summary>Flips with probability <paramref name="p"/>.</summary>
        /// <exception cref="InvalidOptionException"><paramref name="p"/> is not in [0, 1].</exception>
        public RandomHorizontalFlip(double p = 0.5) => P = TransformChecks.Probability("RandomHorizontalFlip p", p);

        /// <summary>The probability of a flip.</summary>
        public double P { get; }

        /// <summary>Draws whether to flip (torchvision's <c>torch.rand(1) &lt; p</c>).</summary>
        public bool GetParams(TransformRandom random) => random.Chance(P);

        /// <inheritdoc/>
        public override Example Apply(Example example, TransformRandom random)
        {
            using var scope = torch.NewDisposeScope();
            var image = ImageFunctions.Image(example, "RandomHorizontalFlip");
            var mask = ImageFunctions.Mask(example, image);
            if (!GetParams(random)) return example.With(image, example.Target.alias());
            return example.With(ImageFunctions.HorizontalFlip(image), mask is null ? example.Target.alias() : ImageFunctions.HorizontalFlip(mask));
        }

        /// <inheritdoc/>
        public override string ToString() => $"RandomHorizontalFlip(p={TransformFormat.Number(P)})";
    }
}
