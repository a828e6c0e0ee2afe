using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Dsl.Generator.Tests.Ranks
{
    /// <summary>
    /// The diagnostics of flat and sequence input, the 1-d layers, GroupNorm, Softmax and [Custom&lt;T&gt;]: the exact
    /// span (from [| |] markup) and the exact message, as DiagnosticTests.
    /// </summary>
    public class RankDiagnosticTests
    {
        private const string Usings = "using Dsl;\nusing TorchSharp;\nusing static TorchSharp.torch;\nnamespace Nets;\n";

        /// <summary>A module that satisfies [Custom&lt;T&gt;], and some that do not.</summary>
        private const string Modules = """

            public sealed class Flip : nn.Module<Tensor, Tensor>
            {
                public Flip() : base(nameof(Flip)) { }
                public override Tensor forward(Tensor x) => x.flip(1);
            }
            public sealed class NotAModule { }
            public sealed class NeedsWidth : nn.Module<Tensor, Tensor>
            {
                public NeedsWidth(int width) : base(nameof(NeedsWidth)) { }
                public override Tensor forward(Tensor x) => x;
            }
            public abstract class Abstract : nn.Module<Tensor, Tensor>
            {
                protected Abstract() : base(nameof(Abstract)) { }
            }
            public partial class Outer
            {
                private sealed class Hidden : nn.Module<Tensor, Tensor>
                {
                    public Hidden() : base(nameof(Hidden)) { }
                    public override Tensor forward(Tensor x) => x;
                }
            }

            """;

        private static void Verify(string markup, params (string Id, string Message)[] expected) =>
            DiagnosticHarness.Verify(Usings + markup + Modules, expected);

        [Fact]
        public void Flat_sequence_and_token_networks_have_no_diagnostics() => Verify(
            "[Input(784)] [Linear(256)] [ReLU] [BatchNorm1d] [Softmax] [Linear(10)] public partial class Mlp;\n" +
            "[Input(12, 64)] [Conv1d(8, 3, Padding = 1)] [BatchNorm1d] [GroupNorm(2)] [MaxPool1d(2)] [AvgPool1d(2)] [AdaptiveAvgPool1d(2)] [Softmax(Dim = -2)] [Flatten] [Linear(3)] public partial class Seq;\n" +
            "[Input(16, 32)] [Linear(64)] [GELU] [Linear(8, InFeatures = 64)] [Softmax(Dim = 2)] public partial class Tokens;\n" +
            "[Input(3, 8, 8)] [GroupNorm(3)] [Softmax(Dim = 1)] [Custom<Flip>] [Custom<Flip>(OutputShape = new[] { 3, 8, 8 }, Parameters = 0)] [Flatten] [Linear(2)] public partial class Image;");

        [Fact]
        public void DSL004_Conv1d_on_an_image() => Verify(
            "[Input(3, 8, 8)] [[|Conv1d(4, 3)|]]\npublic partial class Net;",
            ("DSL004", "'conv1' (Conv1d) needs sequence input (channels, length) but receives the image shape [3, 8, 8]; use the 2-d layers (Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d) on images, or put [Flatten] before it"));

        [Fact]
        public void DSL004_Conv2d_on_a_sequence() => Verify(
            "[Input(3, 16)] [[|Conv2d(4, 3)|]]\npublic partial class Net;",
            ("DSL004", "'conv1' (Conv2d) needs image input (channels, height, width) but receives the sequence shape [3, 16]; declare [Input(channels, height, width)] for images, or use the 1-d layers (Conv1d, MaxPool1d, AvgPool1d, BatchNorm1d) on sequences"));

        [Fact]
        public void DSL004_MaxPool1d_on_flat_input() => Verify(
            "[Input(3, 16)] [Flatten] [[|MaxPool1d(2)|]]\npublic partial class Net;",
            ("DSL004", "'maxpool1' (MaxPool1d) needs sequence input (channels, length) but receives the flat shape [48]; move it before the Flatten, or declare [Input(channels, length)]"));

        [Fact]
        public void DSL004_BatchNorm1d_on_an_image() => Verify(
            "[Input(3, 8, 8)] [[|BatchNorm1d|]]\npublic partial class Net;",
            ("DSL004", "'bn1' (BatchNorm1d) needs flat input (features) or sequence input (channels, length) but receives the image shape [3, 8, 8]; use the 2-d layers (Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d) on images, or put [Flatten] before it"));

        [Fact]
        public void DSL005_Linear_on_an_image_is_still_an_error_but_not_on_tokens() => Verify(
            "[Input(4, 6)] [Linear(3)] [Conv1d(2, 1)] [Linear(5)] public partial class Tokens;\n[Input(1, 8, 8)] [[|Linear(10)|]]\npublic partial class Net;",
            ("DSL005", "'fc1' (Linear) needs flat input but receives the image shape [1, 8, 8]; put [Flatten] before it"));

        [Fact]
        public void DSL003_Linear_on_tokens_checks_the_last_dimension() => Verify(
            "[Input(16, 32)] [Linear(8, [|InFeatures = 16|])]\npublic partial class Net;",
            ("DSL003", "'fc1' declares InFeatures = 16 but receives 32 features; set InFeatures = 32, or remove InFeatures to have it inferred"));

        [Fact]
        public void DSL001_MaxPool1d_below_length_one_at_the_kernel() => Verify(
            "[Input(2, 3)] [MaxPool1d(2)] [MaxPool1d([|2|])]\npublic partial class Net;",
            ("DSL001", "'maxpool2' turns its length-1 input into length 0, but the length must stay at least 1; use a smaller kernel or stride, more padding, or fewer downsampling layers before it"));

        [Fact]
        public void DSL002_Conv1d_kernel_larger_than_the_padded_sequence() => Verify(
            "[Input(2, 4)] [Conv1d(8, [|3|], Dilation = 3)]\npublic partial class Net;",
            ("DSL002", "'conv1' has a length-7 kernel (dilation included) but its padded input is only of length 4; use a smaller kernel or dilation, or more padding"));

        [Fact]
        public void DSL006_Conv1d_groups() => Verify(
            "[Input(3, 8)] [Conv1d(8, 3, [|Groups = 2|])]\npublic partial class Net;",
            ("DSL006", "'conv1' has Groups = 2, which must divide both its input channels (3) and its output channels (8); choose a common divisor such as Groups = 1"));

        [Fact]
        public void DSL006_GroupNorm_groups_must_divide_the_channels_at_groups() => Verify(
            "[Input(8, 4, 4)] [GroupNorm([|3|])]\npublic partial class Net;",
            ("DSL006", "'gn1' has Groups = 3, which must divide both its input channels (8) and its output channels (8); choose a common divisor such as Groups = 1"));

        [Fact]
        public void DSL004_GroupNorm_on_flat_input() => Verify(
            "[Input(8)] [[|GroupNorm(2)|]]\npublic partial class Net;",
            ("DSL004", "'gn1' (GroupNorm) needs sequence input (channels, length) or image input (channels, height, width) but receives the flat shape [8]; move it before the Flatten, or remove the Flatten"));

        [Fact]
        public void DSL008_GroupNorm_groups_and_eps() => Verify(
            "[Input(8, 2)] [GroupNorm([|0|], [|Eps = 0|])]\npublic partial class Net;",
            ("DSL008", "'gn1' has groups = 0, but it must be at least 1"),
            ("DSL008", "'gn1' has Eps = 0, but it must be greater than 0"));

        [Fact]
        public void DSL008_Softmax_over_the_batch() => Verify(
            "[Input(10)] [Softmax([|Dim = 0|])]\npublic partial class Net;",
            ("DSL008", "'softmax1' has Dim = 0, but it must be a dimension of the sample (1 to its rank, or -1 to minus its rank), not 0, the batch"));

        [Fact]
        public void DSL008_Softmax_beyond_the_rank() => Verify(
            "[Input(4, 10)] [Softmax([|Dim = 3|])]\npublic partial class Net;",
            ("DSL008", "'softmax1' has Dim = 3, but it must be between -2 and 2 (not 0) for its sequence input [4, 10]"));

        [Fact]
        public void DSL008_Input_of_rank_one_and_two_at_the_argument() => Verify(
            "[Input([|0|])] [Linear(2)] public partial class Flat;\n[Input(3, [|-1|])] [Conv1d(2, 1)] public partial class Seq;",
            ("DSL008", "'Input' has features = 0, but it must be at least 1"),
            ("DSL008", "'Input' has length = -1, but it must be at least 1"));

        [Fact]
        public void DSL020_not_a_module_at_the_type_argument() => Verify(
            "[Input(8, 16)] [Custom<[|NotAModule|]>] [Flatten] [Linear(4)]\npublic partial class Net;",
            ("DSL020", "Custom layer 'notAModule1' cannot use NotAModule: it does not derive from TorchSharp's torch.nn.Module<Tensor, Tensor>; derive it from Module<Tensor, Tensor> (one tensor in, one out)"));

        [Fact]
        public void DSL020_no_parameterless_constructor() => Verify(
            "[Input(8, 16)] [Custom<[|NeedsWidth|]>]\npublic partial class Net;",
            ("DSL020", "Custom layer 'needsWidth1' cannot use NeedsWidth: it has no public parameterless constructor; add one (the network creates the module with new NeedsWidth())"));

        [Fact]
        public void DSL020_abstract_and_private_modules() => Verify(
            "[Input(8, 16)] [Custom<[|Abstract|]>] public partial class Net;\n",
            ("DSL020", "Custom layer 'abstract1' cannot use Abstract: it is abstract; name a concrete class"));

        [Fact]
        public void DSL020_an_output_shape_that_cannot_be_evaluated_at_OutputShape() => Verify(
            "[Input(3, 8, 8)] [Custom<Flip>([|OutputShape = \"c * 2, h / z, w\"|])]\npublic partial class Net;",
            ("DSL020", "Custom layer 'flip1' cannot use Flip: its OutputShape 'h / z' at column 5: unknown name 'z' (known: d0, d1, d2, in, last, c, h, w) (the input is [3, 8, 8])"));

        [Fact]
        public void DSL008_custom_dimensions_and_parameters() => Verify(
            "[Input(3, 8, 8)] [Custom<Flip>([|OutputShape = \"c, h - 8, w\"|])] public partial class Net;\n[Input(3)] [Custom<Flip>([|Parameters = -1|])] public partial class Net2;",
            ("DSL008", "'flip1' has OutputShape = c, h - 8, w (dimension 1 is 0 for the input [3, 8, 8]), but it must be whole numbers of at least 1"),
            ("DSL008", "'flip1' has Parameters = -1, but it must be at least 0"));

        [Fact]
        public void Layers_after_a_custom_layer_are_checked_against_its_contract() => Verify(
            "[Input(3, 8, 8)] [Custom<Flip>(OutputShape = new[] { 16, 4 })] [[|Conv2d(4, 3)|]]\npublic partial class Net;",
            ("DSL004", "'conv1' (Conv2d) needs image input (channels, height, width) but receives the sequence shape [16, 4]; declare [Input(channels, height, width)] for images, or use the 1-d layers (Conv1d, MaxPool1d, AvgPool1d, BatchNorm1d) on sequences"));

        [Fact]
        public void DSL020_page_examples_match_the_analyzer() => new DocsTests().Page_Examples_MatchTheAnalyzer("DSL020");

        [Fact]
        public void DSL004_page_examples_still_match_the_analyzer() => new DocsTests().Page_Examples_MatchTheAnalyzer("DSL004");
    }
}
