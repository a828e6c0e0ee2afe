using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Reflection;
using CsCheck;
using Dsl.Generator.Graph;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// Declarations written to break the generator: it never throws, and whenever it reports nothing the generated
    /// code compiles; a declaration with errors still yields its class, so the DSL diagnostics are the only errors.
    /// </summary>
    public class HostileDeclarationTests
    {
        /// <summary>Generator and analyzer over <paramref name="sources"/>: no exception, no CS8785/AD0001; every diagnostic.</summary>
        private static (Compilation Output, ImmutableArray<Diagnostic> All) Build(params string[] sources)
        {
            var run = Harness.Run(sources);
            Assert.Empty(run.GeneratorDiagnostics);
            var all = DiagnosticHarness.AnalyzeAll(run.Output);
            Assert.DoesNotContain(all, d => d.Id is "AD0001" or "CS8785");
            return (run.Output, all);
        }

        /// <summary>Errors that are not DSL diagnostics (inside generated files or at use sites).</summary>
        private static Diagnostic[] OtherErrors(ImmutableArray<Diagnostic> all) =>
            all.Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("DSL", StringComparison.Ordinal)).ToArray();

        private const string UsesKernelTooLarge = """
            using Dsl;
            [Input(1, 8, 8)] [Conv2d(2, 9)] public partial class KernelTooLarge;
            public static class User
            {
                public static object Use()
                {
                    using var net = new KernelTooLarge();
                    long n = KernelTooLarge.ParameterCount + KernelTooLarge.MultiplyAddCount;
                    string s = KernelTooLarge.Summary() + KernelTooLarge.InputShape + KernelTooLarge.OutputShape + KernelTooLarge.Info.Name;
                    return net.forward(TorchSharp.torch.zeros(1, 1, 8, 8));
                }
            }
            """;

        [Fact]
        public void One_shape_error_is_one_error_and_the_class_still_exists()
        {
            var (_, all) = Build(UsesKernelTooLarge);
            var errors = all.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
            var only = Assert.Single(errors);
            Assert.Equal("DSL002", only.Id);
        }

        [Fact]
        public void With_the_severity_lowered_the_project_builds_and_forward_names_the_diagnostic()
        {
            var run = Harness.Run(UsesKernelTooLarge);
            var options = run.Output.Options.WithSpecificDiagnosticOptions(run.Output.Options.SpecificDiagnosticOptions.SetItem("DSL002", ReportDiagnostic.Warn));
            var lowered = run.Output.WithOptions(options);
            Assert.Empty(OtherErrors(DiagnosticHarness.AnalyzeAll(lowered)));
            Assert.DoesNotContain(DiagnosticHarness.AnalyzeAll(lowered), d => d.Severity == DiagnosticSeverity.Error);

            var type = Harness.Load(run with { Output = lowered }).GetType("KernelTooLarge", throwOnError: true)!;
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            var error = Assert.Throws<InvalidOperationException>(() => net.forward(zeros(1, 1, 8, 8)));
            Assert.Contains("DSL002", error.Message);
            Assert.Contains("'conv1' has a 9x9 kernel", error.Message);
        }

        [Theory]
        [InlineData("x")]
        [InlineData("input")]
        [InlineData("h")]
        [InlineData("y")]
        [InlineData("identity")]
        [InlineData("BasicBlock")]
        [InlineData("StemBlock")]
        [InlineData("ClassifierHeadBlock")]
        [InlineData("nn")]
        [InlineData("torch")]
        [InlineData("Dsl")]
        public void Layer_names_that_look_like_generated_identifiers_compile(string name)
        {
            var (_, all) = Build($$"""
                using Dsl;
                [Input(3, 16, 16)] [Stem(8, Kernel = 3, Stride = 1, MaxPool = false)] [Conv2d(8, 3, Padding = 1, Name = "{{name}}")]
                [BasicStage(2, 16, Stride = 2)] [ClassifierHead(4)] public partial class Net;
                """);
            Assert.Empty(all.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        }

        [Fact]
        public void A_layer_may_not_take_the_class_name_and_automatic_names_skip_it()
        {
            var (_, all) = Build("""
                using Dsl;
                [Input(1, 8, 8)] [Flatten(Name = "Net")] public partial class Net;
                [Input(1, 8, 8)] [Conv2d(2, 3)] [Conv2d(2, 3)] public partial class conv1;
                """);
            var problem = Assert.Single(all.Where(d => d.Severity == DiagnosticSeverity.Error));
            Assert.Equal("DSL013", problem.Id);
            Assert.Contains("the network's class name", problem.GetMessage(CultureInfo.InvariantCulture));
        }

        [Theory]
        [InlineData("public int fc1;", "fc1", "it is the field of layer 'fc1'")]
        [InlineData("public Net() { }", "Net", "the generated parameterless constructor")]
        [InlineData("public static string Summary() => \"\";", "Summary", "a generated member of every network")]
        [InlineData("public TorchSharp.torch.Tensor forward(TorchSharp.torch.Tensor t) => t;", "forward", "a generated member of every network")]
        [InlineData("public const int Graph = 1;", "Graph", "a generated member of every network")]
        public void A_user_member_that_clashes_is_reported_at_the_member(string member, string locatedAt, string reason)
        {
            string source = "using Dsl;\n[Input(1, 8, 8)] [Flatten] [Linear(4)]\npublic partial class Net\n{\n    " + member + "\n}\n";
            var (_, all) = Build(source);
            var problem = Assert.Single(all.Where(d => d.Severity == DiagnosticSeverity.Error));
            Assert.Equal("DSL015", problem.Id);
            Assert.Contains(reason, problem.GetMessage(CultureInfo.InvariantCulture));
            Assert.Equal(locatedAt, source.Substring(problem.Location.SourceSpan.Start, problem.Location.SourceSpan.Length));
        }

        [Fact]
        public void A_layer_attribute_of_the_users_own_is_reported_at_it_and_the_network_is_a_stub()
        {
            const string source = """
                using Dsl;
                /// <summary>A user's own layer attribute.</summary>
                public sealed class SwishAttribute : LayerAttribute { }
                [Input(1, 8, 8)] [Conv2d(2, 3)] [Swish] [Flatten] public partial class Net;
                public static class User { public static long Count() => Net.ParameterCount + System.Linq.Enumerable.Count(new Net().parameters()); }
                """;
            var (_, all) = Build(source);
            var problem = Assert.Single(all.Where(d => d.Severity == DiagnosticSeverity.Error));
            Assert.Equal("DSL017", problem.Id);
            Assert.Equal("Swish", source.Substring(problem.Location.SourceSpan.Start, problem.Location.SourceSpan.Length));
            Assert.Contains("'Net' has no module", problem.GetMessage(CultureInfo.InvariantCulture));
        }

        [Fact]
        public void A_user_nested_class_named_like_a_block_class_is_fine()
        {
            var (_, all) = Build("""
                using Dsl;
                [Input(3, 16, 16)] [BasicStage(1, 8, Stride = 2)] [ClassifierHead(2)]
                public partial class Net { /// <summary>The user's own class.</summary>
                public sealed class BasicBlock { } }
                """);
            Assert.Empty(all.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        }

        [Fact]
        public void Escaped_identifiers_and_keyword_namespaces_work()
        {
            var (output, all) = Build("""
                using Dsl;
                namespace @event.@class
                {
                    [Input(1, 8, 8)] [Conv2d(2, 3)] [Flatten] [Linear(3)] public partial class @class;
                    /// <summary>Holder.</summary>
                    public partial class @struct { [Input(1, 4, 4)] [Flatten] [Linear(2)] internal partial class @int; }
                }
                """);
            Assert.Empty(all.Where(d => d.Severity >= DiagnosticSeverity.Warning));
            Assert.NotNull(output.GetTypeByMetadataName("event.class.class"));
        }

        [Theory]
        [InlineData("[Input(1, 8, 8)] [Conv2d(2147483647, 1)] [Conv2d(2147483647, 1)] public partial class Net;", "DSL008")]
        [InlineData("[Input(2147483647, 2147483647, 2147483647)] [Flatten] public partial class Net;", "DSL008")]
        [InlineData("[Input(1, 65536, 65536)] [Conv2d(65536, 1)] [Conv2d(65536, 1)] [Flatten] [Linear(2147483647)] public partial class Net;", "DSL008")]
        [InlineData("[Input(8, 8, 8)] [ResidualStage(2147483647, 8)] public partial class Net;", "DSL029")]
        [InlineData("[Input(8, 8, 8)] [BottleneckStage(1, 2147483647, Groups = 2147483647, BaseWidth = 2147483647)] public partial class Net;", "DSL008")]
        public void Extreme_values_are_diagnostics_not_crashes_or_negative_counts(string declaration, string id)
        {
            var (_, all) = Build("using Dsl;\n" + declaration);
            Assert.Contains(all, d => d.Id == id);
            Assert.Empty(OtherErrors(all));
        }

        /// <summary>Every member name of TorchSharp's Module is rejected as a layer name or compiles.</summary>
        [Fact]
        public void Every_inherited_Module_member_name_is_rejected_or_compiles()
        {
            var names = typeof(nn.Module<Tensor, Tensor>).GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy)
                .Where(m => m is not ConstructorInfo && (m is not MethodBase method || method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly)
                    && (m is not FieldInfo field || field.IsPublic || field.IsFamily || field.IsFamilyOrAssembly))
                .Select(m => m.Name).Where(n => SyntaxFacts.IsValidIdentifier(n)).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToArray();
            Assert.Contains("state_dict", names);
            var sources = names.Select((n, i) => $"[Dsl.Input(1, 4, 4)] [Dsl.Flatten(Name = \"{n}\")] public partial class N{i};").ToArray();
            var (_, all) = Build(sources);
            for (int i = 0; i < names.Length; i++)
            {
                var tree = $"Source{i}.cs";
                bool reported = all.Any(d => d.Id == "DSL013" && d.Location.SourceTree?.FilePath == tree);
                var errors = all.Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("DSL", StringComparison.Ordinal)
                    && d.Location.SourceTree?.FilePath.Contains($"N{i}.", StringComparison.Ordinal) == true).ToArray();
                Assert.True(reported || errors.Length == 0, $"Layer name '{names[i]}': not reported, and the generated code fails: {string.Join("; ", errors.Select(e => e.ToString()))}");
                Assert.True(!reported || Dsl.Generator.Model.NamePolicy.FieldProblem(names[i]) is not null, names[i]);
            }
        }

        private static readonly string[] HostileNames =
        {
            "x", "input", "y", "h", "identity", "name", "Net", "BasicBlock", "StemBlock", "ResidualBlock", "Graph", "Info", "Summary",
            "training", "forward", "register_module", "_", "conv1", "fc1", "stage1", "head", "@class", "class", "2x", "a b", "Dsl", "nn",
        };

        private static readonly string[] HostileMembers =
        {
            "", "public int fc1;", "public Net() { }", "public static string Summary() => \"\";", "public class BasicBlock { }",
            "public int x;", "public int input;", "public Net(int a) : this() { }", "public class StemBlock { }", "private int conv1() => 1;",
        };

        private static readonly int[] HostileValues = { -1, 0, 1, 2, 3, 7, 64, 65536, int.MaxValue, int.MinValue };

        private static readonly Gen<string> Value = Gen.Frequency((3, Gen.Int[1, 8].Select(v => v.ToString(CultureInfo.InvariantCulture))),
            (2, Gen.Int[0, HostileValues.Length - 1].Select(i => HostileValues[i].ToString(CultureInfo.InvariantCulture))));

        private static readonly Gen<string> NameArg = Gen.Frequency((3, Gen.Const("")),
            (2, Gen.Int[0, HostileNames.Length - 1].Select(i => ", Name = \"" + HostileNames[i] + "\"")));

        private static readonly Gen<string> Layer = Gen.OneOf(
            Gen.Select(Value, Value, NameArg).Select(t => $"[Conv2d({t.Item1}, {t.Item2}{t.Item3})]"),
            NameArg.Select(n => $"[Flatten({n.TrimStart(',', ' ')})]"),
            Gen.Select(Value, NameArg).Select(t => $"[Linear({t.Item1}{t.Item2})]"),
            NameArg.Select(n => $"[ReLU({n.TrimStart(',', ' ')})]"),
            Gen.Select(Value, Value, NameArg).Select(t => $"[ResidualStage({t.Item1}, {t.Item2}, Downsample = true{t.Item3})]"),
            Gen.Select(Value, Value, Value, NameArg).Select(t => $"[BottleneckStage({t.Item1}, {t.Item2}, Groups = {t.Item3}{t.Item4})]"),
            Gen.Select(Value, NameArg).Select(t => $"[Stem({t.Item1}, Kernel = 3{t.Item2})]"),
            Gen.Select(Value, NameArg).Select(t => $"[ClassifierHead({t.Item1}{t.Item2})]"));

        private static readonly Gen<string> Declaration =
            Gen.Select(Value, Value, Value, Layer.Array[0, 4], Gen.Int[0, HostileMembers.Length - 1])
                .Select(t => $"[Input({t.Item1}, {t.Item2}, {t.Item3})] {string.Concat(t.Item4)}\npublic partial class Net\n{{\n    {HostileMembers[t.Item5]}\n}}\n");

        /// <summary>
        /// The property: hostile names, members and extreme values never make the generator or analyzer throw, and a
        /// declaration without DSL diagnostics compiles without errors. DSL_HOSTILE_CASES sets the count (default 120).
        /// </summary>
        [Fact]
        public void Random_hostile_declarations_are_diagnosed_or_compile()
        {
            int cases = int.TryParse(Environment.GetEnvironmentVariable("DSL_HOSTILE_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 120;
            int clean = 0, diagnosed = 0;
            int from = int.TryParse(Environment.GetEnvironmentVariable("DSL_HOSTILE_FROM"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var f) ? f : 0;
            for (int i = from; i < from + cases; i++)
            {
                if (Environment.GetEnvironmentVariable("DSL_HOSTILE_TRACE") is { } trace) System.IO.File.AppendAllText(trace, i + "\n" + Declaration.Generate(new PCG((uint)i, 20261129UL), null, out _) + "\n");
                // Deterministic draws (PCG stream i), so a failure names the case that reproduces it.
                string source = "using Dsl;\n" + Declaration.Generate(new PCG((uint)i, 20261129UL), null, out _);
                var (_, all) = Build(source);
                bool hasDsl = all.Any(d => d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error);
                var inGenerated = OtherErrors(all).Where(d => d.Location.SourceTree?.FilePath.Contains("Dsl.Generator", StringComparison.Ordinal) == true).ToArray();
                Assert.True(inGenerated.Length == 0, $"Case {i}: errors inside generated code:\n{source}\n{string.Join("\n", inGenerated.Select(d => d.ToString()))}");
                if (!hasDsl)
                {
                    var other = OtherErrors(all);
                    Assert.True(other.Length == 0, $"Case {i}: no DSL diagnostic, but the code does not compile:\n{source}\n{string.Join("\n", other.Select(d => d.ToString()))}");
                    clean++;
                }
                else diagnosed++;
            }
            Assert.True(clean > 0 && diagnosed > 0, $"{clean} clean, {diagnosed} diagnosed");
        }
    }
}
