using Dsl.Runtime.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// A class per pixel, from logits [N, classes, H, W] and masks [N, H, W]: per-pixel cross-entropy that skips
    /// pixels marked with the ignore index; metrics mean IoU (the main one) and pixel accuracy.
    /// </summary>
    /// <remarks>
    /// Both metrics come from one confusion matrix summed over the epoch's non-ignored pixels (rows: true class,
    /// columns: predicted class). IoU of class c = TP / (TP + FP + FN); the mean is over the classes whose union
    /// TP + FP + FN is not empty (a class absent from both the masks and the predictions does not count), which is
    /// torchmetrics' <c>MulticlassJaccardIndex(average="macro", ignore_index=...)</c> on the whole epoch when every
    /// class occurs. Pixel accuracy = trace / total, torchmetrics' <c>MulticlassAccuracy(average="micro")</c>.
    /// </remarks>
    public sealed class SegmentationTask : TrainingTask
    {
        /// <summary>The ignore index of PASCAL VOC and torchvision's segmentation references (the data's default too).</summary>
        public const int DefaultIgnoreIndex = SegmentationFolder.DefaultIgnoreIndex;

        /// <summary>Creates the task for <paramref name="classes"/> classes (0: taken from the model's output at the first batch).</summary>
        public SegmentationTask(int classes, int ignoreIndex = DefaultIgnoreIndex)
        {
            if (classes < 0) throw new InvalidOptionException("classes", "the number of classes (at least 1)", classes.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Classes = classes;
            IgnoreIndex = ignoreIndex;
        }

        /// <summary>Number of classes (the model's output channels).</summary>
        public int Classes { get; private set; }

        /// <summary>The mask value of pixels that are neither scored nor learned.</summary>
        public int IgnoreIndex { get; }

        /// <inheritdoc/>
        public override string Name => "segmentation";

        /// <inheritdoc/>
        public override string MetricName => "mean IoU";

        /// <inheritdoc/>
        public override string MetricKey => "miou";

        /// <inheritdoc/>
        public override IReadOnlyList<string> ExtraMetrics { get; } = new[] { "pixel_acc" };

        /// <inheritdoc/>
        public override Tensor Loss(Tensor output, Tensor target) =>
            nn.functional.cross_entropy(output, target, ignore_index: IgnoreIndex);

        /// <inheritdoc/>
        /// <remarks>The confusion matrix, row-major: entry (true, predicted).</remarks>
        public override Tensor Statistics(Tensor output, Tensor target) => Confusion(output.argmax(1), target);

        /// <summary>The confusion matrix [classes * classes] (float64) of predicted against true classes, ignored pixels left out.</summary>
        public Tensor Confusion(Tensor predicted, Tensor target)
        {
            var keep = target.ne(IgnoreIndex);
            return ClassificationTask.Confusion(predicted.masked_select(keep), target.masked_select(keep), Classes);
        }

        /// <inheritdoc/>
        public override (double Metric, double[] Extra) Compute(double[] sums)
        {
            int c = (int)Math.Round(Math.Sqrt(sums.Length)); // the matrix is classes x classes
            double total = 0, correct = 0, iouSum = 0;
            int present = 0;
            for (int i = 0; i < c; i++)
            {
                double tp = sums[i * c + i], row = 0, column = 0;
                for (int j = 0; j < c; j++)
                {
                    row += sums[i * c + j];
                    column += sums[j * c + i];
                }
                total += row;
                correct += tp;
                double union = row + column - tp;
                if (union > 0)
                {
                    iouSum += tp / union;
                    present++;
                }
            }
            return (present == 0 ? double.NaN : iouSum / present, new[] { total == 0 ? double.NaN : correct / total });
        }

        /// <inheritdoc/>
        public override string ToString() => $"segmentation ({(Classes > 0 ? $"{Classes} classes, " : "")}per-pixel cross-entropy, ignore index {IgnoreIndex}; mean IoU and pixel accuracy)";

        /// <inheritdoc/>
        public override void Check(string model, Dataset data, string role, long[] output, Tensor target)
        {
            if (output.Length != 3 || target.dim() != 2 || output[1] != target.shape[0] || output[2] != target.shape[1])
                throw new InvalidDataException(
                    $"{model} returns {Dsl.Shape.Format(output)} per image of the {role} '{data.Name}', whose masks are {Dsl.Shape.Format(target.shape)}; " +
                    "segmentation needs logits [classes, H, W] of the mask's size.");
            if (Classes == 0) Classes = (int)output[0];
            else if (Classes != output[0])
                throw new InvalidDataException($"{model} outputs {output[0]} classes per pixel but the segmentation task was set up for {Classes}.");
            // A mask set names its classes (SegmentationFolder: "0".."N-1" unless given), through any view of it.
            int dataClasses = data.ClassNames.Count;
            if (dataClasses > 0 && dataClasses != Classes)
                throw new InvalidDataException(
                    $"The masks of the {role} '{data.Name}' have {dataClasses} classes but {model} outputs {Classes} per pixel; give the data the network's class count (--classes {Classes}) or use a network declared for {dataClasses}.");
        }
    }
}
