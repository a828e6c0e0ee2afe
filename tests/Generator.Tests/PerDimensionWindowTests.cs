using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// Pools and transposed convolutions with a size per dimension (<c>[MaxPool2d("1, 3", Strides = "1, 2")]</c>,
    /// <c>[ConvTranspose2d(4, "2, 3", OutputPaddings = "1, 0")]</c>), as Conv2d takes them: the generated calls run
    /// against the same layers built in plain TorchSharp, shapes and counts against libtorch over grids, and the
    /// diagnostics per dimension.
    /// </summary>
    public class PerDimensionWindowTests
    {
        private const string Declared = """
            using Dsl;
            namespace Nets;

            /// <summary>A pool along the width only, a padded ceil-mode average, an upsampling of the height only, a dilated max.</summary>
            [Input(3, 9, 12)]
            [MaxPool2d("1, 3", Strides = "1, 2", Paddings = "0, 1")]
            [AvgPool2d("3, 2", Strides = "2, 1", Paddings = "1, 0", CeilMode = true)]
            [ConvTranspose2d(4, "2, 3", Strides = "2, 3", Paddings = "0, 1", OutputPadding = 1)]
            [MaxPool2d(2, Strides = "1, 1", Dilations = "1, 2")]
            [AvgPool2d(2)]
            public partial class PerDimension;
            """;

        [Fact]
        public void Per_dimension_pools_and_transposed_convolutions_match_a_plain_TorchSharp_build()
        {
            var run = Harness.Run(Declared);
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())) + "\n" + string.Join("\n", run.Sources.Values));
            string code = run.Sources["Nets.PerDimension.g.cs"];
            // TorchSharp's tuple overloads, every size a pair; defaults (stride = kernel, zero padding, dilation 1) left out.
            Assert.Contains("MaxPool2d(kernel_size: (1, 3), stride: (1, 2), padding: (0, 1))", code);
            Assert.Contains("AvgPool2d(kernel_size: (3, 2), stride: (2, 1), padding: (1, 0), ceil_mode: true)", code);
            Assert.Contains("ConvTranspose2d(in_channels: 3, out_channels: 4, kernel_size: (2, 3), stride: (2, 3), padding: (0, 1), output_padding: (1, 1))", code);
            Assert.Contains("MaxPool2d(kernel_size: (2, 2), stride: (1, 1), dilation: (1, 2))", code);
            Assert.Contains("AvgPool2d(kernel_size: 2)", code);

            using var p1 = nn.MaxPool2d((1, 3), stride: (1, 2), padding: (0, 1));
            using var p2 = nn.AvgPool2d((3, 2), stride: (2, 1), padding: (1, 0), ceil_mode: true);
            using var up = nn.ConvTranspose2d(3, 4, (2, 3), stride: (2, 3), padding: (0, 1), output_padding: (1, 1));
            using var p3 = nn.MaxPool2d((2, 2), stride: (1, 1), dilation: (1, 2));
            using var p4 = nn.AvgPool2d(2);
            var info = PlainBuild.AssertSame(run, "Nets.PerDimension", new long[] { 2, 3, 9, 12 }, p1, p2, up, p3, p4);
            // Width (12 + 2 - 3) / 2 + 1 = 6; height ceil((9 + 2 - 3) / 2) + 1 = 5; (5 - 1) * 2 + 1 + 1 + 1 = 11 by (5 - 1) * 3 - 2 + 2 + 1 + 1 = 14.
            Assert.Equal(new Shape(3, 9, 6), info.TopLevel[0].OutputShape);
            Assert.Equal(new Shape(3, 5, 5), info.TopLevel[1].OutputShape);
            Assert.Equal(new Shape(4, 11, 14), info.TopLevel[2].OutputShape);
        }

        private static Graph.NetworkModel Model(string source)
        {
            var compilation = Harness.Compilation(source);
            var parsed = Parsing.SpecParser.Parse(compilation.GetTypeByMetadataName("Net")!, default);
            return Graph.NetworkGraph.Build(parsed.Spec!, parsed.Problems);
        }

        /// <summary>libtorch's output shape of <paramref name="layer"/> on a 2x8x11 input, or null where libtorch refuses the layer or the input.</summary>
        private static long[]? Libtorch(Func<nn.Module<Tensor, Tensor>> layer)
        {
            try
            {
                using var module = layer();
                using var y = module.forward(zeros(1, 2, 8, 11));
                return y.shape;
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                return null;
            }
        }

        private static void Compare(string declared, long[]? actual, string what, ref int accepted, ref int refused, long parameters = 0)
        {
            var model = Model("using Dsl; [Input(2, 8, 11)] " + declared + " public partial class Net;");
            if (actual is null)
            {
                Assert.True(model.HasErrors, $"libtorch refuses {what}; the generator accepted it");
                refused++;
                return;
            }
            Assert.False(model.HasErrors, what + ": " + string.Join("; ", model.Problems));
            Assert.Equal(actual.Skip(1), model.OutputShape);
            Assert.Equal(parameters, model.Parameters);
            accepted++;
        }

        [Fact]
        public void Pool_output_sizes_equal_libtorch_over_a_grid_of_per_dimension_arguments()
        {
            int accepted = 0, refused = 0;
            foreach (var (kh, kw) in new[] { (1, 3), (3, 1), (2, 5) })
            foreach (var (sh, sw) in new[] { (1, 2), (3, 1) })
            foreach (var (ph, pw) in new[] { (0, 0), (0, 1), (1, 2) })
            foreach (var (dh, dw) in new[] { (1, 1), (2, 1) })
            foreach (bool ceil in new[] { false, true })
            {
                string sizes = $"\"{kh}, {kw}\", Strides = \"{sh}, {sw}\", Paddings = \"{ph}, {pw}\", CeilMode = {(ceil ? "true" : "false")}";
                Compare($"[MaxPool2d({sizes}, Dilations = \"{dh}, {dw}\")]",
                    Libtorch(() => nn.MaxPool2d((kh, kw), stride: (sh, sw), padding: (ph, pw), dilation: (dh, dw), ceil_mode: ceil)),
                    $"max {kh}x{kw} s{sh},{sw} p{ph},{pw} d{dh},{dw} ceil {ceil}", ref accepted, ref refused);
                if (dh == 1 && dw == 1)
                    Compare($"[AvgPool2d({sizes})]", Libtorch(() => nn.AvgPool2d((kh, kw), stride: (sh, sw), padding: (ph, pw), ceil_mode: ceil)),
                        $"average {kh}x{kw} s{sh},{sw} p{ph},{pw} ceil {ceil}", ref accepted, ref refused);
            }
            Assert.True(accepted > 60 && refused > 10, $"{accepted} accepted, {refused} refused");
        }

        [Fact]
        public void Transposed_convolution_sizes_and_parameters_equal_libtorch_over_a_grid_of_per_dimension_arguments()
        {
            int accepted = 0, refused = 0;
            foreach (var (kh, kw) in new[] { (1, 3), (3, 2) })
            foreach (var (sh, sw) in new[] { (1, 2), (3, 1) })
            foreach (var (ph, pw) in new[] { (0, 0), (2, 1), (0, 7) })
            foreach (var (oh, ow) in new[] { (0, 0), (1, 1), (2, 2) })
            foreach (var (dh, dw) in new[] { (1, 1), (1, 3) })
            {
                // libtorch's oneDNN path aborts the process (an uncaught dnnl::error) on an output below 1 instead of throwing:
                // such a layer is not built, and counts as refused by PyTorch's documented size, (n - 1) s - 2 p + d (k - 1) + op + 1.
                static long Documented(long n, long k, long s, long p, long op, long d) => (n - 1) * s - 2 * p + d * (k - 1) + op + 1;
                bool empty = Documented(8, kh, sh, ph, oh, dh) < 1 || Documented(11, kw, sw, pw, ow, dw) < 1;
                var actual = empty ? null
                    : Libtorch(() => nn.ConvTranspose2d(2, 4, (kh, kw), stride: (sh, sw), padding: (ph, pw), output_padding: (oh, ow), dilation: (dh, dw), groups: 2));
                long parameters = 2 * 2 * kh * kw + 4;
                Compare($"[ConvTranspose2d(4, \"{kh}, {kw}\", Strides = \"{sh}, {sw}\", Paddings = \"{ph}, {pw}\", OutputPaddings = \"{oh}, {ow}\", Dilations = \"{dh}, {dw}\", Groups = 2)]",
                    actual, $"{kh}x{kw} s{sh},{sw} p{ph},{pw} op{oh},{ow} d{dh},{dw}", ref accepted, ref refused, parameters);
            }
            Assert.True(accepted > 30 && refused > 10, $"{accepted} accepted, {refused} refused");
        }

        private static void Verify(string markup, params (string Id, string Message)[] expected) =>
            DiagnosticHarness.Verify("using Dsl;\nnamespace Nets;\n" + markup, expected);

        [Fact]
        public void A_padding_over_half_the_kernel_in_one_dimension_is_reported_at_the_paddings() => Verify(
            "[Input(1, 8, 8)] [MaxPool2d(\"1, 3\", [|Paddings = \"1, 1\"|])]\npublic partial class Net;",
            ("DSL008", "'maxpool1' has Paddings = \"1, 1\", but it must be at most half the kernel (0, 1)"));

        [Fact]
        public void A_pool_narrower_than_its_window_is_reported_at_the_kernel_naming_the_width() => Verify(
            "[Input(1, 8, 3)] [AvgPool2d([|\"1, 4\"|])]\npublic partial class Net;",
            ("DSL001", "'avgpool1' turns its 8x3 input into 8x0, but width must stay at least 1; use a smaller kernel or stride, more padding, or fewer downsampling layers before it"));

        [Fact]
        public void Both_forms_of_a_pool_stride_are_refused_at_the_per_dimension_one() => Verify(
            "[Input(1, 8, 8)] [AvgPool2d(2, Stride = 2, [|Strides = \"1, 2\"|])]\npublic partial class Net;",
            ("DSL008", "'avgpool1' has Strides = \"1, 2\", but it must be left out when Stride is set (write one of them)"));

        [Fact]
        public void An_output_padding_as_large_as_the_stride_in_one_dimension_is_reported_at_the_output_paddings() => Verify(
            "[Input(1, 8, 8)] [ConvTranspose2d(4, 3, Strides = \"2, 1\", [|OutputPaddings = \"1\"|])]\npublic partial class Net;",
            ("DSL008", "'upconv1' has OutputPaddings = \"1\", but it must be smaller than the stride (2, 1) or the dilation (1, 1) in each dimension"));

        /// <summary>TorchSharp 0.107's ConvTranspose2d applies the first output padding to both dimensions: a pair that differs is refused.</summary>
        [Fact]
        public void Output_paddings_that_differ_between_dimensions_are_refused_at_the_output_paddings() => Verify(
            "[Input(1, 8, 8)] [ConvTranspose2d(4, 3, Stride = 2, [|OutputPaddings = \"1, 0\"|])]\npublic partial class Net;",
            ("DSL008", "'upconv1' has OutputPaddings = \"1, 0\", but it must be the same in both dimensions (TorchSharp's ConvTranspose2d applies the first to both); write one OutputPadding and choose the padding or the kernel so that the output has the size you need"));

        [Fact]
        public void A_pool_kernel_with_three_values_is_refused_at_the_string() => Verify(
            "[Input(1, 8, 8)] [MaxPool2d([|\"1, 3, 3\"|])]\npublic partial class Net;",
            ("DSL018", "Block 'Net': [MaxPool2d] kernel = \"1, 3, 3\" has 3 values; write 2 (height, width) or one for every dimension"));
    }
}
