using System;
using System.Linq;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// <c>in</c>, <c>block_in</c> and <c>layer_in</c>: <c>in</c> is the channels entering the block, so in a layer after one
    /// that changed them it could mean either; there it is an error at the name asking for <c>block_in</c> (the block's
    /// input) or <c>layer_in</c> (the channels arriving at the layer), which give those values.
    /// </summary>
    public class LayerInTests
    {
        private const string Usings = "using Dsl;\nnamespace Nets;\n";

        private const string Expand = "[Block(\"out\")] [Conv2d(\"out\", 1, Name = \"conv\")] public partial class Expand;\n";

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

        private static long[] Shape(nn.Module<Tensor, Tensor> net, string key) => net.state_dict()[key].shape;

        [Fact]
        public void In_after_a_layer_that_changed_the_channels_is_an_error_at_the_name() => Verify(
            Expand + "[Block(\"c\")] [Conv2d(\"c\", 1)] [Use<Expand>(\"6 * [|in|]\")] public partial class B;\n" + Net("[Use<B>(4)]"),
            ("DSL018", "Block 'Expand': argument '6 * in' at column 5: 'in' is the 3 channels entering block 'B', but 4 arrive at this layer (a layer before it changed them): "
                + "write 'layer_in' for the channels arriving here, or 'block_in' for the block's input (in b1 = B(c = 4) > b1.1)"));

        [Fact]
        public void In_in_a_With_entry_after_the_change_is_an_error_at_the_name() => Verify(
            "[Block(\"c\")] [Conv2d(\"c\", 1)] [Conv2d(1, 1, With = \"OutChannels = [|in|]\")] public partial class B;\n" + Net("[Use<B>(4)]"),
            ("DSL018", "Block 'B': [Conv2d] outChannels = 'in' at column 1: 'in' is the 3 channels entering block 'B', but 4 arrive at this layer (a layer before it changed them): "
                + "write 'layer_in' for the channels arriving here, or 'block_in' for the block's input (in b1 = B(c = 4))"));

        [Fact]
        public void Layer_in_reads_the_channels_arriving_and_block_in_the_blocks_input()
        {
            using var net = Build(Expand + "[Block(\"c\")] [Conv2d(\"c\", 1)] [Use<Expand>(\"6 * layer_in\")] [Conv2d(\"block_in\", 1)] [Conv2d(\"layer_in + 1\", 1)] public partial class B;\n"
                + Net("[Use<B>(4)]"));
            Assert.Equal(new long[] { 24, 4, 1, 1 }, Shape(net, "b1.1.conv.weight"));  // 6 * 4 arriving, not 6 * 3 entering
            Assert.Equal(new long[] { 3, 24, 1, 1 }, Shape(net, "b1.2.weight"));        // back to the block's input
            Assert.Equal(new long[] { 4, 3, 1, 1 }, Shape(net, "b1.3.weight"));         // layer_in + 1 = 4
        }

        [Fact]
        public void In_stays_the_blocks_input_where_the_channels_have_not_changed()
        {
            // BatchNorm and ReLU keep the channels: 'in' at the conv is still unambiguous; a squeeze-and-excitation gate reads block_in.
            using var net = Build("[Block(Merge = Merge.Multiply)] [AdaptiveAvgPool2d] [Conv2d(\"max(1, in // 2)\", 1)] [ReLU] [Conv2d(\"block_in\", 1)] [Sigmoid] public partial class SE;\n"
                + "[Block] [BatchNorm2d] [ReLU] [Conv2d(\"2 * in\", 1)] [Use<SE>] public partial class B;\n" + Net("[Use<B>]"));
            Assert.Equal(new long[] { 6, 3, 1, 1 }, Shape(net, "b1.2.weight"));
            Assert.Equal(new long[] { 3, 6, 1, 1 }, Shape(net, "b1.3.conv1.weight"));
            Assert.Equal(new long[] { 6, 3, 1, 1 }, Shape(net, "b1.3.conv2.weight"));
        }

        [Fact]
        public void A_repetition_after_one_that_changed_the_channels_reads_layer_in()
        {
            using var net = Build(Expand + "[Block(\"n\")] [Use<Expand>(\"2 * layer_in\", Repeat = 3)] public partial class Stage;\n" + Net("[Use<Stage>(3)]"));
            Assert.Equal(new long[] { 6, 3, 1, 1 }, Shape(net, "stage1.0.conv.weight"));
            Assert.Equal(new long[] { 12, 6, 1, 1 }, Shape(net, "stage1.1.conv.weight"));
            Assert.Equal(new long[] { 24, 12, 1, 1 }, Shape(net, "stage1.2.conv.weight"));
        }

        [Fact]
        public void A_repeated_use_reading_in_fails_at_the_repetition_after_the_change() => Verify(
            Expand + "[Block] [Use<Expand>(\"2 * [|in|]\", Repeat = 2)] public partial class Stage;\n" + Net("[Use<Stage>]"),
            ("DSL018", "Block 'Expand': argument '2 * in' at column 5: 'in' is the 3 channels entering block 'Stage', but 6 arrive at this layer (a layer before it changed them): "
                + "write 'layer_in' for the channels arriving here, or 'block_in' for the block's input (in stage1 = Stage() > stage1.1)"));

        [Fact]
        public void When_cannot_read_layer_in() => Verify(
            "[Block] [Conv2d(8, 1)] [ReLU(When = \"[|layer_in|] == 8\")] public partial class B;\n" + Net("[Use<B>]"),
            ("DSL018", "Block 'B': [ReLU] When: 'layer_in == 8' at column 1: When is decided for the whole block, so it cannot read 'layer_in'; 'in' and 'block_in' are the channels entering the block (in b1 = B())"));

        [Fact]
        public void The_names_are_reserved_for_parameters() => Verify(
            "[Block(\"layer_in\")] [ReLU] public partial class [|B|];\n",
            ("DSL018", "Block 'B': parameter 'layer_in' must be a name, optionally with a default ('stride = 1'); 'in', 'last', 'block_in', 'layer_in', 'true', 'false', 'min', 'max', 'round', 'floor', 'ceil', 'int', 'float', 'make_divisible' are taken"));
    }
}
