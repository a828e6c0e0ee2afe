using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Dsl.Runtime.Data;
using Dsl.Runtime.Device;
using Spectre.Console;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Runtime.Training
{
    /// <summary>Loss and accuracy of a model on a data set.</summary>
    public sealed record EvalResult(double Loss, double Accuracy, int Count);

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

        /// <summary>The checkpoint file.</summary>
        public string CheckpointPath => Path.Combine(OutputDir, CheckpointFile.FileName);

        /// <summary>The metrics CSV.</summary>
        public string MetricsCsvPath => Path.Combine(OutputDir, Trainer.MetricsCsvName);

        /// <summary>The curves PNG.</summary>
        public string PlotPath => Path.Combine(OutputDir, Trainer.PlotName);

        /// <summary>The last epoch's metrics, or null when no epoch finished.</summary>
        public EpochMetrics? Last => Metrics.Count > 0 ? Metrics[Metrics.Count - 1] : null;
    }

    /// <summary>Thrown when the training loss becomes NaN or infinite; the last good checkpoint is left as it was.</summary>
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

        /// <summary>The bad batch within the epoch (1-based).</summary>
        public int Batch { get; }

        /// <summary>Learning rate of the bad step.</summary>
        public double LearningRate { get; }

        /// <summary>The checkpoint that stays valid, or null when none had been written.</summary>
        public string? LastGoodCheckpoint { get; }
    }

    /// <summary>
    /// Trains and evaluates image classifiers (<c>Module&lt;Tensor, Tensor&gt;</c> returning logits) with cross-entropy.
    /// Writes metrics.csv, metrics.png and checkpoint.ckpt to <see cref="TrainOptions.OutputDir"/> after every epoch.
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
        /// </summary>
        /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
        /// <exception cref="CheckpointException">Resuming from a checkpoint that is corrupt or does not fit the model.</exception>
        public static FitResult Fit(nn.Module<Tensor, Tensor> model, ImageDataset train, ImageDataset? val, TrainOptions options)
        {
            options.Validate();
            var mode = options.Progress;
            if (mode == ProgressMode.Auto)
                mode = options.Log is null && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive ? ProgressMode.Rich : ProgressMode.Plain;
            var run = new Run(model, train, val, options);
            run.Prepare(options.Log ?? (mode == ProgressMode.Silent ? TextWriter.Null : Console.Out));
            if (run.Finished is FitResult done) return done;
            return mode switch
            {
                ProgressMode.Rich => SpectreProgress.Run(sink => run.Execute(sink)),
                ProgressMode.Silent => run.Execute(new SilentProgress()),
                _ => run.Execute(new PlainProgress(options.Log ?? Console.Out, options.PlainLineSeconds)),
            };
        }

        /// <summary><see cref="Fit"/> with <see cref="TrainOptions.Resume"/> set: continues from the checkpoint in the output folder.</summary>
        public static FitResult Resume(nn.Module<Tensor, Tensor> model, ImageDataset train, ImageDataset? val, TrainOptions options) =>
            Fit(model, train, val, options with { Resume = true });

        /// <summary>Mean cross-entropy loss and accuracy of <paramref name="model"/> on <paramref name="data"/> (eval mode, no gradients).</summary>
        public static EvalResult Evaluate(nn.Module<Tensor, Tensor> model, ImageDataset data, int batchSize = 256, ImageTransform? transform = null, DeviceSetup? device = null) =>
            Evaluate(model, new BatchLoader(data, batchSize, shuffle: false, transform: transform), device);

        /// <summary>Mean cross-entropy loss and accuracy over every batch of <paramref name="loader"/> (one read at the end).</summary>
        public static EvalResult Evaluate(nn.Module<Tensor, Tensor> model, BatchLoader loader, DeviceSetup? device = null)
        {
            bool wasTraining = model.training;
            model.eval();
            try
            {
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                var dev = device?.Device ?? torch.CPU;
                var lossSum = torch.zeros(1, ScalarType.Float64, dev);
                var correct = torch.zeros(1, ScalarType.Int64, dev);
                int count = 0;
                foreach (var batch in loader.Epoch(1))
                {
                    using (batch)
                    using (torch.NewDisposeScope())
                    {
                        var x = device is null ? batch.X : device.PrepareInput(batch.X);
                        var y = batch.Y.to(dev);
                        var logits = model.call(x);
                        if (logits.dtype != ScalarType.Float32) logits = logits.to_type(ScalarType.Float32);
                        lossSum.add_(nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum));
                        correct.add_(logits.argmax(1).eq(y).sum());
                        count += batch.Size;
                    }
                }
                if (count == 0) return new EvalResult(double.NaN, double.NaN, 0);
                return new EvalResult(lossSum.cpu().item<double>() / count, correct.cpu().item<long>() / (double)count, count);
            }
            finally
            {
                model.train(wasTraining);
            }
        }

        /// <summary>Loads the model weights of a checkpoint into <paramref name="model"/> (e.g. for evaluation or prediction).</summary>
        /// <exception cref="CheckpointException">The file is corrupt or its weights do not fit the model.</exception>
        public static CheckpointHeader LoadWeights(nn.Module model, string checkpointPath)
        {
            var data = CheckpointFile.Load(checkpointPath);
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

        internal static optim.Optimizer CreateOptimizer(TrainOptions o, Parameter[] parameters) => o.Optimizer switch
        {
            OptimizerKind.Sgd => torch.optim.SGD(parameters, o.LearningRate, momentum: o.Momentum, weight_decay: o.WeightDecay),
            OptimizerKind.Adam => torch.optim.Adam(parameters, o.LearningRate, weight_decay: o.WeightDecay),
            OptimizerKind.AdamW => torch.optim.AdamW(parameters, o.LearningRate, weight_decay: o.WeightDecay),
            _ => throw new ArgumentOutOfRangeException(nameof(o), o.Optimizer, "unknown optimizer"),
        };

        /// <summary>The state of one Fit call.</summary>
        private sealed class Run
        {
            private readonly nn.Module<Tensor, Tensor> _model;
            private readonly ImageDataset _train;
            private readonly ImageDataset? _val;
            private readonly TrainOptions _o;
            private readonly string _dir, _ckpt, _csv, _png;
            private readonly List<EpochMetrics> _metrics = new();
            private Parameter[] _parameters = Array.Empty<Parameter>();
            private optim.Optimizer? _optimizer;
            private optim.ILearningRateController[] _groups = Array.Empty<optim.ILearningRateController>();
            private BatchLoader? _trainLoader, _valLoader;
            private torch.Device _device = torch.CPU;
            private long _seed, _globalStep;
            private int _startEpoch = 1, _bestEpoch, _bad;
            private double? _best;
            private int? _resumedFrom;
            private TextWriter _log = TextWriter.Null;

            public Run(nn.Module<Tensor, Tensor> model, ImageDataset train, ImageDataset? val, TrainOptions options)
            {
                _model = model;
                _train = train;
                _val = val;
                _o = options;
                _dir = Path.GetFullPath(options.OutputDir);
                _ckpt = Path.Combine(_dir, CheckpointFile.FileName);
                _csv = Path.Combine(_dir, MetricsCsvName);
                _png = Path.Combine(_dir, PlotName);
            }

            public FitResult? Finished { get; private set; }

            public void Prepare(TextWriter log)
            {
                _log = log;
                Directory.CreateDirectory(_dir);
                _seed = _o.EffectiveSeed;
                if (_o.Device is DeviceSetup d)
                {
                    d.Prepare(_model);
                    _device = d.Device;
                }
                _parameters = _model.parameters().ToArray();
                _optimizer = CreateOptimizer(_o, _parameters);
                _groups = _optimizer.ParamGroups.ToArray();

                if (_o.Resume && File.Exists(_ckpt))
                {
                    var data = CheckpointFile.Load(_ckpt);
                    var h = data.Header;
                    LoadModelState(_model, data.ModelState, _ckpt);
                    try
                    {
                        using var reader = new BinaryReader(new MemoryStream(data.OptimizerState));
                        ((OptimizerHelper)_optimizer).load_state_dict(reader);
                    }
                    catch (Exception e)
                    {
                        throw new CheckpointException(_ckpt, $"its optimizer state ({h.Optimizer}) does not fit the {_o.Optimizer} optimizer of this run: {e.Message}", e);
                    }
                    if (h.BatchSize != _o.BatchSize)
                        log.WriteLine($"note: the checkpoint was trained with batch size {h.BatchSize}, this run uses {_o.BatchSize}; the data order changes.");
                    _seed = h.Seed;
                    _globalStep = h.GlobalStep;
                    _startEpoch = h.Epoch + 1;
                    _best = h.BestMetric;
                    _bestEpoch = h.BestEpoch;
                    _bad = h.EpochsWithoutImprovement;
                    _metrics.AddRange(h.Metrics.Where(m => m.Epoch <= h.Epoch).OrderBy(m => m.Epoch));
                    _resumedFrom = h.Epoch;
                    log.WriteLine($"Resuming from {_ckpt} after epoch {h.Epoch} of {_o.Epochs} (seed {_seed}, step {_globalStep}).");
                }
                else if (_o.Resume)
                {
                    log.WriteLine($"No checkpoint in {_dir}; starting from epoch 1.");
                }

                if (_val is null && _o.EarlyStoppingPatience is not null)
                    log.WriteLine("note: early stopping needs validation data; without it the run goes on for all epochs.");

                // metrics.csv holds exactly the checkpointed epochs: rows written after the last checkpoint are dropped.
                MetricsCsv.Write(_csv, _metrics);
                if (_o.Plot && _metrics.Count > 0) MetricsPlot.Save(_png, _metrics);

                int evalBatch = _o.EvalBatchSize > 0 ? _o.EvalBatchSize : 2 * _o.BatchSize;
                _trainLoader = new BatchLoader(_train, _o.BatchSize, shuffle: true, seed: _seed, transform: _o.Transform, prefetch: _o.Prefetch);
                _valLoader = _val is null ? null : new BatchLoader(_val, evalBatch, shuffle: false, seed: _seed, transform: _o.Transform, prefetch: _o.Prefetch);
                if (_startEpoch > _o.Epochs)
                    Finished = Result(true, $"completed (the checkpoint already holds epoch {_startEpoch - 1} of {_o.Epochs})");
            }

            private FitResult Result(bool completed, string reason) =>
                new(_metrics.ToArray(), completed, reason, _resumedFrom, _dir, _bestEpoch);

            public FitResult Execute(IProgressSink progress)
            {
                for (int epoch = _startEpoch; epoch <= _o.Epochs; epoch++)
                {
                    var sw = Stopwatch.StartNew();
                    var train = TrainEpoch(epoch, progress, out double trainSeconds, out double lastLr, out bool cancelled);
                    if (cancelled) return Result(false, $"cancelled during epoch {epoch}; the checkpoint holds epoch {epoch - 1}");
                    var valResult = _valLoader is null ? null : Evaluate(_model, _valLoader, _o.Device);
                    var m = new EpochMetrics
                    {
                        Epoch = epoch,
                        TrainLoss = train.Loss,
                        TrainAccuracy = train.Accuracy,
                        ValLoss = valResult?.Loss ?? double.NaN,
                        ValAccuracy = valResult?.Accuracy ?? double.NaN,
                        LearningRate = lastLr,
                        Seconds = sw.Elapsed.TotalSeconds,
                        ImagesPerSecond = train.Count / Math.Max(1e-9, trainSeconds),
                    };
                    _metrics.Add(m);
                    bool stopEarly = UpdateEarlyStopping(m);
                    WriteCheckpoint(epoch);
                    MetricsCsv.Append(_csv, m);
                    if (_o.Plot) MetricsPlot.Save(_png, _metrics);
                    progress.EpochFinished(m, _o.Epochs);
                    if (_o.ReleaseMemoryEachEpoch) NativeMemory.Release();
                    _o.OnEpochEnd?.Invoke(m);
                    if (stopEarly)
                        return Result(false, $"early stopping: no improvement of {(_o.EarlyStoppingMetric == EarlyStoppingMetric.ValLoss ? "val loss" : "val accuracy")} for {_bad} epochs (best epoch {_bestEpoch})");
                    if (_o.StopAfterEpoch is int stop && epoch >= stop && epoch < _o.Epochs)
                        return Result(false, $"stopped after epoch {epoch} as requested");
                }
                return Result(true, "completed");
            }

            private bool UpdateEarlyStopping(EpochMetrics m)
            {
                if (double.IsNaN(m.ValLoss)) return false;
                bool lossMetric = _o.EarlyStoppingMetric == EarlyStoppingMetric.ValLoss;
                double v = lossMetric ? m.ValLoss : m.ValAccuracy;
                bool improved = _best is not double b || (lossMetric ? v < b - _o.EarlyStoppingMinDelta : v > b + _o.EarlyStoppingMinDelta);
                if (improved)
                {
                    _best = v;
                    _bestEpoch = m.Epoch;
                    _bad = 0;
                }
                else _bad++;
                return _o.EarlyStoppingPatience is int p && _bad >= p;
            }

            private void WriteCheckpoint(int epoch)
            {
                var header = new CheckpointHeader
                {
                    Epoch = epoch,
                    NextEpoch = epoch + 1,
                    GlobalStep = _globalStep,
                    Seed = _seed,
                    PlannedEpochs = _o.Epochs,
                    BatchSize = _o.BatchSize,
                    Optimizer = _o.Optimizer.ToString(),
                    Schedule = _o.Schedule.ToString(),
                    BestMetric = _best,
                    BestEpoch = _bestEpoch,
                    EpochsWithoutImprovement = _bad,
                    ModelType = _model.GetType().FullName ?? _model.GetType().Name,
                    Metrics = new List<EpochMetrics>(_metrics),
                };
                byte[] opt;
                using (var ms = new MemoryStream())
                {
                    using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
                        ((OptimizerHelper)_optimizer!).save_state_dict(w);
                    opt = ms.ToArray();
                }
                CheckpointFile.Save(_ckpt, new CheckpointData(header, SaveModelState(_model), opt));
            }

            private EvalResult TrainEpoch(int epoch, IProgressSink progress, out double seconds, out double lastLr, out bool cancelled)
            {
                var loader = _trainLoader!;
                var optimizer = _optimizer!;
                int batches = loader.BatchesPerEpoch;
                int window = _o.ReadEveryBatches;
                var pendingLoss = new List<Tensor>(window);
                var pendingCorrect = new List<Tensor>(window);
                var pendingSize = new int[window];
                var pendingLr = new double[window];
                double lossSum = 0;
                long correct = 0, seen = 0;
                int done = 0;
                lastLr = LrSchedule.At(_o, _globalStep, batches);
                cancelled = false;
                bool bf16 = _o.Device?.IsBFloat16 == true;
                double? clip = _o.ClipGradNorm;

                // Dropout and other random layers draw from a generator seeded by (seed, epoch): resumable.
                torch.manual_seed(unchecked(_seed * 1_000_003L + epoch));
                _model.train();
                progress.EpochStarted(epoch, _o.Epochs, batches);
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
                            double lr = LrSchedule.At(_o, _globalStep, batches);
                            for (int g = 0; g < _groups.Length; g++) _groups[g].LearningRate = lr;
                            using (torch.NewDisposeScope())
                            {
                                var x = bf16 ? batch.X.to(ScalarType.BFloat16, _device) : batch.X.to(_device);
                                var y = batch.Y.to(_device);
                                optimizer.zero_grad();
                                var logits = _model.call(x);
                                if (logits.dtype != ScalarType.Float32) logits = logits.to_type(ScalarType.Float32);
                                var loss = nn.functional.cross_entropy(logits, y);
                                loss.backward();
                                if (clip is double max) ClipGradNorm(_parameters, max);
                                optimizer.step();
                                pendingLoss.Add(loss.detach().mul(batch.Size).MoveToOuterDisposeScope());
                                pendingCorrect.Add(logits.argmax(1).eq(y).sum().to_type(ScalarType.Float32).MoveToOuterDisposeScope());
                            }
                            int k = pendingLoss.Count - 1;
                            pendingSize[k] = batch.Size;
                            pendingLr[k] = lr;
                            lastLr = lr;
                            _globalStep++;
                            done++;
                        }
                        if (pendingLoss.Count == window || done == batches)
                        {
                            // One host read per window: the losses and correct counts of its batches.
                            float[] values;
                            using (var all = torch.cat(new[] { torch.stack(pendingLoss), torch.stack(pendingCorrect) }).cpu())
                                values = all.data<float>().ToArray();
                            int count = pendingLoss.Count;
                            for (int i = 0; i < count; i++)
                            {
                                double l = values[i];
                                if (!double.IsFinite(l)) throw Diverged(epoch, done - count + i + 1, batches, pendingLr[i], l);
                                lossSum += l;
                                correct += (long)values[count + i];
                                seen += pendingSize[i];
                            }
                            pendingLoss.Clear();
                            pendingCorrect.Clear();
                            windowScope.Dispose();
                            windowScope = torch.NewDisposeScope();
                            double elapsed = sw.Elapsed.TotalSeconds;
                            progress.BatchesDone(done, lossSum / Math.Max(1, seen), correct / (double)Math.Max(1, seen), seen / Math.Max(1e-9, elapsed), lastLr);
                        }
                    }
                }
                finally
                {
                    windowScope.Dispose();
                }
                seconds = sw.Elapsed.TotalSeconds;
                if (_o.Cancellation.IsCancellationRequested) cancelled = true;
                return new EvalResult(lossSum / Math.Max(1, seen), correct / (double)Math.Max(1, seen), (int)seen);
            }

            private TrainingDivergedException Diverged(int epoch, int batch, int batches, double lr, double loss)
            {
                string what = double.IsNaN(loss) ? "NaN" : "infinite";
                int lastGood = epoch - 1;
                string kept = File.Exists(_ckpt) && lastGood > 0
                    ? $"The last good checkpoint {_ckpt} (epoch {lastGood}) was left as it was; resume from it after changing the settings."
                    : "No checkpoint had been written yet (the run failed in its first epoch).";
                string hint = _o.ClipGradNorm is null
                    ? "Lower the learning rate or enable gradient clipping (ClipGradNorm, e.g. 1.0)."
                    : $"Lower the learning rate (gradient clipping at {_o.ClipGradNorm.Value.ToString(CultureInfo.InvariantCulture)} is already on).";
                string message = string.Format(CultureInfo.InvariantCulture,
                    "Training stopped: the loss became {0} in epoch {1}, batch {2} of {3} (learning rate {4:G4}). {5} {6}",
                    what, epoch, batch, batches, lr, hint, kept);
                return new TrainingDivergedException(message, epoch, batch, lr, File.Exists(_ckpt) ? _ckpt : null);
            }
        }
    }
}
