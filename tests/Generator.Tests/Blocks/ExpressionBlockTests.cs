using System;
using System.Linq;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>The README's example of the expression language, built: make_divisible widths, a real-valued parameter and a short-circuit When.</summary>
    public class ExpressionBlockTests
    {
        internal const string Example = """
            using Dsl;
            namespace Nets;

            /// <summary>MobileNetV3's squeeze-and-excitation.</summary>
            [Block(Merge = Merge.Multiply)]
            [AdaptiveAvgPool2d]
            [Conv2d("make_divisible(in // 4, 8)", 1, Name = "fc1")]
            [ReLU]
            [Conv2d("block_in", 1, Name = "fc2")]
            [Hardsigmoid]
            public partial class SqueezeExcite;

            /// <summary>A width multiplier, and a layer only where a real-valued rate is positive.</summary>
            [Block("c", "width = 1.0", "rate = 0.0")]
            [Conv2d("make_divisible(c * width, 8)", 3, Padding = 1)]
            [Use<SqueezeExcite>]
            [Dropout(With = "Probability = rate", When = "rate > 0 && 1 / rate > 2")]
            public partial class WideConv;

            /// <summary>The network.</summary>
            [Input(3, 32, 32)]
            [Use<WideConv>(40, 0.75)]
            [Use<WideConv>(40, "rate = 0.2")]
            [AdaptiveAvgPool2d] [Flatten] [Linear(10)]
            public partial class WidthNet;
            """;

        [Fact]
        public void Widths_follow_torchvisions_make_divisible_and_the_real_rate_keeps_its_dropout()
        {
            var run = Harness.Run(Example);
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            var type = Harness.Load(run).GetType("Nets.WidthNet", throwOnError: true)!;
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            var shapes = net.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
            // _make_divisible(40 * 0.75, 8) = 32; its squeeze _make_divisible(32 // 4, 8) = 8.
            Assert.Equal(new long[] { 32, 3, 3, 3 }, shapes["wideConv1.0.weight"]);
            Assert.Equal(new long[] { 8, 32, 1, 1 }, shapes["wideConv1.1.fc1.weight"]);
            // _make_divisible(40, 8) = 40; _make_divisible(40 // 4, 8) = 16 (8 would lose more than 10% of 10).
            Assert.Equal(new long[] { 40, 32, 3, 3 }, shapes["wideConv2.0.weight"]);
            Assert.Equal(new long[] { 16, 40, 1, 1 }, shapes["wideConv2.1.fc1.weight"]);
            var modules = net.named_modules().Select(m => m.name).ToList();
            Assert.DoesNotContain("wideConv1.2", modules);     // rate 0: "rate > 0 && 1 / rate > 2" stops before dividing
            Assert.Contains("wideConv2.2", modules);
            using var y = net.call(torch.zeros(2, 3, 32, 32));
            Assert.Equal(new long[] { 2, 10 }, y.shape);
        }
    }
}
