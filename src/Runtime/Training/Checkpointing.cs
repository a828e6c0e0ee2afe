namespace Dsl.Runtime.Training
{
    /// <summary>
    /// Writes checkpoint.ckpt at every epoch end (atomically, see <see cref="AtomicFile"/>). It runs after every
    /// callback that changes state, so the file holds the whole run as of that epoch. The trainer calls epoch-end
    /// callbacks only for finite metrics, so a diverged model is never written.
    /// </summary>
    internal sealed class CheckpointCallback : TrainingCallback
    {
        public override void OnEpochEnd(TrainingContext context, EpochMetrics metrics)
        {
            string path = Path.Combine(context.OutputDir, CheckpointFile.FileName);
            CheckpointFile.Save(path, context.CaptureCheckpoint(), context.Options.WriteFilter);
            context.LastGoodCheckpoint = (path, metrics.Epoch);
        }
    }
}
