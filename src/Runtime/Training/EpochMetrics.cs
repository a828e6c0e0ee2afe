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
        public static void Write(string path, IReadOnlyList<EpochMetrics> rows)
        {
            var sb = new StringBuilder().Append(Header).Append('\n');
            foreach (var r in rows) sb.Append(Row(r)).Append('\n');
            string tmp = path + ".tmp";
            File.WriteAllText(tmp, sb.ToString());
            File.Move(tmp, path, overwrite: true);
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
}
