using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using Dsl.Runtime.Data;
using Dsl.Runtime.Training;
using ResNetSample;

var modelNames = string.Join(", ", ModelCatalog.All.Select(m => m.Name));

// summary NAME
var modelArgument = new Argument<string>("model") { Description = "Network name: " + modelNames };
var batchOption = new Option<long>("--batch") { Description = "Batch size shown in the shapes", DefaultValueFactory = _ => 1 };
var summary = new Command("summary", "Print the layer summary and parameter count of a network (computed at compile time)") { modelArgument, batchOption };
summary.SetAction(parse =>
{
    var entry = ModelCatalog.Find(parse.GetValue(modelArgument)!);
    Console.Write(entry.Info.Summary(parse.GetValue(batchOption)));
    return 0;
});

// models
var list = new Command("models", "List the networks this sample declares");
list.SetAction(_ =>
{
    foreach (var m in ModelCatalog.All)
    {
        Console.WriteLine($"{m.Name,-18} {m.Info.InputShape,-14} {m.Info.TotalParameters,12:N0} params  {m.Description}");
    }
    return 0;
});

// train
var defaults = new TrainSettings();
var model = new Option<string>("--model") { Description = $"Network to train ({modelNames})", DefaultValueFactory = _ => defaults.Model };
var preset = new Option<string?>("--preset") { Description = "d2l: the chapter's setup (d2l-resnet18, 96x96, batch 128, SGD lr 0.01, 10 epochs; meant for a GPU). Explicit options override it" };
var epochs = new Option<int?>("--epochs") { Description = $"Epochs (default {defaults.Epochs})" };
var batchSize = new Option<int?>("--batch-size") { Description = $"Training batch size (default {defaults.BatchSize})" };
var lr = new Option<double?>("--lr") { Description = $"Learning rate; the peak rate for the one-cycle schedule (default {defaults.LearningRate})" };
var optimizer = new Option<OptimizerKind?>("--optimizer") { Description = "sgd (momentum 0.9), adam or adamw (default sgd)" };
var schedule = new Option<LrScheduleKind?>("--schedule") { Description = "constant, step, cosine or onecycle (default onecycle)" };
var weightDecay = new Option<double?>("--weight-decay") { Description = $"Weight decay (default {defaults.WeightDecay})" };
var clip = new Option<double?>("--clip") { Description = "Clip the gradient norm to this value" };
var patience = new Option<int?>("--patience") { Description = "Stop after this many epochs without a better test loss" };
var imageSize = new Option<int?>("--image-size") { Description = "Resize images to NxN; must match the model's [Input] (default: the model's)" };
var device = new Option<string>("--device") { Description = "auto, cpu, cuda or cuda:N", DefaultValueFactory = _ => "auto" };
var threads = new Option<int>("--threads") { Description = "CPU threads (default: all cores)" };
var bf16 = new Option<bool>("--bf16") { Description = "Train in bfloat16 (CUDA only; no autocast in TorchSharp, see docs/runtime.md)" };
var data = new Option<string?>("--data") { Description = "Folder with the four IDX .gz files; default: the built-in Fashion-MNIST subset" };
var dataset = new Option<MnistVariant>("--dataset") { Description = "FashionMnist or Mnist (names the download source and normalization)", DefaultValueFactory = _ => MnistVariant.FashionMnist };
var download = new Option<bool>("--download") { Description = "Download missing files into --data first (checks their MD5 sums)" };
var output = new Option<string>("--out") { Description = "Folder for metrics.csv, metrics.png and checkpoint.ckpt", DefaultValueFactory = _ => defaults.Out };
var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in --out" };
var overwrite = new Option<bool>("--overwrite") { Description = "Start a new run even though --out holds a checkpoint (it is deleted)" };
var seed = new Option<long>("--seed") { Description = "Seed for weights, data order and dropout", DefaultValueFactory = _ => defaults.Seed };
var limit = new Option<int?>("--limit") { Description = "Use only the first N training images" };
var train = new Command("train", "Train a network on (Fashion-)MNIST")
{
    model, preset, epochs, batchSize, lr, optimizer, schedule, weightDecay, clip, patience, imageSize,
    device, threads, bf16, data, dataset, download, output, resume, overwrite, seed, limit,
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
    if (parse.GetResult(model) is { Implicit: false }) s = s with { Model = parse.GetValue(model)! };
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
        BFloat16 = parse.GetValue(bf16),
        Data = parse.GetValue(data),
        Dataset = parse.GetValue(dataset),
        Download = parse.GetValue(download),
        Out = parse.GetValue(output)!,
        Resume = parse.GetValue(resume),
        Overwrite = parse.GetValue(overwrite),
        Seed = parse.GetValue(seed),
        Limit = parse.GetValue(limit),
    };
    return TrainCommand.Train(s, Console.Out);
});

// evaluate --checkpoint PATH
var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint.ckpt written by train, or a .safetensors state dict (with --model), such as train.py's model.safetensors", Required = true };
var evalModel = new Option<string?>("--model") { Description = "Network of the checkpoint (default: read from the checkpoint)" };
var engine = new Option<InferenceEngine>("--engine") { Description = "torch (TorchSharp) or onnx (export, then ONNX Runtime)", DefaultValueFactory = _ => InferenceEngine.Torch };
var evaluate = new Command("evaluate", "Test accuracy of a checkpoint") { checkpoint, evalModel, data, dataset, engine };
evaluate.SetAction(parse => TrainCommand.Evaluate(parse.GetValue(checkpoint)!, parse.GetValue(evalModel), parse.GetValue(data), parse.GetValue(dataset), Console.Out, parse.GetValue(engine)));

var root = new RootCommand("Networks of the D2L ResNet chapter, declared with Dsl attributes: train, evaluate, export, summary")
{
    train, evaluate, ExportCommand.Create(), summary, list,
};
try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or Dsl.Runtime.Device.TorchNativeException or TrainingDivergedException or NotSupportedException or InvalidOperationException
    or Dsl.Runtime.Interop.StateDictMismatchException or Dsl.Runtime.Interop.CheckpointFormatException)
{
    // IOException covers CheckpointException, ExistingCheckpointException and OutputWriteException.
    Console.Error.WriteLine("error: " + TrainCommand.Explain(e));
    return TrainCommand.ExitCode(e);
}
