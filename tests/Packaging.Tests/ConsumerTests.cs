using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Dsl.Packaging.Tests
{
    /// <summary>
    /// A new user's path, outside the repository: `dotnet new console`, `dotnet add package` from the
    /// packed feed, declare a network, run a forward pass and one training epoch.
    /// </summary>
    [Collection(PackagesCollection.Name)]
    public class ConsumerTests
    {
        private const string Program = """
            using System.Globalization;
            using Dsl;
            using Dsl.Runtime.Data;
            using Dsl.Runtime.Device;
            using Dsl.Runtime.Training;
            using TorchSharp;

            // args[0]: a folder with the four Fashion-MNIST IDX files.
            var setup = DeviceSetup.Create(device: "cpu", seed: 1);
            using var net = new ConsumerNet();
            using (var x = torch.rand(2, 1, 28, 28))
            using (var y = net.forward(x))
                Console.WriteLine($"forward: [{string.Join(", ", y.shape)}]");
            Console.WriteLine($"parameters: {ConsumerNet.ParameterCount}");

            var (allTrain, allTest) = Mnist.Load(args[0], MnistVariant.FashionMnist);
            using var train = allTrain.Take(512);
            using var test = allTest.Take(128);
            allTrain.Dispose();
            allTest.Dispose();
            var result = Trainer.Fit(net, train, test, new TrainOptions
            {
                Epochs = 1, BatchSize = 64, Device = setup, OutputDir = "run", Progress = ProgressMode.Silent,
            });
            Console.WriteLine($"epochs: {result.Metrics.Count}");
            Console.WriteLine($"train loss: {result.Last!.TrainLoss.ToString(CultureInfo.InvariantCulture)}");
            Console.WriteLine($"checkpoint: {File.Exists(result.CheckpointPath)}");

            [Input(1, 28, 28)]
            [Conv2d(8, 3, Padding = 1)]
            [ReLU]
            [MaxPool2d(2)]
            [Flatten]
            [Linear(10, InFeatures = 1568)]
            public partial class ConsumerNet;
            """;

        private readonly PackagesFixture _packages;
        private readonly Log _log;

        public ConsumerTests(PackagesFixture packages, ITestOutputHelper output)
        {
            _packages = packages;
            _packages.AssertPacked();
            _log = packages.LogFor(output);
        }

        [Fact]
        public void Console_app_with_the_packages_builds_explains_a_missing_backend_then_trains()
        {
            var env = _packages.ChildEnvironment;
            string dir = _packages.NewFolder("consumer");
            string app = Path.Combine(dir, "App");
            _log.Line("consumer project: " + app);
            Cli.Ok(_log, "dotnet", "new console -o App --no-restore", dir, env);
            Cli.Ok(_log, "dotnet", $"add package Dsl --version {_packages.Version} --no-restore", app, env);
            Cli.Ok(_log, "dotnet", $"add package Dsl.Runtime --version {_packages.Version} --no-restore", app, env);
            File.WriteAllText(Path.Combine(app, "Program.cs"), Program);

            // Dsl alone makes the generated code compile: attributes, generator and TorchSharp come with it.
            var build = Cli.Ok(_log, "dotnet", "build", app, env);
            AssertCleanBuild(build);

            // No native backend yet: the runtime's error names the packages to add.
            string data = Repo.FashionSubset;
            var missing = Cli.Run(_log, "dotnet", $"run --no-build -- \"{data}\"", app, env);
            Assert.NotEqual(0, missing.ExitCode);
            Assert.Contains("TorchNativeException", missing.Output, StringComparison.Ordinal);
            Assert.Contains("dotnet add package TorchSharp-cpu", missing.Output, StringComparison.Ordinal);
            Assert.Contains("dotnet add package libtorch-cpu-" + RuntimeInformation.RuntimeIdentifier, missing.Output, StringComparison.Ordinal);
            Assert.Contains("TorchSharp-cuda-linux", missing.Output, StringComparison.Ordinal);

            // The CPU build of LibTorch for this platform only (TorchSharp-cpu would bring every platform's).
            string backend = "libtorch-cpu-" + RuntimeInformation.RuntimeIdentifier;
            Cli.Ok(_log, "dotnet", $"add package {backend} --version {Repo.LibTorchVersion} --no-restore", app, env);
            AssertCleanBuild(Cli.Ok(_log, "dotnet", "build", app, env));
            var run = Cli.Ok(_log, "dotnet", $"run --no-build -- \"{data}\"", app, env);
            _log.Line("app output:\n" + run.Output.TrimEnd());

            Assert.Contains("forward: [2, 10]", run.Output, StringComparison.Ordinal);
            // conv 8*1*3*3 + 8, linear 1568*10 + 10: a compile-time constant of the generated class.
            Assert.Contains("parameters: 15770", run.Output, StringComparison.Ordinal);
            Assert.Contains("epochs: 1", run.Output, StringComparison.Ordinal);
            Assert.Contains("checkpoint: True", run.Output, StringComparison.Ordinal);
            double loss = double.Parse(Regex.Match(run.Output, @"train loss: (\S+)").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(double.IsFinite(loss) && loss > 0 && loss < 2.302, $"train loss after one epoch: {loss} (chance level is ln 10 = 2.303)");
        }

        /// <summary>The generator and analyzer loaded and ran: no load failures, no generator exceptions.</summary>
        private static void AssertCleanBuild(ProcessResult build)
        {
            foreach (var bad in new[] { "CS8032", "CS8784", "CS8785", "AD0001", "warning DSL", "error DSL" })
                Assert.DoesNotContain(bad, build.Output, StringComparison.Ordinal);
        }
    }
}
