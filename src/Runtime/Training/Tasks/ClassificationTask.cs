using Dsl.Runtime.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// One class per sample, from logits [N, classes] and class indices [N]: cross-entropy (optionally with label
    /// smoothing, as <c>torch.nn.CrossEntropyLoss(label_smoothing=...)</c>); metrics top-1 accuracy (the main one) and
    /// top-5 accuracy (top-k with k = min(5, classes)). Sequence classification is this task on sequence inputs.
    /// </summary>
    public sealed class ClassificationTask : TrainingTask
    {
        /// <summary>Creates the task.</summary>
        /// <param name="labelSmoothing">In [0, 1): the weight moved from the true class to a uniform distribution.</param>
        public ClassificationTask(double labelSmoothing = 0)
        {
            if (!(labelSmoothing >= 0 && labelSmoothing < 1))
                throw new InvalidOptionException("label smoothing", "a number in [0, 1), such as 0.1", labelSmoothing.ToString(System.Globalization.CultureInfo.InvariantCulture));
            LabelSmoothing = labelSmoothing;
        }

        /// <summary>The label smoothing of the loss.</summary>
        public double LabelSmoothing { get; }

        /// <inheritdoc/>
        public override string Name => "classification";

        /// <inheritdoc/>
        public override string MetricName => "accuracy";

        /// <inheritdoc/>
        public override string MetricKey => "acc";

        /// <inheritdoc/>
        public override IReadOnlyList<string> ExtraMetrics { get; } = new[] { "top5" };

        /// <inheritdoc/>
        public override Tensor Loss(Tensor output, Tensor target) =>
            nn.functional.cross_entropy(output, target, label_smoothing: LabelSmoothing);

        /// <inheritdoc/>
        /// <remarks>[top-1 correct, top-k correct, samples].</remarks>
        public override Tensor Statistics(Tensor output, Tensor target)
        {
            long k = Math.Min(5, output.shape[1]);
            var top = output.topk((int)k, dim: 1).indexes;
            var hits = top.eq(target.unsqueeze(1));
            var top1 = hits.narrow(1, 0, 1).sum().to_type(ScalarType.Float64);
            var topk = hits.any(1).sum().to_type(ScalarType.Float64);
            var n = torch.tensor((double)target.shape[0], ScalarType.Float64, output.device);
            return torch.stack(new[] { top1, topk, n });
        }

        /// <summary>
        /// The confusion matrix [classes * classes] (float64, row-major: entry (true, predicted)) of predicted class
        /// indices against true ones, both int64 [N]. Counts add up over batches; <see cref="ConfusionPicture"/> draws them.
        /// </summary>
        public static Tensor Confusion(Tensor predicted, Tensor target, int classes) =>
            target.mul(classes).add_(predicted).bincount(null, (long)classes * classes).to_type(ScalarType.Float64);

        /// <inheritdoc/>
        public override (double Metric, double[] Extra) Compute(double[] sums)
        {
            double n = sums[2];
            return n == 0 ? (double.NaN, new[] { double.NaN }) : (sums[0] / n, new[] { sums[1] / n });
        }

        /// <inheritdoc/>
        public override string ToString() =>
            "classification (cross-entropy" + (LabelSmoothing > 0 ? $", label smoothing {LabelSmoothing.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "") + "; top-1 and top-5 accuracy)";

        /// <inheritdoc/>
        public override void Check(string model, Dataset data, string role, long[] output, Tensor target)
        {
            if (output.Length != 1)
                throw new InvalidDataException(
                    $"{model} returns {Dsl.Shape.Format(output)} per sample of the {role} '{data.Name}', but classification needs one score per class ([classes]); " +
                    "a network with an output per pixel trains on masks (segmentation), one with real-valued outputs on value targets (regression).");
        }
    }
}
