using System;
using System.IO;
using System.Linq;
using Dsl.Runtime.Interop;
using ResNetSample;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.ResNetFamily
{
    /// <summary>
    /// torchvision's sequential groupings (<c>features.N</c>, <c>classifier.N</c>) declared with blocks: the keys and
    /// shapes are torchvision's, so its checkpoints load without renaming, and give its logits.
    /// </summary>
    public sealed class TorchVisionSequentialTests
    {
        private static string Listing(string name) => Harness.TestData("torchvision", name + ".txt");

        [Fact]
        public void AlexNet_has_torchvisions_keys_shapes_and_parameter_count()
        {
            using var net = new TorchVisionAlexNet();
            Assert.Equal(TorchVisionCompatibilityTests.Sorted(File.ReadAllLines(Listing("alexnet"))), TorchVisionCompatibilityTests.StateDictLines(net));
            Assert.Equal(61_100_840L, TorchVisionAlexNet.ParameterCount);
            Assert.Equal(61_100_840L, net.parameters().Sum(p => p.numel()));
        }

        [Fact]
        public void Vgg11_declared_with_blocks_has_torchvisions_keys_and_shapes()
        {
            const string source = """
                using Dsl;
                namespace Nets;

                /// <summary>torchvision's vgg11 features: the stages' layers flattened into one Sequential, as torchvision numbers them.</summary>
                [Block]
                [Conv2d(64, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
                [Conv2d(128, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
                [Conv2d(256, 3, Padding = 1)] [ReLU] [Conv2d(256, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
                [Conv2d(512, 3, Padding = 1)] [ReLU] [Conv2d(512, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
                [Conv2d(512, 3, Padding = 1)] [ReLU] [Conv2d(512, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
                public partial class Vgg11Features;

                /// <summary>torchvision's classifier: 4096, ReLU, dropout, 4096, ReLU, dropout, classes.</summary>
                [Block]
                [Linear(4096)] [ReLU] [Dropout] [Linear(4096)] [ReLU] [Dropout] [Linear(1000)]
                public partial class VggClassifier;

                /// <summary>torchvision's vgg11.</summary>
                [Input(3, 224, 224)]
                [Use<Vgg11Features>(Name = "features")]
                [AdaptiveAvgPool2d(7, Name = "avgpool")]
                [Flatten]
                [Use<VggClassifier>(Name = "classifier")]
                public partial class TorchVisionVgg11;
                """;
            var run = Harness.Run(source);
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            var type = Harness.Load(run).GetType("Nets.TorchVisionVgg11", throwOnError: true)!;
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            Assert.Equal(TorchVisionCompatibilityTests.Sorted(File.ReadAllLines(Listing("vgg11"))), TorchVisionCompatibilityTests.StateDictLines(net));
            Assert.Equal(132_863_336L, (long)type.GetField("ParameterCount")!.GetValue(null)!);
        }

        [SkippableFact]
        public void AlexNet_loads_a_torchvision_checkpoint_and_gives_its_logits()
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-alexnet").FullName;
            try
            {
                string script = Path.Combine(PythonOracle.RepoRoot(), "scripts", "torchvision-oracle.py");
                var (code, output, error) = PythonOracle.Run($"\"{script}\" export alexnet \"{dir}\"", TimeSpan.FromMinutes(5));
                Assert.True(code == 0, output + error);
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                using var net = new TorchVisionAlexNet().LoadPyTorch(Path.Combine(dir, "alexnet.pth"));
                net.eval();
                var io = PyTorchCheckpoint.ReadTensors(Path.Combine(dir, "alexnet-io.pth"));
                var logits = net.forward(io["input"]);
                Assert.Equal(io["logits"].shape, logits.shape);
                double diff = (logits - io["logits"]).abs().max().item<float>();
                Assert.True(diff < 1e-4, $"max |logits difference| = {diff}");
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
