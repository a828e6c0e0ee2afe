using Xunit;

namespace Dsl.Generator.Tests.Outputs
{
    /// <summary>DSL050-DSL052 and the inputs' checks: the exact span (from [| |] markup) and the exact message of every problem with named values, outputs and several inputs.</summary>
    public class OutputDiagnosticTests
    {
        private const string Usings = "using Dsl;\nnamespace Nets;\n";

        private static void Verify(string markup, params (string Id, string Message)[] expected) =>
            DiagnosticHarness.Verify(Usings + markup, expected);

        private const string Towers =
            "[Input(3, 8, 8, Name = \"image\")] [Input(1, 8, 8, Name = \"depth\")]\n" +
            "[Conv2d(4, 3, Padding = 1, From = \"image\", Name = \"rgb\")]\n";

        // ---- DSL050: a name that is no value --------------------------------------------------------------------------------

        [Fact]
        public void DSL050_From_names_no_layer() => Verify(
            "[Input(1, 8, 8)] [Conv2d(4, 3, Name = \"stem\")] [Conv2d(4, 3, [|From = \"stme\"|])] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL050", "From names 'stme', which is no input or earlier layer of the network; the names before it, nearest first: stem, input"));

        [Fact]
        public void DSL050_Merge_names_a_later_layer() => Verify(
            Towers + "[Merge(Merge.Concat, \"rgb\", [|\"d\"|])]\n[Conv2d(4, 3, Padding = 1, From = \"depth\", Name = \"d\")] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL050", "[Merge] names 'd', which is no input or earlier layer of the network; the names before it, nearest first: depth, rgb, image"));

        [Fact]
        public void DSL050_Output_From_names_no_layer() => Verify(
            "[Input(1, 8, 8)] [Conv2d(4, 3, Name = \"stem\")] [Flatten] [Linear(2)] [Output(\"features\", [|From = \"steam\"|])] public partial class Net;",
            ("DSL050", "From names 'steam', which is no input or earlier layer of the network; the names before it, nearest first: stem, input, fc1, flatten1"));

        private const string Blocks =
            "[Block] [Conv2d(4, 3, Padding = 1, Name = \"conv\")] [ReLU(Name = \"act\")] public partial class Pair;\n" +
            "[Block(Merge = Merge.Add)] [Conv2d(1, 3, Padding = 1, Name = \"a\")] public partial class Res;\n";

        [Fact]
        public void DSL050_From_names_no_child_of_a_sequential_use() => Verify(
            Blocks + "[Input(1, 8, 8)] [Use<Pair>(Name = \"trunk\")] [Conv2d(2, 1, [|From = \"trunk.actt\"|])] [Output(\"side\")] [Flatten(From = \"trunk\")] [Linear(2)] public partial class Net;",
            ("DSL050", "From names 'trunk.actt', which is no input or earlier layer of the network; Pair 'trunk' has the layers, nearest first: act, conv"));

        [Fact]
        public void DSL050_From_reads_inside_a_block_with_a_forward_of_its_own() => Verify(
            Blocks + "[Input(1, 8, 8)] [Use<Res>(Name = \"res\")] [Conv2d(2, 1, [|From = \"res.a\"|])] [Output(\"side\")] [Flatten(From = \"res\")] [Linear(2)] public partial class Net;",
            ("DSL050", "From names 'res.a', which is no input or earlier layer of the network; 'res' is a Res block with a forward of its own (a merge, a shortcut or a Body), whose inner values only it sees; read 'res' itself, or read inside a block without a merge, which is a Sequential of its layers"));

        [Fact]
        public void DSL050_From_reads_inside_a_layer() => Verify(
            "[Input(1, 8, 8)] [Conv2d(4, 3, Name = \"stem\")] [Conv2d(2, 1, [|From = \"stem.weight\"|])] [Output(\"side\")] [Flatten(From = \"stem\")] [Linear(2)] public partial class Net;",
            ("DSL050", "From names 'stem.weight', which is no input or earlier layer of the network; 'stem' is a Conv2d layer, which has no layers inside it"));

        // ---- DSL052: merged values of different shapes --------------------------------------------------------------------

        [Fact]
        public void DSL052_Concat_of_towers_of_different_sizes() => Verify(
            Towers + "[Conv2d(4, 3, Stride = 2, Padding = 1, From = \"depth\", Name = \"d\")]\n[Merge(Merge.Concat, \"rgb\", [|\"d\"|])] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL052", "'merge1' merges with Concat 'rgb' of [4, 8, 8] and 'd' of [4, 4, 4]; Concat joins channels, so every other dimension must agree: give both the same size (strides, pools), or pool one of them"));

        [Fact]
        public void DSL052_Add_of_inputs_of_different_channels() => Verify(
            "[Input(3, 8, 8, Name = \"a\")] [Input(1, 8, 8, Name = \"b\")] [Merge(Merge.Add, \"a\", [|\"b\"|])] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL052", "'merge1' merges with Add 'a' of [3, 8, 8] and 'b' of [1, 8, 8]; Add needs the same shape: give 'b' [3, 8, 8] (its channels and size), or merge with Concat"));

        // ---- DSL051: outputs and inputs ---------------------------------------------------------------------------------------

        [Fact]
        public void DSL051_auxiliary_output_the_main_output_needs() => Verify(
            "[Input(1, 8, 8)] [Conv2d(4, 3, Name = \"stem\")] [Output(\"early\", From = \"stem\", [|Auxiliary = true|])] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL051", "'early' is Auxiliary (computed in training mode only), but the main output needs the value it returns; give it a head of its own that reads that value with From, and make the head's last layer the output"));

        [Fact]
        public void DSL051_the_main_output_cannot_be_auxiliary() => Verify(
            "[Input(1, 8, 8)] [Conv2d(4, 3)] [Flatten] [Linear(2)] [Output(\"logits\", [|Auxiliary = true|])] public partial class Net;",
            ("DSL051", "'logits' is the main output (the last layer's value), which is computed in both modes; remove Auxiliary"));

        [Fact]
        public void DSL051_output_declared_twice() => Verify(
            "[Input(1, 8, 8)] [Conv2d(4, 3, Name = \"stem\")] [Output(\"f\")] [Flatten] [Linear(2)] [Output([|\"f\"|])] public partial class Net;",
            ("DSL051", "'f' is declared twice; give each output its own name"));

        [Fact]
        public void DSL051_output_named_like_the_unnamed_main_output() => Verify(
            "[Input(1, 8, 8)] [Conv2d(4, 3, Name = \"stem\")] [Output([|\"out\"|])] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL051", "'out' is the main output's name (the last layer's value) when no output declares it; choose another name"));

        [Fact]
        public void DSL051_a_layer_no_output_needs() => Verify(
            "[Input(1, 8, 8)] [Conv2d(4, 3, Name = \"stem\")] [[|Conv2d(4, 1, From = \"input\", Name = \"side\")|]] [Flatten(From = \"stem\")] [Linear(2)] public partial class Net;",
            ("DSL051", "'side' is computed by no output's path: read it with From, [Merge] or [Output], or remove it"));

        [Fact]
        public void DSL051_an_input_no_layer_reads() => Verify(
            "[Input(3, 8, 8, Name = \"a\")] [[|Input(1, 8, 8, Name = \"b\")|]] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL051", "'b' is read by no layer; read it with From = \"b\", or remove it"));

        [Fact]
        public void DSL051_several_inputs_need_names() => Verify(
            "[Input(3, 8, 8, Name = \"a\")] [[|Input(1, 8, 8)|]] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL051", "'[Input(1, 8, 8)]' needs a Name: a network with several inputs takes each as a named argument of its forward"));

        [Fact]
        public void DSL051_input_named_like_a_layer() => Verify(
            "[Input(3, 8, 8, [|Name = \"stem\"|])] [Conv2d(4, 3, Name = \"stem\")] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL051", "'stem' is also a layer's name; inputs and layers are read by name, so each needs its own"));

        // ---- top level only -----------------------------------------------------------------------------------------------

        [Fact]
        public void DSL018_From_inside_a_block() => Verify(
            "[Block(\"c\")] [Conv2d(\"c\", 3, Padding = 1, Name = \"a\")] [Conv2d(\"c\", 3, Padding = 1, [|From = \"a\"|])] public partial class B;\n" +
            "[Input(1, 8, 8)] [Use<B>(4)] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL018", "Block 'B': [Conv2d] From names a value of a network's top level; inside a block each layer reads the one before it (use Parallel or Merge for branches)"));

        [Fact]
        public void DSL018_Output_inside_a_block() => Verify(
            "[Block(\"c\")] [Conv2d(\"c\", 3, Padding = 1)] [[|Output(\"f\")|]] public partial class B;\n" +
            "[Input(1, 8, 8)] [Use<B>(4)] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL018", "Block 'B': [Output] belongs to a network's top level, where it names values of the network's forward; a block merges with Merge or Parallel"));
    }
}
