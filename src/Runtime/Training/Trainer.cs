using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Dsl.Runtime.Data;
using Dsl.Runtime.Autocast;
using Dsl.Runtime.Device;
using Spectre.Console;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// Loss and metrics of a model on a data set: <see cref="Accuracy"/> is the task's main metric (accuracy, mean IoU,
    /// R²: <see cref="TrainingTask.MetricName"/>), <see cref="Extra"/> its further metrics by key (top5, pixel_acc, mae).
    /// </summary>
    public sealed record EvalResult(double Loss, double Accuracy, int Count)
    {
        /// <summary>The task's further metrics by key.</summary>
        public IReadOnlyDictionary<string, double> Extra { get; init; } = new Dictionary<string, double>();

        /// <summary>The task the metrics belong to.</summary>
        public TrainingTask? Task { get; init; }
    }

    /// <summary>How a <see cref="Trainer.Fit"/> call ended (a diverging loss throws <see cref="TrainingDivergedException"/> instead).</summary>
    public sealed class FitResult
    {
        internal FitResult(IReadOnlyList<EpochMetrics> metrics, bool completed, string stopReason, int? resumedFromEpoch, string outputDir, int bestEpoch)
        {
            Metrics = metrics;
            Completed = completed;
            StopReason = stopReason;
            ResumedFromEpoch = resumedFromEpoch;
            OutputDir = outputDir;
            BestEpoch = bestEpoch;
        }

        /// <summary>Every finished epoch of the run, including those before a resume.</summary>
        public IReadOnlyList<EpochMetrics> Metrics { get; }

        /// <summary>True when all planned epochs ran.</summary>
        public bool Completed { get; }

        /// <summary>Why the run ended: "completed", "early stopping ...", "stopped after epoch N as requested", "cancelled".</summary>
        public string StopReason { get; }

        /// <summary>The epoch of the checkpoint the run resumed from, if it did.</summary>
        public int? ResumedFromEpoch { get; }

        /// <summary>The run folder.</summary>
        public string OutputDir { get; }

        /// <summary>Epoch with the best watched validation metric (0 without validation).</summary>
        public int BestEpoch { get; }

        /// <summary>The run's task: what the loss and the metrics in <see cref="Metrics"/> are.</summary>
        public TrainingTask Task { get; internal init; } = new ClassificationTask();

        /// <summary>The checkpoint file.</summary>
        public string CheckpointPath => Path.Combine(OutputDir, CheckpointFile.FileName);

        /// <summary>The metrics CSV.</summary>
        public string MetricsCsvPath => Path.Combine(OutputDir, Trainer.MetricsCsvName);

        /// <summary>The curves PNG.</summary>
        public string PlotPath => Path.Combine(OutputDir, Trainer.PlotName);

        /// <summary>
        /// The task's pictures written after training (<see cref="TrainOptions.Pictures"/>, with validation data):
        /// confusion.png for classification, predictions.png for segmentation; empty when none was drawn.
        /// </summary>
        public IReadOnlyList<string> PicturePaths { get; internal init; } = Array.Empty<string>();

        /// <summary>The last epoch's metrics, or null when no epoch finished.</summary>
        public EpochMetrics? Last => Metrics.Count > 0 ? Metrics[Metrics.Count - 1] : null;
    }

    /// <summary>
    /// Thrown when the training loss, or the validation loss or accuracy, becomes NaN or infinite. Nothing of the
    /// failing epoch is written; the last good checkpoint and metrics.csv are left as they were.
    /// </summary>
    public sealed class TrainingDivergedException : Exception
    {
        internal TrainingDivergedException(string message, int epoch, int batch, double learningRate, string? checkpoint) : base(message)
        {
            Epoch = epoch;
            Batch = batch;
            LearningRate = learningRate;
            LastGoodCheckpoint = checkpoint;
        }

        /// <summary>Epoch of the bad batch (1-based).</summary>
        public int Epoch { get; }

        /// <summary>The bad batch within the epoch (1-based); 0 when the validation loss or accuracy was not finite.</summary>
        public int Batch { get; }

        /// <summary>Learning rate of the bad step.</summary>
        public double LearningRate { get; }

        /// <summary>The checkpoint that stays valid (written by this run or verified when it resumed), or null when there is none.</summary>
        public string? LastGoodCheckpoint { get; }
    }

    /// <summary>
    /// The output folder already holds a checkpoint and the run was asked neither to resume it
    /// (<see cref="TrainOptions.Resume"/>) nor to replace it (<see cref="TrainOptions.Overwrite"/>). Nothing was changed.
    /// </summary>
    public sealed class ExistingCheckpointException : IOException
    {
        internal ExistingCheckpointException(string path)
            : base($"{path} already exists: set Resume to continue that run, or Overwrite to start a new run in its place (it is then deleted).")
        {
            Path = path;
        }

        /// <summary>The checkpoint that is in the way.</summary>
        public string Path { get; }
    }

    /// <summary>
    /// Trains and evaluates <c>Module&lt;Tensor, Tensor&gt;</c> networks for a <see cref="TrainingTask"/> (its loss and
    /// metrics: classification, segmentation, regression, or your own), chosen from the data and the model's output
    /// unless <see cref="TrainOptions.Task"/> says. The trainer only runs batches; everything else (progress,
    /// metrics.csv, metrics.png, early stopping, checkpoints, memory release, and your own
    /// <see cref="TrainingCallback"/>s) is a callback.
    /// </summary>
    public static class Trainer
    {
        /// <summary>Name of the metrics file in the run folder.</summary>
        public const string MetricsCsvName = "metrics.csv";

        /// <summary>Name of the curves image in the run folder.</summary>
        public const string PlotName = "metrics.png";

        /// <summary>
        /// Trains <paramref name="model"/> on <paramref name="train"/>, validating on <paramref name="val"/> (optional) after every epoch.
        /// With <see cref="TrainOptions.Resume"/> and a checkpoint in the output folder, continues where that run stopped.
        /// Options and both data sets are checked before anything is written.
        /// </summary>
        /// <exception cref="InvalidOptionException">An option cannot work (the message names it and its valid range).</exception>
        /// <exception cref="InvalidDataException">A data set is empty, does not fit the model, or has labels the model cannot output.</exception>
        /// <exception cref="ExistingCheckpointException">The folder holds a checkpoint and neither Resume nor Overwrite is set.</exception>
        /// <exception cref="TrainingDivergedException">A loss or metric became NaN or infinite.</exception>
        /// <exception cref="CheckpointException">Resuming from a checkpoint that is corrupt, diverged or does not fit the model.</exception>
        /// <exception cref="OutputWriteException">An output file could not be written (the previous one is unchanged).</exception>
        public static FitResult Fit(nn.Module<Tensor, Tensor> model, Dataset train, Dataset? val, TrainOptions options)
        {
            options.Validate();
            CheckPrecision(options.Precision, options.Device);
            string dir = Path.GetFullPath(options.OutputDir);
            string checkpoint = Path.Combine(dir, CheckpointFile.FileName);
            if (File.Exists(checkpoint) && !options.Resume && !options.Overwrite) throw new ExistingCheckpointException(checkpoint);
            options.Device?.Prepare(model);
            var task = DataCheck.Check(model, train, "training set", options.Transform, options.Device, options.EffectiveSeed, options.Task);
            if (val is not null) DataCheck.Check(model, val, "validation set", options.Transform, options.Device, options.EffectiveSeed, task);

            var log = options.Log ?? (options.Progress == ProgressMode.Silent ? TextWriter.Null : Console.Out);
            return new Run(model, train, val, options with { Task = task }, dir, log).Execute();
        }

        /// <summary><see cref="Fit"/> with <see cref="TrainOptions.Resume"/> set: continues from the checkpoint in the output folder.</summary>
        public static FitResult Resume(nn.Module<Tensor, Tensor> model, Dataset train, Dataset? val, TrainOptions options) =>
            Fit(model, train, val, options with { Resume = true });

        /// <summary>
        /// Mean loss and metrics of <paramref name="model"/> on <paramref name="data"/> (eval mode, no gradients) for
        /// <paramref name="task"/>, or the task that fits the data and the model's output.
        /// </summary>
        /// <exception cref="InvalidDataException">The set is empty, does not fit the model or the task, or has labels the model cannot output.</exception>
        /// <exception cref="PrecisionNotSupportedException">The device cannot run <paramref name="precision"/> (README, "Precision").</exception>
        public static EvalResult Evaluate(nn.Module<Tensor, Tensor> model, Dataset data, int batchSize = 256, ImageTransform? transform = null, DeviceSetup? device = null, int workers = 0, TrainingTask? task = null, Precision precision = Precision.Float32)
        {
            CheckPrecision(precision, device);
            task = DataCheck.Check(model, data, "data set", transform, device, task: task);
            return Evaluate(model, new BatchLoader(data, batchSize, shuffle: false, transform: transform, workers: workers), device, task, precision);
        }

        /// <summary>Refuses a precision the device cannot run fast (<see cref="PrecisionSupport.Check"/>).</summary>
        private static void CheckPrecision(Precision precision, DeviceSetup? device)
        {
            if (device is not null) device.CheckPrecision(precision);
            else PrecisionSupport.Check(precision, cuda: false, PrecisionSupport.CpuFlags());
        }

        /// <summary>
        /// Mean loss and metrics over every batch of <paramref name="loader"/> (one read at the end), for
        /// <paramref name="task"/> (classification when null), in <paramref name="precision"/> (not checked against
        /// the device here).
        /// </summary>
        public static EvalResult Evaluate(nn.Module<Tensor, Tensor> model, BatchLoader loader, DeviceSetup? device = null, TrainingTask? task = null, Precision precision = Precision.Float32)
        {
            task ??= new ClassificationTask();
            bool wasTraining = model.training;
            model.eval();
            try
            {
                using var autocast = MixedPrecision.Enable(model, precision);
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                var dev = device?.Device ?? torch.CPU;
                var lossSum = torch.zeros(1, ScalarType.Float64, dev);
                Tensor? statistics = null;
                int count = 0;
                foreach (var batch in loader.Epoch(1))
                {
                    using (batch)
                    using (torch.NewDisposeScope())
                    {
                        var (batchLoss, batchStatistics) = Step(model, batch, device, training: null, task);
                        lossSum.add_(batchLoss);
                        if (statistics is null) statistics = batchStatistics.MoveToOuterDisposeScope();
                        else statistics.add_(batchStatistics);
                        count += batch.Size;
                    }
                }
                if (count == 0 || statistics is null) return new EvalResult(double.NaN, double.NaN, 0) { Task = task };
                var (metric, extra) = task.Compute(statistics.cpu().data<double>().ToArray());
                return new EvalResult(lossSum.cpu().item<double>() / count, metric, count) { Extra = Extras(task, extra), Task = task };
            }
            finally
            {
                model.train(wasTraining);
            }
        }

        /// <summary>What a training step needs besides the model and the batch (a gradient scaler for float16).</summary>
        private sealed record Optimization(optim.Optimizer Optimizer, Parameter[] Parameters, double? ClipGradNorm, GradScaler? Scaler);

        /// <summary>The task's extra metrics by key.</summary>
        internal static Dictionary<string, double> Extras(TrainingTask task, double[] values)
        {
            var d = new Dictionary<string, double>();
            for (int i = 0; i < task.ExtraMetrics.Count && i < values.Length; i++) d[task.ExtraMetrics[i]] = values[i];
            return d;
        }

        /// <summary>
        /// One batch through the model, the same code for training and evaluation: forward, the task's loss in float32
        /// (autocast's lists keep losses in float32) and, when <paramref name="training"/> is given, backward, optional
        /// clipping and the optimizer step (under float16, with the loss scaled and a step with overflowed gradients skipped).
        /// Returns the batch's summed loss and the task's statistics as device tensors, without reading them (a read
        /// makes the CPU wait for the device); callers read many batches at once.
        /// </summary>
        private static (Tensor LossSum, Tensor Statistics) Step(nn.Module<Tensor, Tensor> model, Batch batch, DeviceSetup? device, Optimization? training, TrainingTask task)
        {
            var x = device?.PrepareInput(batch.X) ?? batch.X;
            var y = batch.Y.to(x.device);
            training?.Optimizer.zero_grad();
            Tensor output, loss;
            if (training is not null && WeightedOutputs(model) is { } weighted)
            {
                // Declared outputs with loss weights (auxiliary classifiers, a segmentation model's aux head): the main output's
                // loss plus each weighted one's, as torchvision's reference scripts train them; statistics are the main output's.
                var outputs = ((IMultiOutputNetwork)model).ForwardOutputs(x);
                output = Float32(outputs[weighted.Main]!);
                loss = task.Loss(output, y);
                foreach (var (name, weight) in weighted.Others)
                    if (outputs[name] is { } other) loss = loss + task.Loss(Float32(other), y) * weight;
            }
            else
            {
                output = Float32(model.call(x));
                loss = task.Loss(output, y);
            }
            if (training is { Scaler: { } scaler })
            {
                scaler.ScaleLoss(loss).backward();
                if (scaler.UnscaleAndUpdate(training.Parameters))
                {
                    if (training.ClipGradNorm is double max) ClipGradNorm(training.Parameters, max);
                    training.Optimizer.step();
                }
            }
            else if (training is not null)
            {
                loss.backward();
                if (training.ClipGradNorm is double max) ClipGradNorm(training.Parameters, max);
                training.Optimizer.step();
            }
            using (torch.no_grad())
                return (loss.detach().mul(batch.Size), task.Statistics(output.detach(), y));
        }

        private static Tensor Float32(Tensor t) => t.dtype == ScalarType.Float32 ? t : t.to_type(ScalarType.Float32);

        /// <summary>
        /// The main output's name and the other outputs trained against the target with their weights (<see cref="OutputAttribute.LossWeight"/>),
        /// or null when the model has none (then training uses its forward alone).
        /// </summary>
        internal static (string Main, (string Name, double Weight)[] Others)? WeightedOutputs(nn.Module model)
        {
            if (model is not (IMultiOutputNetwork and IDeclaredNetwork { Info: var info })) return null;
            var others = info.Outputs.Where(o => !o.Main && o.LossWeight != 0).Select(o => (o.Name, o.LossWeight)).ToArray();
            return others.Length == 0 ? null : (info.Outputs.First(o => o.Main).Name, others);
        }

        /// <summary>
        /// Loads the model weights of a checkpoint into <paramref name="model"/> (e.g. for evaluation or prediction). A
        /// classifier the checkpoint records as replaced (<see cref="CheckpointHeader.Heads"/>) is replaced the same way first.
        /// </summary>
        /// <exception cref="CheckpointException">The file is corrupt or its weights do not fit the model.</exception>
        public static CheckpointHeader LoadWeights(nn.Module model, string checkpointPath)
        {
            var data = CheckpointFile.Load(checkpointPath);
            FineTuning.Reapply(model, data.Header.Heads);
            LoadModelState(model, data.ModelState, checkpointPath);
            return data.Header;
        }

        internal static void LoadModelState(nn.Module model, byte[] state, string path)
        {
            try
            {
                using var reader = new BinaryReader(new MemoryStream(state));
                model.load(reader, strict: true);
            }
            catch (Exception e) when (e is not CheckpointException)
            {
                throw new CheckpointException(path, $"its model weights do not fit {model.GetType().Name}: {e.Message}", e);
            }
        }

        internal static byte[] SaveModelState(nn.Module model)
        {
            using var ms = new MemoryStream();
            using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) model.save(w);
            return ms.ToArray();
        }

        /// <summary>
        /// Scales all gradients so their global L2 norm is at most <paramref name="maxNorm"/>, entirely on the device
        /// (no host sync, unlike <c>clip_grad_norm_</c>, which returns the norm as a number).
        /// </summary>
        internal static void ClipGradNorm(Parameter[] parameters, double maxNorm)
        {
            using var scope = torch.NewDisposeScope();
            var norms = new List<Tensor>(parameters.Length);
            for (int i = 0; i < parameters.Length; i++)
            {
                var g = parameters[i].grad;
                if (g is not null) norms.Add(torch.linalg.vector_norm(g, 2));
            }
            if (norms.Count == 0) return;
            var total = torch.linalg.vector_norm(torch.stack(norms), 2);
            var coef = total.add(1e-6).reciprocal_().mul_(maxNorm).clamp_max_(1.0);
            for (int i = 0; i < parameters.Length; i++)
                parameters[i].grad?.mul_(coef);
        }

        /// <summary>The optimizer of a run, with one parameter group per entry of <paramref name="plan"/> at that group's base rate.</summary>
        internal static optim.Optimizer CreateOptimizer(TrainOptions o, ParameterPlan plan) => o.Optimizer switch
        {
            OptimizerKind.Sgd => torch.optim.SGD(plan.Groups.Select(g => new SGD.ParamGroup(g.Parameters, new SGD.Options { LearningRate = g.LearningRate })), o.LearningRate, momentum: o.Momentum, weight_decay: o.WeightDecay),
            OptimizerKind.Adam => torch.optim.Adam(plan.Groups.Select(g => new Adam.ParamGroup(g.Parameters, new Adam.Options { LearningRate = g.LearningRate })), o.LearningRate, weight_decay: o.WeightDecay),
            OptimizerKind.AdamW => torch.optim.AdamW(plan.Groups.Select(g => new AdamW.ParamGroup(g.Parameters, new AdamW.Options { LearningRate = g.LearningRate })), o.LearningRate, weight_decay: o.WeightDecay),
            _ => throw new ArgumentOutOfRangeException(nameof(o), o.Optimizer, "unknown optimizer"),
        };

        /// <summary>The state of one Fit call: model, optimizer, step count, metrics and callbacks.</summary>
        private sealed class Run
        {
            private readonly nn.Module<Tensor, Tensor> _model;
            private readonly Dataset? _val;
            private readonly TrainOptions _o;
            private readonly string _checkpoint;
            private readonly TextWriter _log;
            private readonly List<EpochMetrics> _metrics = new();
            private readonly TrainingContext _context;
            private readonly EarlyStopping? _earlyStopping;
            private readonly IReadOnlyList<TrainingCallback> _callbacks;
            private readonly Parameter[] _parameters;
            private readonly optim.Optimizer _optimizer;
            private readonly optim.ILearningRateController[] _groups;
            private readonly ParameterPlan _plan;
            private readonly BatchLoader _trainLoader;
            private readonly BatchLoader? _valLoader;
            private readonly GradScaler? _scaler;
            private long _seed; // the options' seed, or the checkpoint's when resuming
            private ChannelsLastParameters? _layout; // during a channels-last epoch

            public Run(nn.Module<Tensor, Tensor> model, Dataset train, Dataset? val, TrainOptions options, string dir, TextWriter log)
            {
                _model = model;
                _val = val;
                _o = options;
                _log = log;
                _checkpoint = Path.Combine(dir, CheckpointFile.FileName);
                _plan = ParameterPlan.Create(model, options); // before anything is written: a pattern that matches nothing stops here
                _context = new TrainingContext(model, options, dir, log, _metrics) { CaptureCheckpoint = Capture, Task = options.Task ?? new ClassificationTask() };
                _earlyStopping = val is null ? null : new EarlyStopping(options);
                _callbacks = Callbacks(options, log, _earlyStopping, val);

                Directory.CreateDirectory(dir);
                if (options.Overwrite)
                {
                    File.Delete(_checkpoint);
                    File.Delete(Path.Combine(dir, PlotName));
                    File.Delete(Path.Combine(dir, ConfusionPicture.FileName));
                    File.Delete(Path.Combine(dir, PredictionsPicture.FileName));
                }
                _seed = options.EffectiveSeed;
                _parameters = _plan.Trainable;
                _optimizer = CreateOptimizer(options, _plan);
                _scaler = options.Precision == Precision.Float16 ? new GradScaler() : null;
                _groups = _optimizer.ParamGroups.ToArray();
                _context.ParameterGroups = _plan.Groups.Select((g, i) => new ParameterGroup(g.Pattern, g.LearningRate, g.Names, _groups[i])).ToArray();

                if (options.Resume && File.Exists(_checkpoint)) Restore(CheckpointFile.Load(_checkpoint));
                else if (options.Resume) log.WriteLine($"No checkpoint in {dir}; starting from epoch 1.");
                if (val is null && options.EarlyStoppingPatience is not null)
                    log.WriteLine("note: early stopping needs validation data; without it the run goes on for all epochs.");

                int evalBatch = options.EffectiveEvalBatchSize;
                _trainLoader = new BatchLoader(train, options.BatchSize, shuffle: true, seed: _seed, transform: options.Transform, prefetch: options.Prefetch, workers: options.Workers);
                _valLoader = val is null ? null : new BatchLoader(val, evalBatch, shuffle: false, seed: _seed, transform: options.Transform, prefetch: options.Prefetch, workers: options.Workers);
                _context.BatchesPerEpoch = _trainLoader.BatchesPerEpoch;
            }

            /// <summary>
            /// Every callback of the run, in the order they run. Early stopping and the user's callbacks change
            /// state, so they come before the checkpoint, which saves that state; the files derived from the
            /// checkpointed metrics follow it; memory release and the legacy delegate come last.
            /// </summary>
            private static IReadOnlyList<TrainingCallback> Callbacks(TrainOptions o, TextWriter log, EarlyStopping? earlyStopping, Dataset? val)
            {
                var list = new List<TrainingCallback>();
                var mode = o.Progress;
                if (mode == ProgressMode.Auto)
                    mode = o.Log is null && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive ? ProgressMode.Rich : ProgressMode.Plain;
                if (mode == ProgressMode.Rich) list.Add(new RichProgress());
                else if (mode == ProgressMode.Plain) list.Add(new PlainProgress(log, o.PlainLineSeconds));
                if (earlyStopping is not null) list.Add(earlyStopping);
                list.AddRange(o.Callbacks);
                list.Add(new CheckpointCallback());
                list.Add(new MetricsCsvCallback());
                if (o.Plot) list.Add(new MetricsPlotCallback());
                if (o.Pictures && val is not null) list.Add(new TaskPicturesCallback(val));
                if (o.ReleaseMemoryEachEpoch) list.Add(new MemoryReleaseCallback());
                if (o.OnEpochEnd is not null) list.Add(new EpochEndAction(o.OnEpochEnd));
                return list;
            }

            private void Restore(CheckpointData data)
            {
                var h = data.Header;
                CheckFineTuning(h);
                LoadModelState(_model, data.ModelState, _checkpoint);
                try
                {
                    using var reader = new BinaryReader(new MemoryStream(data.OptimizerState));
                    ((OptimizerHelper)_optimizer).load_state_dict(reader);
                }
                catch (Exception e)
                {
                    throw new CheckpointException(_checkpoint, $"its optimizer state ({h.Optimizer}) does not fit the {_o.Optimizer} optimizer of this run: {e.Message}", e);
                }
                // Checkpoints are written only after a finite epoch; one that is not finite comes from elsewhere.
                if (!AllFinite(_parameters) || h.Metrics.Any(m => !Divergence.IsFinite(m)))
                    throw new CheckpointException(_checkpoint, $"it holds NaN or infinite weights or metrics (epoch {h.Epoch}), so it is not a good state to continue from. Delete it, or start a new run with Overwrite.");
                if (h.BatchSize != _o.BatchSize)
                    _log.WriteLine($"note: the checkpoint was trained with batch size {h.BatchSize}, this run uses {_o.BatchSize}; the data order changes.");

                _context.GlobalStep = h.GlobalStep;
                _context.StartEpoch = h.Epoch + 1;
                _context.ResumedFromEpoch = h.Epoch;
                _context.LastGoodCheckpoint = (_checkpoint, h.Epoch);
                _metrics.AddRange(h.Metrics.Where(m => m.Epoch <= h.Epoch).OrderBy(m => m.Epoch));

                var states = new Dictionary<string, JsonNode?>(h.Callbacks ?? new());
                if (!states.ContainsKey(EarlyStopping.Key)) states[EarlyStopping.Key] = EarlyStopping.FromLegacyHeader(h);
                foreach (var callback in _callbacks)
                    if (states.TryGetValue(callback.StateKey, out var state) && state is not null) callback.LoadState(state);
                _seed = h.Seed;
                _log.WriteLine($"Resuming from {_checkpoint} after epoch {h.Epoch} of {_o.Epochs} (seed {h.Seed}, step {h.GlobalStep}).");
            }

            /// <summary>
            /// A resumed run must have the checkpoint's heads and parameter groups (the freeze and learning-rate options
            /// are part of the run): otherwise the weights or the optimizer state would not fit, or would fit silently wrong.
            /// </summary>
            private void CheckFineTuning(CheckpointHeader h)
            {
                foreach (var head in h.Heads ?? new())
                {
                    long? now = FineTuning.OutputsOf(_model, head.Layer);
                    if (now != head.Classes)
                        throw new CheckpointException(_checkpoint, $"its {head.Layer} has {head.Classes} classes (a replaced classifier, {head}), the model's has {now?.ToString(CultureInfo.InvariantCulture) ?? "no such Linear layer"}; replace it the same way before resuming (FineTuning.ReplaceClassifier(model, {head.Classes}, \"{head.Layer}\"), or --classes {head.Classes}).");
                }
                if (h.ParameterGroups is { } groups)
                {
                    var now = _plan.Records();
                    if (groups.Count != now.Count || groups.Zip(now).Any(p => p.First.Pattern != p.Second.Pattern || p.First.LearningRate != p.Second.LearningRate || p.First.Parameters != p.Second.Parameters))
                        throw new CheckpointException(_checkpoint,
                            $"it was trained with the parameter groups {string.Join(", ", groups)} (Freeze [{string.Join(", ", h.Freeze ?? new())}]); this run has {string.Join(", ", now)} (Freeze [{string.Join(", ", _o.Freeze)}]). Resume with the same Freeze and LearningRates as the run that wrote it.");
                }
            }

            private static bool AllFinite(Parameter[] parameters)
            {
                using var scope = torch.NewDisposeScope();
                return parameters.All(p => torch.isfinite(p).all().item<bool>());
            }

            /// <summary>The whole state of the run as of the last finished epoch (called by the checkpoint callback).</summary>
            private CheckpointData Capture()
            {
                // TorchSharp saves only contiguous tensors; a checkpoint taken during a channels-last epoch (a batch
                // callback's) gets the contiguous copies, the bytes of a contiguous run with the same values.
                using var contiguous = _layout?.Contiguous();
                var states = new Dictionary<string, JsonNode?>();
                foreach (var callback in _callbacks)
                {
                    var state = callback.SaveState();
                    if (state is not null && !states.TryAdd(callback.StateKey, state))
                        throw new InvalidOperationException($"Two callbacks keep their state under the key '{callback.StateKey}'; override StateKey so that each has its own.");
                }
                var header = new CheckpointHeader
                {
                    Epoch = _context.Epoch,
                    NextEpoch = _context.Epoch + 1,
                    GlobalStep = _context.GlobalStep,
                    Seed = _seed,
                    PlannedEpochs = _o.Epochs,
                    BatchSize = _o.BatchSize,
                    Optimizer = _o.Optimizer.ToString(),
                    Schedule = _o.Schedule.ToString(),
                    ModelType = _model.GetType().FullName ?? _model.GetType().Name,
                    Metrics = new List<EpochMetrics>(_metrics),
                    Callbacks = states,
                    Heads = FineTuning.ReplacedHeads(_model).ToList(),
                    Freeze = _o.Freeze.ToList(),
                    ParameterGroups = _plan.Records(),
                };
                byte[] optimizerState;
                using (var ms = new MemoryStream())
                {
                    using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
                        ((OptimizerHelper)_optimizer).save_state_dict(w);
                    optimizerState = ms.ToArray();
                }
                return new CheckpointData(header, SaveModelState(_model), optimizerState);
            }

            private FitResult Result(bool completed, string reason) =>
                new(_metrics.ToArray(), completed, reason, _context.ResumedFromEpoch, _context.OutputDir, _earlyStopping?.BestEpoch ?? 0)
                {
                    Task = _context.Task,
                    PicturePaths = _context.PicturePaths, // filled when the run ends, before Fit returns
                };

            public FitResult Execute()
            {
                Exception? failure = null;
                try
                {
                    foreach (var c in _callbacks) c.OnTrainStart(_context);
                    if (_context.StartEpoch > _o.Epochs)
                        return Result(true, $"completed (the checkpoint already holds epoch {_context.StartEpoch - 1} of {_o.Epochs})");
                    for (int epoch = _context.StartEpoch; epoch <= _o.Epochs; epoch++)
                    {
                        _context.Epoch = epoch;
                        var sw = Stopwatch.StartNew();
                        foreach (var c in _callbacks) c.OnEpochStart(_context);
                        var train = TrainEpoch(epoch);
                        if (train.Cancelled) return Result(false, $"cancelled during epoch {epoch}; the checkpoint holds epoch {epoch - 1}");
                        var val = _valLoader is null ? null : Evaluate(_model, _valLoader, _o.Device, _context.Task, _o.Precision);
                        var m = new EpochMetrics
                        {
                            Epoch = epoch,
                            TrainLoss = train.Loss,
                            TrainAccuracy = train.Accuracy,
                            ValLoss = val?.Loss ?? double.NaN,
                            ValAccuracy = val?.Accuracy ?? double.NaN,
                            ValExtra = val is null ? null : new Dictionary<string, double>(val.Extra),
                            LearningRate = train.LastLearningRate,
                            Seconds = sw.Elapsed.TotalSeconds,
                            ImagesPerSecond = train.Count / Math.Max(1e-9, train.Seconds),
                        };
                        if (!Divergence.IsFinite(m))
                            throw Divergence.InValidation(m, _o, _context.LastGoodCheckpoint);
                        _metrics.Add(m);
                        foreach (var c in _callbacks) c.OnEpochEnd(_context, m);
                        if (_context.StopReason is string reason) return Result(false, reason);
                        if (_o.StopAfterEpoch is int stop && epoch >= stop && epoch < _o.Epochs)
                            return Result(false, $"stopped after epoch {epoch} as requested");
                    }
                    return Result(true, "completed");
                }
                catch (Exception e)
                {
                    failure = e;
                    throw;
                }
                finally
                {
                    foreach (var c in _callbacks)
                    {
                        try { c.OnTrainEnd(_context, failure); }
                        catch (Exception) when (failure is not null) { /* keep the original failure */ }
                    }
                }
            }

            /// <summary>
            /// Sets every group's rate for the next step: its base rate times the schedule's factor,
            /// schedule(step) / LearningRate, so groups keep their ratios throughout the schedule.
            /// </summary>
            private void SetLearningRates(double scheduled)
            {
                double factor = scheduled / _o.LearningRate;
                for (int g = 0; g < _groups.Length; g++) _groups[g].LearningRate = _plan.Groups[g].LearningRate * factor;
            }

            /// <summary>What one training epoch produced.</summary>
            private sealed record EpochResult(double Loss, double Accuracy, int Count, double Seconds, double LastLearningRate, bool Cancelled);

            private EpochResult TrainEpoch(int epoch)
            {
                var loader = _trainLoader;
                int batches = loader.BatchesPerEpoch;
                int window = _o.ReadEveryBatches;
                var step = new Optimization(_optimizer, _parameters, _o.ClipGradNorm, _scaler);
                var task = _context.Task;
                var pendingLoss = new List<Tensor>(window);
                var pendingStatistics = new List<Tensor>(window);
                double[]? sums = null; // the task's statistics summed over the epoch (sized at the first read)
                var pendingSize = new int[window];
                var pendingLr = new double[window];
                double lossSum = 0, metric = double.NaN;
                long seen = 0;
                int done = 0;
                double lastLr = LrSchedule.At(_o, _context.GlobalStep, batches);
                bool cancelled = false;

                // Dropout and other random layers draw from a generator seeded by (seed, epoch): resumable.
                torch.manual_seed(unchecked(_seed * 1_000_003L + epoch));
                _plan.TrainMode(_model);
                bool channelsLast = ChannelsLast.Planned(_model, _o.MemoryFormat, _o.Precision, _o.Device?.IsCuda == true);
                // Channels-last parameters for the epoch: the convolutions use their weights as they are, with no
                // per-step copies; evaluation, checkpoints and everything after the epoch see them contiguous again.
                using var layout = channelsLast ? ChannelsLastParameters.LayOut(_model, _optimizer) : null;
                _layout = layout;
                using var autocast = MixedPrecision.Enable(_model, _o.Precision, channelsLast);
                var sw = Stopwatch.StartNew();
                var windowScope = torch.NewDisposeScope();
                try
                {
                    foreach (var batch in loader.Epoch(epoch, _o.Cancellation))
                    {
                        using (batch)
                        {
                            if (_o.Cancellation.IsCancellationRequested)
                            {
                                cancelled = true;
                                break;
                            }
                            double lr = LrSchedule.At(_o, _context.GlobalStep, batches);
                            SetLearningRates(lr);
                            using (torch.NewDisposeScope())
                            {
                                var (batchLoss, batchStatistics) = Step(_model, batch, _o.Device, step, task);
                                pendingLoss.Add(batchLoss.to_type(ScalarType.Float64).MoveToOuterDisposeScope());
                                pendingStatistics.Add(batchStatistics.MoveToOuterDisposeScope());
                            }
                            int k = pendingLoss.Count - 1;
                            pendingSize[k] = batch.Size;
                            pendingLr[k] = lr;
                            lastLr = lr;
                            _context.GlobalStep++;
                            done++;
                        }
                        if (pendingLoss.Count == window || done == batches)
                        {
                            // One host read per window: the losses of its batches and their summed task statistics.
                            double[] values;
                            using (var all = torch.cat(new[] { torch.stack(pendingLoss).reshape(-1), torch.stack(pendingStatistics).sum(dim: 0) }).cpu())
                                values = all.data<double>().ToArray();
                            int count = pendingLoss.Count;
                            for (int i = 0; i < count; i++)
                            {
                                double l = values[i];
                                if (!double.IsFinite(l))
                                    throw Divergence.InTraining(l, epoch, done - count + i + 1, batches, pendingLr[i], _o, _context.LastGoodCheckpoint);
                                lossSum += l;
                                seen += pendingSize[i];
                            }
                            sums ??= new double[values.Length - count];
                            for (int j = 0; j < sums.Length; j++) sums[j] += values[count + j];
                            metric = task.Compute(sums).Metric;
                            pendingLoss.Clear();
                            pendingStatistics.Clear();
                            windowScope.Dispose();
                            windowScope = torch.NewDisposeScope();
                            double elapsed = sw.Elapsed.TotalSeconds;
                            var progress = new BatchProgress(epoch, done, batches, lossSum / Math.Max(1, seen), metric, seen / Math.Max(1e-9, elapsed), lastLr);
                            foreach (var c in _callbacks) c.OnBatchEnd(_context, progress);
                        }
                    }
                }
                finally
                {
                    windowScope.Dispose();
                    _layout = null;
                }
                if (_o.Cancellation.IsCancellationRequested) cancelled = true;
                return new EpochResult(lossSum / Math.Max(1, seen), metric, (int)seen, sw.Elapsed.TotalSeconds, lastLr, cancelled);
            }
        }
    }

    /// <summary>
    /// What counts as divergence and how it is reported: a NaN or infinite training loss (checked for every batch
    /// when the window is read) or validation loss or accuracy (checked before any callback sees the epoch, so
    /// nothing of that epoch is written). The message names the last checkpoint known to be finite.
    /// </summary>
    internal static class Divergence
    {
        public static bool IsFinite(EpochMetrics m) =>
            double.IsFinite(m.TrainLoss) && double.IsFinite(m.TrainAccuracy)
            && (double.IsNaN(m.ValLoss) && double.IsNaN(m.ValAccuracy) // no validation data
                || double.IsFinite(m.ValLoss) && double.IsFinite(m.ValAccuracy));

        public static TrainingDivergedException InTraining(double loss, int epoch, int batch, int batches, double lr, TrainOptions o, (string Path, int Epoch)? lastGood) =>
            Create(string.Format(CultureInfo.InvariantCulture, "the loss became {0} in epoch {1}, batch {2} of {3} (learning rate {4:G4})",
                Describe(loss), epoch, batch, batches, lr), epoch, batch, lr, o, lastGood);

        public static TrainingDivergedException InValidation(EpochMetrics m, TrainOptions o, (string Path, int Epoch)? lastGood)
        {
            string what = !double.IsFinite(m.TrainLoss) ? $"the training loss became {Describe(m.TrainLoss)}"
                : !double.IsFinite(m.ValLoss) ? $"the validation loss became {Describe(m.ValLoss)}"
                : $"the validation accuracy became {Describe(m.ValAccuracy)}";
            return Create(string.Format(CultureInfo.InvariantCulture, "{0} after epoch {1} (learning rate {2:G4})", what, m.Epoch, m.LearningRate),
                m.Epoch, 0, m.LearningRate, o, lastGood);
        }

        private static string Describe(double v) => double.IsNaN(v) ? "NaN" : "infinite";

        private static TrainingDivergedException Create(string what, int epoch, int batch, double lr, TrainOptions o, (string Path, int Epoch)? lastGood)
        {
            string hint = o.ClipGradNorm is null
                ? "Lower the learning rate or enable gradient clipping (ClipGradNorm, e.g. 1.0)."
                : $"Lower the learning rate (gradient clipping at {o.ClipGradNorm.Value.ToString(CultureInfo.InvariantCulture)} is already on).";
            string kept = lastGood is var (path, goodEpoch)
                ? $"The last good checkpoint {path} (epoch {goodEpoch}) and metrics.csv were left as they were; resume from it after changing the settings."
                : "No checkpoint had been written yet, so there is nothing to resume from.";
            return new TrainingDivergedException($"Training stopped: {what}. {hint} {kept}", epoch, batch, lr, lastGood?.Path);
        }
    }
}
