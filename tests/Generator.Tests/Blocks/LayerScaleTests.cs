using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// [LayerScale]: a parameter tensor of the enclosing block (not a module) that multiplies the value; its key, count,
    /// forward, and where it cannot go. [Permute] and [Linear] over the last dimension around it, as in ConvNeXt.
    /// </summary>
    public class LayerScaleTests
    {
        private const string Blocks = """
            using Dsl;
            namespace Nets;

            /// <summary>A residual branch scaled per channel.</summary>
            [Block("dim", Merge = Merge.Add)]
            [Conv2d("dim", 3, Padding = 1, Name = "conv")]
            [LayerScale(InitialValue = 0.5, Name = "gamma")]
            public partial class Scaled;
            """;

        [Fact]
        public void The_scale_is_a_parameter_of_its_block_that_multiplies()
        {
            var run = Harness.Run(Blocks + """

                /// <summary>Two scaled blocks and a scale of the network itself.</summary>
                [Input(4, 6, 6)]
                [Use<Scaled>(4)]
                [LayerScale(InitialValue = 2, Name = "scale")]
                [Use<Scaled>(4)]
                public partial class Net;
                """);
            Assert.Empty(Harness.Problems(run.Output));
            var type = Harness.Load(run).GetType("Nets.Net", throwOnError: true)!;
            using var scope = NewDisposeScope();
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            var state = net.state_dict();
            Assert.Equal(new long[] { 4, 1, 1 }, state["scaled1.gamma"].shape);
            Assert.Equal(new long[] { 4, 1, 1 }, state["scale"].shape);
            Assert.Equal(2.0f, state["scale"].max().item<float>());
            // A module: the block and its conv; the scales are parameters, not modules.
            Assert.DoesNotContain(net.named_modules(), m => m.name.EndsWith("gamma", StringComparison.Ordinal) || m.name == "scale");
            long declared = (long)type.GetField("ParameterCount")!.GetValue(null)!;
            Assert.Equal(net.parameters().Sum(p => p.numel()), declared);
            Assert.Equal(2 * (4 * 4 * 9 + 4 + 4) + 4, declared);

            // forward = b2(2 * b1(x)), b(x) = x + 0.5 * conv(x)
            var modules = net.named_modules().ToDictionary(m => m.name, m => m.module);
            var conv1 = (nn.Module<Tensor, Tensor>)modules["scaled1.conv"];
            var conv2 = (nn.Module<Tensor, Tensor>)modules["scaled2.conv"];
            var x = randn(2, 4, 6, 6);
            var h = (x + 0.5 * conv1.call(x)) * 2;
            var expected = h + 0.5 * conv2.call(h);
            Assert.True(net.call(x).allclose(expected, rtol: 1e-5, atol: 1e-6));
        }

        [Fact]
        public void A_scale_in_a_sequential_block_is_reported_at_the_use()
        {
            var compilation = DiagnosticHarness.Compile("""
                using Dsl;
                namespace Nets;

                /// <summary>No forward of its own.</summary>
                [Block("dim")]
                [Conv2d("dim", 3, Padding = 1)]
                [LayerScale]
                public partial class Plain;

                /// <summary>Uses it.</summary>
                [Input(4, 6, 6)]
                [Use<Plain>(4)]
                public partial class Net;
                """);
            var diagnostics = DiagnosticHarness.AnalyzeAll(compilation).Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal)).ToArray();
            var d = Assert.Single(diagnostics);
            Assert.Equal("DSL018", d.Id);
            Assert.Contains("Sequential block has no forward", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        }

        [Fact]
        public void Permute_and_a_linear_over_the_last_dimension_work_channels_last()
        {
            var run = Harness.Run("""
                using Dsl;
                namespace Nets;

                /// <summary>A pointwise MLP, channels-last.</summary>
                [Input(3, 5, 7)]
                [Permute(0, 2, 3, 1)]
                [LayerNorm]
                [Linear(8, InFeatures = 3)]
                [Permute(0, 3, 1, 2)]
                public partial class Net;
                """);
            Assert.Empty(Harness.Problems(run.Output));
            var type = Harness.Load(run).GetType("Nets.Net", throwOnError: true)!;
            var info = (NetworkInfo)type.GetProperty("Info")!.GetValue(null)!;
            Assert.Equal(new Shape(8, 5, 7), info.OutputShape);
            Assert.Equal(new Shape(5, 7, 3), info.TopLevel[0].OutputShape);
            Assert.Equal(5L * 7 * 3 * 8, info.TotalMultiplyAdds);
            using var scope = NewDisposeScope();
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            Assert.Equal(new long[] { 2, 8, 5, 7 }, net.call(randn(2, 3, 5, 7)).shape);
        }

        [Fact]
        public void A_linear_on_an_image_without_in_features_still_wants_a_flatten()
        {
            var compilation = DiagnosticHarness.Compile("""
                using Dsl;
                namespace Nets;

                /// <summary>Forgot the Flatten.</summary>
                [Input(3, 5, 7)]
                [Linear(8)]
                public partial class Net;
                """);
            var d = Assert.Single(DiagnosticHarness.AnalyzeAll(compilation).Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal)));
            Assert.Equal("DSL005", d.Id);
        }
    }
}
