using Dsl.Runtime.Data;
using static TorchSharp.torch;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// What the trainer optimises and reports: a loss over a batch and the task's metrics, the part of a training step
    /// that PyTorch Lightning's <c>training_step</c> holds. The trainer runs batches; the task says what a batch's
    /// output is scored against. The built-in tasks are <see cref="ClassificationTask"/> (class per sample, including
    /// sequence classification), <see cref="SegmentationTask"/> (class per pixel) and <see cref="RegressionTask"/>
    /// (real values); subclass this for your own.
    /// </summary>
    /// <remarks>
    /// Metrics are computed from statistics that add up over batches (correct counts, a confusion matrix, sums of
    /// errors), kept on the device and read once per window of batches, so a metric over an epoch is exact (a mean
    /// IoU is not a mean of batch IoUs) and reading it does not stall the device every batch.
    /// </remarks>
    public abstract class TrainingTask
    {
        /// <summary>The task's name ("classification", "segmentation", "regression").</summary>
        public abstract string Name { get; }

        /// <summary>
        /// The task's main metric, higher is better: what <see cref="EpochMetrics.TrainAccuracy"/> and
        /// <see cref="EpochMetrics.ValAccuracy"/> hold, what early stopping on accuracy watches, and what progress shows.
        /// </summary>
        public abstract string MetricName { get; }

        /// <summary>The main metric's column suffix in metrics.csv (<c>train_acc</c>, <c>val_miou</c>, ...).</summary>
        public abstract string MetricKey { get; }

        /// <summary>Further validation metrics, by column suffix (metrics.csv <c>val_top5</c>, ...), in <see cref="Compute"/>'s order.</summary>
        public virtual IReadOnlyList<string> ExtraMetrics => Array.Empty<string>();

        /// <summary>The batch's mean loss, a float32 scalar with gradients (<paramref name="output"/> is float32).</summary>
        public abstract Tensor Loss(Tensor output, Tensor target);

        /// <summary>
        /// The batch's contribution to the metrics: a float64 vector, of the same length for every batch, that adds up
        /// over batches (called without gradients, on the output's device).
        /// </summary>
        public abstract Tensor Statistics(Tensor output, Tensor target);

        /// <summary>The main metric and the extra metrics from statistics summed over batches.</summary>
        public abstract (double Metric, double[] Extra) Compute(double[] sums);

        /// <summary>
        /// Checks before the first batch that the model's output for one sample (shape without the batch dimension) fits
        /// the data; throws <see cref="InvalidDataException"/> naming the model, the set and the fix.
        /// </summary>
        public virtual void Check(string model, Dataset data, string role, long[] output, Tensor target) { }

        /// <inheritdoc/>
        public override string ToString() => Name;

        /// <summary>
        /// The task that fits <paramref name="data"/>'s targets and the model's output for one sample, where that is
        /// unambiguous: masks are segmentation, values are regression (MSE), next tokens are language modelling, classes are classification.
        /// </summary>
        public static TrainingTask For(Dataset data, long[] output) => data.TargetKind switch
        {
            TargetKind.Mask => new SegmentationTask((int)(output.Length > 0 ? output[0] : 0), data.IgnoreIndex ?? SegmentationTask.DefaultIgnoreIndex),
            TargetKind.Values => new RegressionTask(),
            TargetKind.Tokens => new LanguageModelTask(),
            _ => new ClassificationTask(),
        };

        /// <summary>Reads a task name: classification (or sequence-classification), segmentation, regression, language-model; null for anything else.</summary>
        public static TrainingTask? Parse(string name, int ignoreIndex = SegmentationTask.DefaultIgnoreIndex) => name.Trim().ToLowerInvariant() switch
        {
            "classification" or "sequence-classification" => new ClassificationTask(),
            "segmentation" => new SegmentationTask(0, ignoreIndex),
            "regression" => new RegressionTask(),
            "language-model" or "language-modelling" => new LanguageModelTask(),
            _ => null,
        };
    }
}
