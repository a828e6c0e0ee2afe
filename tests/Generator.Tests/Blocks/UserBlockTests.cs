using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>User-declared blocks: parameters, expressions, When, the merges, and the generated module's keys and shapes.</summary>
    public class UserBlockTests
    {
        internal const string MobileBlocks = """
            using Dsl;
            namespace Nets;

            /// <summary>torchvision's Conv2dNormActivation with ReLU6.</summary>
            [Block("outChannels", "kernel = 3", "stride = 1", "groups = 1")]
            [Conv2d(1, 1, Bias = false, With = "OutChannels = outChannels; Kernel = kernel; Stride = stride; Padding = (kernel - 1) / 2; Groups = groups")]
            [BatchNorm2d]
            [ReLU6]
            public partial class ConvBNReLU6;

            /// <summary>MobileNetV2's inverted residual.</summary>
            [Block("outChannels", "stride", "expand", "hidden = in * expand", Body = "conv", Merge = Merge.Add, MergeWhen = "stride == 1 && in == outChannels")]
            [Use<ConvBNReLU6>("hidden", 1, When = "expand != 1")]
            [Use<ConvBNReLU6>("hidden", 3, "stride", "hidden")]
            [Conv2d("outChannels", 1, Bias = false)]
            [BatchNorm2d]
            public partial class InvertedResidual;
            """;

        private static (Harness.GeneratorRun Run, Type Net) Build(string source, string network)
        {
            var run = Harness.Run(source);
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())) + "\n" + string.Join("\n", run.Sources.Values));
            var assembly = Harness.Load(run);
            return (run, assembly.GetType("Nets." + network, throwOnError: true)!);
        }

        [Fact]
        public void Inverted_residual_has_torchvisions_keys_shapes_and_counts()
        {
            var (_, type) = Build(MobileBlocks + """

                /// <summary>A small MobileNetV2.</summary>
                [Input(3, 32, 32)]
                [Use<ConvBNReLU6>(32, 3, 2, Name = "stem")]
                [Use<InvertedResidual>(16, 1, 1)]
                [Use<InvertedResidual>(24, 2, 6)]
                [Use<InvertedResidual>(24, 1, 6)]
                public partial class Mobile;
                """, "Mobile");
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            var keys = net.state_dict().Keys.ToList();
            Assert.Contains("stem.0.weight", keys);
            Assert.Contains("invertedResidual1.conv.0.0.weight", keys);   // expand 1: no expansion, conv.0 is the depthwise
            Assert.Contains("invertedResidual1.conv.1.weight", keys);
            Assert.Contains("invertedResidual2.conv.0.0.weight", keys);   // expand 6: conv.0 expands
            Assert.Contains("invertedResidual2.conv.2.weight", keys);
            Assert.Contains("invertedResidual2.conv.3.running_var", keys);
            Assert.Equal(new long[] { 96, 1, 3, 3 }, net.state_dict()["invertedResidual2.conv.1.0.weight"].shape);
            using var y = net.call(torch.randn(2, 3, 32, 32));
            Assert.Equal(new long[] { 2, 24, 8, 8 }, y.shape);
            long declared = (long)type.GetField("ParameterCount")!.GetValue(null)!;
            Assert.Equal(net.parameters().Sum(p => p.numel()), declared);
        }
    }
}
