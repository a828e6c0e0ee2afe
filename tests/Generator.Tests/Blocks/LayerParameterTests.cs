using System;
using System.Linq;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// Layer parameters: a block takes its activation or normalisation as a parameter with a default
    /// (<c>"act = ReLU"</c>, used by <c>[LayerKind("act")]</c>), as torchvision's Conv2dNormActivation takes
    /// activation_layer and norm_layer; a use passes another kind or passes its own on; everything is checked at compile time.
    /// </summary>
    public class LayerParameterTests
    {
        private const string Usings = "using Dsl;\nnamespace Nets;\n";

        private const string ConvNormAct = "[Block(\"c\", \"k = 3\", \"act = ReLU\", \"norm = BatchNorm2d\")] [Conv2d(\"c\", 1, Bias = false, With = \"Kernel = k; Padding = (k - 1) / 2\")] [LayerKind(\"norm\")] [LayerKind(\"act\")] public partial class CNA;\n";

        private static nn.Module<Tensor, Tensor> Build(string source)
        {
            var run = Harness.Run(Usings + source.Replace("[Block", "/// <summary>D.</summary>\n[Block").Replace("[Input(", "/// <summary>D.</summary>\n[Input("));
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            var type = Harness.Load(run).GetType("Nets.Net", throwOnError: true)!;
            return (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
        }

        private static void Verify(string markup, params (string Id, string Message)[] expected) => DiagnosticHarness.Verify(Usings + markup, expected);

        private static string Net(string layers) => "[Input(3, 8, 8)]\n" + layers + "\n[Flatten] [Linear(2)]\npublic partial class Net;\n";

        private static string Kind(nn.Module<Tensor, Tensor> net, string path) => net.named_modules().Single(m => m.name == path).module.GetType().Name;

        [Fact]
        public void The_default_kind_or_the_one_a_use_passes_is_built()
        {
            using var net = Build(ConvNormAct + Net("[Use<CNA>(8)] [Use<CNA>(8, \"act = Hardswish\")] [Use<CNA>(8, 1, \"SiLU\", \"BatchNorm2d\")]"));
            Assert.Equal(("BatchNorm2d", "ReLU"), (Kind(net, "cNA1.1"), Kind(net, "cNA1.2")));
            Assert.Equal("Hardswish", Kind(net, "cNA2.2"));
            Assert.Equal("SiLU", Kind(net, "cNA3.2"));
            Assert.Equal(new long[] { 8, 8, 1, 1 }, net.state_dict()["cNA3.0.weight"].shape);
            Assert.Contains("cNA1.1.running_mean", net.state_dict().Keys);
        }

        [Fact]
        public void A_block_passes_its_layer_parameter_on()
        {
            using var net = Build(ConvNormAct + "[Block(\"c\", \"gate = Sigmoid\")] [Use<CNA>(\"c\", \"act = gate\")] [Use<CNA>(\"c\", 1, \"gate\")] public partial class Outer;\n"
                + Net("[Use<Outer>(4, \"gate = Hardsigmoid\")]"));
            Assert.Equal("Hardsigmoid", Kind(net, "outer1.0.2"));
            Assert.Equal("Hardsigmoid", Kind(net, "outer1.1.2"));
        }

        // ---- errors, checked at compile time ----------------------------------------------------------------------------------

        [Fact]
        public void A_number_for_a_layer_parameter_is_an_error_at_the_argument() => Verify(ConvNormAct + Net("[Use<CNA>(8, [|\"act = 3\"|])]"),
            ("DSL018", "Block 'CNA': parameter 'act' is a layer parameter (default ReLU): it takes a layer kind such as ReLU, Hardswish or BatchNorm2d, not 3: CNA(c, k = 3, act = ReLU, norm = BatchNorm2d)"));

        [Fact]
        public void A_kind_for_a_number_parameter_is_an_error_at_the_argument() => Verify(ConvNormAct + Net("[Use<CNA>([|\"ReLU\"|])]"),
            ("DSL018", "Block 'CNA': parameter 'c' takes a number, not the layer kind ReLU: CNA(c, k = 3, act = ReLU, norm = BatchNorm2d)"));

        [Fact]
        public void A_misspelled_kind_names_the_nearest_kinds() => Verify(ConvNormAct + Net("[Use<CNA>(8, \"act = [|Relu|]\")]"),
            ("DSL018", "Block 'CNA': argument 'Relu' at column 1: 'Relu' is no layer kind; the nearest: ReLU, ELU, GELU, LeakyReLU, ReLU6"));

        [Fact]
        public void LayerKind_of_a_number_parameter_is_an_error_at_the_block() => Verify(
            "[Block(\"c\")] [Conv2d(\"c\", 1)] [LayerKind([|\"c\"|])] public partial class B;\n",
            ("DSL018", "Block 'B': [LayerKind] 'c' is a number parameter; a layer parameter has a layer kind as its default, such as \"c = ReLU\""));

        [Fact]
        public void LayerKind_of_no_parameter_is_an_error_at_the_block() => Verify(
            "[Block(\"c\")] [Conv2d(\"c\", 1)] [LayerKind([|\"act\"|])] public partial class B;\n",
            ("DSL018", "Block 'B': [LayerKind] the block has no layer parameter 'act'; declare one with a layer kind as its default, such as \"act = ReLU\""));

        [Fact]
        public void Arithmetic_on_a_layer_parameter_is_an_error_at_the_block() => Verify(
            "[Block(\"c\", \"act = ReLU\")] [Conv2d(\"c + [|act|]\", 1)] [LayerKind(\"act\")] public partial class B;\n",
            ("DSL018", "Block 'B': [Conv2d] outChannels = 'c + act' at column 5: 'act' is a layer kind (ReLU), not a number: use it as [LayerKind(\"act\")] or pass it on whole to a block's layer parameter"));

        [Fact]
        public void LayerKind_on_a_network_is_an_error_at_its_argument() => Verify(
            "[Input(3, 8, 8)] [LayerKind([|\"act\"|])] [Flatten] [Linear(2)] public partial class Net;\n",
            ("DSL018", "Block 'Net': [LayerKind] LayerKind reads a layer parameter of a block: use it inside a block declared with one, such as [Block(\"act = ReLU\")]"));
    }
}
