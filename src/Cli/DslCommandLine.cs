using System;
using System.CommandLine;
using System.IO;
using Dsl.Runtime;
using Dsl.Runtime.Data;
using Dsl.Runtime.Diagrams;
using Dsl.Runtime.Training;

namespace Dsl.Cli
{
    /// <summary>
    /// The command line over a catalogue of networks: <c>models</c>, <c>summary</c>, <c>train</c>, <c>evaluate</c>,
    /// <c>export</c> and <c>draw</c>. The sample and the <c>dsl</c> tool both build theirs here, so there is one implementation.
    /// </summary>
    public static class DslCommandLine
    {
        /// <summary>
        /// The root command over <paramref name="catalog"/>; <paramref name="program"/> names the program in the hints it
        /// prints, <paramref name="extra"/> are commands of the caller's own (the sample's <c>make-data</c>).
        /// </summary>
        public static RootCommand Create(NetworkCatalog catalog, string description, string program, params Command[] extra)
        {
            var commands = new TrainCommand(catalog);
            var defaults = new TrainSettings();
            var precision = new Option<string>("--precision") { Description = "float32, bf16 (mixed: CPUs with AVX512-BF16 or AMX-BF16, and CUDA) or fp16 (mixed, CUDA): convolutions and matrix products in the 16-bit type as PyTorch's autocast, weights float32 (default float32); summary: print the casts layer by layer", DefaultValueFactory = _ => "float32" };
            precision.AcceptOnlyFromAmong(TrainCommand.PrecisionNames);

            // summary NAME
            var modelArgument = new Argument<string>("model") { Description = "Network name: " + catalog.Names };
            var batchOption = new Option<long>("--batch") { Description = "Batch size shown in the shapes and the training memory plan", DefaultValueFactory = _ => 1 };
            var summary = new Command("summary", "Print the layer summary, parameter count and training memory plan of a network (computed at compile time)") { modelArgument, batchOption, precision };
            summary.SetAction(parse =>
            {
                var entry = catalog.Find(parse.GetValue(modelArgument)!);
                long batch = parse.GetValue(batchOption);
                // A batch below 1 would print negative shapes and multiply-adds.
                if (batch < 1) throw new Dsl.Runtime.InvalidOptionException("--batch", "a whole number of at least 1 (the batch size shown in the shapes)", batch.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Console.Write(entry.Info.Summary(batch));
                var chosen = TrainCommand.ParsePrecision(parse.GetValue(precision)!);
                if (chosen != Precision.Float32)
                    Console.Write("\n" + Dsl.Runtime.Autocast.AutocastPlan.Of(Dsl.Runtime.Graph.NetworkGraph.Of(entry.Info), chosen));
                return 0;
            });

            // models
            var list = new Command("models", $"List the networks {catalog.Where} declares");
            list.SetAction(_ =>
            {
                foreach (var m in catalog.All)
                {
                    Console.WriteLine($"{m.Name,-18} {m.Info.InputShape,-14} {m.Info.TotalParameters,12:N0} params  {m.Description}");
                }
                return 0;
            });

            // train
            var model = new Option<string?>("--model") { Description = $"Network to train ({catalog.Names})" + (catalog.DefaultModel is null ? "" : $"; default {catalog.DefaultModel}") };
            var preset = new Option<string?>("--preset") { Description = "d2l: the chapter's setup (d2l-resnet18, 96x96, batch 128, SGD lr 0.01, 10 epochs; meant for a GPU). Explicit options override it" };
            var epochs = new Option<int?>("--epochs") { Description = $"Epochs (default {defaults.Epochs})" };
            var batchSize = new Option<int?>("--batch-size") { Description = $"Training batch size (default {defaults.BatchSize})" };
            var lr = new Option<double?>("--lr") { Description = $"Learning rate; the peak rate for the one-cycle schedule (default {defaults.LearningRate})" };
            var optimizer = new Option<OptimizerKind?>("--optimizer") { Description = "sgd (momentum 0.9), adam or adamw (default sgd)" };
            var schedule = new Option<LrScheduleKind?>("--schedule") { Description = "constant, step, cosine or onecycle (default onecycle)" };
            var weightDecay = new Option<double?>("--weight-decay") { Description = $"Weight decay (default {defaults.WeightDecay})" };
            var clip = new Option<double?>("--clip") { Description = "Clip the gradient norm to this value" };
            var patience = new Option<int?>("--patience") { Description = "Stop after this many epochs without a better test loss" };
            var imageSize = new Option<int?>("--image-size") { Description = "IDX data: resize images to NxN, which must match the model's [Input]; other data: the size S of the transform presets (default: the model's input size; the cifar preset keeps the images' own size)" };
            var device = new Option<string>("--device") { Description = "auto, cpu, cuda or cuda:N", DefaultValueFactory = _ => "auto" };
            var threads = new Option<int>("--threads") { Description = "CPU threads (default: all cores)" };
            var data = new Option<string?>("--data") { Description = "Data: a folder (IDX files, CIFAR binary batches, class subfolders of images, images/ + masks/) or a .csv, .npy, .npz or .txt file; default: the built-in Fashion-MNIST subset" };
            var format = new Option<string>("--format") { Description = "auto, idx, image-folder, cifar10, cifar100, csv, npy, segmentation or text (default auto: from the path)", DefaultValueFactory = _ => "auto" };
            var valData = new Option<string?>("--val-data") { Description = "Validation data of the same format (default: the source's own test split or val/ folder)" };
            var valFraction = new Option<double?>("--val-fraction") { Description = "Hold out this fraction of the training data for validation (seeded by --seed)" };
            var transforms = new Option<string?>("--transforms") { Description = "Per-sample transforms: imagenet, cifar, none, or torchvision's names, e.g. \"RandomCrop(32, padding=4); RandomHorizontalFlip()\"" };
            var evalTransforms = new Option<string?>("--eval-transforms") { Description = "Per-sample transforms for validation and evaluate (default: the preset's evaluation half, or none)" };
            var imageMode = new Option<string?>("--image-mode") { Description = "rgb or grey: convert images to the network's channels (never done without it)" };
            var target = new Option<string?>("--target") { Description = "CSV: the target column, by name or 0-based index (default: the last)" };
            var targetKind = new Option<CsvTargetKind>("--target-kind") { Description = "CSV: class, value or auto (default auto: class when every target is a whole number or a name)", DefaultValueFactory = _ => CsvTargetKind.Auto };
            var memoryFormat = new Option<string>("--memory-format") { Description = "auto, contiguous or channels-last: the layout of the 4-d tensors while training (auto: channels-last for a 2-d convolutional network in bf16 on the CPU, where it measured faster; channels-last asks for it in float32 too; checkpoints are the same)", DefaultValueFactory = _ => "auto" };
            var channelsLast = new Option<bool>("--channels-last") { Description = "NumPy: inputs are [N, H, W, C] images" };
            var tokenizer = new Option<string>("--tokenizer") { Description = "Text: gpt2 (GPT-2's byte-pair encoding, 50,257 tokens) or bytes (UTF-8 bytes, 256 tokens); windows are the model's input length", DefaultValueFactory = _ => "gpt2" };
            var classes = new Option<int?>("--classes") { Description = "Number of classes of the task: a classifier declared for another number gets a new head (fc: 1000 -> 5 classes); segmentation: the classes in the masks" };
            var initFrom = new Option<string?>("--init-from") { Description = "Start from a PyTorch .pth or .safetensors state dict in the network's layout (torchvision's for the torchvision networks); a head of another size in the file is skipped" };
            var freeze = new Option<string[]>("--freeze") { Description = "Freeze the parameters whose names match these globs, comma-separated, e.g. 'conv1.*,bn1.*,layer1.*'; their BatchNorm layers keep their statistics" };
            var lrFor = new Option<string[]>("--lr-for") { Description = "Learning rates by parameter-name glob, comma-separated PATTERN=RATE, e.g. 'fc.*=0.01'; the schedule scales every group alike" };
            var ignoreIndex = new Option<int>("--ignore-index") { Description = "Segmentation: mask value of unlabelled pixels (default 255)", DefaultValueFactory = _ => SegmentationFolder.DefaultIgnoreIndex };
            var task = new Option<string?>("--task") { Description = "classification, sequence-classification, segmentation, regression or language-model (default: from the data and the model's output)" };
            var loss = new Option<RegressionLoss?>("--loss") { Description = "Regression loss: mse, mae or huber (default mse)" };
            var labelSmoothing = new Option<double?>("--label-smoothing") { Description = "Classification: label smoothing in [0, 1), e.g. 0.1" };
            var workers = new Option<int>("--workers") { Description = "Threads decoding and transforming samples (default: one per core)" };
            var dataset = new Option<MnistVariant>("--dataset") { Description = "FashionMnist or Mnist (names the download source and normalization)", DefaultValueFactory = _ => MnistVariant.FashionMnist };
            var download = new Option<bool>("--download") { Description = "Download missing files into --data first (checks their MD5 sums)" };
            var output = new Option<string>("--out") { Description = "Folder for metrics.csv, metrics.png and checkpoint.ckpt", DefaultValueFactory = _ => defaults.Out };
            var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in --out" };
            var overwrite = new Option<bool>("--overwrite") { Description = "Start a new run even though --out holds a checkpoint (it is deleted)" };
            var seed = new Option<long>("--seed") { Description = "Seed for weights, data order and dropout", DefaultValueFactory = _ => defaults.Seed };
            var limit = new Option<int?>("--limit") { Description = "Use only the first N training images" };
            var train = new Command("train", "Train a network on (Fashion-)MNIST, an image folder, CIFAR, a CSV file or NumPy arrays")
            {
                model, preset, epochs, batchSize, lr, optimizer, schedule, weightDecay, clip, patience, imageSize,
                device, threads, precision, memoryFormat, data, dataset, download, output, resume, overwrite, seed, limit,
                format, valData, valFraction, transforms, evalTransforms, imageMode, target, targetKind, channelsLast, classes, ignoreIndex, workers,
                task, loss, labelSmoothing, tokenizer,
                initFrom, freeze, lrFor,
            };

            // The data options train and evaluate share.
            TrainSettings WithData(TrainSettings s, ParseResult parse) => s with
            {
                Data = parse.GetValue(data),
                Dataset = parse.GetValue(dataset),
                Transforms = parse.GetValue(transforms),
                EvalTransforms = parse.GetValue(evalTransforms),
                Workers = parse.GetValue(workers),
                Task = parse.GetValue(task),
                Loss = parse.GetValue(loss),
                LabelSmoothing = parse.GetValue(labelSmoothing),
                Precision = TrainCommand.ParsePrecision(parse.GetValue(precision)!),
                DataOptions = new DataOptions
                {
                    Format = DataSources.ParseFormat(parse.GetValue(format)!),
                    ValidationPath = parse.GetValue(valData),
                    ValidationFraction = parse.GetValue(valFraction),
                    ImageMode = parse.GetValue(imageMode) is string m ? ChannelConversion.ParseMode(m) : null,
                    MnistVariant = parse.GetValue(dataset),
                    Target = parse.GetValue(target),
                    TargetKind = parse.GetValue(targetKind),
                    ChannelsLast = parse.GetValue(channelsLast),
                    Classes = parse.GetValue(classes),
                    IgnoreIndex = parse.GetValue(ignoreIndex),
                    Tokenizer = parse.GetValue(tokenizer)!,
                },
            };
            train.SetAction(parse =>
            {
                var s = new TrainSettings();
                switch (parse.GetValue(preset))
                {
                    case null: break;
                    case "d2l": s = TrainSettings.D2LPreset(s); break;
                    case var other: throw new ArgumentException($"Unknown preset '{other}'. Known presets: d2l.");
                }
                if (parse.GetValue(model) is string chosen) s = s with { Model = chosen };
                s = s with
                {
                    Epochs = parse.GetValue(epochs) ?? s.Epochs,
                    BatchSize = parse.GetValue(batchSize) ?? s.BatchSize,
                    LearningRate = parse.GetValue(lr) ?? s.LearningRate,
                    Optimizer = parse.GetValue(optimizer) ?? s.Optimizer,
                    Schedule = parse.GetValue(schedule) ?? s.Schedule,
                    WeightDecay = parse.GetValue(weightDecay) ?? s.WeightDecay,
                    ClipGradNorm = parse.GetValue(clip) ?? s.ClipGradNorm,
                    Patience = parse.GetValue(patience) ?? s.Patience,
                    ImageSize = parse.GetValue(imageSize) ?? s.ImageSize,
                    Device = parse.GetValue(device)!,
                    Threads = parse.GetValue(threads),
                    MemoryFormat = TrainCommand.ParseMemoryFormat(parse.GetValue(memoryFormat)!),
                    Download = parse.GetValue(download),
                    Out = parse.GetValue(output)!,
                    Resume = parse.GetValue(resume),
                    Overwrite = parse.GetValue(overwrite),
                    Seed = parse.GetValue(seed),
                    Limit = parse.GetValue(limit),
                    InitFrom = parse.GetValue(initFrom),
                    Freeze = TrainCommand.ParsePatterns(parse.GetValue(freeze)),
                    LearningRates = TrainCommand.ParseRates(parse.GetValue(lrFor)),
                };
                return commands.Train(WithData(s, parse), Console.Out);
            });

            // evaluate --checkpoint PATH
            var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint.ckpt written by train, or a .safetensors state dict (with --model), such as train.py's model.safetensors", Required = true };
            var evalModel = new Option<string?>("--model") { Description = "Network of the checkpoint (default: read from the checkpoint)" };
            var engine = new Option<InferenceEngine>("--engine") { Description = "torch (TorchSharp) or onnx (export, then ONNX Runtime)", DefaultValueFactory = _ => InferenceEngine.Torch };
            var evaluate = new Command("evaluate", "Test accuracy of a checkpoint on the data's test split (or all of it when it has none)")
            {
                checkpoint, evalModel, data, dataset, engine, precision, format, valData, transforms, evalTransforms, imageMode, target, targetKind, channelsLast, classes, ignoreIndex, workers, imageSize,
                task, loss, tokenizer,
            };
            evaluate.SetAction(parse => commands.Evaluate(parse.GetValue(checkpoint)!, parse.GetValue(evalModel),
                WithData(new TrainSettings { ImageSize = parse.GetValue(imageSize) }, parse), Console.Out, parse.GetValue(engine)));

            var root = new RootCommand(description)
            {
                train, evaluate, GenerateCommand.Create(catalog, commands), ExportCommand.Create(catalog, program), summary, list, DrawCommand.Create(catalog),
            };
            foreach (var command in extra) root.Subcommands.Add(command);
            return root;
        }

        /// <summary>
        /// Runs <paramref name="root"/> on <paramref name="args"/>: a failure the user can fix prints <c>error: </c> and the
        /// message (naming the option or file and the fix) and returns its exit code (<see cref="TrainCommand.ExitCode"/>).
        /// <paramref name="backendOwner"/> (the dsl tool's "project MyNet") is named when the native backend does not load.
        /// </summary>
        public static int Run(RootCommand root, string[] args, string? backendOwner = null)
        {
            try
            {
                return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            }
            catch (Exception e) when (IsUserError(e))
            {
                // IOException covers CheckpointException, ExistingCheckpointException and OutputWriteException.
                string prefix = e is Dsl.Runtime.Device.TorchNativeException && backendOwner is not null ? backendOwner + ": " : "";
                Console.Error.WriteLine("error: " + prefix + TrainCommand.Explain(e));
                return TrainCommand.ExitCode(e);
            }
        }

        /// <summary>The failures reported as a message and an exit code rather than a stack trace.</summary>
        public static bool IsUserError(Exception e) =>
            e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or Dsl.Runtime.Device.TorchNativeException
                or TrainingDivergedException or NotSupportedException or InvalidOperationException
                or Dsl.Runtime.Interop.StateDictMismatchException or Dsl.Runtime.Interop.CheckpointFormatException;
    }
}
