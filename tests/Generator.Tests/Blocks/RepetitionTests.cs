using System;
using System.Globalization;
using System.Linq;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// <c>Repeat</c>: a use repeated in its block, each repetition a layer of its own reading its index <c>i</c>, the
    /// network's running <c>block_id</c> and <c>block_count</c>; torchvision's names (<c>features.1.0</c>, flat
    /// <c>features.2</c>, <c>denselayer1</c>, <c>block1-0</c>); and its errors.
    /// </summary>
    public class RepetitionTests
    {
        private const string Usings = "using Dsl;\nnamespace Nets;\n";

        private static (nn.Module<Tensor, Tensor> Net, Harness.GeneratorRun Run) Build(string source)
        {
            var run = Harness.Run(Usings + source.Replace("[Block", "/// <summary>D.</summary>\n[Block").Replace("[Input(", "/// <summary>D.</summary>\n[Input("));
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            var type = Harness.Load(run).GetType("Nets.Net", throwOnError: true)!;
            return ((nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!, run);
        }

        private static void Verify(string markup, params (string Id, string Message)[] expected) => DiagnosticHarness.Verify(Usings + markup, expected);

        /// <summary>ConvNeXt's stages: a Sequential stage of repeated residual blocks, stochastic depth 0.1 * block_id / (block_count - 1).</summary>
        [Fact]
        public void Stages_of_repeated_blocks_have_torchvisions_keys_and_a_running_schedule()
        {
            var (net, run) = Build("""
                [Block("c", "p", Merge = Merge.Add)] [Conv2d("c", 3, Padding = 1, Name = "conv")] [StochasticDepth(0, With = "Probability = p", Name = "sd")] public partial class Res;
                [Block("c", "depth")] [Use<Res>("c", "0.1 * block_id / (block_count - 1)", With = "Repeat = depth")] public partial class Stage;
                [Block] [Conv2d(4, 1)] [Use<Stage>(4, 2)] [Use<Stage>(4, 3)] public partial class Features;
                [Input(3, 8, 8)] [Use<Features>(Name = "features")] [AdaptiveAvgPool2d] [Flatten] [Linear(2)] public partial class Net;
                """);
            using (net)
            {
                var keys = net.state_dict().Keys.Where(k => k.EndsWith(".weight", StringComparison.Ordinal)).ToList();
                Assert.Equal(new[] { "features.0.weight", "features.1.0.conv.weight", "features.1.1.conv.weight", "features.2.0.conv.weight", "features.2.1.conv.weight", "features.2.2.conv.weight", "fc.weight" }
                    .Where(k => k != "fc.weight"), keys.Where(k => k.StartsWith("features", StringComparison.Ordinal)));
                // Five blocks: 0.1 * id / 4 for id 0..4, as torchvision's sd_prob * stage_block_id / (total_stage_blocks - 1.0).
                string code = string.Join("\n", run.Sources.Values);
                foreach (var p in new[] { 0.025, 0.05, 0.075 }) Assert.True(code.Contains(p.ToString("R", CultureInfo.InvariantCulture), StringComparison.Ordinal), code);
                Assert.Contains("0.1", code);
            }
        }

        /// <summary>MobileNetV2's features: repeated uses in a Sequential are consecutive children (features.1, features.2, ...).</summary>
        [Fact]
        public void Repetitions_in_a_Sequential_are_consecutive_children_reading_their_index()
        {
            var (net, _) = Build("""
                [Block("c", "s")] [Conv2d("c", 3, Padding = 1, With = "Stride = s")] public partial class ConvS;
                [Block] [Conv2d(4, 1)] [Use<ConvS>("4 + 2 * i", "i == 0 ? 2 : 1", With = "Repeat = 3")] [Conv2d(5, 1)] public partial class Features;
                [Input(3, 8, 8)] [Use<Features>(Name = "features")] [Flatten] [Linear(2)] public partial class Net;
                """);
            using (net)
            {
                var shapes = net.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
                Assert.Equal(new long[] { 4, 4, 3, 3 }, shapes["features.1.0.weight"]);
                Assert.Equal(new long[] { 6, 4, 3, 3 }, shapes["features.2.0.weight"]);
                Assert.Equal(new long[] { 8, 6, 3, 3 }, shapes["features.3.0.weight"]);
                Assert.Equal(new long[] { 5, 8, 1, 1 }, shapes["features.4.weight"]);
                using var y = net.call(torch.zeros(1, 3, 8, 8));
                Assert.Equal(new long[] { 1, 2 }, y.shape);
            }
        }

        /// <summary>DenseNet's denselayer1, denselayer2, ... and RegNet's block1-0: a Name with {expressions} of i and the parameters.</summary>
        [Fact]
        public void A_name_pattern_names_each_repetition()
        {
            var (net, _) = Build("""
                [Block("g", Merge = Merge.Concat)] [Conv2d("g", 3, Padding = 1, Name = "conv")] public partial class DenseLayer;
                [Block("n", "stage")] [Use<DenseLayer>(2, Name = "denselayer{i + 1}", With = "Repeat = n")] [Use<DenseLayer>(1, Name = "block{stage}-{i}", Repeat = 2)] public partial class DenseBlock;
                [Input(3, 8, 8)] [Use<DenseBlock>(3, 7, Name = "denseblock1")] [Flatten] [Linear(2)] public partial class Net;
                """);
            using (net)
            {
                var shapes = net.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
                Assert.Equal(new long[] { 2, 3, 3, 3 }, shapes["denseblock1.denselayer1.conv.weight"]);
                Assert.Equal(new long[] { 2, 5, 3, 3 }, shapes["denseblock1.denselayer2.conv.weight"]);
                Assert.Equal(new long[] { 2, 7, 3, 3 }, shapes["denseblock1.denselayer3.conv.weight"]);
                Assert.Equal(new long[] { 1, 9, 3, 3 }, shapes["denseblock1.block7-0.conv.weight"]);
                Assert.Equal(new long[] { 1, 10, 3, 3 }, shapes["denseblock1.block7-1.conv.weight"]);
                Assert.DoesNotContain(shapes.Keys, k => k.Contains("denselayer4", StringComparison.Ordinal));
            }
        }

        [Fact]
        public void Repeat_zero_leaves_the_use_out()
        {
            var (net, _) = Build("""
                [Block("n")] [Conv2d(4, 1)] [Conv2d(5, 1, Repeat = 0)] public partial class B;
                """.Replace("[Conv2d(5, 1, Repeat = 0)]", "[Use<C>(With = \"Repeat = n\")]") + """

                [Block] [ReLU] public partial class C;
                [Input(3, 8, 8)] [Use<B>(0)] [Flatten] [Linear(2)] public partial class Net;
                """);
            using (net) Assert.Equal(new[] { "b1.0" }, net.named_modules().Select(m => m.name).Where(n => n.StartsWith("b1.", StringComparison.Ordinal)));
        }

        // ---- errors ---------------------------------------------------------------------------------------------------------

        [Fact]
        public void Repeat_on_a_networks_own_use_is_an_error_at_Repeat() => Verify(
            "[Block] [ReLU] public partial class B;\n[Input(1, 8, 8)] [Use<B>([|Repeat = 2|])] [Flatten] [Linear(2)] public partial class Net;\n",
            ("DSL018", "Block 'B': Repeat repeats a use inside a block: declare a stage block that holds this use (its repetitions are the stage's children, torchvision's features.1.0, features.1.1, ...) and use the stage"));

        [Fact]
        public void The_index_outside_a_repeated_use_is_an_unknown_name_at_the_block() => Verify(
            "[Block(\"c\")] [Conv2d(1, 1)] public partial class C;\n[Block] [Use<C>(\"[|i|] + 1\")] public partial class B;\n",
            ("DSL018", "Block 'B': [Use] argument 'i + 1' at column 1: unknown name 'i' (known: in, last, block_in, layer_in)"));

        [Fact]
        public void A_name_pattern_with_an_unknown_name_is_reported_at_the_block() => Verify(
            "[Block] [ReLU] public partial class C;\n[Block(\"n\")] [Use<C>(Name = \"layer{[|j|]}\", With = \"Repeat = n\")] public partial class B;\n",
            ("DSL018", "Block 'B': [Use] Name: 'layer{j}' at column 7: 'j': unknown name 'j' (known: in, last, block_in, layer_in, n, i)"));

        [Fact]
        public void A_negative_repeat_is_reported_at_its_expression() => Verify(
            "[Block] [ReLU] public partial class C;\n[Block(\"n\")] [Use<C>(With = \"Repeat = [|n - 3|]\")] public partial class B;\n"
            + "[Input(1, 8, 8)] [Use<B>(1)] [Flatten] [Linear(2)] public partial class Net;\n",
            ("DSL018", "Block 'B': [Use] Repeat is -2; it must be at least 0 (in b1 = B(n = 1))"));
    }
}
