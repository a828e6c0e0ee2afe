using System.Globalization;
using System.Threading;
using Dsl.Runtime.Data;
using Dsl.Runtime.Device;

namespace Dsl.Runtime.Training
{
    /// <summary>Optimizers the trainer can build.</summary>
    public enum OptimizerKind
    {
        /// <summary>SGD with <see cref="TrainOptions.Momentum"/> and <see cref="TrainOptions.WeightDecay"/>.</summary>
        Sgd,
        /// <summary>Adam (L2 weight decay added to the gradient).</summary>
        Adam,
        /// <summary>AdamW (decoupled weight decay).</summary>
        AdamW,
    }

    /// <summary>Learning-rate schedules. Each is a pure function of the optimizer step count (see <see cref="LrSchedule"/>).</summary>
    public enum LrScheduleKind
    {
        /// <summary>The base learning rate throughout.</summary>
        Constant,
        /// <summary>Multiply by <see cref="TrainOptions.StepGamma"/> every <see cref="TrainOptions.StepEpochs"/> epochs (changes at epoch boundaries).</summary>
        Step,
        /// <summary>Cosine annealing from the base rate to <see cref="TrainOptions.MinLearningRate"/>, updated every batch.</summary>
        Cosine,
        /// <summary>One-cycle: cosine warm-up to the base rate then cosine annealing, updated every batch.</summary>
        OneCycle,
    }

    /// <summary>What early stopping watches.</summary>
    public enum EarlyStoppingMetric
    {
        /// <summary>Validation loss (lower is better).</summary>
        ValLoss,
        /// <summary>Validation accuracy (higher is better).</summary>
        ValAccuracy,
    }

    /// <summary>How progress is shown.</summary>
    public enum ProgressMode
    {
        /// <summary>A live Spectre.Console bar on a terminal; plain lines when output is redirected.</summary>
        Auto,
        /// <summary>Always the live bar.</summary>
        Rich,
        /// <summary>One line per epoch plus a periodic line (CI logs).</summary>
        Plain,
        /// <summary>Nothing.</summary>
        Silent,
    }

    /// <summary>Everything <see cref="Trainer.Fit"/> needs besides the model and the data.</summary>
    public sealed record TrainOptions
    {
        /// <summary>Total epochs of the run (a resumed run continues up to this number).</summary>
        public int Epochs { get; init; } = 10;

        /// <summary>Samples per training batch.</summary>
        public int BatchSize { get; init; } = 128;

        /// <summary>Samples per evaluation batch; 0 uses twice the training batch size.</summary>
        public int EvalBatchSize { get; init; }

        /// <summary>Optimizer.</summary>
        public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;

        /// <summary>Base (peak, for one-cycle) learning rate.</summary>
        public double LearningRate { get; init; } = 0.05;

        /// <summary>
        /// Learning rates of parameter groups: a glob over parameter names (as <see cref="FineTuning.Matches"/>, e.g.
        /// <c>fc.*</c>) to its base rate. Trainable parameters no pattern matches use <see cref="LearningRate"/>; a
        /// parameter may match one pattern at most. The schedule scales every group by the same factor: group g's rate
        /// at a step is its base rate times schedule(step) / <see cref="LearningRate"/>.
        /// </summary>
        public IReadOnlyDictionary<string, double> LearningRates { get; init; } = new Dictionary<string, double>();

        /// <summary>
        /// Globs over parameter names (as <see cref="FineTuning.Matches"/>, e.g. <c>layer1.*</c>) whose parameters are
        /// frozen at the start of the run (also when it resumes): they get no gradient and are not given to the
        /// optimizer, and BatchNorm layers whose parameters are all frozen stay in eval mode, so their running
        /// statistics do not change. Parameters already frozen (<c>requires_grad = false</c>) stay frozen too.
        /// </summary>
        public IReadOnlyList<string> Freeze { get; init; } = Array.Empty<string>();

        /// <summary>SGD momentum.</summary>
        public double Momentum { get; init; } = 0.9;

        /// <summary>Weight decay (L2 for SGD and Adam, decoupled for AdamW).</summary>
        public double WeightDecay { get; init; }

        /// <summary>Learning-rate schedule.</summary>
        public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Constant;

        /// <summary>Step schedule: epochs between decays.</summary>
        public int StepEpochs { get; init; } = 10;

        /// <summary>Step schedule: decay factor.</summary>
        public double StepGamma { get; init; } = 0.1;

        /// <summary>Cosine schedule: final learning rate.</summary>
        public double MinLearningRate { get; init; }

        /// <summary>One-cycle: fraction of the steps spent warming up.</summary>
        public double OneCyclePctStart { get; init; } = 0.3;

        /// <summary>One-cycle: the start rate is LearningRate / this.</summary>
        public double OneCycleDivFactor { get; init; } = 25;

        /// <summary>One-cycle: the final rate is start rate / this.</summary>
        public double OneCycleFinalDivFactor { get; init; } = 1e4;

        /// <summary>Clip the global gradient L2 norm to this value; null disables clipping.</summary>
        public double? ClipGradNorm { get; init; }

        /// <summary>Stop after this many epochs without improvement; null disables early stopping (needs validation data).</summary>
        public int? EarlyStoppingPatience { get; init; }

        /// <summary>The metric early stopping watches.</summary>
        public EarlyStoppingMetric EarlyStoppingMetric { get; init; } = EarlyStoppingMetric.ValLoss;

        /// <summary>Smallest change that counts as an improvement.</summary>
        public double EarlyStoppingMinDelta { get; init; }

        /// <summary>Folder for metrics.csv, metrics.png and checkpoint.ckpt.</summary>
        public string OutputDir { get; init; } = Path.Combine("runs", "latest");

        /// <summary>Continue from the checkpoint in <see cref="OutputDir"/> when there is one.</summary>
        public bool Resume { get; init; }

        /// <summary>
        /// Start a new run even though <see cref="OutputDir"/> holds a checkpoint (it is deleted at the start).
        /// Without it (or <see cref="Resume"/>) such a folder is refused with <see cref="ExistingCheckpointException"/>.
        /// </summary>
        public bool Overwrite { get; init; }

        /// <summary>Stop (cleanly, after its checkpoint) once this epoch is done; for interrupting a run on purpose.</summary>
        public int? StopAfterEpoch { get; init; }

        /// <summary>Seed of the data order and of torch's generator at each epoch start; null takes <see cref="Device"/>'s seed, else 42.</summary>
        public long? Seed { get; init; }

        /// <summary>
        /// Batch preprocessing after the samples are stacked (scale to [0, 1], resize, normalize), for training and
        /// validation; null scales to [0, 1] only. Per-sample transforms (augmentation, crops) belong to the data set:
        /// <see cref="Dataset.WithTransform"/>.
        /// </summary>
        public ImageTransform? Transform { get; init; }

        /// <summary>
        /// The task (loss and metrics); null picks the one that fits the data and the model's output
        /// (<see cref="TrainingTask.For"/>: masks are segmentation, value targets regression, classes classification).
        /// </summary>
        public TrainingTask? Task { get; init; }

        /// <summary>Device, threads and seed; null is the CPU.</summary>
        public DeviceSetup? Device { get; init; }

        /// <summary>
        /// <see cref="Dsl.Precision.Float32"/> (the default), or mixed precision as PyTorch's autocast applies it:
        /// <see cref="Dsl.Precision.BFloat16"/> (CPUs with AVX512-BF16 or AMX-BF16, and CUDA) runs convolutions and
        /// matrix products in bfloat16; <see cref="Dsl.Precision.Float16"/> (CUDA only) in float16 with a
        /// <see cref="Autocast.GradScaler"/>. Weights, gradients, optimizer state and checkpoints stay float32; the
        /// validation passes use the same precision. A device that cannot run it fast is refused before anything is
        /// written (<see cref="PrecisionNotSupportedException"/>). See README, "Precision".
        /// </summary>
        public Precision Precision { get; init; } = Precision.Float32;

        /// <summary>
        /// The layout of the 4-d tensors while training: <see cref="Autocast.MemoryFormat.Auto"/> (the default) trains
        /// a 2-d convolutional network channels-last in bf16 on the CPU and contiguous otherwise;
        /// <see cref="Autocast.MemoryFormat.ChannelsLast"/> asks for it in float32 too. A layout only: the same numbers
        /// up to rounding, and checkpoints byte for byte as a contiguous run writes them. Channels-last, the
        /// convolutions' weights and their optimizer state are laid out in place during each epoch
        /// (<see cref="Autocast.ChannelsLastParameters"/>) and contiguous again at its end. See README, "Precision".
        /// </summary>
        public Autocast.MemoryFormat MemoryFormat { get; init; } = Autocast.MemoryFormat.Auto;

        /// <summary>Batches prepared ahead on a background task (0 disables prefetch).</summary>
        public int Prefetch { get; init; } = 2;

        /// <summary>
        /// Threads that read and transform the samples of a batch (image decoding and augmentation); 0 uses one per
        /// core. Sets held in memory without per-sample transforms do not use them.
        /// </summary>
        public int Workers { get; init; }

        /// <summary>Batches between reads of the running loss and accuracy (one device sync each); also the NaN check interval.</summary>
        public int ReadEveryBatches { get; init; } = 20;

        /// <summary>Plain mode: seconds between periodic progress lines within an epoch.</summary>
        public double PlainLineSeconds { get; init; } = 30;

        /// <summary>Progress display.</summary>
        public ProgressMode Progress { get; init; } = ProgressMode.Auto;

        /// <summary>Where plain progress goes; null is standard output.</summary>
        public TextWriter? Log { get; init; }

        /// <summary>
        /// At each epoch end, collect managed garbage (tensors awaiting finalization, checkpoint buffers) and return
        /// freed native heap pages to the OS (glibc <c>malloc_trim</c> on Linux), so resident memory stays flat
        /// across epochs. Costs a few milliseconds per epoch. Default true.
        /// </summary>
        public bool ReleaseMemoryEachEpoch { get; init; } = true;

        /// <summary>Write metrics.png after each epoch.</summary>
        public bool Plot { get; init; } = true;

        /// <summary>
        /// After training, with validation data, draw the task's picture of the final model on it: confusion.png for
        /// classification, predictions.png for segmentation (see <see cref="ConfusionPicture"/> and
        /// <see cref="PredictionsPicture"/>). Default true.
        /// </summary>
        public bool Pictures { get; init; } = true;

        /// <summary>Called after each epoch (after its checkpoint is written), after every callback.</summary>
        public Action<EpochMetrics>? OnEpochEnd { get; init; }

        /// <summary>
        /// Your callbacks, in the order they run. At each epoch end they run after early stopping and before the
        /// checkpoint, so what they return from <see cref="TrainingCallback.SaveState"/> is saved with that epoch.
        /// </summary>
        public IReadOnlyList<TrainingCallback> Callbacks { get; init; } = Array.Empty<TrainingCallback>();

        /// <summary>Wraps the stream of every output file the run writes (tests inject failing and pausing streams).</summary>
        internal Func<string, Stream, Stream>? WriteFilter { get; init; }

        /// <summary>Stops the run between batches; the last checkpoint stays as it was.</summary>
        public CancellationToken Cancellation { get; init; }

        /// <summary>The validation batch size in force: <see cref="EvalBatchSize"/>, or twice <see cref="BatchSize"/> when 0.</summary>
        internal int EffectiveEvalBatchSize => EvalBatchSize > 0 ? EvalBatchSize : 2 * BatchSize;

        /// <summary>The seed in force.</summary>
        internal long EffectiveSeed => Seed ?? Device?.Seed ?? 42;

        /// <summary>
        /// Throws <see cref="InvalidOptionException"/> naming the first setting that cannot work, what it accepts and
        /// what it got. <see cref="Trainer.Fit"/> calls it before touching the output folder.
        /// </summary>
        public void Validate()
        {
            AtLeast(nameof(Epochs), Epochs, 1);
            if (!Enum.IsDefined(Precision))
                throw new InvalidOptionException(nameof(Precision), "Float32, BFloat16 or Float16", ((int)Precision).ToString(CultureInfo.InvariantCulture));
            if (!Enum.IsDefined(MemoryFormat))
                throw new InvalidOptionException(nameof(MemoryFormat), "Auto, Contiguous or ChannelsLast", ((int)MemoryFormat).ToString(CultureInfo.InvariantCulture));
            AtLeast(nameof(BatchSize), BatchSize, 1);
            AtLeast(nameof(EvalBatchSize), EvalBatchSize, 0);
            Positive(nameof(LearningRate), LearningRate);
            if (!double.IsFinite(Momentum) || Momentum < 0 || Momentum >= 1)
                throw new InvalidOptionException(nameof(Momentum), "a number in [0, 1)", Text(Momentum));
            NotNegative(nameof(WeightDecay), WeightDecay);
            foreach (var (pattern, rate) in LearningRates)
            {
                if (string.IsNullOrWhiteSpace(pattern)) throw new InvalidOptionException(nameof(LearningRates), "patterns of parameter names, e.g. fc.*", "an empty pattern");
                if (!(rate > 0) || double.IsInfinity(rate)) throw new InvalidOptionException(nameof(LearningRates), $"finite learning rates greater than 0", $"{Text(rate)} for '{pattern}'");
            }
            foreach (var pattern in Freeze)
                if (string.IsNullOrWhiteSpace(pattern)) throw new InvalidOptionException(nameof(Freeze), "patterns of parameter names, e.g. layer1.*", "an empty pattern");

            AtLeast(nameof(StepEpochs), StepEpochs, 1);
            Positive(nameof(StepGamma), StepGamma);
            NotNegative(nameof(MinLearningRate), MinLearningRate);
            if (!(OneCyclePctStart > 0 && OneCyclePctStart < 1))
                throw new InvalidOptionException(nameof(OneCyclePctStart), "a number in (0, 1)", Text(OneCyclePctStart));
            Positive(nameof(OneCycleDivFactor), OneCycleDivFactor);
            Positive(nameof(OneCycleFinalDivFactor), OneCycleFinalDivFactor);
            if (ClipGradNorm is double clip) Positive(nameof(ClipGradNorm), clip);
            if (EarlyStoppingPatience is int patience) AtLeast(nameof(EarlyStoppingPatience), patience, 1);
            NotNegative(nameof(EarlyStoppingMinDelta), EarlyStoppingMinDelta);
            if (StopAfterEpoch is int stop) AtLeast(nameof(StopAfterEpoch), stop, 1);
            AtLeast(nameof(Prefetch), Prefetch, 0);
            AtLeast(nameof(Workers), Workers, 0);
            AtLeast(nameof(ReadEveryBatches), ReadEveryBatches, 1);
            NotNegative(nameof(PlainLineSeconds), PlainLineSeconds);
            if (string.IsNullOrWhiteSpace(OutputDir))
                throw new InvalidOptionException(nameof(OutputDir), "a folder", "an empty path");
            if (File.Exists(OutputDir))
                throw new InvalidOptionException(nameof(OutputDir), "a folder", $"{Path.GetFullPath(OutputDir)}, which is a file");
            if (Resume && Overwrite)
                throw new InvalidOptionException(nameof(Overwrite), $"false when {nameof(Resume)} is set (continue the run or replace it, not both)", "true");
        }

        private static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);

        private static void AtLeast(string name, int value, int min)
        {
            if (value < min) throw new InvalidOptionException(name, min == 0 ? "0 or more" : $"a whole number of at least {min}", value.ToString(CultureInfo.InvariantCulture));
        }

        private static void Positive(string name, double value)
        {
            if (!(value > 0) || double.IsInfinity(value)) throw new InvalidOptionException(name, "a finite number greater than 0", Text(value));
        }

        private static void NotNegative(string name, double value)
        {
            if (!(value >= 0) || double.IsInfinity(value)) throw new InvalidOptionException(name, "a finite number of 0 or more", Text(value));
        }
    }
}
