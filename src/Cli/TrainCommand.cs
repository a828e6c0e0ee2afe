using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Dsl;
using Dsl.Runtime;
using Dsl.Runtime.Autocast;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.Device;
using Dsl.Runtime.Interop;
using Dsl.Runtime.Data;
using Dsl.Runtime.Data.Transforms;
using Dsl.Runtime.Training;

namespace Dsl.Cli
{
    /// <summary>What <c>train</c> was asked to do, after defaults and presets are applied.</summary>
    public sealed record TrainSettings
    {
        public string? Model { get; init; }
        public int Epochs { get; init; } = 6;
        public int BatchSize { get; init; } = 128;
        public double LearningRate { get; init; } = 0.05;
        public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;
        public double Momentum { get; init; } = 0.9;
        public double WeightDecay { get; init; } = 5e-4;
        public LrScheduleKind Schedule { get; init; } = LrScheduleKind.OneCycle;
        public double? ClipGradNorm { get; init; }
        public int? Patience { get; init; }
        public int? ImageSize { get; init; }
        public string Device { get; init; } = "auto";
        public int Threads { get; init; }
        /// <summary>float32, or mixed precision (bf16, fp16): README, "Precision".</summary>
        public Precision Precision { get; init; } = Precision.Float32;
        /// <summary>The layout of the 4-d tensors while training (<see cref="TrainOptions.MemoryFormat"/>).</summary>
        public MemoryFormat MemoryFormat { get; init; } = MemoryFormat.Auto;
        public string? Data { get; init; }
        public MnistVariant Dataset { get; init; } = MnistVariant.FashionMnist;
        /// <summary>How the data is read: format, validation source or fraction, image mode, CSV target.</summary>
        public DataOptions DataOptions { get; init; } = new();
        /// <summary>Per-sample training transforms: a preset (imagenet, cifar, none) or transforms in torchvision's words; null: none.</summary>
        public string? Transforms { get; init; }
        /// <summary>Per-sample evaluation transforms; null: the preset's evaluation half, or none.</summary>
        public string? EvalTransforms { get; init; }
        public int Workers { get; init; }
        /// <summary>classification, segmentation or regression; null: the one that fits the data and the model.</summary>
        public string? Task { get; init; }
        /// <summary>Regression loss (mse, mae, huber); null: MSE.</summary>
        public RegressionLoss? Loss { get; init; }
        /// <summary>Classification label smoothing.</summary>
        public double? LabelSmoothing { get; init; }
        public bool Download { get; init; }
        public string Out { get; init; } = Path.Combine("runs", "latest");
        public bool Resume { get; init; }
        public bool Overwrite { get; init; }
        public long Seed { get; init; } = 42;
        public int? Limit { get; init; }
        /// <summary>A PyTorch .pth or safetensors state dict to start from (fine-tuning); null: the network's initialisation.</summary>
        public string? InitFrom { get; init; }
        /// <summary>Globs over parameter names to freeze (<c>--freeze</c>).</summary>
        public IReadOnlyList<string> Freeze { get; init; } = Array.Empty<string>();
        /// <summary>Learning rates by parameter-name glob (<c>--lr-for</c>).</summary>
        public IReadOnlyDictionary<string, double> LearningRates { get; init; } = new Dictionary<string, double>();

        /// <summary>The D2L chapter's setup, meant for a GPU: ResNet-18 at 96x96, batch 128, plain SGD lr 0.01, 10 epochs.</summary>
        public static TrainSettings D2LPreset(TrainSettings s) => s with
        {
            Model = "d2l-resnet18", ImageSize = 96, BatchSize = 128, LearningRate = 0.01, Optimizer = OptimizerKind.Sgd,
            Momentum = 0, WeightDecay = 0, Schedule = LrScheduleKind.Constant, Epochs = 10,
        };
    }

    /// <summary>What runs the network in <c>evaluate</c>.</summary>
    public enum InferenceEngine
    {
        /// <summary>TorchSharp, eager (the trainer's own forward).</summary>
        Torch,

        /// <summary>ONNX Runtime, on the network exported from its graph with the checkpoint's weights.</summary>
        Onnx,
    }

    /// <summary>The sample's <c>train</c> and <c>evaluate</c> commands.</summary>
    public sealed class TrainCommand
    {
        private readonly NetworkCatalog _catalog;

        /// <summary>The commands over <paramref name="catalog"/>'s networks.</summary>
        public TrainCommand(NetworkCatalog catalog) => _catalog = catalog;

        /// <summary>The Fashion-MNIST subset shipped with the sample (6,000 train / 1,000 test images).</summary>
        public static string BuiltInData => Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset");

        /// <summary>
        /// Scale to [0, 1], normalize with the training set's channel mean and standard deviation
        /// (Fashion-MNIST 0.2860 / 0.3530, MNIST 0.1307 / 0.3081), and resize (bilinear) to the model's input.
        /// The resize is always requested: the transform skips it for images already of that size, and any other
        /// size (32x32 files for a 28x28 model) is resized rather than passed on.
        /// </summary>
        private static ImageTransform TransformFor(int size, MnistVariant variant)
        {
            var (mean, std) = variant == MnistVariant.Mnist ? (0.1307, 0.3081) : (0.2860, 0.3530);
            return new ImageTransform { Resize = size, Mean = new[] { mean }, Std = new[] { std } };
        }

        /// <summary>The command-line option behind each runtime setting, so errors name what the user typed.</summary>
        private static readonly Dictionary<string, string> OptionNames = new()
        {
            [nameof(TrainOptions.Epochs)] = "--epochs",
            [nameof(TrainOptions.BatchSize)] = "--batch-size",
            [nameof(TrainOptions.LearningRate)] = "--lr",
            [nameof(TrainOptions.WeightDecay)] = "--weight-decay",
            [nameof(TrainOptions.ClipGradNorm)] = "--clip",
            [nameof(TrainOptions.EarlyStoppingPatience)] = "--patience",
            [nameof(TrainOptions.OutputDir)] = "--out",
            [nameof(TrainOptions.Overwrite)] = "--overwrite",
            ["threads"] = "--threads",
            ["format"] = "--format",
            ["image mode"] = "--image-mode",
            ["validation fraction"] = "--val-fraction",
            ["classes"] = "--classes",
            ["classifier"] = "--classes",
            [nameof(TrainOptions.Freeze)] = "--freeze",
            [nameof(TrainOptions.LearningRates)] = "--lr-for",
            [nameof(TrainOptions.Workers)] = "--workers",
        };

        /// <summary>The message the command line prints for a failure: runtime setting names become option names.</summary>
        public static string Explain(Exception e) => e switch
        {
            InvalidOptionException o => o.Rename(OptionNames.GetValueOrDefault(o.Option, o.Option)).Message,
            ExistingCheckpointException c => $"{c.Path} already exists: pass --resume to continue that run, or --overwrite to start a new run in its place (the checkpoint is then deleted), or choose another --out folder.",
            _ => e.Message,
        };

        /// <summary>
        /// Exit codes: 2 for a setting, data set or checkpoint that cannot be used, 3 when training diverged, 4 when
        /// an output file could not be written. In every case earlier checkpoints and metrics are left intact.
        /// </summary>
        public static int ExitCode(Exception e) => e switch
        {
            TrainingDivergedException => 3,
            OutputWriteException => 4,
            _ => 2,
        };

        /// <summary>
        /// <c>--checkpoint</c> must be a file: a folder (such as train's <c>--out</c>) is refused naming the file in it to pass,
        /// rather than reported as a missing file.
        /// </summary>
        internal static void CheckCheckpointFile(string checkpoint)
        {
            if (!Directory.Exists(checkpoint)) return;
            string? inside = new[] { "checkpoint.ckpt", "model.safetensors", Path.Combine("run", "model.safetensors") }
                .Select(name => Path.Combine(checkpoint, name)).FirstOrDefault(File.Exists);
            throw new InvalidOptionException("--checkpoint", "a file: a checkpoint.ckpt written by train, or a .safetensors state dict with --model",
                $"{checkpoint}, which is a folder; " + (inside is not null ? $"pass {inside}" : $"pass the checkpoint.ckpt that train wrote into its --out folder"));
        }

        /// <summary>The names <c>--precision</c> takes (<see cref="MemoryPlan.Name(Precision)"/>: float32, bf16, fp16).</summary>
        public static string[] PrecisionNames { get; } = Enum.GetValues<Precision>().Select(MemoryPlan.Name).ToArray();

        /// <summary>The precision called <paramref name="name"/> on the command line.</summary>
        public static Precision ParsePrecision(string name)
        {
            foreach (var p in Enum.GetValues<Precision>())
                if (MemoryPlan.Name(p) == name) return p;
            throw new InvalidOptionException("--precision", string.Join(", ", PrecisionNames), $"'{name}'");
        }

        /// <summary>The names <c>--memory-format</c> takes: <see cref="Dsl.Runtime.Autocast.MemoryFormat"/>'s, in kebab case (auto, contiguous, channels-last).</summary>
        public static string[] MemoryFormatNames { get; } = Enum.GetValues<MemoryFormat>().Select(MemoryFormatName).ToArray();

        /// <summary>The command line's name of <paramref name="format"/> (<c>channels-last</c>).</summary>
        public static string MemoryFormatName(MemoryFormat format) =>
            string.Concat(format.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

        /// <summary>The memory format called <paramref name="name"/> on the command line.</summary>
        public static MemoryFormat ParseMemoryFormat(string name)
        {
            foreach (var f in Enum.GetValues<MemoryFormat>())
                if (string.Equals(MemoryFormatName(f), name, StringComparison.OrdinalIgnoreCase)) return f;
            throw new InvalidOptionException("--memory-format", string.Join(", ", MemoryFormatNames), $"'{name}'");
        }

        /// <summary>The log line's precision part: <c>, precision: bf16 mixed (CPU: avx512_bf16, ...)</c>.</summary>
        private static string PrecisionReport(Precision precision, DeviceSetup device) =>
            precision == Precision.Float32 ? ", precision: float32"
                : $", precision: {MemoryPlan.Name(precision)} mixed{(device.IsCuda ? "" : $" (CPU: {PrecisionSupport.Describe(PrecisionSupport.CpuFlags())})")}";

        /// <summary>Checks everything that needs neither TorchSharp nor the data, so mistakes are reported at once.</summary>
        private static TrainOptions CheckSettings(TrainSettings s)
        {
            if (s.Limit is int limit && limit < 1)
                throw new InvalidOptionException("--limit", "a whole number of at least 1 (images to train on)", limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
            DeviceSetup.CheckThreads(s.Threads);
            var options = new TrainOptions
            {
                Epochs = s.Epochs,
                BatchSize = s.BatchSize,
                Optimizer = s.Optimizer,
                LearningRate = s.LearningRate,
                Momentum = s.Momentum,
                WeightDecay = s.WeightDecay,
                Schedule = s.Schedule,
                ClipGradNorm = s.ClipGradNorm,
                EarlyStoppingPatience = s.Patience,
                OutputDir = s.Out,
                Resume = s.Resume,
                Overwrite = s.Overwrite,
                Seed = s.Seed,
                Workers = s.Workers,
                Freeze = s.Freeze,
                LearningRates = s.LearningRates,
                Precision = s.Precision,
                MemoryFormat = s.MemoryFormat,
            };
            options.Validate();
            return options;
        }

        /// <summary>MNIST-format images as they are (no --transforms) fit image models only.</summary>
        // The catalogue's 1-channel image networks, the default first: "resnet-mini or d2l-resnet18".
        private string OneChannelModels()
        {
            var names = _catalog.All.Where(m => m.Info.InputShape.Rank == 3 && m.Info.InputShape[0] == 1)
                .OrderBy(m => m.Name == _catalog.DefaultModel ? 0 : 1).Select(m => m.Name).Take(2).ToList();
            return names.Count == 0 ? "one that takes 1-channel images" : string.Join(" or ", names);
        }

        private void RequireImages(ModelEntry entry)
        {
            if (entry.Info.InputShape.Rank != 3)
                throw new ArgumentException(
                    $"{entry.Name} takes input {entry.Info.InputShape}, not images (channels, height, width): train it on a table or arrays (--data a .csv, .npy or .npz file), " +
                    "or turn the images into what it takes with --transforms (e.g. \"ImageToSequence()\" for rows as a sequence), or choose an image model such as " + (_catalog.DefaultModel ?? "an image network") + ".");
        }

        public int Train(TrainSettings s, TextWriter output)
        {
            var checkedOptions = CheckSettings(s);
            // The network first: a wrong or missing --model is reported before the backend is loaded.
            var entry = _catalog.Find(s.Model);
            CheckLanguageModelData(entry, s);
            TorchNative.EnsureLoaded();

            var device = DeviceSetup.Create(s.Device, s.Threads, s.Seed);
            device.CheckPrecision(s.Precision); // before any output is written
            output.WriteLine(device.Report() + PrecisionReport(s.Precision, device));
            using var data = OpenData(s, entry, s.Data, train: true, output);
            output.WriteLine($"model: {entry.Name}, {entry.Info.TotalParameters:N0} parameters, {entry.Info.TotalMultiplyAdds / 1e6:F1} M multiply-adds per image");
            if (OutputsReport(entry.Info) is { } outputs) output.WriteLine(outputs);

            var options = checkedOptions with { Device = device, Transform = data.BatchTransform, Log = output, Workers = s.Workers, Task = TaskFor(s) };
            using var model = entry.Create();
            FineTune(entry, model, s, data.Train.TargetKind, output);
            output.WriteLine($"memory format: {(ChannelsLast.Planned(model, s.MemoryFormat, s.Precision, device.IsCuda) ? "channels-last" : "contiguous")} (--memory-format {MemoryFormatName(s.MemoryFormat)})");
            var result = Trainer.Fit(model, data.Train, data.Validation, options);
            output.WriteLine($"task: {result.Task}");
            var last = result.Last;
            if (last is not null)
            {
                output.WriteLine($"done: {result.Metrics.Count} epoch(s), test {Metric(result.Task, last.ValAccuracy)}, test loss {last.ValLoss:F4}{Extras(result.Task, last.ValExtra)}, {last.Seconds:F0} s in the last epoch ({last.ImagesPerSecond:F0} images/s).");
            }
            output.WriteLine($"wrote {string.Join(", ", new[] { result.MetricsCsvPath, result.PlotPath }.Concat(result.PicturePaths))} and {result.CheckpointPath}");
            // The page beside metrics.csv: diagram, summary, curves and final metrics (docs/diagrams.md).
            output.WriteLine($"wrote {TrainingReport.Write(entry.Info, result)}");
            if (!result.Completed) output.WriteLine("stopped: " + result.StopReason);
            return 0;
        }

        /// <summary>The task of <c>--task</c>, <c>--loss</c> and <c>--label-smoothing</c>; null lets the trainer choose from the data and the model.</summary>
        private static TrainingTask? TaskFor(TrainSettings s)
        {
            string? name = s.Task?.Trim().ToLowerInvariant();
            if (name is null && s.Loss is not null) name = "regression";
            if (name is null && s.LabelSmoothing is not null) name = "classification";
            if (s.Loss is not null && name != "regression")
                throw new InvalidOptionException("--loss", "used with regression (value targets); classification and segmentation use cross-entropy", $"--loss with {name}");
            if (s.LabelSmoothing is not null && name != "classification" && name != "sequence-classification")
                throw new InvalidOptionException("--label-smoothing", "used with classification", $"--label-smoothing with {name}");
            return name switch
            {
                null => null,
                "classification" or "sequence-classification" => new ClassificationTask(s.LabelSmoothing ?? 0),
                "segmentation" => new SegmentationTask(s.DataOptions.Classes ?? 0, s.DataOptions.IgnoreIndex),
                "regression" => new RegressionTask(s.Loss ?? RegressionLoss.Mse),
                "language-model" => new LanguageModelTask(),
                _ => throw new InvalidOptionException("--task", "classification, sequence-classification, segmentation, regression or language-model", s.Task!),
            };
        }

        /// <summary>
        /// A language model trains on text only, with a tokenizer whose ids its vocabulary holds; both are checked before
        /// anything is loaded (the same for train and evaluate).
        /// </summary>
        private static void CheckLanguageModelData(ModelEntry entry, TrainSettings s)
        {
            var graph = Dsl.Runtime.Graph.NetworkGraph.Of(entry.Info);
            if (!graph.IsTokens) return;
            var format = s.DataOptions.Format;
            if (format == DataFormat.Auto && s.Data is string path && File.Exists(path)) format = DataSources.Detect(path);
            if (format != DataFormat.Text)
                throw new ArgumentException(
                    $"{entry.Name} is a language model: it takes token ids [N, L] (L at most {entry.Info.InputShape[0]}, ids in [0, {graph.Vocabulary})) and gives next-token logits per position. " +
                    $"Train it on a UTF-8 text file: --data corpus.txt --tokenizer {(graph.Vocabulary < Dsl.Runtime.Language.TextTokenizer.Gpt2.VocabularySize ? "bytes" : "gpt2")}.");
            var tokenizer = Dsl.Runtime.Language.TextTokenizer.Parse(s.DataOptions.Tokenizer);
            if (graph.Vocabulary < tokenizer.VocabularySize)
                throw new InvalidOptionException("--tokenizer", $"a tokenizer whose ids {entry.Name}'s vocabulary of {graph.Vocabulary:N0} holds (bytes: 256, gpt2: 50,257)", $"{tokenizer.Name} ({tokenizer.VocabularySize:N0} tokens)");
        }

        /// <summary>The task's main metric as the summary line says it: "accuracy 91.2 %", "mean IoU 0.8312", "R² 0.9410".</summary>
        private static string Metric(TrainingTask task, double value) =>
            task is ClassificationTask ? $"accuracy {value:P1}" : $"{task.MetricName} {value:F4}";

        private static string Extras(TrainingTask task, IReadOnlyDictionary<string, double>? extra)
        {
            if (extra is null) return "";
            var parts = task.ExtraMetrics.Where(extra.ContainsKey).Select(k => $"{k.Replace('_', ' ')} {extra[k]:F4}");
            return string.Concat(parts.Select(p => ", " + p));
        }

        /// <summary>
        /// <c>--classes</c>, <c>--init-from</c> and <c>--freeze</c> applied to a new model, each reported: the classifier
        /// replaced when the task has another number of classes than the network declares, then the state dict loaded
        /// (a head of another size in the file is skipped), then the freeze patterns checked (the trainer applies them).
        /// </summary>
        private static void FineTune(ModelEntry entry, TorchSharp.torch.nn.Module model, TrainSettings s, TargetKind target, TextWriter output)
        {
            var declared = entry.Info.OutputShape;
            if (s.DataOptions.Classes is int classes)
            {
                if (target == TargetKind.Mask)
                {
                    if (declared.Rank == 3 && declared[0] != classes)
                        throw new ArgumentException($"--classes {classes} does not match {entry.Name}, whose output has {declared[0]} channels, one per mask class; a segmentation network keeps its output layer: pass --classes {declared[0]}, or choose a network declared for {classes} classes.");
                }
                else if (target != TargetKind.Class)
                {
                    throw new ArgumentException($"--classes {classes} applies to classification and segmentation, but the data's targets are values (regression); leave it out.");
                }
                else if (declared.Rank == 1 && declared[0] != classes)
                {
                    output.WriteLine(FineTuning.ReplaceClassifier(model, classes, seed: s.Seed) + " (a new head, initialised as PyTorch's nn.Linear)");
                }
            }
            if (s.InitFrom is string path) output.WriteLine("init: " + FineTuning.LoadPretrained(model, path));
            if (s.Freeze.Count > 0)
            {
                var frozen = FineTuning.Freeze(model, s.Freeze).ToHashSet();
                long values = 0, trainable = 0;
                foreach (var (name, p) in model.named_parameters())
                {
                    if (frozen.Contains(name)) values += p.numel();
                    else if (p.requires_grad) trainable += p.numel();
                }
                output.WriteLine($"frozen: {string.Join(", ", s.Freeze)}: {frozen.Count} parameter tensors ({values:N0} values); {trainable:N0} values to train; {FineTuning.FrozenBatchNorms(model, s.Freeze).Count} BatchNorm layers keep their statistics");
            }
        }

        /// <summary>
        /// The patterns of <c>--freeze</c>: comma-separated, the option may repeat (<c>--freeze 'layer1.*,layer2.*'</c>).
        /// </summary>
        public static IReadOnlyList<string> ParsePatterns(IEnumerable<string>? values) =>
            (values ?? Array.Empty<string>()).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();

        /// <summary>The learning rates of <c>--lr-for</c>: comma-separated <c>PATTERN=RATE</c> pairs, the option may repeat.</summary>
        /// <exception cref="InvalidOptionException">A pair is not PATTERN=RATE with a number, or a pattern is given twice.</exception>
        public static IReadOnlyDictionary<string, double> ParseRates(IEnumerable<string>? values)
        {
            var rates = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var pair in ParsePatterns(values))
            {
                int eq = pair.LastIndexOf('=');
                if (eq <= 0 || !double.TryParse(pair.AsSpan(eq + 1), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double rate))
                    throw new InvalidOptionException("--lr-for", "PATTERN=RATE pairs separated by commas, e.g. 'fc.*=0.01'", $"'{pair}'");
                string pattern = pair.Substring(0, eq).Trim();
                if (!rates.TryAdd(pattern, rate))
                    throw new InvalidOptionException("--lr-for", "each pattern once", $"'{pattern}' twice");
            }
            return rates;
        }

        /// <summary>The data a command reads, with the transforms that fit the model; disposing it releases the sources.</summary>
        private sealed class CommandData(Dataset train, Dataset? validation, ImageTransform batchTransform, IDisposable owner) : IDisposable
        {
            public Dataset Train { get; } = train;
            public Dataset? Validation { get; } = validation;
            public ImageTransform BatchTransform { get; } = batchTransform;
            public void Dispose() => owner.Dispose();
        }

        private sealed class Owned : IDisposable
        {
            private readonly IDisposable[] _all;
            public Owned(params IDisposable[] all) => _all = all;
            public void Dispose() { foreach (var d in _all) d.Dispose(); }
        }

        /// <summary>
        /// Opens the data of <c>train</c> or <c>evaluate</c>. Without <c>--data</c>, or with MNIST-format files, the
        /// (Fashion-)MNIST path of before: the batch is resized to the model's declared size and normalized with the
        /// set's statistics. Any other source goes through <see cref="DataSources.Open"/>, and its per-sample transforms
        /// are the preset or list given (<c>--transforms</c>), presets at <see cref="PresetSize"/>.
        /// </summary>
        private CommandData OpenData(TrainSettings s, ModelEntry entry, string? path, bool train, TextWriter output)
        {
            string folder = path ?? BuiltInData;
            var format = s.DataOptions.Format;
            if (path is null) format = DataFormat.Idx;
            else if (format == DataFormat.Auto) format = DataSources.Detect(folder);
            if (format == DataFormat.Idx && s.Transforms is null && s.EvalTransforms is null && s.DataOptions.ImageMode is null && s.DataOptions.ValidationFraction is null && s.DataOptions.ValidationPath is null)
                return OpenIdx(s, entry, folder, path is null, train, output);

            // Segmentation masks hold as many classes as the network outputs per pixel, unless --classes says otherwise.
            var outputShape = entry.Info.OutputShape;
            int? classes = s.DataOptions.Classes ?? (outputShape.Rank == 3 ? (int)outputShape[0] : null);
            // Text is cut into windows of the language model's input length.
            int? context = entry.Info.InputShape.Rank == 1 ? (int)entry.Info.InputShape[0] : null;
            var split = DataSources.Open(folder, s.DataOptions with { Format = format, Seed = s.Seed, Classes = classes, Context = s.DataOptions.Context ?? context });
            try
            {
                var (trainSet, valSet) = (split.Train, split.Validation);
                if (!train)
                {
                    // evaluate: the source's test or validation part where it has one, else all of it.
                    trainSet = valSet ?? trainSet;
                    valSet = null;
                }
                var sample = SampleShapeOf(trainSet);
                CheckChannels(entry, trainSet, sample, split);
                if (sample is { Rank: not 3 } && new[] { s.Transforms, s.EvalTransforms }.Any(t => t is not null && !string.Equals(t.Trim(), "none", StringComparison.OrdinalIgnoreCase)))
                    throw new ArgumentException($"--transforms and --eval-transforms apply to images; {folder} holds {DataSources.Words[split.Format]} samples of shape {sample}, which are not images: leave them out.");
                var (trainTransform, evalTransform) = Transforms(s, PresetSize(s, entry, trainSet));
                var limited = train && s.Limit is int n && n < trainSet.Count ? trainSet.Subset(Enumerable.Range(0, n).ToArray(), trainSet.Name) : trainSet;
                var t = train ? (trainTransform is null ? limited : limited.WithTransform(trainTransform)) : (evalTransform is null ? limited : limited.WithTransform(evalTransform));
                var v = valSet is null ? null : evalTransform is null ? valSet : valSet.WithTransform(evalTransform);
                output.WriteLine($"data: {split.Description}{(train && s.Limit is int m && m < trainSet.Count ? $"; training on the first {m:N0}" : "")}");
                output.WriteLine($"transforms: {(train ? $"train {(object?)trainTransform ?? "none"}; " : "")}evaluation {(object?)evalTransform ?? "none"}");
                return new CommandData(t, v, ImageTransform.ScaleOnly, split);
            }
            catch
            {
                split.Dispose();
                throw;
            }
        }

        /// <summary>
        /// S of the presets without a size in brackets: <c>--image-size</c>, else the model's declared input size; but
        /// the <c>cifar</c> preset keeps CIFAR's 32 (<see cref="TransformPresets.CifarSize"/>): its evaluation half does
        /// not resize, so a training crop of the model's 224 would neither fit 32x32 images nor match what the network
        /// is evaluated on. train.py follows the same rule.
        /// </summary>
        private int PresetSize(TrainSettings s, ModelEntry entry, Dataset data)
        {
            if (s.ImageSize is int requested) return requested;
            bool cifar = new[] { s.Transforms, s.EvalTransforms }.Any(t => string.Equals(t?.Trim(), "cifar", StringComparison.OrdinalIgnoreCase));
            if (cifar) return TransformPresets.CifarSize;
            var input = entry.Info.InputShape;
            return input.Rank == 3 ? (int)input[1] : 0;
        }

        /// <summary>The per-sample transforms of <c>--transforms</c> / <c>--eval-transforms</c> (a preset gives both halves, at <paramref name="size"/> unless its text gives one).</summary>
        private static (Transform? Train, Transform? Eval) Transforms(TrainSettings s, int size)
        {
            // The parser names its setting "transforms"; errors name the option the text came from.
            static TransformPair Parse(string text, int size, string option)
            {
                try { return TransformText.ParsePair(text, size); }
                catch (InvalidOptionException e) { throw e.Rename(option); }
            }
            Transform? train = null, eval = null;
            if (s.Transforms is string text)
            {
                var pair = Parse(text, size, "--transforms");
                (train, eval) = (pair.Train, pair.Eval);
            }
            if (s.EvalTransforms is string evalText) eval = Parse(evalText, size, "--eval-transforms").Eval;
            return (train, eval);
        }

        /// <summary>The shape of one sample's input: the set's uniform shape, else the first sample's; null for an empty set.</summary>
        private static Dsl.Shape? SampleShapeOf(Dataset data)
        {
            if (data.SampleShape is { } shape) return shape;
            if (data.Count == 0) return null;
            using var first = data.Read(0);
            return new Dsl.Shape(first.Input.shape);
        }

        /// <summary>
        /// The data's channels must be the model's: conversion is asked for, never guessed. An image model on samples
        /// that are not images (a table's rows) is refused by name.
        /// </summary>
        private void CheckChannels(ModelEntry entry, Dataset data, Dsl.Shape? sample, DataSplit split)
        {
            var input = entry.Info.InputShape;
            if (input.Rank != 3 || sample is null) return;
            if (sample.Rank != 3)
                throw new ArgumentException(
                    $"{entry.Name} takes images {input} (channels, height, width) but the samples of {DataSources.Words[split.Format]} {data.Name} are {sample}, not images; choose a model on flat features such as mlp, or give images (NumPy arrays of [N, C, H, W], or [N, H, W, C] with --channels-last).");
            long channels = sample[0];
            if (channels == input[0]) return;
            if (channels is not (1 or 3) || input[0] is not (1 or 3))
                throw new ArgumentException(
                    $"{entry.Name} takes {input[0]}-channel input but the images of {DataSources.Words[split.Format]} {data.Name} have {channels} channels, and no conversion fits: --image-mode converts between grey (1 channel) and colour (3). Choose a network declared for {channels} channels, or give {input[0]}-channel data.");
            string what = channels == 1 ? "grey (1 channel)" : $"{channels}-channel";
            string mode = input[0] == 3 ? "rgb" : "grey";
            throw new ArgumentException(
                $"{entry.Name} takes {input[0]}-channel input but the images of {DataSources.Words[split.Format]} {data.Name} are {what}: pass --image-mode {mode} to convert them ({(input[0] == 3 ? "the grey channel is repeated" : "colour becomes luma as PIL's convert(\"L\")")}), or choose a {channels}-channel model.");
        }

        /// <summary>
        /// (Fashion-)MNIST IDX files as before: the whole set in memory, the batch resized to the model's declared size
        /// and normalized with the set's statistics.
        /// </summary>
        private CommandData OpenIdx(TrainSettings s, ModelEntry entry, string folder, bool builtIn, bool train, TextWriter output)
        {
            var input = entry.Info.InputShape;
            RequireImages(entry);
            int size = CheckImageSize(entry, s.ImageSize);
            if (input[0] != 1)
            {
                throw new ArgumentException($"{entry.Name} takes {input[0]}-channel input but {s.Dataset} images are grey (1 channel); pass --image-mode rgb to repeat the grey channel, or choose a 1-channel model such as {OneChannelModels()}.");
            }
            if (train && s.Download) Mnist.Download(folder, s.Dataset, output);
            if (!train)
            {
                var testOnly = Mnist.Load(folder, s.Dataset, train: false);
                return new CommandData(testOnly, null, TransformFor(size, s.Dataset), testOnly);
            }
            var (trainAll, test) = Mnist.Load(folder, s.Dataset);
            var trainSet = s.Limit is int n && n < trainAll.Count ? trainAll.Take(n) : trainAll;
            var shape = trainAll.SampleShape;
            string sizing = shape[1] == size && shape[2] == size ? $"{size}x{size}" : $"resized from {shape[1]}x{shape[2]} to {size}x{size}";
            output.WriteLine($"data: {folder} ({(builtIn ? "built-in subset" : s.Dataset.ToString())}): {trainSet.Count:N0} training and {test.Count:N0} test images, {sizing}");
            var owner = trainSet == trainAll ? new Owned(trainAll, test) : new Owned(trainSet, trainAll, test);
            return new CommandData(trainSet, test, TransformFor(size, s.Dataset), owner);
        }


        /// <summary>
        /// Test accuracy of a checkpoint: a <c>checkpoint.ckpt</c> written by <c>train</c>, or a <c>.safetensors</c> state
        /// dict such as the one train.py writes for a PyTorch twin (which does not name its network: needs --model).
        /// </summary>
        /// <summary>
        /// The network of <paramref name="checkpoint"/> (a train checkpoint, which names its network, or a safetensors
        /// state dict with <paramref name="modelName"/>) with its weights; <paramref name="classes"/> replaces a state
        /// dict's classifier (a checkpoint records its own). Returns the entry, the module and where the weights come from.
        /// </summary>
        public (ModelEntry Entry, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> Model, string Origin) LoadCheckpoint(string checkpoint, string? modelName, int? classes = null)
        {
            CheckCheckpointFile(checkpoint);
            TorchNative.EnsureLoaded();
            ModelEntry entry;
            string origin;
            bool stateDict = PyTorchCheckpoint.FormatOf(checkpoint) == CheckpointFormat.Safetensors;
            if (stateDict)
            {
                entry = _catalog.Find(modelName ?? throw new ArgumentException($"{checkpoint} is a safetensors state dict, which does not name its network; pass --model."));
                origin = "state dict";
            }
            else
            {
                var header = CheckpointFile.Load(checkpoint).Header;
                entry = modelName is not null
                    ? _catalog.Find(modelName)
                    : _catalog.All.FirstOrDefault(m => header.ModelType == m.Info.Name || header.ModelType.EndsWith("." + m.Info.Name, StringComparison.Ordinal))
                      ?? throw new ArgumentException($"{checkpoint} holds a {header.ModelType}, which this sample does not declare; pass --model.");
                origin = $"epoch {header.Epoch}";
            }
            var model = entry.Create();
            try
            {
                if (stateDict)
                {
                    // A state dict does not say whether its classifier was replaced: --classes says so.
                    if (classes is int c && entry.Info.OutputShape.Rank == 1 && entry.Info.OutputShape[0] != c)
                        FineTuning.ReplaceClassifier(model, c);
                    PyTorchCheckpoint.Load(model, checkpoint);
                }
                else
                {
                    Trainer.LoadWeights(model, checkpoint); // replaces the heads the checkpoint records
                }
                return (entry, model, origin);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }

        /// <summary>
        /// For a network with declared outputs, what training does with each (the trainer's <c>WeightedOutputs</c>): the
        /// loss it minimises and the output the metrics score; null for a network of one output.
        /// </summary>
        internal static string? OutputsReport(NetworkInfo info)
        {
            if (info.Outputs.Count == 0) return null;
            static string W(double w) => w.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
            var main = info.Outputs.First(o => o.Main);
            var weighted = info.Outputs.Where(o => !o.Main && o.LossWeight != 0).ToArray();
            return "outputs: " + string.Join(", ", info.Outputs.Select(o => o.ToString()))
                + $"; training loss {string.Join(" + ", new[] { main.Name }.Concat(weighted.Select(o => W(o.LossWeight) + " * " + o.Name)))}, metrics on {main.Name}";
        }

        /// <summary><c>evaluate</c>: the checkpoint's test metrics on the data's test split (or all of it).</summary>
        public int Evaluate(string checkpoint, string? modelName, TrainSettings s, TextWriter output, InferenceEngine engine = InferenceEngine.Torch)
        {
            var (entry, loaded, origin) = LoadCheckpoint(checkpoint, modelName, s.DataOptions.Classes);
            using var model = loaded;
            CheckLanguageModelData(entry, s);
            foreach (var head in FineTuning.ReplacedHeads(model)) output.WriteLine(head);
            if (engine == InferenceEngine.Onnx && s.Precision != Precision.Float32)
                throw new ArgumentException($"--precision {MemoryPlan.Name(s.Precision)} applies to --engine torch; ONNX Runtime runs the exported float32 model (export --quantize int8 makes a smaller, faster one).");
            using var test = OpenData(s, entry, s.Data, train: false, TextWriter.Null);
            EvalResult result;
            if (engine == InferenceEngine.Onnx)
            {
                // The predictor is a module too: the same evaluation loop, batches and transform as TorchSharp.
                using var onnx = OnnxPredictor.For((IDeclaredNetwork)model);
                result = Trainer.Evaluate(onnx, test.Train, 256, test.BatchTransform, workers: s.Workers, task: TaskFor(s));
            }
            else
            {
                result = Trainer.Evaluate(model, test.Train, 256, test.BatchTransform, workers: s.Workers, task: TaskFor(s), precision: s.Precision);
            }
            var task = result.Task ?? new ClassificationTask();
            string metric = task is ClassificationTask ? $"accuracy {result.Accuracy:P2}" : $"{task.MetricName} {result.Accuracy:F4}";
            string unit = test.Train.SampleShape is { Rank: not 3 } || test.Train.TargetKind == TargetKind.Values ? "samples" : "images";
            string extras = Extras(task, result.Extra);
            output.WriteLine($"{entry.Name} from {checkpoint} ({origin}){(engine == InferenceEngine.Onnx ? " on ONNX Runtime" : "")}{(s.Precision != Precision.Float32 ? $" in {MemoryPlan.Name(s.Precision)} mixed precision" : "")}: test {metric}, loss {result.Loss:F4} on {result.Count:N0} {unit}{(extras.Length > 0 ? $" ({extras[2..]})" : "")}");
            return 0;
        }

        /// <summary>
        /// The int8 ONNX export: calibrates the activation ranges on <paramref name="calibrationSamples"/> seeded random
        /// samples of the evaluation split of <paramref name="data"/> (its test or validation part, with the evaluation
        /// transforms), writes the model, and prints float32 and int8 accuracy on the whole split, both on ONNX Runtime.
        /// </summary>
        public void ExportInt8(ModelEntry entry, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model, string data, int calibrationSamples, string output, TextWriter log)
        {
            var s = new TrainSettings { Data = data };
            using var eval = OpenData(s, entry, data, train: false, TextWriter.Null);
            var network = (IDeclaredNetwork)model;
            var options = new QuantizationOptions { CalibrationSamples = calibrationSamples };
            var watch = System.Diagnostics.Stopwatch.StartNew();
            byte[] int8 = network.ExportOnnxInt8(output, eval.Train, eval.BatchTransform, options);
            log.WriteLine($"calibrated on {Math.Min(calibrationSamples, eval.Train.Count):N0} samples of {data} (min-max activation ranges) in {watch.Elapsed.TotalSeconds:F1} s");
            using var floatModel = OnnxPredictor.For(network);
            using var int8Model = new OnnxPredictor(int8);
            var task = TaskFor(s);
            var before = Trainer.Evaluate(floatModel, eval.Train, 256, eval.BatchTransform, task: task);
            var after = Trainer.Evaluate(int8Model, eval.Train, 256, eval.BatchTransform, task: task);
            bool classification = (before.Task ?? new ClassificationTask()) is ClassificationTask;
            string Metric(EvalResult r) => classification ? $"{r.Accuracy:P2}" : $"{r.Accuracy:F4}";
            string drop = classification ? $"{(before.Accuracy - after.Accuracy) * 100:+0.00;-0.00;0.00} points" : $"{before.Accuracy - after.Accuracy:+0.0000;-0.0000;0.0000}";
            log.WriteLine($"{(classification ? "accuracy" : (before.Task?.MetricName ?? "metric"))} on {before.Count:N0} samples of {data} (ONNX Runtime): float32 {Metric(before)}, int8 {Metric(after)}, drop {drop}");
        }

        private int CheckImageSize(ModelEntry entry, int? requested)
        {
            var input = entry.Info.InputShape;
            if (input.Rank != 3 || input[1] != input[2])
            {
                throw new ArgumentException($"{entry.Name} declares input {input}; the trainer feeds square images.");
            }
            int declared = (int)input[1];
            if (requested is int r && r != declared)
            {
                throw new ArgumentException($"--image-size {r} does not match {entry.Name}, which is declared for {declared}x{declared} input ([Input] on {entry.Info.Name}); use --image-size {declared} or a model declared for {r}x{r}.");
            }
            return declared;
        }
    }
}
