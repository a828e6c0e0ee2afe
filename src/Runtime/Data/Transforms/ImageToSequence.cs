using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>
    /// A one-channel image [1, H, W] as a sequence of H steps (its rows) of W features, in the channels-first layout
    /// that <c>Conv1d</c> and the sequence networks take: [W, H] (features, steps). Not a torchvision transform: the
    /// PyTorch twin's train.py defines the same one (<c>x[0].t()</c>), so the text reads the same on both sides.
    /// Use it to train a sequence network on MNIST-style images row by row.
    /// </summary>
    public sealed class ImageToSequence : Transform
    {
        /// <inheritdoc/>
        public override Example Apply(Example example, TransformRandom random)
        {
            var x = example.Input;
            if (x.dim() != 3 || x.shape[0] != 1)
                throw new System.IO.InvalidDataException(
                    $"ImageToSequence: {example.Source} is {Dsl.Shape.Format(x.shape)}, not a one-channel image [1, H, W]; convert colour images with --image-mode grey (or Grayscale()) first.");
            if (example.Kind == TargetKind.Mask)
                throw new System.IO.InvalidDataException($"ImageToSequence: {example.Source} has a mask target; a sequence has no pixels for a mask to follow.");
            using var scope = torch.NewDisposeScope();
            return example.With(x[0].t().contiguous(), example.Target.alias());
        }

        /// <inheritdoc/>
        public override string ToString() => "ImageToSequence()";
    }
}
