using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// Block declarations written to break the generator: it and the analyzer never throw (no AD0001, CS8785 or DSL016),
    /// and a declaration without a DSL error compiles, constructs and runs its forward.
    /// </summary>
    public class BlockHostileTests
    {
        private static string[] Check(string declarations, string network)
        {
            string source = "using Dsl;\nnamespace Nets;\n" + declarations + "\n[Input(2, 8, 8)]\n" + network + "\n[Flatten] [Linear(2)]\npublic partial class Net;\n";
            var run = Harness.Run(source);
            Assert.Empty(run.GeneratorDiagnostics);
            var all = DiagnosticHarness.AnalyzeAll(run.Output);
            Assert.True(!all.Any(d => d.Id is "AD0001" or "CS8785" or "DSL016"), source + "\n" + string.Join("\n", all.Where(d => d.Id is "AD0001" or "CS8785" or "DSL016")));
            var dsl = all.Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error).ToArray();
            var other = all.Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("DSL", StringComparison.Ordinal)).ToArray();
            Assert.True(other.Length == 0, $"Errors besides the DSL's:\n{source}\n{string.Join("\n", other.Select(d => d.ToString()))}");
            // Without a diagnostic the code compiles (checked above); it is run when its weights fit in memory.
            if (dsl.Length == 0 && (run.Output.GetTypeByMetadataName("Nets.Net")!.GetMembers("ParameterCount").OfType<IFieldSymbol>().FirstOrDefault()?.ConstantValue is not long count || count < 10_000_000))
            {
                var type = Harness.Load(run).GetType("Nets.Net", throwOnError: true)!;
                try
                {
                    using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
                    net.eval();
                    using var y = net.call(randn(1, 2, 8, 8));
                    Assert.Equal(new long[] { 1, 2 }, y.shape);
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    throw new Xunit.Sdk.XunitException($"No diagnostic, but the module fails: {(e.InnerException ?? e).Message.Split('\n')[0]}\n{source}");
                }
            }
            return dsl.Select(d => d.Id).ToArray();
        }

        private const string ConvBlock = "[Block(\"c\", \"s = 1\")] [Conv2d(\"c\", 3, Padding = 1, With = \"Stride = s\")] public partial class B;\n";

        [Theory]
        [InlineData("[Use<B>(2147483647)]")]
        [InlineData("[Use<B>(9223372036854775807L)]")]
        [InlineData("[Use<B>(-9223372036854775807L)]")]
        [InlineData("[Use<B>(1e300)]")]
        [InlineData("[Use<B>(double.NaN)]")]
        [InlineData("[Use<B>(double.PositiveInfinity)]")]
        [InlineData("[Use<B>(2.5)]")]
        [InlineData("[Use<B>('a')]")]
        [InlineData("[Use<B>(\"1e400\")]")]
        [InlineData("[Use<B>(\"1e300 * 1e300 - 1e300 * 1e300\")]")]
        [InlineData("[Use<B>(\"0 / 0\")]")]
        [InlineData("[Use<B>(\"1 % 0\")]")]
        [InlineData("[Use<B>(\"99999999999\")]")]
        [InlineData("[Use<B>(\"9223372036854775807 * 2\")]")]
        [InlineData("[Use<B>(\"\")]")]
        [InlineData("[Use<B>(\"   \")]")]
        [InlineData("[Use<B>(\"c = \")]")]
        [InlineData("[Use<B>(\"= 3\")]")]
        [InlineData("[Use<B>(\"in\")]")]
        [InlineData("[Use<B>(\"4\", \"s = 65536\")]")]
        [InlineData("[Use<B>(4, \"s = 1e-300\")]")]
        [InlineData("[Use<B>(4, true)]")]
        [InlineData("[Use<B>(typeof(int))]")]
        [InlineData("[Use<B>(null)]")]
        [InlineData("[Use<B>(new[] { 1, 2 })]")]
        [InlineData("[Use<B>(Merge.Add)]")]
        public void Extreme_arguments(string use) => Check(ConvBlock, use);

        [Theory]
        [InlineData(20000)]
        [InlineData(200)]
        public void Deeply_nested_expressions(int depth)
        {
            string parens = new string('(', depth) + "4" + new string(')', depth);
            Check(ConvBlock, $"[Use<B>(\"{parens}\")]");
            string minus = string.Concat(Enumerable.Repeat("- ", depth)) + "4";
            Check(ConvBlock, $"[Use<B>(\"{minus}\")]");
            Check("[Block(\"c\")] [Conv2d(1, 3, Padding = 1, With = \"OutChannels = " + parens.Replace("4", "c") + "\")] public partial class B;\n", "[Use<B>(4)]");
        }

        [Fact]
        public void A_chain_of_blocks_deeper_than_the_limit()
        {
            string blocks = string.Concat(Enumerable.Range(0, 20).Select(i => $"[Block(\"c\")] [Use<B{i + 1}>(\"c\")] public partial class B{i};\n"))
                + "[Block(\"c\")] [Conv2d(\"c\", 1)] public partial class B20;\n";
            Assert.Contains("DSL018", Check(blocks, "[Use<B0>(4)]"));
            string shorter = string.Concat(Enumerable.Range(0, 10).Select(i => $"[Block(\"c\")] [Use<C{i + 1}>(\"c\")] public partial class C{i};\n"))
                + "[Block(\"c\")] [Conv2d(\"c\", 1)] public partial class C10;\n";
            Assert.Empty(Check(shorter, "[Use<C0>(4)]"));
        }

        [Theory]
        [InlineData("[Block(\"d\")] [ReLU] [Use<Rec>(\"d - 1\", When = \"d > 0\")] public partial class Rec;", "[Use<Rec>(15)]", false)]
        [InlineData("[Block(\"d\", Merge = Merge.Add)] [ReLU] [Use<Rec>(\"d - 1\", When = \"d > 0\")] public partial class Rec;", "[Use<Rec>(15)]", false)]
        [InlineData("[Block(\"d\")] [ReLU] [Use<Rec>(\"d - 1\", When = \"d > 0\")] public partial class Rec;", "[Use<Rec>(16)]", true)]
        [InlineData("[Block(\"d\")] [ReLU] [Use<Rec>(\"d - 1\", When = \"d > 0\")] [Use<Rec>(\"d - 1\", When = \"d > 0\")] public partial class Rec;", "[Use<Rec>(15)]", true)]
        [InlineData("[Block(\"d\")] [ReLU] [Use<Rec>(\"d - 1\", When = \"d > 0\")] [Use<Rec>(\"d - 1\", When = \"d > 0\")] public partial class Rec;", "[Use<Rec>(5)]", false)]
        [InlineData("[Block(\"d\", Merge = Merge.Add, Shortcut = typeof(Rec))] [ReLU] public partial class Rec;", "[Use<Rec>(1)]", true)]
        [InlineData("[Block(\"d\", Merge = Merge.Add, Shortcut = typeof(Rec), MergeWhen = \"d > 0\")] [ReLU] public partial class Rec;", "[Use<Rec>(3)]", true)]
        public void Blocks_that_use_themselves(string block, string use, bool diagnosed)
        {
            var ids = Check(block, use);
            Assert.Equal(diagnosed, ids.Length > 0);
        }

        [Theory]
        // layer names inside class blocks and Sequential blocks
        [InlineData("[Block(Merge = Merge.Add)] [ReLU(Name = \"{0}\")] public partial class B;")]
        [InlineData("[Block] [ReLU(Name = \"{0}\")] public partial class B;")]
        [InlineData("[Block(Body = \"{0}\")] [ReLU] public partial class B;")]
        [InlineData("[Block(Merge = Merge.Add, Body = \"{0}\")] [ReLU] public partial class B;")]
        [InlineData("[Block(Merge = Merge.Add, Shortcut = typeof(S), ShortcutName = \"{0}\")] [ReLU] public partial class B;\n[Block] [ReLU] public partial class S;")]
        [InlineData("[Block(Merge = Merge.Add, Shortcut = typeof(S), ShortcutName = \"{0}\")] [ReLU(Name = \"{0}\")] public partial class B;\n[Block] [ReLU] public partial class S;")]
        [InlineData("[Block(Merge = Merge.Add, Body = \"{0}\", Shortcut = typeof(S), ShortcutName = \"{0}\")] [ReLU] public partial class B;\n[Block] [ReLU] public partial class S;")]
        [InlineData("[Block(Parallel = Merge.Add)] [ReLU(Name = \"{0}\")] [ReLU] public partial class B;")]
        public void Names_that_clash_with_generated_ones(string template)
        {
            foreach (var name in new[] { "x", "y", "y0", "y1", "identity", "input", "forward", "training", "BModule", "B", "Net", "shortcut", "relu1", "0", "1", "", " ", "a.b", "a b", "class", "@class", "_", "register_module", "Sequential", "Dsl", "torch" })
            {
                Check(template.Replace("{0}", name), "[Use<B>]");
            }
        }

        [Theory]
        [InlineData("BasicBlock", "[BasicStage(1, 2)] [Use<{0}>]")]
        [InlineData("StemBlock", "[Stem(2, Kernel = 3, Stride = 1, MaxPool = false)] [Use<{0}>]")]
        [InlineData("ResidualBlock", "[Residual(2)] [Use<{0}>]")]
        [InlineData("Sequential", "[Use<{0}>] [Use<{0}>]")]
        [InlineData("Module", "[Use<{0}>]")]
        [InlineData("Tensor", "[Use<{0}>]")]
        [InlineData("torch", "[Use<{0}>]")]
        [InlineData("nn", "[Use<{0}>]")]
        [InlineData("Conv2d", "[Conv2d(2, 1)] [Use<{0}>]")]
        [InlineData("ReLU", "[ReLU] [Use<{0}>]")]
        [InlineData("Dsl", "[Use<{0}>]")]
        [InlineData("Guard", "[Use<{0}>]")]
        [InlineData("Shape", "[Use<{0}>]")]
        [InlineData("Info", "[Use<{0}>]")]
        [InlineData("Summary", "[Use<{0}>]")]
        [InlineData("fc1", "[Use<{0}>]")]
        public void Blocks_named_like_generated_or_library_types(string name, string network)
        {
            foreach (var form in new[] { "", "Merge = Merge.Add", "Body = \"body\"" })
            {
                Check($"[Block({form})] [ReLU] public partial class {name};", network.Replace("{0}", name));
            }
        }

        [Fact]
        public void A_block_and_another_named_like_its_generated_class()
        {
            Check("[Block(Merge = Merge.Add)] [ReLU] public partial class Conv;\n[Block(Merge = Merge.Add)] [Sigmoid] public partial class ConvModule;", "[Use<Conv>] [Use<ConvModule>]");
            Check("[Block(Merge = Merge.Add)] [ReLU] public partial class Conv;\n[Block(Merge = Merge.Add)] [Sigmoid] [Use<Conv>] public partial class ConvModule;", "[Use<ConvModule>]");
        }

        [Theory]
        [InlineData("[Block(Shortcut = typeof(S))] [ReLU] public partial class B;\n[Block] [Sigmoid] public partial class S;", "[Use<B>]")]
        [InlineData("[Block(MergeWhen = \"1 / 0\")] [ReLU] public partial class B;", "[Use<B>]")]
        [InlineData("[Block(Merge = (Merge)42)] [ReLU] public partial class B;", "[Use<B>]")]
        [InlineData("[Block(Parallel = (Merge)42)] [ReLU] public partial class B;", "[Use<B>]")]
        [InlineData("[Block(Merge = Merge.Add, Shortcut = typeof(int))] [ReLU] public partial class B;", "[Use<B>]")]
        [InlineData("[Block(Merge = Merge.Add, Shortcut = typeof(System.Collections.Generic.List<int>))] [ReLU] public partial class B;", "[Use<B>]")]
        [InlineData("[Block(null)] [ReLU] public partial class B;", "[Use<B>]")]
        [InlineData("[Block(\"c = \", \" = 2\", \"\")] [ReLU] public partial class B;", "[Use<B>]")]
        [InlineData("[Block(\"c = c\")] [Conv2d(\"c\", 1)] public partial class B;", "[Use<B>]")]
        [InlineData("[Block(ShortcutName = null)] [ReLU] public partial class B;", "[Use<B>]")]
        [InlineData("[Block(Body = null)] [ReLU] public partial class B;", "[Use<B>]")]
        [InlineData("[Block] [ReLU(When = \"\")] [ReLU(When = \"0\")] public partial class B;", "[Use<B>]")]
        [InlineData("[Block] [ReLU(When = \"0\")] public partial class B;", "[Use<B>]")]
        [InlineData("[Block(Merge = Merge.Concat)] [ReLU(When = \"0\")] public partial class B;", "[Use<B>]")]
        [InlineData("[Block(Parallel = Merge.Concat)] [ReLU(When = \"0\")] public partial class B;", "[Use<B>]")]
        [InlineData("[Block] [Conv2d(2, 1, With = \";;,, ; Stride = 1 ;\")] public partial class B;", "[Use<B>]")]
        [InlineData("[Block] [Conv2d(2, 1, With = \"Stride = (1\")] public partial class B;", "[Use<B>]")]
        [InlineData("[Block] [Conv2d(2, 1, With = \"Nope = 1\")] public partial class B;", "[Use<B>]")]
        [InlineData("[Block] [Conv2d(2, 1, With = \"Stride = 1; Stride = 2\")] public partial class B;", "[Use<B>]")]
        [InlineData("[Block] [Flatten] public partial class B;", "[Use<B>] [Use<B>]")]
        public void Odd_declarations_do_not_break(string block, string use) => Check(block, use);
    }
}
