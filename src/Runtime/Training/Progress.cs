using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using Spectre.Console;

namespace Dsl.Runtime.Training
{
    /// <summary>Receives progress from the training loop.</summary>
    internal interface IProgressSink
    {
        void EpochStarted(int epoch, int epochs, int batches);
        void BatchesDone(int done, double loss, double accuracy, double imagesPerSecond, double lr);
        void EpochFinished(EpochMetrics m, int epochs);
    }

    internal static class ProgressText
    {
        public static string Epoch(EpochMetrics m, int epochs)
        {
            var ci = CultureInfo.InvariantCulture;
            string val = double.IsNaN(m.ValLoss) ? "" : string.Format(ci, " | val loss {0:F4} acc {1:F4}", m.ValLoss, m.ValAccuracy);
            return string.Format(ci, "epoch {0}/{1}: train loss {2:F4} acc {3:F4}{4} | lr {5:G4} | {6:F1} s, {7:F0} img/s",
                m.Epoch, epochs, m.TrainLoss, m.TrainAccuracy, val, m.LearningRate, m.Seconds, m.ImagesPerSecond);
        }

        public static string Batch(int epoch, int epochs, int done, int batches, double loss, double acc, double ips) =>
            string.Format(CultureInfo.InvariantCulture, "epoch {0}/{1} batch {2}/{3}: loss {4:F4} acc {5:F4}, {6:F0} img/s",
                epoch, epochs, done, batches, loss, acc, ips);
    }

    /// <summary>Plain text: one line per epoch plus a line every few seconds within long epochs (CI logs).</summary>
    internal sealed class PlainProgress : IProgressSink
    {
        private readonly TextWriter _out;
        private readonly double _lineSeconds;
        private readonly Stopwatch _sinceLine = new();
        private int _epoch, _epochs, _batches;

        public PlainProgress(TextWriter output, double lineSeconds)
        {
            _out = output;
            _lineSeconds = lineSeconds;
        }

        public void EpochStarted(int epoch, int epochs, int batches)
        {
            (_epoch, _epochs, _batches) = (epoch, epochs, batches);
            _sinceLine.Restart();
        }

        public void BatchesDone(int done, double loss, double accuracy, double imagesPerSecond, double lr)
        {
            if (done >= _batches || _sinceLine.Elapsed.TotalSeconds < _lineSeconds) return;
            _out.WriteLine(ProgressText.Batch(_epoch, _epochs, done, _batches, loss, accuracy, imagesPerSecond));
            _out.Flush();
            _sinceLine.Restart();
        }

        public void EpochFinished(EpochMetrics m, int epochs)
        {
            _out.WriteLine(ProgressText.Epoch(m, epochs));
            _out.Flush();
        }
    }

    /// <summary>No output.</summary>
    internal sealed class SilentProgress : IProgressSink
    {
        public void EpochStarted(int epoch, int epochs, int batches) { }
        public void BatchesDone(int done, double loss, double accuracy, double imagesPerSecond, double lr) { }
        public void EpochFinished(EpochMetrics m, int epochs) { }
    }

    /// <summary>A Spectre.Console progress bar per epoch showing loss, accuracy and images/s.</summary>
    internal sealed class SpectreProgress : IProgressSink
    {
        private readonly ProgressContext _ctx;
        private ProgressTask? _task;
        private int _epoch, _epochs;

        public SpectreProgress(ProgressContext ctx) => _ctx = ctx;

        public static T Run<T>(Func<IProgressSink, T> body)
        {
            return AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx => body(new SpectreProgress(ctx)));
        }

        public void EpochStarted(int epoch, int epochs, int batches)
        {
            (_epoch, _epochs) = (epoch, epochs);
            _task = _ctx.AddTask(Markup.Escape($"epoch {epoch}/{epochs}"), maxValue: Math.Max(1, batches));
        }

        public void BatchesDone(int done, double loss, double accuracy, double imagesPerSecond, double lr)
        {
            if (_task is null) return;
            _task.Value = done;
            _task.Description = Markup.Escape(string.Format(CultureInfo.InvariantCulture,
                "epoch {0}/{1} loss {2:F4} acc {3:F3} {4:F0} img/s lr {5:G3}", _epoch, _epochs, loss, accuracy, imagesPerSecond, lr));
        }

        public void EpochFinished(EpochMetrics m, int epochs)
        {
            if (_task is null) return;
            _task.Value = _task.MaxValue;
            var ci = CultureInfo.InvariantCulture;
            string val = double.IsNaN(m.ValLoss) ? "" : string.Format(ci, " val {0:F4}/{1:F3}", m.ValLoss, m.ValAccuracy);
            _task.Description = Markup.Escape(string.Format(ci, "epoch {0}/{1} train {2:F4}/{3:F3}{4} {5:F0} img/s",
                m.Epoch, epochs, m.TrainLoss, m.TrainAccuracy, val, m.ImagesPerSecond));
            _task.StopTask();
        }
    }
}
