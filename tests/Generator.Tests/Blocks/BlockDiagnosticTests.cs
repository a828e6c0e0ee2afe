using System;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>DSL018 and DSL019: the exact span (from [| |] markup) and the exact message of every block problem.</summary>
    public class BlockDiagnosticTests
    {
        private const string Usings = "using Dsl;\nnamespace Nets;\n";

        private const string Conv = "[Block(\"c\", \"s = 1\")]\n[Conv2d(\"c\", 3, Padding = 1, With = \"Stride = s\")]\npublic partial class ConvBlock;\n";

        private static void Verify(string markup, params (string Id, string Message)[] expected) =>
            DiagnosticHarness.Verify(Usings + markup, expected);

        private static string Net(string layers) => "[Input(1, 8, 8)]\n" + layers + "\n[Flatten] [Linear(2)]\npublic partial class Net;\n";

        // ---- binding ------------------------------------------------------------------------------------------------------

        [Fact]
        public void DSL018_too_many_arguments() => Verify(Conv + Net("[Use<ConvBlock>(4, 1, [|2|])]"),
            ("DSL018", "Block 'ConvBlock': 3 arguments given, but it takes 2: ConvBlock(c, s = 1)"));

        [Fact]
        public void DSL018_unknown_named_parameter() => Verify(Conv + Net("[Use<ConvBlock>(4, \"[|stride|] = 2\")]"),
            ("DSL018", "Block 'ConvBlock': it has no parameter 'stride'; its parameters, nearest first: s, c: ConvBlock(c, s = 1)"));

        [Fact]
        public void DSL018_parameter_given_twice() => Verify(Conv + Net("[Use<ConvBlock>(4, [|\"c = 2\"|])]"),
            ("DSL018", "Block 'ConvBlock': 'c' is given twice: ConvBlock(c, s = 1)"));

        [Fact]
        public void DSL018_missing_parameter() => Verify(Conv + Net("[[|Use<ConvBlock>(\"s = 2\")|]]"),
            ("DSL018", "Block 'ConvBlock': missing argument 'c': ConvBlock(c, s = 1)"));

        [Fact]
        public void DSL018_bad_default() => Verify(
            "[Block(\"c\", \"s = c [|/|] (c - c)\")] [Conv2d(\"c\", 3, With = \"Stride = s\")] public partial class B;\n" + Net("[Use<B>(4)]"),
            ("DSL018", "Block 'B': the default of 's': 'c / (c - c)' at column 3: division by zero (in b1 = B(c = 4, s = ?))"));

        // ---- expressions --------------------------------------------------------------------------------------------------

        [Fact]
        public void DSL018_bad_expression_in_With() => Verify(
            "[Block(\"c\")] [Conv2d(1, 3, With = \"OutChannels = c +[||]\")] public partial class B;\n" + Net("[Use<B>(4)]"),
            ("DSL018", "Block 'B': [Conv2d] OutChannels = 'c +' at column 4: the expression ends too early"));

        /// <summary>Regression: With was split at every comma, so "max(c / 2, 1)" became two broken entries.</summary>
        [Fact]
        public void With_entries_separated_by_commas_may_hold_min_and_max() => Verify(
            "[Block(\"c\")] [Conv2d(1, 3, With = \"OutChannels = max(c / 2, 1), Padding = min(c, 1); Stride = max(1, min(2, c))\")] public partial class B;\n" + Net("[Use<B>(4)]"));

        [Fact]
        public void DSL018_With_entry_that_is_not_an_assignment() => Verify(
            "[Block(\"c\")] [Conv2d(1, 3, With = \"[|OutChannels == c|]\")] public partial class B;\n" + Net("[Use<B>(4)]"),
            ("DSL018", "Block 'B': [Conv2d] With: 'OutChannels == c' is not 'argument = expression'"));

        [Fact]
        public void DSL018_bad_expression_in_When() => Verify(
            "[Block(\"c\")] [Conv2d(\"c\", 3)] [ReLU(When = \"c > [|k|]\")] public partial class B;\n" + Net("[Use<B>(4)]"),
            ("DSL018", "Block 'B': [ReLU] When: 'c > k' at column 5: unknown name 'k' (known: in, last, block_in, layer_in, c)"));

        [Fact]
        public void DSL018_bad_expression_in_MergeWhen() => Verify(
            "[Block(\"c\", Merge = Merge.Add, MergeWhen = \"c ==[||]\")] [Conv2d(\"c\", 3, Padding = 1)] public partial class B;\n" + Net("[Use<B>(1)]"),
            ("DSL018", "Block 'B': MergeWhen: 'c ==' at column 5: the expression ends too early"));

        [Fact]
        public void DSL018_bad_expression_in_a_nested_use_argument() => Verify(
            Conv + "[Block(\"c\")] [Use<ConvBlock>(\"c [|%|] (in - in)\")] public partial class Outer;\n" + Net("[Use<Outer>(4)]"),
            ("DSL018", "Block 'ConvBlock': argument 'c % (in - in)' at column 3: division by zero (in outer1 = Outer(c = 4) > outer1.0)"));

        [Fact]
        public void DSL018_a_value_that_is_not_a_whole_number() => Verify(
            "[Block(\"c\")] [Conv2d(\"[|c / 2.5|]\", 3)] public partial class B;\n" + Net("[Use<B>(4)]"),
            ("DSL018", "Block 'B': [Conv2d] outChannels is 1.6, which is not a whole number in range (in b1 = B(c = 4))"));

        // ---- what is used as a block --------------------------------------------------------------------------------------

        [Fact]
        public void DSL018_class_without_Block() => Verify(
            "public partial class Plain;\n" + Net("[[|Use<Plain>(4)|]]"),
            ("DSL018", "Block 'Plain': Plain is not a block: mark it [Block(...)] (a partial class with layer attributes and no [Input])"));

        [Fact]
        public void DSL018_Block_and_Input() => Verify(
            "[Block] [Input(1, 8, 8)] [ReLU] public partial class [|Both|];\n" + Net("[Use<Both>]"),
            ("DSL018", "Block 'Both': it has both [Block] and [Input]; a block takes its input from where it is used, so remove [Input]"));

        [Fact]
        public void DSL018_block_without_layers() => Verify(
            "[Block] public partial class [|Empty|];\n" + Net("[Use<Empty>]"),
            ("DSL018", "Block 'Empty': it has no layers; add layer attributes to the block class"));

        [Fact]
        public void DSL018_recursion_without_end()
        {
            string path = string.Join(".", Enumerable.Repeat("0", 16).Prepend("rec1"));
            string chain = string.Join(" > ", Enumerable.Range(0, 16).Select(d => string.Join(".", Enumerable.Repeat("0", d).Prepend("rec1")) + " = Rec(d = " + d + ")"));
            Verify("[Block(\"d\")] [[|Use<Rec>(\"d + 1\")|]] public partial class Rec;\n" + Net("[Use<Rec>(0)]"),
                ("DSL018", $"Block 'Rec': blocks are nested more than 16 deep at '{path}'; a block that uses itself needs a When condition that ends the recursion (in {chain} > {path})"));
        }

        [Fact]
        public void A_recursion_that_ends_is_fine() => Verify(
            "[Block(\"d\")] [ReLU] [Use<Rec>(\"d - 1\", When = \"d > 0\")] public partial class Rec;\n" + Net("[Use<Rec>(15)]"));

        // ---- a block layer's invalid argument points at the use's argument ------------------------------------------------

        [Fact]
        public void DSL008_through_a_positional_argument() => Verify(Conv + Net("[Use<ConvBlock>(4, [|0|])]"),
            ("DSL008", "'convBlock1.0' has Stride = 0, but it must be at least 1"));

        [Fact]
        public void DSL008_through_a_named_argument() => Verify(Conv + Net("[Use<ConvBlock>(4, [|\"s = 0\"|])]"),
            ("DSL008", "'convBlock1.0' has Stride = 0, but it must be at least 1"));

        [Fact]
        public void DSL008_through_the_first_argument_of_the_layer() => Verify(Conv + Net("[Use<ConvBlock>([|-3|])]"),
            ("DSL008", "'convBlock1.0' has outChannels = -3, but it must be at least 1"));

        [Fact]
        public void DSL008_from_a_default_is_at_the_default() => Verify(
            "[Block(\"c\", \"s = [|0|]\")] [Conv2d(\"c\", 3, With = \"Stride = s\")] public partial class B;\n" + Net("[Use<B>(4)]"),
            ("DSL008", "'b1.0' has Stride = 0, but it must be at least 1"));

        [Fact]
        public void DSL008_through_a_nested_use_points_at_the_outer_argument() => Verify(
            Conv + "[Block(\"s\", \"c\")] [Use<ConvBlock>(\"c\", \"s\")] public partial class Outer;\n" + Net("[Use<Outer>([|0|], 8)]"),
            ("DSL008", "'outer1.0.0' has Stride = 0, but it must be at least 1"));

        [Fact]
        public void DSL008_through_a_nested_expression_is_at_the_expression() => Verify(
            Conv + "[Block(\"c\", \"s\")] [Use<ConvBlock>(\"c\", [|\"s - 1\"|])] public partial class Outer;\n" + Net("[Use<Outer>(8, 1)]"),
            ("DSL008", "'outer1.0.0' has Stride = 0, but it must be at least 1"));

        // ---- DSL019: merges -----------------------------------------------------------------------------------------------

        [Fact]
        public void DSL019_Add() => Verify(
            "[Block(\"c\", Merge = Merge.Add)] [Conv2d(\"c\", 3, Padding = 1)] public partial class B;\n" + Net("[[|Use<B>(4)|]]"),
            ("DSL019", "'b1' merges with Add a body output of [4, 8, 8] and an input of [1, 8, 8]; the body must end with 1 channels and keep the size, or declare a Shortcut block that projects the input"));

        [Fact]
        public void DSL019_Add_with_a_shortcut_that_does_not_project() => Verify(
            "[Block(\"c\")] [ReLU] public partial class Keep;\n"
            + "[Block(\"c\", Merge = Merge.Add, Shortcut = typeof(Keep))] [Conv2d(\"c\", 3, Padding = 1)] public partial class B;\n" + Net("[[|Use<B>(4)|]]"),
            ("DSL019", "'b1' merges with Add a body output of [4, 8, 8] and an input of [1, 8, 8]; the body must end with 1 channels and keep the size, or declare a Shortcut block that projects the input"));

        [Fact]
        public void DSL019_Concat() => Verify(
            "[Block(\"c\", Merge = Merge.Concat)] [Conv2d(\"c\", 3, Padding = 1, Stride = 2)] public partial class B;\n" + Net("[[|Use<B>(4)|]]"),
            ("DSL019", "'b1' merges with Concat a body output of [4, 4, 4] and an input of [1, 8, 8]; Concat joins channels, so every other dimension must agree: keep the size inside the body (stride 1, padding kernel / 2)"));

        [Fact]
        public void DSL019_Multiply() => Verify(
            "[Block(\"c\", Merge = Merge.Multiply)] [AdaptiveAvgPool2d] [Conv2d(\"c\", 1)] public partial class B;\n" + Net("[[|Use<B>(4)|]]"),
            ("DSL019", "'b1' merges with Multiply a body output of [4, 1, 1] and an input of [1, 8, 8]; the body must give one weight per channel ([1, 1, ...]) or the input's shape"));

        [Fact]
        public void DSL019_Parallel_Add() => Verify(
            "[Block(\"c\", Parallel = Merge.Add)] [Conv2d(\"c\", 3, Padding = 1)] [Conv2d(\"c\", 1, Stride = 2)] public partial class B;\n" + Net("[[|Use<B>(4)|]]"),
            ("DSL019", "'b1' merges with Parallel = Add a body output of [4, 4, 4] and an input of [4, 8, 8]; summed branches must give the same shape"));

        // ---- a block's own declaration, at the block ----------------------------------------------------------------------

        [Fact]
        public void DSL018_bad_parameter_name_at_the_block_once_not_at_the_use() => Verify(
            "[Block(\"in\")] [ReLU] public partial class [|B|];\n" + Net("[Use<B>(4)]"),
            ("DSL018", "Block 'B': parameter 'in' must be a name, optionally with a default ('stride = 1'); 'in', 'last', 'block_in', 'layer_in', 'true', 'false', 'min', 'max', 'round', 'floor', 'ceil', 'int', 'float', 'make_divisible' are taken"));

        [Fact]
        public void DSL018_parameter_declared_twice_at_the_block() => Verify(
            "[Block(\"c\", \"c = 2\")] [ReLU] public partial class [|B|];",
            ("DSL018", "Block 'B': parameter 'c' is declared twice"));

        [Fact]
        public void DSL018_Parallel_Multiply_at_the_block() => Verify(
            "[Block(Parallel = Merge.Multiply)] [ReLU] [ReLU] public partial class [|B|];",
            ("DSL018", "Block 'B': Parallel takes Merge.Concat or Merge.Add (branches are joined by concatenation or summed)"));

        [Fact]
        public void DSL017_a_users_layer_attribute_in_a_block_is_at_the_attribute() => Verify(
            "/// <summary>Mine.</summary>\npublic sealed class SwishAttribute : LayerAttribute { }\n[Block] [ReLU] [[|Swish|]] public partial class B;",
            ("DSL017", "[Swish] derives from LayerAttribute, but the generator does not know it, so 'B' has no module; use one of the DSL's layer attributes, or declare your layer as a [Block] class and use it with [Use<TBlock>]"));

        [Fact]
        public void DSL018_Shortcut_without_Merge_at_the_block() => Verify(
            "[Block] [ReLU] public partial class S;\n[Block(Shortcut = typeof(S))] [ReLU] public partial class [|B|];",
            ("DSL018", "Block 'B': it has a Shortcut but no Merge, so the shortcut would never run; set Merge (usually Merge.Add) or remove Shortcut"));

        [Fact]
        public void DSL018_Parallel_with_a_Body_at_the_block_once_not_at_the_use() => Verify(
            "[Block(Parallel = Merge.Concat, Body = \"branches\")] [ReLU] [Sigmoid] public partial class [|B|];\n" + Net("[Use<B>]"),
            ("DSL018", "Block 'B': Parallel branches are the block's own children and a Body is a Sequential, which runs its layers one after the other; remove Body"));

        [Fact]
        public void DSL018_MergeWhen_without_Merge_at_the_block() => Verify(
            "[Block(MergeWhen = \"in == 2\")] [ReLU] public partial class [|B|];",
            ("DSL018", "Block 'B': it has a MergeWhen but no Merge; set Merge or remove MergeWhen"));

        [Fact]
        public void DSL018_Merge_out_of_range_at_the_block() => Verify(
            "[Block(Merge = (Merge)7)] [ReLU] public partial class [|B|];",
            ("DSL018", "Block 'B': Merge takes Merge.None, Merge.Add, Merge.Concat or Merge.Multiply"));

        [Fact]
        public void DSL018_Body_named_like_a_member() => Verify(
            "[Block(Body = \"forward\")] [ReLU] public partial class B;\n" + Net("[[|Use<B>|]]"),
            ("DSL018", "Block 'B': Body 'forward' is not allowed: it is a member of the generated module or of TorchSharp's Module; choose another name, such as 'forward_'"));

        [Fact]
        public void DSL018_ShortcutName_like_a_layer() => Verify(
            "[Block] [ReLU] public partial class S;\n[Block(Merge = Merge.Add, Shortcut = typeof(S), ShortcutName = \"act\")] [ReLU(Name = \"act\")] public partial class B;\n" + Net("[[|Use<B>|]]"),
            ("DSL018", "Block 'B': layer name 'act' is also the ShortcutName; choose another"));

        [Fact]
        public void DSL018_layer_named_like_the_generated_class() => Verify(
            "[Block(Merge = Merge.Add)] [ReLU(Name = \"BModule\")] public partial class B;\n" + Net("[[|Use<B>|]]"),
            ("DSL018", "Block 'B': layer name 'BModule' is not allowed: it is the name of the block's generated class"));

        [Fact]
        public void DSL018_Sequential_layer_name_with_a_dot() => Verify(
            "[Block] [ReLU(Name = \"a.b\")] public partial class B;\n" + Net("[[|Use<B>|]]"),
            ("DSL018", "Block 'B': layer name 'a.b' is not allowed: a Sequential's layer needs a name without '.' (it separates state_dict keys)"));

        [Fact]
        public void DSL018_parallel_block_without_a_present_branch() => Verify(
            "[Block(Parallel = Merge.Concat)] [ReLU(When = \"in > 5\")] public partial class B;\n" + Net("[[|Use<B>|]]"),
            ("DSL018", "Block 'B': no branch is present in this use (every When is false); a parallel block needs at least one"));

        [Fact]
        public void DSL018_an_argument_that_is_not_a_number() => Verify(
            Conv + Net("[Use<ConvBlock>([|'a'|])]"),
            ("DSL018", "Block 'ConvBlock': argument 'a' is not a number, true/false or an expression"));

        [Fact]
        public void DSL018_a_null_argument_list() => Verify(
            Conv + Net("[Use<ConvBlock>([|null|])]"),
            ("DSL018", "Block 'ConvBlock': an argument is null; pass numbers, true/false or expressions"));

        [Fact]
        public void DSL018_an_expression_nested_too_deep() => Verify(
            Conv + Net("[Use<ConvBlock>(\"" + new string('(', 100) + "[|(|]" + new string('(', 49) + "4" + new string(')', 150) + "\")]"),
            ("DSL018", "Block 'ConvBlock': argument '" + new string('(', 150) + "4" + new string(')', 150) + "' at column 101: nested more than 100 deep"));

        // ---- after a block error: a stub, and the DSL error is the only error ----------------------------------------------

        [Theory]
        [InlineData("[Use<ConvBlock>(4, 0)]", "DSL008")]
        [InlineData("[Use<ConvBlock>(4, 1, 2)]", "DSL018")]
        [InlineData("[Use<ConvBlock>(\"c = in\")]", "DSL018")]
        [InlineData("[Use<Plain>]", "DSL018")]
        [InlineData("[Use<AddBlock>(4)]", "DSL019")]
        public void After_a_block_error_the_network_is_a_stub_and_the_error_is_the_only_one(string use, string id)
        {
            string source = Usings + Conv + """
                public partial class Plain;
                [Block("c", Merge = Merge.Add)] [Conv2d("c", 3, Padding = 1)] public partial class AddBlock;
                [Input(1, 8, 8)]
                """ + "\n" + use + """

                [Flatten] [Linear(2)]
                public partial class Net;
                public static class User
                {
                    public static object Use()
                    {
                        using var net = new Net();
                        long n = Net.ParameterCount + Net.MultiplyAddCount;
                        string s = Net.Summary() + Net.InputShape + Net.OutputShape + Net.Info.Name;
                        return net.forward(TorchSharp.torch.zeros(1, 1, 8, 8));
                    }
                }
                """;
            var run = Harness.Run(source);
            Assert.Empty(run.GeneratorDiagnostics);
            var all = DiagnosticHarness.AnalyzeAll(run.Output);
            var errors = all.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
            var only = Assert.Single(errors);
            Assert.Equal(id, only.Id);
            Assert.Contains("Net.g.cs", string.Join(",", run.Sources.Keys));
            Assert.DoesNotContain("Nets.Net.Info.g.cs", run.Sources.Keys);
        }
    }
}
