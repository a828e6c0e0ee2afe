using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Spectre.Console;

namespace Dsl.Runtime.Training
{
    internal static class ProgressText
    {
        public static string Epoch(EpochMetrics m, int epochs, TrainingTask? task = null)
        {
            var ci = CultureInfo.InvariantCulture;
            string key = (task ?? new ClassificationTask()).MetricKey;
            string extra = "";
            if (m.ValExtra is { Count: > 0 } x && task is not null)
                foreach (var e in task.ExtraMetrics)
                    if (x.TryGetValue(e, out var v)) extra += string.Format(ci, " {0} {1:F4}", e, v);
            string val = double.IsNaN(m.ValLoss) ? "" : string.Format(ci, " | val loss {0:F4} {1} {2:F4}{3}", m.ValLoss, key, m.ValAccuracy, extra);
            return string.Format(ci, "epoch {0}/{1}: train loss {2:F4} {8} {3:F4}{4} | lr {5:G4} | {6:F1} s, {7:F0} img/s",
                m.Epoch, epochs, m.TrainLoss, m.TrainAccuracy, val, m.LearningRate, m.Seconds, m.ImagesPerSecond, key);
        }

        public static string Batch(int epochs, BatchProgress p, TrainingTask? task = null) =>
            string.Format(CultureInfo.InvariantCulture, "epoch {0}/{1} batch {2}/{3}: loss {4:F4} {7} {5:F4}, {6:F0} img/s",
                p.Epoch, epochs, p.Batch, p.Batches, p.Loss, p.Accuracy, p.ImagesPerSecond, (task ?? new ClassificationTask()).MetricKey);
    }

    /// <summary>Plain text: one line per epoch plus a line every few seconds within long epochs (CI logs, redirected output).</summary>
    internal sealed class PlainProgress : TrainingCallback
    {
        private readonly TextWriter _out;
        private readonly double _lineSeconds;
        private readonly Stopwatch _sinceLine = new();

        public PlainProgress(TextWriter output, double lineSeconds)
        {
            _out = output;
            _lineSeconds = lineSeconds;
        }

        public override void OnEpochStart(TrainingContext context) => _sinceLine.Restart();

        public override void OnBatchEnd(TrainingContext context, BatchProgress p)
        {
            // The epoch's last batch is reported by the epoch line.
            if (p.Batch >= p.Batches || _sinceLine.Elapsed.TotalSeconds < _lineSeconds) return;
            _out.WriteLine(ProgressText.Batch(context.Epochs, p, context.Task));
            _out.Flush();
            _sinceLine.Restart();
        }

        public override void OnEpochEnd(TrainingContext context, EpochMetrics m)
        {
            _out.WriteLine(ProgressText.Epoch(m, context.Epochs, context.Task));
            _out.Flush();
        }
    }

    /// <summary>
    /// A Spectre.Console progress bar per epoch showing loss, accuracy and images/s. Spectre draws only inside
    /// <c>Progress().Start(body)</c>, so the display runs that call on its own task from the start of training to
    /// its end, and the hooks update the bars it owns (Spectre's progress tasks are thread-safe).
    /// </summary>
    internal sealed class RichProgress : TrainingCallback
    {
        private readonly ManualResetEventSlim _finished = new();
        private Task? _display;
        private ProgressContext? _ctx;
        private ProgressTask? _task;

        public override void OnTrainStart(TrainingContext context)
        {
            var ready = new TaskCompletionSource<ProgressContext>(TaskCreationOptions.RunContinuationsAsynchronously);
            _display = Task.Factory.StartNew(() => AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    ready.SetResult(ctx);
                    _finished.Wait();
                }), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            // If Spectre fails before calling the body, surface its exception instead of waiting forever.
            Task.WaitAny(ready.Task, _display);
            _ctx = ready.Task.IsCompleted ? ready.Task.Result : null;
            if (_ctx is null) _display.GetAwaiter().GetResult();
        }

        public override void OnEpochStart(TrainingContext context) =>
            _task = _ctx?.AddTask(Markup.Escape($"epoch {context.Epoch}/{context.Epochs}"), maxValue: Math.Max(1, context.BatchesPerEpoch));

        public override void OnBatchEnd(TrainingContext context, BatchProgress p)
        {
            if (_task is null) return;
            _task.Value = p.Batch;
            _task.Description = Markup.Escape(string.Format(CultureInfo.InvariantCulture,
                "epoch {0}/{1} loss {2:F4} acc {3:F3} {4:F0} img/s lr {5:G3}", p.Epoch, context.Epochs, p.Loss, p.Accuracy, p.ImagesPerSecond, p.LearningRate));
        }

        public override void OnEpochEnd(TrainingContext context, EpochMetrics m)
        {
            if (_task is null) return;
            _task.Value = _task.MaxValue;
            var ci = CultureInfo.InvariantCulture;
            string val = double.IsNaN(m.ValLoss) ? "" : string.Format(ci, " val {0:F4}/{1:F3}", m.ValLoss, m.ValAccuracy);
            _task.Description = Markup.Escape(string.Format(ci, "epoch {0}/{1} train {2:F4}/{3:F3}{4} {5:F0} img/s",
                m.Epoch, context.Epochs, m.TrainLoss, m.TrainAccuracy, val, m.ImagesPerSecond));
            _task.StopTask();
        }

        public override void OnTrainEnd(TrainingContext context, Exception? failure)
        {
            _finished.Set();
            try { _display?.Wait(); }
            catch (AggregateException) when (failure is not null) { /* the training failure is what matters */ }
        }
    }

    /// <summary>Runs <see cref="TrainOptions.OnEpochEnd"/> (the delegate kept from before callbacks existed), last of all.</summary>
    internal sealed class EpochEndAction : TrainingCallback
    {
        private readonly Action<EpochMetrics> _action;

        public EpochEndAction(Action<EpochMetrics> action) => _action = action;

        public override void OnEpochEnd(TrainingContext context, EpochMetrics metrics) => _action(metrics);
    }
}
