using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// Kernels, strides, paddings and dilations per dimension (<c>[Conv2d(out, "1, 7", Paddings = "0, 3")]</c>): the
    /// generated call, the compile-time shapes and counts against the same layers built in plain TorchSharp, the
    /// diagnostics per dimension; and <c>[Interpolate]</c>, resizing to the network's or a block's input at run time.
    /// </summary>
    public class NonSquareConvolutionTests
    {
        private const string Declared = """
            using Dsl;
            namespace Nets;

            /// <summary>Inception-v3's factorised 7x7 (1x7 then 7x1, padded to keep the size), a strided and dilated pair, a square one.</summary>
            [Input(3, 9, 12)]
            [Conv2d(8, "1, 7", Paddings = "0, 3", Bias = false)]
            [Conv2d(6, "7, 1", Paddings = "3, 0")]
            [Conv2d(4, "3, 2", Strides = "2, 1", Dilations = "1, 2", Paddings = "1, 0", Groups = 2)]
            [Conv2d(5, 3, Padding = 1)]
            public partial class Factorised;
            """;

        [Fact]
        public void Per_dimension_convolutions_match_a_plain_TorchSharp_build_with_the_same_weights()
        {
            var run = Harness.Run(Declared);
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())) + "\n" + string.Join("\n", run.Sources.Values));
            string code = run.Sources["Nets.Factorised.g.cs"];
            Assert.Contains("Conv2d(in_channels: 3, out_channels: 8, kernel_size: (1, 7), padding: (0, 3), bias: false)", code);
            Assert.Contains("Conv2d(in_channels: 6, out_channels: 4, kernel_size: (3, 2), stride: (2, 1), padding: (1, 0), dilation: (1, 2), groups: 2)", code);
            Assert.Contains("Conv2d(in_channels: 4, out_channels: 5, kernel_size: 3, padding: 1)", code);
            using var c1 = nn.Conv2d(3, 8, (1, 7), padding: (0, 3), bias: false);
            using var c2 = nn.Conv2d(8, 6, (7, 1), padding: (3, 0));
            using var c3 = nn.Conv2d(6, 4, (3, 2), stride: (2, 1), padding: (1, 0), dilation: (1, 2), groups: 2);
            using var c4 = nn.Conv2d(4, 5, 3, padding: 1L);
            var info = PlainBuild.AssertSame(run, "Nets.Factorised", new long[] { 2, 3, 9, 12 }, c1, c2, c3, c4);
            // 1x7 and 7x1 keep 9x12; the third: height (9 + 2 - 3) / 2 + 1 = 5, width 12 - 2 = 10.
            Assert.Equal(new Shape(8, 9, 12), info.TopLevel[0].OutputShape);
            Assert.Equal(new Shape(4, 5, 10), info.TopLevel[2].OutputShape);
            // Multiply-adds: out * positions * in / groups * window.
            Assert.Equal(8L * 9 * 12 * 3 * 7, info.TopLevel[0].MultiplyAdds);
            Assert.Equal(4L * 5 * 10 * 3 * 6, info.TopLevel[2].MultiplyAdds);
        }

        [Fact]
        public void Output_sizes_equal_libtorch_over_a_grid_of_per_dimension_arguments()
        {
            int checkedCases = 0;
            foreach (var (kh, kw) in new[] { (1, 7), (7, 1), (3, 5), (2, 1) })
            foreach (var (sh, sw) in new[] { (1, 1), (2, 1), (1, 3) })
            foreach (var (ph, pw) in new[] { (0, 0), (0, 3), (2, 1) })
            foreach (var (dh, dw) in new[] { (1, 1), (1, 2) })
            {
                string source = $"using Dsl; [Input(2, 8, 11)] [Conv2d(3, \"{kh}, {kw}\", Strides = \"{sh}, {sw}\", Paddings = \"{ph}, {pw}\", Dilations = \"{dh}, {dw}\")] public partial class Net;";
                var compilation = Harness.Compilation(source);
                var parsed = Parsing.SpecParser.Parse(compilation.GetTypeByMetadataName("Net")!, default);
                var model = Graph.NetworkGraph.Build(parsed.Spec!, parsed.Problems);
                using var conv = nn.Conv2d(2, 3, (kh, kw), stride: (sh, sw), padding: (ph, pw), dilation: (dh, dw));
                long[]? actual;
                try
                {
                    using var y = conv.forward(zeros(1, 2, 8, 11));
                    actual = y.shape;
                }
                catch (Exception)
                {
                    actual = null;
                }
                if (actual is null) Assert.True(model.HasErrors, $"libtorch refuses {kh}x{kw} s{sh},{sw} p{ph},{pw} d{dh},{dw}; the generator accepted it");
                else
                {
                    Assert.False(model.HasErrors, $"{kh}x{kw} s{sh},{sw} p{ph},{pw} d{dh},{dw}: " + string.Join("; ", model.Problems));
                    Assert.Equal(actual.Skip(1), model.OutputShape);
                    Assert.Equal(conv.parameters().Sum(p => p.numel()), model.Parameters);
                    checkedCases++;
                }
            }
            Assert.True(checkedCases > 50, checkedCases + " cases");
        }

        private static void Verify(string markup, params (string Id, string Message)[] expected) =>
            DiagnosticHarness.Verify("using Dsl;\nnamespace Nets;\n" + markup, expected);

        [Fact]
        public void A_kernel_taller_than_the_input_is_reported_at_the_kernel_naming_the_height() => Verify(
            "[Input(1, 4, 9)] [Conv2d(8, [|\"7, 1\"|])]\npublic partial class Net;",
            ("DSL002", "'conv1' has a 7x1 kernel (dilation included) but its padded input is only 4x9 (height 4); use a smaller kernel or dilation, or more padding"));

        [Fact]
        public void A_kernel_wider_than_the_input_is_reported_at_the_kernel_naming_the_width() => Verify(
            "[Input(1, 8, 8)] [Conv2d(8, 2, Stride = 2)] [Conv2d(8, 2, Stride = 2)] [Conv2d(8, 2, Stride = 2)] [Conv2d(8, \"1, 3\", Paddings = \"0, 1\", Strides = \"1, 9\")] [Conv2d(8, [|\"1, 2\"|])]\npublic partial class Net;",
            ("DSL002", "'conv5' has a 1x2 kernel (dilation included) but its padded input is only 1x1 (width 1); use a smaller kernel or dilation, or more padding"));

        [Fact]
        public void Both_forms_of_one_size_are_refused_at_the_per_dimension_one() => Verify(
            "[Input(1, 8, 8)] [Conv2d(8, \"1, 3\", Padding = 1, [|Paddings = \"0, 1\"|])]\npublic partial class Net;",
            ("DSL008", "'conv1' has Paddings = \"0, 1\", but it must be left out when Padding is set (write one of them)"));

        [Fact]
        public void A_size_with_three_values_is_refused_at_the_string() => Verify(
            "[Input(1, 8, 8)] [Conv2d(8, [|\"1, 3, 3\"|])]\npublic partial class Net;",
            ("DSL018", "Block 'Net': [Conv2d] kernel = \"1, 3, 3\" has 3 values; write 2 (height, width) or one for every dimension"));

        [Fact]
        public void A_block_checks_each_dimension_of_a_kernel_as_an_expression_and_reports_the_unknown_one_where_it_stands() => Verify(
            "[Block(\"k\")] [Conv2d(4, \"k, [|kw|]\")] public partial class Factorised;\n[Input(3, 8, 8)] [Use<Factorised>(3)] public partial class Net;",
            ("DSL018", "Block 'Factorised': [Conv2d] kernel = 'kw' at column 1: unknown name 'kw' (known: in, last, block_in, layer_in, k)"));

        [Fact]
        public void A_block_checks_each_dimension_of_a_named_per_dimension_argument() => Verify(
            "[Block(\"k\", \"p\")] [Conv2d(4, \"1, k\", Paddings = \"0, [|pw|]\")] public partial class Factorised;\n[Input(3, 8, 8)] [Use<Factorised>(3, 1)] public partial class Net;",
            ("DSL018", "Block 'Factorised': [Conv2d] Paddings = 'pw' at column 1: unknown name 'pw' (known: in, last, block_in, layer_in, k, p)"));

        private const string Segmenter = """
            using Dsl;
            namespace Nets;

            /// <summary>ASPP's pooling branch: global average, 1x1 convolution, resized back to the block's input.</summary>
            [Block("c")]
            [AdaptiveAvgPool2d] [Conv2d("c", 1)] [Interpolate(To = InterpolateTarget.BlockInput)]
            public partial class Pooled;

            [Input(3, 13, 17)]
            [Conv2d(4, 3, Stride = 2)]
            [Use<Pooled>(6, Name = "pool")]
            [Interpolate]
            public partial class Segmenter;
            """;

        [Fact]
        public void Interpolate_resizes_to_the_block_input_and_to_the_network_input_at_run_time()
        {
            var run = Harness.Run(Segmenter);
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())) + "\n" + string.Join("\n", run.Sources.Values));
            var type = Harness.Load(run).GetType("Nets.Segmenter", throwOnError: true)!;
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            var info = (NetworkInfo)type.GetProperty("Info")!.GetValue(null)!;
            Assert.Equal(new Shape(6, 6, 8), info.TopLevel.Single(l => l.Name == "pool").OutputShape);
            Assert.Equal(new Shape(6, 13, 17), info.OutputShape);
            // The pooling block is a class with a forward (it holds a step), its children keyed as a block's.
            Assert.Equal(new[] { "conv1.bias", "conv1.weight", "pool.conv1.bias", "pool.conv1.weight" }, net.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal));

            using var scope = NewDisposeScope();
            using var _ = no_grad();
            net.eval();
            var x = randn(2, 3, 13, 17);
            var state = net.state_dict();
            var y0 = nn.functional.conv2d(x, state["conv1.weight"], state["conv1.bias"], strides: new long[] { 2, 2 });
            var pooled = nn.functional.conv2d(nn.functional.adaptive_avg_pool2d(y0, new long[] { 1, 1 }), state["pool.conv1.weight"], state["pool.conv1.bias"]);
            var expected = nn.functional.interpolate(nn.functional.interpolate(pooled, size: new long[] { 6, 8 }, mode: InterpolationMode.Bilinear, align_corners: false),
                size: new long[] { 13, 17 }, mode: InterpolationMode.Bilinear, align_corners: false);
            var y = net.forward(x);
            Assert.Equal(new long[] { 2, 6, 13, 17 }, y.shape);
            Assert.True(y.allclose(expected, rtol: 1e-5, atol: 1e-5));
        }

        [Fact]
        public void Interpolate_to_the_network_input_inside_a_block_is_reported_at_To() => Verify(
            "[Block] [Conv2d(4, 1)] [Interpolate([|To = InterpolateTarget.NetworkInput|])] public partial class Head;\n" +
            "[Input(3, 8, 8)] [Use<Head>] public partial class Net;",
            ("DSL008", "'head1.interpolate1' has To = InterpolateTarget.NetworkInput, but it must be InterpolateTarget.BlockInput inside a block (a block's forward sees its own input, not the network's); or put [Interpolate] in the network after the block"));
    }
}
