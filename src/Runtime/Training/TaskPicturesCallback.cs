using System.Diagnostics;
using System.Globalization;
using Dsl.Runtime.Data;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// After training, draws the task's picture of the final model on the validation set: confusion.png for
    /// classification (one extra pass over the set, like one validation), predictions.png for segmentation (one batch
    /// of at most <see cref="PredictionsPicture.MaxSamples"/> samples). Nothing for other tasks, for a run that failed
    /// or was cancelled, or one that finished no epoch. The written paths go to <see cref="FitResult.PicturePaths"/>.
    /// </summary>
    /// <remarks>
    /// A separate pass rather than statistics gathered during the last validation keeps validation as it is (it reads
    /// only the task's summed statistics) and does not need to know which epoch is the last one before it runs: early
    /// stopping and stop requests decide that only after validation.
    /// </remarks>
    internal sealed class TaskPicturesCallback : TrainingCallback
    {
        private readonly Dataset _val;

        public TaskPicturesCallback(Dataset val) => _val = val;

        public override void OnTrainEnd(TrainingContext context, Exception? failure)
        {
            var o = context.Options;
            if (failure is not null || o.Cancellation.IsCancellationRequested || context.Metrics.Count == 0 || _val.Count == 0) return;
            var sw = Stopwatch.StartNew();
            string path;
            switch (context.Task)
            {
                case ClassificationTask:
                    path = Path.Combine(context.OutputDir, ConfusionPicture.FileName);
                    var loader = new BatchLoader(_val, o.EffectiveEvalBatchSize, shuffle: false, seed: o.EffectiveSeed, transform: o.Transform, prefetch: o.Prefetch, workers: o.Workers);
                    var counts = ConfusionPicture.Count(context.Model, loader, o.Device, o.Cancellation);
                    if (counts.Length == 0) return;
                    ConfusionPicture.Save(path, counts, _val.ClassNames, o.WriteFilter);
                    break;
                case SegmentationTask segmentation:
                    path = Path.Combine(context.OutputDir, PredictionsPicture.FileName);
                    PredictionsPicture.Save(path, context.Model, _val, segmentation, o.Transform, o.Device, o.EffectiveSeed, PredictionsPicture.MaxSamples, o.WriteFilter);
                    break;
                default:
                    return;
            }
            context.PicturePaths.Add(path);
            context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {path} ({sw.Elapsed.TotalSeconds:F1} s)."));
        }
    }
}
