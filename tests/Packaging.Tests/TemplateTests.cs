using System;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Dsl.Packaging.Tests
{
    /// <summary>`dotnet new dslnet` from the packed template package, installed into a private hive.</summary>
    [Collection(PackagesCollection.Name)]
    public class TemplateTests
    {
        private readonly PackagesFixture _packages;
        private readonly Log _log;

        public TemplateTests(PackagesFixture packages, ITestOutputHelper output)
        {
            _packages = packages;
            _packages.AssertPacked();
            _log = packages.LogFor(output);
        }

        [Fact]
        public void Dslnet_project_trains_offline_on_its_built_in_data_and_its_tests_pass()
        {
            var env = _packages.ChildEnvironment;
            string dir = _packages.NewFolder("template");
            string hive = Path.Combine(dir, "hive");   // never touches the user's installed templates
            Cli.Ok(_log, "dotnet", $"new install \"{_packages.Package("Dsl.Templates")}\" --debug:custom-hive \"{hive}\"", dir, env);
            Cli.Ok(_log, "dotnet", $"new dslnet -n MyNet --debug:custom-hive \"{hive}\"", dir, env);

            string solution = Path.Combine(dir, "MyNet");
            foreach (var file in new[] { "MyNet.slnx", "MyNet/MyNet.csproj", "MyNet/Network.cs", "MyNet/Program.cs", "MyNet.Tests/MyNet.Tests.csproj" })
                Assert.True(File.Exists(Path.Combine(solution, file)), file + " was not created");
            Assert.Contains($"<DslVersion>{_packages.Version}</DslVersion>", File.ReadAllText(Path.Combine(solution, "Directory.Build.props")), StringComparison.Ordinal);

            Cli.Ok(_log, "dotnet", "build MyNet.slnx", solution, env);
            var run = Cli.Ok(_log, "dotnet", "run --project MyNet --no-build -- 1", solution, env);
            _log.Line("MyNet output (end):\n" + run.Tail(4).TrimEnd());
            Assert.Contains("Total params: 105,962", run.Output, StringComparison.Ordinal);
            var accuracy = Regex.Match(run.Output, @"test accuracy after 1 epoch\(s\): ([0-9.]+) ?%");
            Assert.True(accuracy.Success, "no accuracy line:\n" + run.Tail());
            // One epoch on 1,000 images: well above chance (10%); 58% with the template's seed.
            Assert.True(double.Parse(accuracy.Groups[1].Value, CultureInfo.InvariantCulture) > 30, accuracy.Value);

            var test = Cli.Ok(_log, "dotnet", "test MyNet.slnx --no-build", solution, env);
            Assert.Matches(@"Passed!\s+-\s+Failed:\s+0, Passed:\s+2,", test.Output);
        }

        [Fact]
        public void Backend_option_cuda_references_the_CUDA_build_instead_of_the_CPU_one()
        {
            // Only generated and read here: this machine's feed has no CUDA packages to restore.
            string dir = _packages.NewFolder("template-cuda");
            string hive = Path.Combine(dir, "hive");
            Cli.Ok(_log, "dotnet", $"new install \"{_packages.Package("Dsl.Templates")}\" --debug:custom-hive \"{hive}\"", dir, _packages.ChildEnvironment);
            Cli.Ok(_log, "dotnet", $"new dslnet -n GpuNet --backend cuda --debug:custom-hive \"{hive}\"", dir, _packages.ChildEnvironment);

            string project = File.ReadAllText(Path.Combine(dir, "GpuNet", "GpuNet", "GpuNet.csproj"));
            Assert.Contains("Include=\"TorchSharp-cuda-linux\"", project, StringComparison.Ordinal);
            Assert.Contains("Include=\"TorchSharp-cuda-windows\"", project, StringComparison.Ordinal);
            Assert.DoesNotContain("libtorch-cpu", project, StringComparison.Ordinal);
            Assert.DoesNotContain("#if", project, StringComparison.Ordinal);
            Assert.Contains("namespace GpuNet;", File.ReadAllText(Path.Combine(dir, "GpuNet", "GpuNet", "Network.cs")), StringComparison.Ordinal);
        }
    }
}
