using System;
using System.IO;
using Dsl.Runtime.Data;
using Dsl.Runtime.Device;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// Checks a data set against the model before the first batch, so a set that cannot work fails at once and
    /// names itself, instead of after a whole epoch of training (a test set of the wrong image size used to be
    /// found only at the first validation). One image is passed through the model in eval mode without gradients:
    /// nothing about the model changes, and the check works for any module, generated or hand-written.
    /// </summary>
    internal static class DataCheck
    {
        /// <summary>Checks that <paramref name="data"/> is not empty, fits the model and has only labels the model can output.</summary>
        /// <remarks><paramref name="role"/> is how messages call the set: "training set", "validation set", "data set".</remarks>
        /// <exception cref="InvalidDataException">The set is empty, does not fit the model, or has a label the model cannot output.</exception>
        public static void Check(nn.Module<Tensor, Tensor> model, ImageDataset data, string role, ImageTransform? transform, DeviceSetup? device)
        {
            if (data.Count == 0)
                throw new InvalidDataException($"The {role} '{data.Name}' is empty: it holds no images.");
            long classes = Classes(model, data, role, transform ?? ImageTransform.ScaleOnly, device);
            using var scope = torch.NewDisposeScope();
            var bad = data.Labels.lt(0).logical_or_(data.Labels.ge(classes));
            if (!bad.any().item<bool>()) return;
            long index = bad.nonzero()[0, 0].item<long>();
            long label = data.Labels[index].item<long>();
            throw new InvalidDataException(
                $"Label {label} at index {index} of the {role} '{data.Name}' is outside [0, {classes}): {Name(model)} outputs {classes} classes.");
        }

        /// <summary>Runs the set's first image through the model and returns the number of logits it produces.</summary>
        private static long Classes(nn.Module<Tensor, Tensor> model, ImageDataset data, string role, ImageTransform transform, DeviceSetup? device)
        {
            bool wasTraining = model.training;
            model.eval();
            try
            {
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                var x = transform.Apply(data.Images.narrow(0, 0, 1));
                Tensor logits;
                try
                {
                    logits = model.call(device?.PrepareInput(x) ?? x);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    throw new InvalidDataException(
                        $"The {role} '{data.Name}' does not fit {Name(model)}: its images are {Dsl.Shape.Format(data.SampleShape.ToArray())} " +
                        $"and one of them becomes {Dsl.Shape.Format(x.shape)} after the transform ({transform}), which the model rejects: {e.Message} " +
                        "Resize the images to the model's input (ImageTransform.Resize) or use a model declared for this size.", e);
                }
                if (logits.dim() != 2 || logits.shape[0] != 1)
                    throw new InvalidDataException(
                        $"{Name(model)} returns {Dsl.Shape.Format(logits.shape)} for one image of the {role} '{data.Name}'; the trainer needs logits of shape [N, classes].");
                return logits.shape[1];
            }
            finally
            {
                model.train(wasTraining);
            }
        }

        private static string Name(nn.Module model) => model.GetType().Name;
    }
}
