using System.Globalization;
using System.Text;

namespace Dsl.Runtime.Training
{
    /// <summary>The numbers of one finished epoch (one row of metrics.csv).</summary>
    public sealed record EpochMetrics
    {
        /// <summary>Epoch number, 1-based.</summary>
        public int Epoch { get; init; }

        /// <summary>Mean training loss over the epoch's samples.</summary>
        public double TrainLoss { get; init; }

        /// <summary>
        /// The task's main metric over the training epoch (model in training mode, weights changing): accuracy for
        /// classification, mean IoU for segmentation, R² for regression (see <see cref="TrainingTask.MetricName"/>).
        /// </summary>
        public double TrainAccuracy { get; init; }

        /// <summary>Validation loss (NaN without validation data).</summary>
        public double ValLoss { get; init; } = double.NaN;

        /// <summary>The task's main metric on the validation data (NaN without validation data).</summary>
        public double ValAccuracy { get; init; } = double.NaN;

        /// <summary>The task's further validation metrics by key (<see cref="TrainingTask.ExtraMetrics"/>: top5, pixel_acc, mae); null without validation data.</summary>
        public Dictionary<string, double>? ValExtra { get; init; }

        /// <summary>Learning rate of the epoch's last step.</summary>
        public double LearningRate { get; init; }

        /// <summary>Wall time of the epoch including validation.</summary>
        public double Seconds { get; init; }

        /// <summary>Training throughput (images per second, training steps only).</summary>
        public double ImagesPerSecond { get; init; }
    }

    /// <summary>
    /// metrics.csv, one row per epoch, invariant culture: <c>epoch,train_loss,train_KEY,val_loss,val_KEY,lr,seconds</c>
    /// then <c>val_EXTRA</c> for each of the task's extra metrics, where KEY is the task's metric
    /// (<see cref="TrainingTask.MetricKey"/>: acc, miou, r2) and EXTRA its extra metrics (top5, pixel_acc, mae).
    /// </summary>
    public static class MetricsCsv
    {
        /// <summary>The header of a classification run.</summary>
        public static string Header { get; } = HeaderFor(new ClassificationTask());

        /// <summary>The header of a run of <paramref name="task"/>.</summary>
        public static string HeaderFor(TrainingTask task)
        {
            var columns = new List<string> { "epoch", "train_loss", "train_" + task.MetricKey, "val_loss", "val_" + task.MetricKey, "lr", "seconds" };
            foreach (var e in task.ExtraMetrics) columns.Add("val_" + e);
            return string.Join(",", columns);
        }

        /// <summary>One CSV row of a classification run.</summary>
        public static string Row(EpochMetrics m) => Row(m, new ClassificationTask());

        /// <summary>One CSV row of a run of <paramref name="task"/>.</summary>
        public static string Row(EpochMetrics m, TrainingTask task)
        {
            var cells = new List<string>
            {
                m.Epoch.ToString(CultureInfo.InvariantCulture), F(m.TrainLoss), F(m.TrainAccuracy), F(m.ValLoss), F(m.ValAccuracy),
                m.LearningRate.ToString("G6", CultureInfo.InvariantCulture), m.Seconds.ToString("F2", CultureInfo.InvariantCulture),
            };
            foreach (var e in task.ExtraMetrics) cells.Add(m.ValExtra is { } x && x.TryGetValue(e, out var v) ? F(v) : "");
            return string.Join(",", cells);
        }

        private static string F(double v) => double.IsNaN(v) ? "" : v.ToString("F6", CultureInfo.InvariantCulture);

        /// <summary>Writes the whole file (header and every row) atomically.</summary>
        /// <exception cref="OutputWriteException">The write failed; the previous file is unchanged.</exception>
        public static void Write(string path, IReadOnlyList<EpochMetrics> rows, TrainingTask? task = null) => Write(path, rows, task ?? new ClassificationTask(), null);

        internal static void Write(string path, IReadOnlyList<EpochMetrics> rows, TrainingTask task, Func<string, Stream, Stream>? filter)
        {
            var sb = new StringBuilder().Append(HeaderFor(task)).Append('\n');
            foreach (var r in rows) sb.Append(Row(r, task)).Append('\n');
            byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
            AtomicFile.Write(path, s => s.Write(bytes), filter);
        }

        /// <summary>Appends one row (writing the header first when the file is new).</summary>
        public static void Append(string path, EpochMetrics row)
        {
            bool fresh = !File.Exists(path) || new FileInfo(path).Length == 0;
            using var w = new StreamWriter(path, append: true);
            if (fresh) w.Write(Header + "\n");
            w.Write(Row(row) + "\n");
        }
    }

    /// <summary>
    /// Keeps metrics.csv equal to the run's finished epochs. The whole file is rewritten (atomically) at the start
    /// and after every epoch: at the start from the checkpoint a resumed run continues, which drops rows written
    /// after that checkpoint by a process that died, so the file never holds an epoch twice.
    /// </summary>
    internal sealed class MetricsCsvCallback : TrainingCallback
    {
        private static string PathIn(TrainingContext c) => Path.Combine(c.OutputDir, Trainer.MetricsCsvName);

        public override void OnTrainStart(TrainingContext context) => MetricsCsv.Write(PathIn(context), context.Metrics, context.Task, context.Options.WriteFilter);

        public override void OnEpochEnd(TrainingContext context, EpochMetrics metrics) => MetricsCsv.Write(PathIn(context), context.Metrics, context.Task, context.Options.WriteFilter);
    }
}
