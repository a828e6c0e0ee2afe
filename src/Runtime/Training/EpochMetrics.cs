using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
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

        /// <summary>Training accuracy over the epoch (model in training mode, weights changing).</summary>
        public double TrainAccuracy { get; init; }

        /// <summary>Validation loss (NaN without validation data).</summary>
        public double ValLoss { get; init; } = double.NaN;

        /// <summary>Validation accuracy (NaN without validation data).</summary>
        public double ValAccuracy { get; init; } = double.NaN;

        /// <summary>Learning rate of the epoch's last step.</summary>
        public double LearningRate { get; init; }

        /// <summary>Wall time of the epoch including validation.</summary>
        public double Seconds { get; init; }

        /// <summary>Training throughput (images per second, training steps only).</summary>
        public double ImagesPerSecond { get; init; }
    }

    /// <summary>metrics.csv: header <c>epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds</c>, one row per epoch, invariant culture.</summary>
    public static class MetricsCsv
    {
        /// <summary>The header line.</summary>
        public const string Header = "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds";

        /// <summary>One CSV row.</summary>
        public static string Row(EpochMetrics m) => string.Join(",",
            m.Epoch.ToString(CultureInfo.InvariantCulture), F(m.TrainLoss), F(m.TrainAccuracy), F(m.ValLoss), F(m.ValAccuracy),
            m.LearningRate.ToString("G6", CultureInfo.InvariantCulture), m.Seconds.ToString("F2", CultureInfo.InvariantCulture));

        private static string F(double v) => double.IsNaN(v) ? "" : v.ToString("F6", CultureInfo.InvariantCulture);

        /// <summary>Writes the whole file (header and every row) atomically.</summary>
        /// <exception cref="OutputWriteException">The write failed; the previous file is unchanged.</exception>
        public static void Write(string path, IReadOnlyList<EpochMetrics> rows) => Write(path, rows, null);

        internal static void Write(string path, IReadOnlyList<EpochMetrics> rows, Func<string, Stream, Stream>? filter)
        {
            var sb = new StringBuilder().Append(Header).Append('\n');
            foreach (var r in rows) sb.Append(Row(r)).Append('\n');
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

        public override void OnTrainStart(TrainingContext context) => MetricsCsv.Write(PathIn(context), context.Metrics, context.Options.WriteFilter);

        public override void OnEpochEnd(TrainingContext context, EpochMetrics metrics) => MetricsCsv.Write(PathIn(context), context.Metrics, context.Options.WriteFilter);
    }
}
