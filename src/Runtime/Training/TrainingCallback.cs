using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// Something that takes part in every training run: override the hooks you need and pass an instance in
    /// <see cref="TrainOptions.Callbacks"/>. Progress display, metrics.csv, metrics.png, early stopping,
    /// checkpointing and memory release are callbacks too; the trainer itself only runs batches.
    /// </summary>
    /// <remarks>
    /// A base class rather than an interface so that <c>override</c> catches a misspelt hook at compile time.
    /// Order at each epoch end: progress, early stopping, your callbacks (in the order given), the checkpoint,
    /// metrics.csv, metrics.png, memory release. Your callbacks therefore run before the checkpoint, so the state
    /// they return from <see cref="SaveState"/> belongs to the epoch that checkpoint holds, and a resumed run hands
    /// it back through <see cref="LoadState"/> before <see cref="OnTrainStart"/>.
    /// </remarks>
    public abstract class TrainingCallback
    {
        /// <summary>Where this callback's state is kept in the checkpoint; unique within a run. Default: the type's name.</summary>
        public virtual string StateKey => GetType().Name;

        /// <summary>Once per <see cref="Trainer.Fit"/>, after a resumed run's state is restored, before the first epoch.</summary>
        public virtual void OnTrainStart(TrainingContext context) { }

        /// <summary>Before the first batch of <see cref="TrainingContext.Epoch"/>.</summary>
        public virtual void OnEpochStart(TrainingContext context) { }

        /// <summary>
        /// After a batch whose loss and accuracy were read from the device: every
        /// <see cref="TrainOptions.ReadEveryBatches"/> batches and after the epoch's last batch (reading every batch
        /// would make the CPU wait for the device each time; set ReadEveryBatches = 1 to be called for every batch).
        /// </summary>
        public virtual void OnBatchEnd(TrainingContext context, BatchProgress progress) { }

        /// <summary>
        /// After the epoch's training and validation, once its metrics are known to be finite (a NaN or infinite loss
        /// stops the run before any callback sees the epoch). <see cref="TrainingContext.Metrics"/> already includes it.
        /// </summary>
        public virtual void OnEpochEnd(TrainingContext context, EpochMetrics metrics) { }

        /// <summary>When the run ends for any reason, including an exception (then <paramref name="failure"/> is set).</summary>
        public virtual void OnTrainEnd(TrainingContext context, Exception? failure) { }

        /// <summary>The state to keep in the checkpoint (null: nothing). Called when the checkpoint is written.</summary>
        public virtual JsonNode? SaveState() => null;

        /// <summary>Restores what <see cref="SaveState"/> returned, when a run resumes from a checkpoint holding it.</summary>
        public virtual void LoadState(JsonNode state) { }
    }

    /// <summary>The running figures of the current epoch, passed to <see cref="TrainingCallback.OnBatchEnd"/>.</summary>
    /// <param name="Epoch">Current epoch (1-based).</param>
    /// <param name="Batch">Batches done in this epoch (1-based index of the batch just finished).</param>
    /// <param name="Batches">Batches per epoch.</param>
    /// <param name="Loss">Mean training loss over the epoch's samples so far.</param>
    /// <param name="Accuracy">Training accuracy over the epoch's samples so far.</param>
    /// <param name="ImagesPerSecond">Training throughput so far in this epoch.</param>
    /// <param name="LearningRate">Learning rate of the batch just finished.</param>
    public sealed record BatchProgress(int Epoch, int Batch, int Batches, double Loss, double Accuracy, double ImagesPerSecond, double LearningRate);

    /// <summary>What a callback can see of the run, and the one thing it can ask for: to stop.</summary>
    public sealed class TrainingContext
    {
        private readonly List<EpochMetrics> _metrics;

        internal TrainingContext(nn.Module<Tensor, Tensor> model, TrainOptions options, string outputDir, TextWriter log, List<EpochMetrics> metrics)
        {
            Model = model;
            Options = options;
            OutputDir = outputDir;
            Log = log;
            _metrics = metrics;
        }

        /// <summary>The model being trained.</summary>
        public nn.Module<Tensor, Tensor> Model { get; }

        /// <summary>The run's options.</summary>
        public TrainOptions Options { get; }

        /// <summary>The run folder (absolute).</summary>
        public string OutputDir { get; }

        /// <summary>Where messages go (standard output, <see cref="TrainOptions.Log"/>, or nowhere when silent).</summary>
        public TextWriter Log { get; }

        /// <summary>Planned epochs.</summary>
        public int Epochs => Options.Epochs;

        /// <summary>The epoch running (1-based); after <see cref="TrainingCallback.OnEpochEnd"/>, the last one finished.</summary>
        public int Epoch { get; internal set; }

        /// <summary>The first epoch this call runs (1, or the epoch after the checkpoint it resumed from).</summary>
        public int StartEpoch { get; internal set; } = 1;

        /// <summary>The checkpoint's epoch when the run resumed, else null.</summary>
        public int? ResumedFromEpoch { get; internal set; }

        /// <summary>Optimizer steps taken so far in the whole run.</summary>
        public long GlobalStep { get; internal set; }

        /// <summary>Batches per training epoch.</summary>
        public int BatchesPerEpoch { get; internal set; }

        /// <summary>The run's task: its loss, and what <see cref="EpochMetrics.TrainAccuracy"/> and the extra metrics mean.</summary>
        public TrainingTask Task { get; internal set; } = new ClassificationTask();

        /// <summary>Every finished epoch of the run, including those before a resume.</summary>
        public IReadOnlyList<EpochMetrics> Metrics => _metrics;

        /// <summary>The optimizer's parameter groups (trainable parameters only), with their base and current learning rates.</summary>
        public IReadOnlyList<ParameterGroup> ParameterGroups { get; internal set; } = Array.Empty<ParameterGroup>();

        /// <summary>Set by <see cref="RequestStop"/>.</summary>
        public string? StopReason { get; private set; }

        /// <summary>
        /// Ends the run after the current epoch, once every callback (the checkpoint included) has seen it; the
        /// reason becomes <see cref="FitResult.StopReason"/>. The first request wins.
        /// </summary>
        public void RequestStop(string reason) => StopReason ??= reason;

        /// <summary>The latest checkpoint known to hold finite weights: written by this run, or verified when resumed from.</summary>
        internal (string Path, int Epoch)? LastGoodCheckpoint { get; set; }

        /// <summary>The pictures written at the end of the run (<see cref="FitResult.PicturePaths"/> shows this list).</summary>
        internal List<string> PicturePaths { get; } = new();

        /// <summary>Builds the checkpoint of the current state (set by the trainer; used by the checkpoint callback).</summary>
        internal Func<CheckpointData> CaptureCheckpoint { get; set; } = () => throw new InvalidOperationException("no run");
    }
}
