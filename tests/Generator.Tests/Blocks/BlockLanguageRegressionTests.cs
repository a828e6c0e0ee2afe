using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// What users of blocks met before the language had a grammar, each kept from coming back: real division, Python's
    /// <c>//</c>, <c>&amp;&amp;</c> that evaluated both sides, the nesting limit counted twice per parenthesis, With
    /// entries naming no argument silently ignored (in a block and on a network's layer), problems two blocks deep reported
    /// at the network's outer use, a block no network uses never checked, and a block's own problem reported again at
    /// every use. Each with its exact span and message.
    /// </summary>
    public class BlockLanguageRegressionTests
    {
        private const string Usings = "using Dsl;\nnamespace Nets;\n";

        private static void Verify(string markup, params (string Id, string Message)[] expected) => DiagnosticHarness.Verify(Usings + markup, expected);

        private static string Net(string layers) => "[Input(1, 8, 8)]\n" + layers + "\n[Flatten] [Linear(2)]\npublic partial class Net;\n";

        private static nn.Module<Tensor, Tensor> Build(string source)
        {
            var run = Harness.Run(Usings + source.Replace("[Block(", "/// <summary>Declared.</summary>\n[Block(").Replace("[Input(", "/// <summary>Declared.</summary>\n[Input("));
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            var type = Harness.Load(run).GetType("Nets.Net", throwOnError: true)!;
            return (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
        }

        private static long[] Shape(nn.Module<Tensor, Tensor> net, string key) => net.state_dict()[key].shape;

        // ---- arithmetic -------------------------------------------------------------------------------------------------

        /// <summary>7 / 2.0 was 3 (a whole-valued double read as an integer); a real now divides exactly: round(7 / 2.0 * 2) is 7.</summary>
        [Fact]
        public void Division_by_a_real_is_exact_in_a_block()
        {
            using var net = Build("[Block(\"c\")] [Conv2d(\"round(c / 2.0 * 2)\", 1)] public partial class B;\n" + Net("[Use<B>(7)]"));
            Assert.Equal(new long[] { 7, 1, 1, 1 }, Shape(net, "b1.0.weight"));
        }

        /// <summary>Python's // was refused; it is floor division (and / of two integers still rounds down, as declarations expect).</summary>
        [Fact]
        public void Floor_division_and_integer_division_agree()
        {
            using var net = Build("[Block(\"c\")] [Conv2d(\"c // 2\", 1)] [Conv2d(\"c / 2\", 1)] [Conv2d(\"-c // -2\", 1)] public partial class B;\n" + Net("[Use<B>(7)]"));
            Assert.Equal(3, Shape(net, "b1.0.weight")[0]);
            Assert.Equal(3, Shape(net, "b1.1.weight")[0]);
            Assert.Equal(3, Shape(net, "b1.2.weight")[0]);
        }

        /// <summary>"k != 0 &amp;&amp; 12 / k >= 1" with k = 0 was a division by zero: && stops at a false left side.</summary>
        [Fact]
        public void And_does_not_evaluate_its_right_side_after_false()
        {
            using var net = Build("[Block(\"c\", \"k\")] [Conv2d(\"c\", 1)] [ReLU(When = \"k != 0 && 12 / k >= 1\")] public partial class B;\n" + Net("[Use<B>(4, 0)]"));
            Assert.Single(net.named_modules(), m => m.name == "b1.0");
            Assert.DoesNotContain(net.named_modules(), m => m.name == "b1.1");
        }

        /// <summary>The nesting limit counted each parenthesis twice (50 pairs were too many); 100 pairs are fine, 101 are not.</summary>
        [Fact]
        public void A_hundred_parentheses_in_a_use_argument_are_fine()
        {
            using var net = Build("[Block(\"c\")] [Conv2d(\"c\", 1)] public partial class B;\n" + Net("[Use<B>(\"" + new string('(', 100) + "3" + new string(')', 100) + "\")]"));
            Assert.Equal(3, Shape(net, "b1.0.weight")[0]);
        }

        // ---- With entries the attribute does not have -----------------------------------------------------------------------

        [Fact]
        public void A_misspelled_With_argument_in_a_block_is_an_error_at_the_name_with_the_nearest_first() => Verify(
            "[Block(\"k\")] [Conv2d(4, 1, With = \"[|KernelSize|] = k\")] public partial class B;\n" + Net("[Use<B>(3)]"),
            ("DSL018", "Block 'B': [Conv2d] With: [Conv2d] has no argument 'KernelSize'; its arguments, nearest first: Kernel, Stride, Groups, Padding, Dilation, Bias, OutChannels"));

        [Fact]
        public void A_misspelled_With_argument_on_a_network_layer_is_an_error_at_the_name() => Verify(
            Net("[Conv2d(4, 1, With = \"Padding = 1; [|KernelSize|] = 3\")]"),
            ("DSL018", "Block 'Net': [Conv2d] With: [Conv2d] has no argument 'KernelSize'; its arguments, nearest first: Kernel, Stride, Groups, Padding, Dilation, Bias, OutChannels"));

        [Fact]
        public void An_argument_the_attribute_does_not_have_at_all_is_an_error() => Verify(
            "[Block(\"g\")] [Conv2d(4, 1)] [BatchNorm2d(With = \"[|Groups|] = g\")] public partial class B;\n" + Net("[Use<B>(2)]"),
            ("DSL018", "Block 'B': [BatchNorm2d] With: [BatchNorm2d] has no argument 'Groups'; its arguments, nearest first: Eps, Momentum"));

        // ---- where problems are ----------------------------------------------------------------------------------------------

        private const string Three = """
            [Block("c", "s")] [Conv2d("c", 3, Padding = 1, With = "Stride = s")] public partial class ConvBlock;
            [Block("c", "s")] [Use<ConvBlock>("c", PLACE)] public partial class Middle;
            [Block("c")] [Use<Middle>("c", 2)] public partial class Outer;

            """;

        /// <summary>Two blocks deep, a value computed in the middle block was reported at the network's outer use: now at the expression.</summary>
        [Fact]
        public void A_problem_two_blocks_deep_is_at_the_inner_argument_responsible() => Verify(
            Three.Replace("PLACE", "[|\"s * 0\"|]") + Net("[Use<Outer>(4)]"),
            ("DSL008", "'outer1.0.0.0' has Stride = 0, but it must be at least 1"));

        /// <summary>A value passed on by name through every level is at the network's argument that gives it.</summary>
        [Fact]
        public void A_value_passed_on_by_name_is_at_the_argument_that_gives_it() => Verify(
            "[Block(\"c\", \"s\")] [Conv2d(\"c\", 3, Padding = 1, With = \"Stride = s\")] public partial class ConvBlock;\n"
            + "[Block(\"c\", \"s\")] [Use<ConvBlock>(\"c\", \"s\")] public partial class Middle;\n"
            + "[Block(\"c\", \"s\")] [Use<Middle>(\"c\", \" s \")] public partial class Outer;\n" + Net("[Use<Outer>(4, [|0|])]"),
            ("DSL008", "'outer1.0.0.0' has Stride = 0, but it must be at least 1"));

        /// <summary>An expression failing three levels down is at its operator, and the message names the chain of uses.</summary>
        [Fact]
        public void A_failing_expression_three_deep_names_the_chain_of_uses() => Verify(
            "[Block(\"c\", \"d\")] [Conv2d(\"c\", 1, With = \"Stride = c [|/|] d\")] public partial class Inner;\n"
            + "[Block(\"c\", \"s\")] [Use<Inner>(\"c\", \"s - 2\")] public partial class Middle;\n"
            + "[Block(\"c\")] [Use<Middle>(\"c\", 2)] public partial class Outer;\n" + Net("[Use<Outer>(4)]"),
            ("DSL018", "Block 'Inner': [Conv2d] Stride = 'c / d' at column 3: division by zero (in outer1 = Outer(c = 4) > outer1.0 = Middle(c = 4, s = 2) > outer1.0.0 = Inner(c = 4, d = 0))"));

        /// <summary>A block no network uses was never checked.</summary>
        [Fact]
        public void A_block_no_network_uses_is_checked() => Verify(
            "[Block(\"c\")] [Conv2d(\"c + [|cc|]\", 1)] [ReLU(When = \"c [|and|] 1\")] public partial class Unused;\n",
            ("DSL018", "Block 'Unused': [Conv2d] outChannels = 'c + cc' at column 5: unknown name 'cc' (known: in, last, block_in, layer_in, c)"),
            ("DSL018", "Block 'Unused': [ReLU] When: 'c and 1' at column 3: 'and' is Python's spelling: write '&&'"));

        /// <summary>A nested use's binding does not depend on a use of the block: checked once, at the block.</summary>
        [Fact]
        public void A_nested_use_naming_no_parameter_is_reported_once_at_the_block() => Verify(
            "[Block(\"c\", \"s = 1\")] [Conv2d(\"c\", 3)] public partial class ConvBlock;\n"
            + "[Block(\"c\")] [Use<ConvBlock>(\"c\", \"[|strid|] = 2\")] public partial class Outer;\n" + Net("[Use<Outer>(4)] [Use<Outer>(2)]"),
            ("DSL018", "Block 'ConvBlock': it has no parameter 'strid'; its parameters, nearest first: s, c: ConvBlock(c, s = 1)"));

        /// <summary>A block's own problem was reported at the block and again at every use: once, at the block; the network is a stub.</summary>
        [Fact]
        public void A_blocks_own_problem_is_reported_once_and_its_network_is_a_stub()
        {
            var run = Harness.Run(Usings + "[Block(\"c\")] [Conv2d(\"c\", 1, With = \"Strid = 2\")] public partial class B;\n" + Net("[Use<B>(4)] [Use<B>(4)]"));
            var errors = DiagnosticHarness.AnalyzeAll(run.Output).Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
            var only = Assert.Single(errors);
            Assert.Equal("Block 'B': [Conv2d] With: [Conv2d] has no argument 'Strid'; its arguments, nearest first: Stride, Kernel, Bias, Padding, Groups, Dilation, OutChannels", only.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Assert.DoesNotContain("Nets.Net.Info.g.cs", run.Sources.Keys);
        }
    }
}
