using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace Dsl.Packaging.Tests
{
    /// <summary>
    /// The dsl tool as a user gets it: packed, installed with `dotnet tool install` into a private tool path, run in a
    /// new console project outside the repository that declares two networks.
    /// </summary>
    [Collection(PackagesCollection.Name)]
    public class ToolTests
    {
        private const string Program = """
            Console.WriteLine("the networks are used with the dsl tool");

            [Input(1, 28, 28)]
            [Conv2d(4, 3, Padding = 1)]
            [ReLU]
            [MaxPool2d(2)]
            [Flatten]
            [Linear(10, InFeatures = 784)]
            public partial class TinyConv;

            [Input(1, 28, 28)]
            [Flatten]
            [Linear(32)]
            [ReLU]
            [Linear(10)]
            public partial class TinyMlp;
            """;

        private readonly PackagesFixture _packages;
        private readonly Log _log;

        public ToolTests(PackagesFixture packages, ITestOutputHelper output)
        {
            _packages = packages;
            _packages.AssertPacked();
            _log = packages.LogFor(output);
        }

        [Fact]
        public void Installed_tool_lists_summarises_trains_exports_and_draws_the_networks_of_a_new_project()
        {
            var env = _packages.ChildEnvironment;
            string dir = _packages.NewFolder("tool");
            string app = Path.Combine(dir, "App");
            string tools = Path.Combine(dir, "tools");
            Cli.Ok(_log, "dotnet", $"tool install Dsl.Tool --version {_packages.Version} --tool-path \"{tools}\" --add-source \"{_packages.Feed}\"", dir, env);
            string dsl = Path.Combine(tools, RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "dsl.exe" : "dsl");
            Assert.True(File.Exists(dsl), $"dotnet tool install did not create {dsl}");

            Cli.Ok(_log, "dotnet", "new console -o App --no-restore", dir, env);
            Cli.Ok(_log, "dotnet", $"add package Dsl --version {_packages.Version} --no-restore", app, env);
            Cli.Ok(_log, "dotnet", $"add package Dsl.Runtime --version {_packages.Version} --no-restore", app, env);
            File.WriteAllText(Path.Combine(app, "Program.cs"), "using Dsl;\n" + Program);

            // Outside any project: the error names the folder and the fix.
            var noProject = Cli.Run(_log, dsl, "models", dir, env);
            Assert.Equal(2, noProject.ExitCode);
            Assert.Contains($"{dir} holds no .csproj: run dsl in your project's folder, or pass --project PATH", noProject.Output, StringComparison.Ordinal);

            // models builds the project and finds both networks, with their compile-time parameter counts:
            // TinyConv: conv 4*1*3*3 + 4 = 40, linear 784*10 + 10 = 7,850 -> 7,890; TinyMlp: 784*32 + 32 = 25,120, 32*10 + 10 = 330 -> 25,450.
            var models = Cli.Ok(_log, dsl, "models", app, env);
            Assert.Matches(@"TinyConv\s+\[1, 28, 28\]\s+7,890 params", models.Output);
            Assert.Matches(@"TinyMlp\s+\[1, 28, 28\]\s+25,450 params", models.Output);

            var summary = Cli.Ok(_log, dsl, "--no-build summary TinyMlp", app, env);
            Assert.Contains("Total params: 25,450", summary.Output, StringComparison.Ordinal);

            var unknown = Cli.Run(_log, dsl, "--no-build summary Nope", app, env);
            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains("error: Unknown model 'Nope'. Known models: TinyConv, TinyMlp.", unknown.Output, StringComparison.Ordinal);
            var ambiguous = Cli.Run(_log, dsl, "--no-build train --epochs 1", app, env);
            Assert.Equal(2, ambiguous.ExitCode);
            Assert.Contains("error: project App declares 2 networks (TinyConv, TinyMlp); pass --model with one of them.", ambiguous.Output, StringComparison.Ordinal);

            // No backend package yet: the error names the project and the package to add.
            var noBackend = Cli.Run(_log, dsl, "--no-build train --model TinyConv --epochs 1 --limit 64 --out run", app, env);
            Assert.Equal(2, noBackend.ExitCode);
            Assert.Contains("error: project App: TorchSharp's native library could not be loaded", noBackend.Output, StringComparison.Ordinal);
            Assert.Contains("dotnet add package TorchSharp-cpu", noBackend.Output, StringComparison.Ordinal);

            Cli.Ok(_log, "dotnet", $"add package libtorch-cpu-{RuntimeInformation.RuntimeIdentifier} --version {Repo.LibTorchVersion} --no-restore", app, env);
            // train on the tool's built-in Fashion-MNIST subset: builds again (the backend is new), one epoch of 256 images.
            var train = Cli.Ok(_log, dsl, "train --model TinyConv --epochs 1 --limit 256 --batch-size 64 --threads 1 --out run", app, env);
            Assert.Contains("done: 1 epoch(s)", train.Output, StringComparison.Ordinal);
            var csv = File.ReadAllLines(Path.Combine(app, "run", "metrics.csv"));
            Assert.Equal(2, csv.Length);
            Assert.True(File.Exists(Path.Combine(app, "run", "checkpoint.ckpt")));
            string report = File.ReadAllText(Path.Combine(app, "run", "report.html"));
            Assert.Contains(csv[1].Split(',')[3], report, StringComparison.Ordinal);   // the final test loss

            var onnx = Cli.Ok(_log, dsl, "--no-build export TinyConv --format onnx --out tiny.onnx --checkpoint run/checkpoint.ckpt", app, env);
            Assert.Contains("7,890 parameters", onnx.Output, StringComparison.Ordinal);
            Assert.True(new FileInfo(Path.Combine(app, "tiny.onnx")).Length > 7_890 * 4, "the ONNX file holds fewer bytes than the weights");
            Cli.Ok(_log, dsl, "--no-build export TinyMlp --format pytorch --out twin", app, env);
            Assert.Contains("class TinyMlp(nn.Module)", File.ReadAllText(Path.Combine(app, "twin", "model.py")), StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(app, "twin", "train.py")));

            bool hasDot = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, "dot")));
            var draw = Cli.Run(_log, dsl, "--no-build draw TinyMlp --out mlp.svg", app, env);
            string dot = File.ReadAllText(Path.Combine(app, "mlp.dot"));
            Assert.Contains("label=\"[32]\"", dot, StringComparison.Ordinal);   // the first Linear's output, on its edge
            if (hasDot)
            {
                Assert.Equal(0, draw.ExitCode);
                Assert.Contains("<svg", File.ReadAllText(Path.Combine(app, "mlp.svg")), StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains("apt-get install graphviz", draw.Output, StringComparison.Ordinal);
            }
        }
    }
}
