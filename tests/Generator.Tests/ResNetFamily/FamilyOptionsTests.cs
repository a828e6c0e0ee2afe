using System;
using System.Linq;
using Dsl.Generator.Graph;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.ResNetFamily
{
    /// <summary>Options where the sources differ, naming conventions, and the problems reported for invalid values.</summary>
    public sealed class FamilyOptionsTests
    {
        private const string Header = "using Dsl;\nnamespace T {\n";

        private static Harness.GeneratorRun Run(string declarations) => Harness.Run(Header + declarations + "\n}\n");

        private static nn.Module<Tensor, Tensor> Create(Harness.GeneratorRun result, string className)
        {
            Assert.Empty(result.WarningsAndErrors);
            var type = Harness.Load(result).GetType("T." + className, throwOnError: true)!;
            return (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
        }

        private static NetworkInfo Info(nn.Module module) =>
            (NetworkInfo)module.GetType().GetProperty("Info")!.GetValue(null)!;

        [Fact]
        public void StrideOnFirst1x1KeepsShapesAndParametersButMovesMultiplyAdds()
        {
            const string stages = "[BottleneckStage(3, 64)] [BottleneckStage(4, 128, Stride = 2{0})] [BottleneckStage(6, 256, Stride = 2{0})] [BottleneckStage(3, 512, Stride = 2{0})]";
            var result = Run(
                "[Input(3, 224, 224)] [Naming(NamingConvention.TorchVision)] [Conv2d(64, 7, Stride = 2, Padding = 3, Bias = false)] [BatchNorm2d] [ReLU] [MaxPool2d(3, Stride = 2, Padding = 1)]\n"
                + string.Format(stages, "") + " [AdaptiveAvgPool2d] [Flatten] [Linear(1000)] public partial class V15;\n"
                + "[Input(3, 224, 224)] [Naming(NamingConvention.TorchVision)] [Conv2d(64, 7, Stride = 2, Padding = 3, Bias = false)] [BatchNorm2d] [ReLU] [MaxPool2d(3, Stride = 2, Padding = 1)]\n"
                + string.Format(stages, ", StrideOnFirst1x1 = true") + " [AdaptiveAvgPool2d] [Flatten] [Linear(1000)] public partial class V1;");
            var v15 = Harness.Analyze(result, "V15");
            var v1 = Harness.Analyze(result, "V1");
            Assert.Empty(v1.Problems);
            Assert.Equal(25_557_032L, v1.Parameters);
            Assert.Equal(v15.OutputShape, v1.OutputShape);
            Assert.True(v1.MultiplyAdds < v15.MultiplyAdds);
            // The original placement: the 1x1 reduce of layer2.0 already halves 56x56 to 28x28.
            var conv1 = v1.Layers.Single(l => l.Name == "layer2").Children[0].Children.Single(c => c.Name == "conv1");
            Assert.Equal(GraphNode.Dims(128, 28, 28), conv1.Output);
            using var net = Create(result, "V1");
            Assert.Equal(v1.Parameters, net.parameters().Sum(p => p.numel()));
            var first = net.named_children().Single(c => c.name == "layer2").module.named_children().First().module;
            TorchSharp.Modules.Conv2d Field(string name) => (TorchSharp.Modules.Conv2d)first.GetType().GetField(name)!.GetValue(first)!;
            Assert.Equal(2L, Field("conv1").stride[0]);
            Assert.Equal(1L, Field("conv2").stride[0]);
        }

        [Fact]
        public void D2LNamingNumbersTheProjectionAndOptionsChangeTheModules()
        {
            var result = Run(
                "[Input(3, 32, 32)] [Conv2d(16, 3, Padding = 1)] [BasicStage(1, 32, Stride = 2, Bias = true, ProjectionBatchNorm = false, ZeroInitLastBatchNorm = true)]"
                + " [BottleneckStage(1, 16, Stride = 2, ZeroInitLastBatchNorm = true)] [PreActStage(1, 32, Bottleneck = true, Groups = 2, BaseWidth = 32)] [ClassifierHead(10)] public partial class Options;");
            using var net = Create(result, "Options");
            var keys = net.state_dict().Keys.ToHashSet();
            Assert.Contains("stage1.0.conv1.bias", keys);
            Assert.Contains("stage1.0.conv3.weight", keys);
            Assert.Contains("stage1.0.conv3.bias", keys);
            Assert.DoesNotContain("stage1.0.bn3.weight", keys);
            Assert.Contains("stage2.0.conv4.weight", keys);
            Assert.Contains("stage2.0.bn4.running_var", keys);
            Assert.DoesNotContain("stage2.0.conv1.bias", keys);
            Assert.Contains("stage3.0.conv4.weight", keys);          // pre-activation projection, no BatchNorm by default
            Assert.DoesNotContain("stage3.0.bn4.weight", keys);
            Assert.Equal(new long[] { 32, 16, 3, 3 }, net.state_dict()["stage3.0.conv2.weight"].shape); // width int(32*32/64)*2 = 32, 2 groups
            Assert.Equal(new long[] { 128, 64, 1, 1 }, net.state_dict()["stage3.0.conv4.weight"].shape);
            Assert.All(net.state_dict()["stage1.0.bn2.weight"].data<float>().ToArray(), v => Assert.Equal(0f, v));
            Assert.All(net.state_dict()["stage2.0.bn3.weight"].data<float>().ToArray(), v => Assert.Equal(0f, v));
            Assert.All(net.state_dict()["stage2.0.bn1.weight"].data<float>().ToArray(), v => Assert.Equal(1f, v));
            var info = Info(net);
            Assert.Equal(info.TotalParameters, net.parameters().Sum(p => p.numel()));
            using var _ = no_grad();
            net.eval();
            Assert.Equal(new long[] { 2, 10 }, net.forward(randn(2, 3, 32, 32)).shape);
        }

        [Theory]
        [InlineData("[BottleneckStage(3, 64, BaseWidth = 0)]", "InvalidValue", "BaseWidth")]
        [InlineData("[BottleneckStage(3, 8, BaseWidth = 4)]", "InvalidValue", "BaseWidth")]
        [InlineData("[BottleneckStage(3, 64, Groups = 0)]", "InvalidValue", "Groups")]
        [InlineData("[BasicStage(0, 64)]", "InvalidValue", "blocks")]
        [InlineData("[BasicStage(2, 64, Stride = 0)]", "InvalidValue", "Stride")]
        [InlineData("[PreActStage(2, 64, ZeroInitLastBatchNorm = true)]", "InvalidValue", "ZeroInitLastBatchNorm")]
        [InlineData("[PreActStage(2, 64, Groups = 4)]", "InvalidValue", "Groups")]
        [InlineData("[ResNeXtBlock(64, 128, Use1x1Conv = true)]", "InvalidValue", "groupWidth")]
        [InlineData("[ResNeXtBlock(64, 16, 0.0, Use1x1Conv = true)]", "InvalidValue", "bottleneckMultiplier")]
        [InlineData("[ResNeXtBlock(10, 3, Use1x1Conv = true)]", "GroupsDoNotDivide", "groupWidth")]
        [InlineData("[ResNeXtBlock(64, 16)]", "ResidualShapeMismatch", "Use1x1Conv")]
        [InlineData("[Flatten] [BasicStage(2, 64)]", "NeedsImageInput", null)]
        public void InvalidValuesAreProblemsAtTheAttribute(string layers, string code, string? argument)
        {
            var result = Run("[Input(32, 8, 8)] [Conv2d(32, 1)] " + layers + " public partial class Bad;");
            var model = Harness.Analyze(result, "Bad");
            var problem = Assert.Single(model.Problems);
            Assert.Equal(code, problem.Code.ToString());
            Assert.Equal(argument, problem.Argument);
            Assert.Equal(layers.StartsWith("[Flatten", StringComparison.Ordinal) ? 2 : 1, problem.LayerIndex);
            // A stub module that quotes the problem, no full module.
            Assert.DoesNotContain("T.Bad.Info.g.cs", result.Sources.Keys);
            Assert.Contains("DeclarationErrors", result.Sources["T.Bad.g.cs"]);
        }

        [Fact]
        public void TorchVisionNamingNamesTopLevelLayersAsTorchVision()
        {
            var result = Run(
                "[Input(3, 64, 64)] [Naming(NamingConvention.TorchVision)] [Conv2d(8, 3)] [BatchNorm2d] [ReLU] [MaxPool2d(2)] [BasicStage(1, 8)] [BasicStage(1, 16, Stride = 2)]"
                + " [ReLU] [AdaptiveAvgPool2d] [Flatten] [Linear(10)] [Linear(5)] public partial class Names;");
            var model = Harness.Analyze(result, "Names");
            Assert.Equal(new[] { "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "relu2", "avgpool", "flatten", "fc", "fc2" }, model.Layers.Select(l => l.Name));
            var downsample = model.Layers[5].Children[0].Children.Single(c => c.Name == "downsample");
            Assert.Equal(new[] { "layer2.0.downsample.0", "layer2.0.downsample.1" }, downsample.Children.Select(c => c.Path));
            Assert.Empty(result.WarningsAndErrors);
        }
    }
}
