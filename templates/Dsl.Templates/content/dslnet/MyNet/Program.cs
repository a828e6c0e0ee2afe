using Dsl.Runtime.Data;
using Dsl.Runtime.Device;
using Dsl.Runtime.Training;
using MyNet;

// Usage: dotnet run -- [epochs] [data folder]
// Without a data folder it trains on the tiny Fashion-MNIST part in data/ (works offline).
int epochs = args.Length > 0 ? int.Parse(args[0]) : 5;
string data = args.Length > 1 ? args[1] : Path.Combine(AppContext.BaseDirectory, "data");

var setup = DeviceSetup.Create(device: "auto", seed: 42);
Console.WriteLine(setup.Report());
Console.Write(Classifier.Summary());

var (train, test) = Mnist.Load(data, MnistVariant.FashionMnist);
using (train)
using (test)
{
    using var model = new Classifier();
    FitResult result = Trainer.Fit(model, train, test, new TrainOptions
    {
        Epochs = epochs,
        BatchSize = 64,
        LearningRate = 0.05,
        Schedule = LrScheduleKind.OneCycle,
        Device = setup,
        OutputDir = Path.Combine("runs", "latest"),
        Progress = ProgressMode.Plain,
    });
    Console.WriteLine($"test accuracy after {result.Metrics.Count} epoch(s): {result.Last!.ValAccuracy:P1}");
    Console.WriteLine($"checkpoint: {result.CheckpointPath}");
}
