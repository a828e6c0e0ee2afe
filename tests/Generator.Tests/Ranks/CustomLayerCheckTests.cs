using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Ranks
{
    /// <summary>
    /// [Custom&lt;T&gt;] is checked as the compiler checks the generated <c>new T()</c>: constructor accessibility and
    /// overload resolution (optional parameters), [Obsolete(..., true)], required members, and networks (whose module is
    /// generated) used as custom layers. Each case gives DSL020 at the type argument, with the generator and the analyzer
    /// agreeing, or code that compiles and runs; and the run-time contract check covers the batch and a null result.
    /// </summary>
    public class CustomLayerCheckTests
    {
        private const string Usings = "using System;\nusing System.Diagnostics.CodeAnalysis;\nusing Dsl;\nusing TorchSharp;\nusing static TorchSharp.torch;\nnamespace Nets;\n";

        private const string Modules = """

            public sealed class ObsoleteCtor : nn.Module<Tensor, Tensor>
            {
                [Obsolete("use Create", true)]
                public ObsoleteCtor() : base(nameof(ObsoleteCtor)) { }
                public override Tensor forward(Tensor x) => x;
            }
            public sealed class ObsoleteWarning : nn.Module<Tensor, Tensor>
            {
                [Obsolete("prefer Create")]
                public ObsoleteWarning() : base(nameof(ObsoleteWarning)) { }
                public override Tensor forward(Tensor x) => x;
            }
            [Obsolete("gone", true)]
            public sealed class ObsoleteType : nn.Module<Tensor, Tensor>
            {
                public ObsoleteType() : base(nameof(ObsoleteType)) { }
                public override Tensor forward(Tensor x) => x;
            }
            public sealed class Required : nn.Module<Tensor, Tensor>
            {
                public Required() : base(nameof(Required)) { }
                public required int Width { get; init; }
                public override Tensor forward(Tensor x) => x;
            }
            public class RequiredBase : nn.Module<Tensor, Tensor>
            {
                public RequiredBase() : base(nameof(RequiredBase)) { }
                public required double Scale;
                public override Tensor forward(Tensor x) => x;
            }
            public sealed class RequiredInherited : RequiredBase { }
            public sealed class RequiredSet : nn.Module<Tensor, Tensor>
            {
                [SetsRequiredMembers]
                public RequiredSet() : base(nameof(RequiredSet)) { Width = 1; }
                public required int Width { get; init; }
                public override Tensor forward(Tensor x) => x;
            }
            public sealed class Optional : nn.Module<Tensor, Tensor>
            {
                private readonly double factor;
                public Optional(double factor = 2.0, string name = nameof(Optional)) : base(name) => this.factor = factor;
                public override Tensor forward(Tensor x) => x * factor;
            }
            public sealed class ParamsOnly : nn.Module<Tensor, Tensor>
            {
                public ParamsOnly(params int[] dims) : base(nameof(ParamsOnly)) { }
                public override Tensor forward(Tensor x) => x;
            }
            public sealed class TwoOptional : nn.Module<Tensor, Tensor>
            {
                public TwoOptional(int a = 1) : base(nameof(TwoOptional)) { }
                public TwoOptional(string b = "") : base(nameof(TwoOptional)) { }
                public override Tensor forward(Tensor x) => x;
            }
            public class ProtectedCtor : nn.Module<Tensor, Tensor>
            {
                protected ProtectedCtor() : base(nameof(ProtectedCtor)) { }
                public override Tensor forward(Tensor x) => x;
            }
            public sealed class PrivateCtor : nn.Module<Tensor, Tensor>
            {
                private PrivateCtor() : base(nameof(PrivateCtor)) { }
                public static PrivateCtor Create() => new();
                public override Tensor forward(Tensor x) => x;
            }
            public sealed class InternalCtor : nn.Module<Tensor, Tensor>
            {
                internal InternalCtor() : base(nameof(InternalCtor)) { }
                public override Tensor forward(Tensor x) => x;
            }
            [Input(3, 8, 8)] [ReLU] public partial class Inner;
            [Block] [ReLU] public partial class ReluBlock;

            """;

        private static void Verify(string markup, params (string Id, string Message)[] expected) =>
            DiagnosticHarness.Verify(Usings + markup + Modules, expected);

        [Fact]
        public void Obsolete_as_error_on_the_constructor_or_the_type() => Verify(
            "[Input(3, 8, 8)] [Custom<[|ObsoleteCtor|]>] public partial class Net;\n",
            ("DSL020", "Custom layer 'obsoleteCtor1' cannot use ObsoleteCtor: the constructor new ObsoleteCtor() is obsolete (\"use Create\") as an error, so the generated code cannot create it; use another module or constructor"));

        [Fact]
        public void Required_members_of_the_module_or_its_base() => Verify(
            "[Input(3, 8, 8)] [Custom<[|Required|]>] public partial class Net;\n[Input(3, 8, 8)] [Custom<[|RequiredInherited|]>] public partial class Net2;\n",
            ("DSL020", "Custom layer 'required1' cannot use Required: it has required member Width, which new Required() leaves unset; give it a default and remove required, or mark the constructor [SetsRequiredMembers]"),
            ("DSL020", "Custom layer 'requiredInherited1' cannot use RequiredInherited: it has required member Scale, which new RequiredInherited() leaves unset; give it a default and remove required, or mark the constructor [SetsRequiredMembers]"));

        [Fact]
        public void Constructors_the_network_cannot_call() => Verify(
            "[Input(3, 8, 8)] [Custom<[|ProtectedCtor|]>] [Custom<[|PrivateCtor|]>] public partial class Net;\n[Input(3, 8, 8)] [Custom<[|PrivateCtor|]>] public partial class Net2;\n[Input(3, 8, 8)] [Custom<[|TwoOptional|]>] public partial class Net3;\n",
            ("DSL020", "Custom layer 'protectedCtor1' cannot use ProtectedCtor: its parameterless constructor is not accessible to the network; make it public (the network creates the module with new ProtectedCtor())"),
            ("DSL020", "Custom layer 'privateCtor1' cannot use PrivateCtor: its parameterless constructor is not accessible to the network; make it public (the network creates the module with new PrivateCtor())"),
            ("DSL020", "Custom layer 'privateCtor1' cannot use PrivateCtor: its parameterless constructor is not accessible to the network; make it public (the network creates the module with new PrivateCtor())"),
            ("DSL020", "Custom layer 'twoOptional1' cannot use TwoOptional: new TwoOptional() is ambiguous between its constructors whose parameters are all optional; add a parameterless constructor"));

        [Fact]
        public void A_network_or_a_block_is_not_a_custom_layer() => Verify(
            "[Input(3, 8, 8)] [Custom<[|Inner|]>] public partial class Net;\n[Input(3, 8, 8)] [Custom<[|Self|]>] public partial class Self;\n[Input(3, 8, 8)] [Custom<[|ReluBlock|]>] public partial class Net3;\n",
            ("DSL020", "Custom layer 'inner1' cannot use Inner: it is a network declared with [Input], whose module is generated; a network cannot be a custom layer (a network using itself would create itself without end); declare the shared layers as a [Block] and use it with [Use<Inner>]"),
            ("DSL020", "Custom layer 'self1' cannot use Self: it is a network declared with [Input], whose module is generated; a network cannot be a custom layer (a network using itself would create itself without end); declare the shared layers as a [Block] and use it with [Use<Self>]"),
            ("DSL020", "Custom layer 'reluBlock1' cannot use ReluBlock: it is a [Block], not a module; use it with [Use<ReluBlock>]"));

        /// <summary>
        /// Every case through the generator and the analyzer: the generator never throws, the analyzer reports DSL020
        /// exactly where the generator left a stub, and without a DSL error the compiled code (which writes new T()) has no
        /// compiler error either: the two checks and the compiler agree.
        /// </summary>
        [Theory]
        [InlineData("ObsoleteCtor", true)]
        [InlineData("ObsoleteWarning", false)]
        [InlineData("ObsoleteType", true)]
        [InlineData("Required", true)]
        [InlineData("RequiredInherited", true)]
        [InlineData("RequiredSet", false)]
        [InlineData("Optional", false)]
        [InlineData("ParamsOnly", false)]
        [InlineData("TwoOptional", true)]
        [InlineData("ProtectedCtor", true)]
        [InlineData("PrivateCtor", true)]
        [InlineData("InternalCtor", false)]
        [InlineData("Inner", true)]
        [InlineData("Net", true)]
        [InlineData("ReluBlock", true)]
        public void The_generator_the_analyzer_and_the_compiler_agree(string module, bool diagnosed)
        {
            var run = Harness.Run(Usings + $"[Input(3, 8, 8)] [Custom<{module}>] [Flatten] [Linear(2)] public partial class Net;\n" + Modules);
            Assert.Empty(run.GeneratorDiagnostics);
            var all = DiagnosticHarness.AnalyzeAll(run.Output);
            var dsl = all.Where(d => d.Id == "DSL020").ToArray();
            // The type's own obsolescence is the compiler's error at the attribute (CS0619) as well as DSL020.
            var others = all.Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "DSL020" && !(module == "ObsoleteType" && d.Id == "CS0619")).ToArray();
            Assert.True(others.Length == 0, string.Join("\n", others.Select(d => d.ToString())));
            Assert.Equal(diagnosed, dsl.Length > 0);
            Assert.DoesNotContain(all, d => d.Id is "AD0001" or "CS8785" or "DSL016");
            if (diagnosed) return;
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(Harness.Load(run).GetType("Nets.Net", throwOnError: true)!)!;
            using var y = net.call(randn(2, 3, 8, 8));
            Assert.Equal(new long[] { 2, 2 }, y.shape);
        }

        [Fact]
        public void Optional_parameters_take_their_defaults()
        {
            var run = Harness.Run(Usings + "[Input(3, 8, 8)] [Custom<Optional>] public partial class Net;\n" + Modules);
            Assert.DoesNotContain(run.WarningsAndErrors, d => d.Severity == DiagnosticSeverity.Error);
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(Harness.Load(run).GetType("Nets.Net", throwOnError: true)!)!;
            using var x = randn(2, 3, 8, 8);
            using var y = net.call(x);
            Assert.True(y.allclose(x * 2.0));
        }

        /// <summary>An internal constructor of another assembly is not accessible (the compiler's CS0122), unless it grants access.</summary>
        [Theory]
        [InlineData(false, true)]
        [InlineData(true, false)]
        public void An_internal_constructor_of_another_assembly(bool internalsVisible, bool diagnosed)
        {
            string library = """
                using TorchSharp;
                using static TorchSharp.torch;
                """ + (internalsVisible ? "\n[assembly: System.Runtime.CompilerServices.InternalsVisibleTo(\"UserAssembly\")]\n" : "\n") + """
                namespace Lib;
                public sealed class Hidden : nn.Module<Tensor, Tensor>
                {
                    internal Hidden() : base(nameof(Hidden)) { }
                    public override Tensor forward(Tensor x) => x;
                }
                """;
            var lib = CSharpCompilation.Create("ModulesLibrary", new[] { CSharpSyntaxTree.ParseText(library, Harness.ParseOptions) }, Harness.References,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
            Assert.DoesNotContain(lib.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
            var input = Harness.Compilation("using Dsl;\nnamespace Nets;\n[Input(3, 8, 8)] [Custom<Lib.Hidden>] public partial class Net;\n").AddReferences(lib.ToMetadataReference());
            Harness.Driver().RunGeneratorsAndUpdateCompilation(input, out var output, out var generatorDiagnostics);
            Assert.Empty(generatorDiagnostics);
            var all = DiagnosticHarness.AnalyzeAll(output);
            var dsl = all.Where(d => d.Id == "DSL020").ToArray();
            Assert.Equal(diagnosed, dsl.Length > 0);
            if (diagnosed)
                Assert.Equal("Custom layer 'hidden1' cannot use Hidden: its parameterless constructor is not accessible to the network; make it public (the network creates the module with new Hidden())", dsl[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Assert.DoesNotContain(all, d => d.Severity == DiagnosticSeverity.Error && d.Id != "DSL020");
        }

        private const string Breaking = """
            using Dsl;
            using TorchSharp;
            using static TorchSharp.torch;
            namespace Nets;

            /// <summary>Keeps only the first sample of the batch: the sample shape is right, the batch is not.</summary>
            public sealed class FirstOnly : nn.Module<Tensor, Tensor>
            {
                /// <summary>Creates it.</summary>
                public FirstOnly() : base(nameof(FirstOnly)) { }
                /// <inheritdoc/>
                public override Tensor forward(Tensor x) => x.narrow(0, 0, 1);
            }

            /// <summary>Forgets to return its result.</summary>
            public sealed class ReturnsNull : nn.Module<Tensor, Tensor>
            {
                /// <summary>Creates it.</summary>
                public ReturnsNull() : base(nameof(ReturnsNull)) { }
                /// <inheritdoc/>
                public override Tensor forward(Tensor x) => null!;
            }

            /// <summary>Writes its result into the same variable as its input.</summary>
            public sealed class InPlace : nn.Module<Tensor, Tensor>
            {
                /// <summary>Creates it.</summary>
                public InPlace() : base(nameof(InPlace)) { }
                /// <inheritdoc/>
                public override Tensor forward(Tensor x) => x.relu_();
            }

            [Input(3, 8, 8)] [Custom<FirstOnly>] [Flatten] [Linear(2)] public partial class DropsBatch;
            [Input(3, 8, 8)] [Custom<ReturnsNull>] [Flatten] [Linear(2)] public partial class Null;
            /// <summary>A block whose custom layer returns null.</summary>
            [Block(Merge = Merge.Add)] [Custom<ReturnsNull>(Name = "broken")] public partial class NullBlock;
            [Input(3, 8, 8)] [Use<NullBlock>] [Flatten] [Linear(2)] public partial class NullInBlock;
            [Input(3, 8, 8)] [Custom<InPlace>] [Custom<InPlace>] [Flatten] [Linear(2)] public partial class Fine;
            """;

        [Fact]
        public void The_run_time_check_covers_the_batch_and_a_null_result()
        {
            var run = Harness.Run(Breaking);
            var problems = run.WarningsAndErrors.ToArray();
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            var assembly = Harness.Load(run);
            nn.Module<Tensor, Tensor> Create(string name) => (nn.Module<Tensor, Tensor>)Activator.CreateInstance(assembly.GetType("Nets." + name, throwOnError: true)!)!;

            using var drops = Create("DropsBatch");
            var error = Assert.Throws<InvalidOperationException>(() => drops.call(randn(4, 3, 8, 8)));
            Assert.Equal("DropsBatch: the custom layer 'firstOnly1' returned [1, 3, 8, 8] for a batch of 4, but its declared output shape is [4, 3, 8, 8] (the batch of its input, then its OutputShape); fix the module, or its OutputShape in [Custom].", error.Message);

            using var returnsNull = Create("Null");
            error = Assert.Throws<InvalidOperationException>(() => returnsNull.call(randn(2, 3, 8, 8)));
            Assert.Equal("Null: the custom layer 'returnsNull1' returned null instead of a tensor; its forward must return its output tensor.", error.Message);

            using var inBlock = Create("NullInBlock");
            error = Assert.Throws<InvalidOperationException>(() => inBlock.call(randn(2, 3, 8, 8)));
            Assert.Equal("NullBlock: the custom layer 'nullBlock1.broken' returned null instead of a tensor; its forward must return its output tensor.", error.Message);

            using var fine = Create("Fine");
            using var y = fine.call(randn(5, 3, 8, 8));
            Assert.Equal(new long[] { 5, 2 }, y.shape);
        }

        private const string Found = """
            using Dsl;
            using TorchSharp;
            using static TorchSharp.torch;
            namespace Nets;

            internal static class Hidden
            {
                /// <summary>Public, but inside an internal class.</summary>
                public sealed class Scale : nn.Module<Tensor, Tensor>
                {
                    public Scale() : base(nameof(Scale)) { }
                    public override Tensor forward(Tensor x) => x * 2;
                }
            }

            /// <summary>new Both() picks the constructor whose parameters are all optional over the one with a params array.</summary>
            public sealed class Both : nn.Module<Tensor, Tensor>
            {
                public Both(params int[] dims) : base(nameof(Both)) => Factor = 3;
                public Both(int width = 1) : base(nameof(Both)) => Factor = 2;
                public double Factor { get; }
                public override Tensor forward(Tensor x) => x * Factor;
            }

            /// <summary>Returns its input itself (TorchSharp's Sequential disposes a child's input after the child ran).</summary>
            public sealed class Same : nn.Module<Tensor, Tensor>
            {
                public Same() : base(nameof(Same)) { }
                public override Tensor forward(Tensor x) => x;
            }

            public sealed class ReturnsNull : nn.Module<Tensor, Tensor>
            {
                public ReturnsNull() : base(nameof(ReturnsNull)) { }
                public override Tensor forward(Tensor x) => null!;
            }

            /// <summary>A titlecase letter, which Python reads NFKC-normalised as two letters.</summary>
            public sealed class ǅ : nn.Module<Tensor, Tensor>
            {
                public ǅ() : base("dz") { }
                public override Tensor forward(Tensor x) => x.relu();
            }

            [Input(3, 8, 8)] [Custom<Hidden.Scale>] [Custom<Both>] [Flatten] [Linear(2)] public partial class Internal;

            [Input(3, 8, 8)] [Custom<Private>] [Flatten] [Linear(2)]
            public partial class Own
            {
                private sealed class Private : nn.Module<Tensor, Tensor>
                {
                    public Private() : base(nameof(Private)) { }
                    public override Tensor forward(Tensor x) => x + 1;
                }
            }

            [Block] [Custom<Same>] [Custom<Same>] [ReLU] public partial class Twice;
            [Input(3, 8, 8)] [Use<Twice>] [Flatten] [Linear(2)] public partial class SameInSequential;

            [Block(Body = "body")] [Custom<ReturnsNull>] public partial class NullBody;
            [Input(3, 8, 8)] [Use<NullBody>] [Flatten] [Linear(2)] public partial class NullInSequential;

            [Input(3, 8, 8)] [Custom<ǅ>] [Flatten] [Linear(2)] public partial class Titlecase;
            """;

        /// <summary>
        /// What the custom-layer property test found: a module type that is internal (through its container) got a public
        /// field (CS0052); a type private to the network was refused though the generated code may create it; new T() with
        /// a params constructor beside an all-optional one was called ambiguous; a null result or a module returning its
        /// input inside a Sequential gave a bare NullReferenceException or a disposed tensor; a type named with a titlecase
        /// letter gave an automatic layer name Python reads as another.
        /// </summary>
        [Fact]
        public void Custom_modules_the_property_test_found()
        {
            var run = Harness.Run(Found);
            var problems = run.WarningsAndErrors.Where(d => d.Severity == DiagnosticSeverity.Error || d.Location.SourceTree?.FilePath.Contains("Dsl.Generator", StringComparison.Ordinal) == true).ToArray();
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            Assert.DoesNotContain(DiagnosticHarness.AnalyzeAll(run.Output), d => d.Id.StartsWith("DSL", StringComparison.Ordinal));
            Assert.Contains("internal readonly global::Nets.Hidden.Scale scale1;", run.Sources["Nets.Internal.g.cs"], StringComparison.Ordinal);
            Assert.Contains("private readonly global::Nets.Own.Private private1;", run.Sources["Nets.Own.g.cs"], StringComparison.Ordinal);
            var assembly = Harness.Load(run);
            nn.Module<Tensor, Tensor> Create(string name) => (nn.Module<Tensor, Tensor>)Activator.CreateInstance(assembly.GetType("Nets." + name, throwOnError: true)!)!;

            using var x = ones(2, 3, 8, 8);
            using (var net = Create("Internal"))
            {
                // Scale doubles, Both (its optional constructor) doubles again.
                var scaled = (nn.Module<Tensor, Tensor>)net.named_children().First(c => c.name == "both1").module;
                using var y = scaled.call(x);
                Assert.Equal(2.0, y.max().item<float>());
                using var z = net.call(x);
                Assert.Equal(new long[] { 2, 2 }, z.shape);
            }
            using (var net = Create("Own"))
            using (var y = net.call(x))
                Assert.Equal(new long[] { 2, 2 }, y.shape);
            using (var net = Create("SameInSequential"))
            using (var y = net.call(x))
                Assert.Equal(new long[] { 2, 2 }, y.shape);
            using (var net = Create("NullInSequential"))
            {
                var error = Assert.Throws<InvalidOperationException>(() => net.call(x));
                Assert.Equal("NullBody: the custom layer 'nullBody1.body.0' returned null instead of a tensor; its forward must return its output tensor.", error.Message);
            }
            using (var net = Create("Titlecase"))
                Assert.Equal(new[] { "dž1", "flatten1", "fc1" }, net.named_children().Select(c => c.name).ToArray());
        }
    }
}
