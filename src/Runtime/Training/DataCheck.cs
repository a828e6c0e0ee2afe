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
        /// <summary>
        /// Checks that <paramref name="data"/> is not empty, fits the model and the task, and (for classes) has only
        /// labels the model can output. Returns the task: <paramref name="task"/>, or the one that fits the data and
        /// the model's output (<see cref="TrainingTask.For"/>).
        /// </summary>
        /// <remarks><paramref name="role"/> is how messages call the set: "training set", "validation set", "data set".</remarks>
        /// <exception cref="InvalidDataException">The set is empty, does not fit the model or the task, or has a label the model cannot output.</exception>
        public static TrainingTask Check(nn.Module<Tensor, Tensor> model, Dataset data, string role, ImageTransform? transform, DeviceSetup? device, long seed = 42, TrainingTask? task = null)
        {
            if (data.Count == 0)
                throw new InvalidDataException($"The {role} '{data.Name}' is empty: it holds no samples.");
            using var scope = torch.NewDisposeScope();
            SameShapes(data, seed);
            var (output, target) = Output(model, data, role, transform ?? ImageTransform.ScaleOnly, device, seed);
            task ??= TrainingTask.For(data, output);
            task.Check(Name(model), data, role, output, target);
            if (task is not ClassificationTask || output.Length != 1) return task;
            long classes = output[0];
            var labels = data.ClassLabels();
            if (labels is null) return task; // checked per batch by the loss
            for (int index = 0; index < labels.Length; index++)
            {
                long label = labels[index];
                if (label >= 0 && label < classes) continue;
                throw new InvalidDataException(
                    $"Label {label} at index {index} of the {role} '{data.Name}' is outside [0, {classes}): {Name(model)} outputs {classes} classes.");
            }
            return task;
        }

        /// <summary>Samples checked for one shape before the first batch when a set does not know its samples' shape.</summary>
        internal const int ShapeProbes = 16;

        /// <summary>
        /// A set that does not know that its samples share a shape (an image folder of photos, a transformed view) is
        /// probed at <see cref="ShapeProbes"/> samples spread over it, transformed as the first epoch transforms them:
        /// images of mixed sizes without a resize are then reported before anything is written, naming two files,
        /// rather than at the first batch that mixes them.
        /// </summary>
        private static void SameShapes(Dataset data, long seed)
        {
            if (data.SampleShape is not null || data.Count < 2) return;
            int n = Math.Min(ShapeProbes, data.Count);
            var probes = new long[n];
            for (int i = 0; i < n; i++) probes[i] = (long)i * (data.Count - 1) / (n - 1);
            using var scope = torch.NewDisposeScope();
            BatchLoader.Collate(data, probes, seed, 1, Environment.ProcessorCount);
        }

        /// <summary>Runs the set's first sample through the model: the output's shape for one sample, and that sample's target.</summary>
        private static (long[] Output, Tensor Target) Output(nn.Module<Tensor, Tensor> model, Dataset data, string role, ImageTransform transform, DeviceSetup? device, long seed)
        {
            bool wasTraining = model.training;
            model.eval();
            try
            {
                using var noGrad = torch.no_grad();
                var (raw, target) = BatchLoader.Collate(data, new long[] { 0 }, seed, 1, 1);
                var x = transform.Apply(raw);
                Tensor logits;
                try
                {
                    logits = model.call(device?.PrepareInput(x) ?? x);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    string sample = data.SampleShape is { } shape ? $"its {(shape.Rank == 3 ? "images" : "samples")} are {Dsl.Shape.Format(shape.ToArray())} and one" : "its first sample";
                    throw new InvalidDataException(
                        $"The {role} '{data.Name}' does not fit {Name(model)}: {sample} becomes {Dsl.Shape.Format(x.shape)} after the transforms ({transform}), which the model rejects: {e.Message} " +
                        "Resize the images to the model's input (a Resize transform, or ImageTransform.Resize) or use a model declared for this size.", e);
                }
                if (logits.dim() < 2 || logits.shape[0] != 1)
                    throw new InvalidDataException(
                        $"{Name(model)} returns {Dsl.Shape.Format(logits.shape)} for one sample of the {role} '{data.Name}'; the trainer needs an output with the batch first ([N, ...]).");
                return (logits.shape[1..], target[0]);
            }
            finally
            {
                model.train(wasTraining);
            }
        }

        private static string Name(nn.Module model) => model.GetType().Name;
    }
}
