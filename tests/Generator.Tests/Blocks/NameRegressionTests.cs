using System;
using System.IO;
using System.Linq;
using System.Text;
using Dsl.Generator.Tests.ResNetFamily;
using Dsl.Runtime.PyTorch;
using Microsoft.CodeAnalysis;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// One test per way a user-chosen name reached generated code unchecked: each declaration is either reported with
    /// the DSL diagnostic that names a legal alternative, or compiles, runs to the declared output with the state_dict
    /// keys the names promise, and (where python3-torch is installed) gives a PyTorch twin that imports and has the same keys.
    /// </summary>
    public class NameRegressionTests
    {
        /// <summary>The network's diagnostics; without any, its module is built and run and its state_dict keys returned.</summary>
        private static (string[] Messages, string[] Keys, string? Twin) Build(string source, string network = "Net")
        {
            var run = Harness.Run("using Dsl;\nnamespace Nets;\n" + source);
            Assert.Empty(run.GeneratorDiagnostics);
            var all = DiagnosticHarness.AnalyzeAll(run.Output);
            Assert.DoesNotContain(all, d => d.Id is "AD0001" or "CS8785" or "DSL016");
            var errors = all.Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("DSL", StringComparison.Ordinal)).ToArray();
            Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => e.ToString())) + "\n" + string.Join("\n", run.Sources.Values));
            var dsl = all.Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal)).Select(d => d.Id + ": " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            if (dsl.Length > 0) return (dsl, Array.Empty<string>(), null);
            var type = Harness.Load(run).GetType("Nets." + network, throwOnError: true)!;
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            net.eval();
            var info = (Dsl.NetworkInfo)type.GetProperty("Info")!.GetValue(null)!;
            using (var y = net.call(zeros(1, 2, 8, 8))) Assert.Equal(new long[] { 1 }.Concat(info.OutputShape.ToArray()).ToArray(), y.shape);
            return (dsl, net.state_dict().Keys.ToArray(), PyTorchTwin.Render(info));
        }

        /// <summary>Imports the twin, builds its network class, runs a forward and returns its state_dict keys (null without python3-torch).</summary>
        private static string[]? TwinKeys(string twin)
        {
            if (PythonOracle.MissingReason is not null) return null;
            string dir = Path.Combine(Path.GetTempPath(), "dsl-names-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                File.WriteAllText(Path.Combine(dir, "twin.py"), twin, new UTF8Encoding(false));
                File.WriteAllText(Path.Combine(dir, "check.py"),
                    "import sys, torch\nsys.path.insert(0, sys.argv[1])\nimport twin\ncls = getattr(twin, twin.__all__[0])\nnet = cls().eval()\n" +
                    "net(torch.zeros(1, *cls.input_shape))\nfor k in net.state_dict().keys(): print('KEY ' + k.encode('unicode_escape').decode('ascii'))\n");
                var (code, output, error) = PythonOracle.Run($"\"{Path.Combine(dir, "check.py")}\" \"{dir}\"", TimeSpan.FromMinutes(2));
                Assert.True(code == 0, error + "\n" + twin);
                return output.Split('\n').Where(l => l.StartsWith("KEY ", StringComparison.Ordinal))
                    .Select(l => System.Text.RegularExpressions.Regex.Unescape(l.Substring(4).TrimEnd('\r'))).ToArray();
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        private static void CompilesRunsAndImports(string source, string network = "Net", params string[] expectedKeys)
        {
            var (messages, keys, twin) = Build(source, network);
            Assert.True(messages.Length == 0, string.Join("\n", messages));
            foreach (var key in expectedKeys) Assert.Contains(key, keys);
            var twinKeys = TwinKeys(twin!);
            Skip.If(twinKeys is null, PythonOracle.MissingReason);
            Assert.Equal(keys, twinKeys);
        }

        private const string Tail = "[Flatten] [Linear(2)]\npublic partial class Net;\n";

        /// <summary>A block parameter named like a field of its class, or like what its constructor calls, gets a constructor parameter of its own.</summary>
        [SkippableTheory]
        [InlineData("conv1")]
        [InlineData("register_module")]
        [InlineData("relu1")]
        [InlineData("nn")]
        [InlineData("torch")]
        [InlineData("F")]
        [InlineData("super")]
        [InlineData("self")]
        public void Block_parameter_named_like_a_generated_name_compiles_and_imports(string parameter) => CompilesRunsAndImports(
            $"[Block(\"{parameter}\", Merge = Merge.Add)] [Conv2d(\"{parameter}\", 3, Padding = 1)] [ReLU] public partial class B;\n" +
            "[Input(2, 8, 8)] [Conv2d(4, 3, Padding = 1)] [Use<B>(4)] [Conv2d(2, 3, Padding = 1)] [Use<B>(2)]\n" + Tail,
            "Net", "b1.conv1.weight", "b2.conv1.weight");

        /// <summary>A block parameter is only an argument: a keyword of either language is escaped in each (@out, lambda_).</summary>
        [SkippableTheory]
        [InlineData("out")]
        [InlineData("class")]
        [InlineData("nameof")]
        [InlineData("value")]
        [InlineData("lambda")]
        [InlineData("None")]
        [InlineData("def")]
        public void Block_parameter_that_is_a_keyword_is_escaped_in_both_languages(string parameter) => CompilesRunsAndImports(
            $"[Block(\"{parameter}\", Merge = Merge.Add)] [Conv2d(\"{parameter}\", 3, Padding = 1)] [ReLU] public partial class B;\n" +
            "[Input(2, 8, 8)] [Conv2d(4, 3, Padding = 1)] [Use<B>(4)] [Conv2d(2, 3, Padding = 1)] [Use<B>(2)]\n" + Tail,
            "Net", "b1.conv1.weight", "b2.conv1.weight");

        /// <summary>A block parameter that is not a name in both languages is reported with a legal name.</summary>
        [Theory]
        [InlineData("a\\\"b", "a\"b", "it is not a name in both C# and Python (letters, digits and '_', not starting with a digit; Python reads identifiers NFKC-normalised); choose another name, such as 'a_b'")]
        [InlineData("__x", "__x", "Python mangles names that start with '__' inside a class; choose another name, such as '_x'")]
        [InlineData("x\u200D", "x\u200D", "it is not a name in both C# and Python (letters, digits and '_', not starting with a digit; Python reads identifiers NFKC-normalised); choose another name, such as 'x_'")]
        public void Block_parameter_that_is_no_name_is_reported_with_a_legal_name(string written, string parameter, string why)
        {
            var (messages, _, _) = Build($"[Block(\"{written}\", Merge = Merge.Add)] [Conv2d(\"c\", 3, Padding = 1)] public partial class B;\n[Input(2, 8, 8)] [Use<B>(2)]\n" + Tail);
            Assert.Contains($"DSL018: Block 'B': parameter '{parameter}' is not allowed: {why}", messages);
        }

        /// <summary>A Sequential child's name is any text: quotes, backslashes and unicode reach both languages as string literals, as the key.</summary>
        [SkippableFact]
        public void Sequential_child_names_with_quotes_and_backslashes_are_keys_in_both_languages() => CompilesRunsAndImports(
            "[Block] [Conv2d(2, 3, Padding = 1, Name = \"a\\\"b\\\\c\")] [ReLU(Name = \"d'e\")] [Identity(Name = \"名 前\")] public partial class S;\n[Input(2, 8, 8)] [Use<S>]\n" + Tail,
            "Net", "s1.a\"b\\c.weight");

        /// <summary>A Sequential child named like an nn.Sequential attribute is reported (PyTorch's add_module refuses it).</summary>
        [Fact]
        public void Sequential_child_named_like_an_nn_Sequential_attribute_is_reported()
        {
            var (messages, _, _) = Build("[Block] [ReLU(Name = \"append\")] public partial class S;\n[Input(2, 8, 8)] [Use<S>]\n" + Tail);
            Assert.Contains("DSL018: Block 'S': layer name 'append' is not allowed: it is an attribute of PyTorch's nn.Sequential, which refuses it as a child's name", messages);
        }

        /// <summary>A Sequential child named like a Python special attribute (every object has __init__): reported, as nn.Sequential refuses it.</summary>
        [Fact]
        public void Sequential_child_named_like_a_Python_special_name_is_reported()
        {
            var (messages, _, _) = Build("[Block] [ReLU(Name = \"__init__\")] public partial class S;\n[Input(2, 8, 8)] [Use<S>]\n" + Tail);
            Assert.Contains("DSL018: Block 'S': layer name '__init__' is not allowed: it has the form of Python's special names (__init__, __len__, ...), which nn.Sequential has as attributes and refuses as a child's name", messages);
        }

        /// <summary>Layers named like every candidate of the forward's input and flow variables: the forward picks others (was DSL016).</summary>
        [SkippableFact]
        public void Layers_named_like_every_local_candidate_get_a_forward_with_free_locals() => CompilesRunsAndImports(
            "[Input(2, 8, 8)] [Conv2d(2, 3, Padding = 1, Name = \"input\")] [ReLU(Name = \"inputs\")] [Identity(Name = \"input_\")]" +
            " [Conv2d(2, 1, Name = \"x\")] [ReLU(Name = \"h\")] [Identity(Name = \"y\")] [Identity(Name = \"x_\")]\n" + Tail);

        /// <summary>An inlined block's local (x_1) is not a layer's field of the same name.</summary>
        [SkippableFact]
        public void Inlined_blocks_locals_do_not_hide_a_layer_of_the_same_name() => CompilesRunsAndImports(
            "[Block] [Conv2d(2, 1, Name = \"c\")] [ReLU(Name = \"r\")] public partial class I;\n" +
            "[Input(2, 8, 8)] [Use<I>(Inline = true)] [Conv2d(2, 3, Padding = 1, Name = \"x_1\")] [ReLU(Name = \"x_2\")]\n" + Tail);

        /// <summary>An inlined block's layer whose automatic name a later layer of the network has: it takes another (the network was silently cut short).</summary>
        [SkippableFact]
        public void Inlined_layers_automatic_names_avoid_the_networks_own() => CompilesRunsAndImports(
            "[Block] [ReLU] public partial class I;\n[Input(2, 8, 8)] [Use<I>(Inline = true)] [ReLU]\n" + Tail,
            "Net", "fc1.weight");

        /// <summary>
        /// A block whose inlined use of itself is built before the block's own later layer: the inlined layers' automatic
        /// names avoid that layer's (r0_2 was taken by the inlined use, then refused to the block's own use: DSL013).
        /// </summary>
        [SkippableFact]
        public void Inlined_layers_automatic_names_avoid_the_later_layers_of_the_block() => CompilesRunsAndImports(
            "[Block(\"d\", Merge = Merge.Add)] [ReLU] [Use<R0>(\"d / 2\", When = \"d > 0\", Inline = true)] [Use<R0>(\"d - 1\", When = \"d > 1\")] public partial class R0;\n" +
            "[Input(2, 8, 8)] [Use<R0>(4)]\n" + Tail,
            "Net", "fc1.weight");

        /// <summary>An inlined block's explicit name that a later network layer has is reported at that layer, not a network that ends there.</summary>
        [Fact]
        public void Inlined_layers_explicit_name_taken_by_a_network_layer_is_reported()
        {
            var (messages, _, _) = Build("[Block] [ReLU(Name = \"act\")] public partial class I;\n[Input(2, 8, 8)] [Use<I>(Inline = true)] [ReLU(Name = \"act\")]\n" + Tail);
            Assert.Contains("DSL013: Layer name 'act' cannot be used because an inlined block's layer of the network already has it; choose another name, such as 'act_'", messages);
        }

        /// <summary>An inlined block's layer named like the network class would be a member named like its class (CS0542): reported at the use.</summary>
        [Fact]
        public void Inlined_layers_explicit_name_that_is_the_network_class_is_reported()
        {
            var (messages, _, _) = Build("[Block] [ReLU(Name = \"Net\")] public partial class I;\n[Input(2, 8, 8)] [Use<I>(Inline = true)]\n" + Tail);
            Assert.Contains("DSL013: Layer name 'Net' cannot be used because it is the network's class name; choose another name, such as 'Net_'", messages);
        }

        /// <summary>An inlined block's automatic layer names skip the network's class name, as the network's own do.</summary>
        [SkippableFact]
        public void Inlined_layers_automatic_names_skip_the_network_class() => CompilesRunsAndImports(
            "[Block] [Conv2d(2, 1)] public partial class I;\n[Input(2, 8, 8)] [Use<I>(Inline = true)]\n[Flatten] [Linear(2)]\npublic partial class conv1;\n",
            "conv1", "conv2.weight", "fc1.weight");

        /// <summary>A block class holding an inlined layer named like the class it would get: the class takes another name.</summary>
        [SkippableFact]
        public void Block_class_named_like_an_inlined_layer_takes_another_name() => CompilesRunsAndImports(
            "[Block] [Conv2d(2, 1, Name = \"XModule\")] public partial class I;\n[Block(Merge = Merge.Add)] [Use<I>(Inline = true)] public partial class X;\n" +
            "[Input(2, 8, 8)] [Use<X>]\n" + Tail,
            "Net", "x1.XModule.weight");

        /// <summary>A generic block's type arguments are no part of its layers' automatic names.</summary>
        [SkippableFact]
        public void Generic_block_type_gives_a_legal_automatic_name() => CompilesRunsAndImports(
            "public sealed class Tag { }\n[Block(Merge = Merge.Add)] [ReLU] public partial class G<T>;\n[Input(2, 8, 8)] [Use<G<Tag>>]\n" + Tail,
            "Net", "fc1.weight");

        /// <summary>A network class named like a Python keyword or a name the twin uses: the twin's class is escaped and listed in __all__.</summary>
        [SkippableTheory]
        [InlineData("None")]
        [InlineData("lambda")]
        [InlineData("nn")]
        [InlineData("torch")]
        [InlineData("Tensor")]
        [InlineData("OrderedDict")]
        public void Network_class_named_like_a_Python_name_gets_an_escaped_twin_class(string name)
        {
            var (messages, _, twin) = Build("[Block] [ReLU(Name = \"a b\")] public partial class S;\n[Input(2, 8, 8)] [Use<S>]\n[Flatten] [Linear(2)]\npublic partial class " + name + ";\n", name);
            Assert.Empty(messages);
            Assert.Contains($"class {name}_(nn.Module):", twin, StringComparison.Ordinal);
            Assert.Contains($"__all__ = [\"{name}_\"]", twin, StringComparison.Ordinal);
            Skip.If(TwinKeys(twin!) is null, PythonOracle.MissingReason);
        }

        /// <summary>A network class named like a member every network declares cannot hold it (CS0542): DSL014, not a broken stub.</summary>
        [Theory]
        [InlineData("Info")]
        [InlineData("Graph")]
        [InlineData("forward")]
        public void Network_class_named_like_a_generated_member_is_reported(string name)
        {
            var (messages, _, _) = Build("[Input(2, 8, 8)] [Flatten] [Linear(2)]\npublic partial class " + name + ";\n", name);
            Assert.Contains($"DSL014: Network class '{name}' is not supported: every generated network declares a member '{name}', and a class cannot have a member named like itself; rename the network, for example to '{name}Net'", messages);
        }
    }
}
