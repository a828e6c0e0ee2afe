using System;
using System.Diagnostics;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// The work budget of a declaration (DSL029): every module, block use (inlined ones included) and expression
    /// evaluation counts, so recursive blocks with fan-out end quickly with a diagnostic at the use that goes over it,
    /// and declarations within it build as before.
    /// </summary>
    public class WorkBudgetTests
    {
        private const string Usings = "using Dsl;\nnamespace Nets;\n";

        /// <summary>Generator and analyzer over <paramref name="source"/>, timed: no exception; the DSL errors.</summary>
        private static (Diagnostic[] Dsl, TimeSpan Took) Build(string source)
        {
            var watch = Stopwatch.StartNew();
            var run = Harness.Run(source);
            var all = DiagnosticHarness.AnalyzeAll(run.Output);
            watch.Stop();
            Assert.Empty(run.GeneratorDiagnostics);
            Assert.DoesNotContain(all, d => d.Id is "AD0001" or "CS8785" or "DSL016");
            var other = all.Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("DSL", StringComparison.Ordinal)).ToArray();
            Assert.True(other.Length == 0, string.Join("\n", other.Select(d => d.ToString())));
            return (all.Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal)).ToArray(), watch.Elapsed);
        }

        /// <summary>A block that inlines itself <paramref name="fanOut"/> times per level until d reaches 0: fanOut^d uses, no module of their own.</summary>
        private static string InlinedRecursion(int fanOut) =>
            "[Block(\"d\", Merge = Merge.Add)] "
            + string.Concat(Enumerable.Repeat("[Use<Rec>(\"d - 1\", When = \"d > 0\", Inline = true)] ", fanOut))
            + "public partial class Rec;\n";

        [Theory]
        [InlineData(10, 15)]
        [InlineData(4, 15)]
        [InlineData(2, 15)]
        public void Recursive_inlined_blocks_with_fan_out_end_at_the_budget(int fanOut, int depth)
        {
            var (dsl, took) = Build(Usings + InlinedRecursion(fanOut) + $"[Input(2, 8, 8)] [Use<Rec>({depth})] [Flatten] [Linear(2)] public partial class Net;\n");
            var only = Assert.Single(dsl);
            Assert.Equal("DSL029", only.Id);
            Assert.StartsWith("Building this layer expands the network beyond 100000 steps of work at 'rec1", only.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(took < TimeSpan.FromSeconds(60), $"took {took}");
        }

        /// <summary>
        /// Every use inlined into the network itself, four per level: each inlined layer's automatic name was found by
        /// trying every name taken so far, so reaching the budget took minutes; now the budget ends it in about a second.
        /// The bound here is a hang guard, far above that.
        /// </summary>
        [Fact]
        public void Recursion_inlined_into_the_network_ends_at_the_budget()
        {
            var (dsl, took) = Build(Usings + "[Block(\"d\")] [ReLU] [Use<R0>(\"d - 2\", When = \"d > 0\", Inline = true)] [Use<R0>(\"d - 1\", When = \"d > 1\", Inline = true)] "
                + "[Use<R0>(\"d - 1\", When = \"d > 0\", Inline = true)] [Use<R0>(\"d - 1\", When = \"d > 0\", Inline = true)] [Conv2d(2, 1)] public partial class R0;\n"
                + "[Input(2, 4, 4)] [Use<R0>(14, Inline = true)] [Flatten] [Linear(2)] public partial class Net;\n");
            Assert.Equal("DSL029", Assert.Single(dsl).Id);
            Assert.True(took < TimeSpan.FromSeconds(60), $"took {took}");
        }

        [Fact]
        public void Within_the_budget_recursion_still_builds()
        {
            var (dsl, _) = Build(Usings + InlinedRecursion(2) + "[Input(2, 8, 8)] [Use<Rec>(6)] [Flatten] [Linear(2)] public partial class Net;\n");
            Assert.Empty(dsl);
        }

        [Fact]
        public void The_use_that_exceeds_the_budget_is_the_one_reported() => DiagnosticHarness.Verify(
            Usings + InlinedRecursion(10) + "[Input(2, 8, 8)] [Use<Rec>(1)] [[|Use<Rec>(15)|]] [Flatten] [Linear(2)] public partial class Net;\n",
            ("DSL029", "Building this layer expands the network beyond 100000 steps of work at 'rec2' (modules, block uses and expression evaluations); a block that uses itself needs a When that ends the recursion in fewer levels or with fewer uses per level, and a stage needs fewer blocks"));

        [Fact]
        public void A_stage_of_too_many_blocks_is_the_same_budget() => DiagnosticHarness.Verify(
            Usings + "[Input(8, 8, 8)] [[|ResidualStage(2147483647, 8)|]] public partial class Net;\n",
            ("DSL029", "Building this layer expands the network beyond 100000 steps of work at 'stage1.20000' (modules, block uses and expression evaluations); a block that uses itself needs a When that ends the recursion in fewer levels or with fewer uses per level, and a stage needs fewer blocks"));

        [Fact]
        public void DSL029_page_examples_match_the_analyzer() => new DocsTests().Page_Examples_MatchTheAnalyzer("DSL029");
    }
}
