using System;
using System.IO;
using System.Linq;
using Dsl.Generator.Emit;
using Dsl.Generator.Graph;
using Dsl.Runtime.Graph;
using Xunit;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// The forward-step operations are written by the generator (GraphJson) and read by the runtime (GraphOps): every
    /// operation the generator can write is one the runtime reads, every one the runtime reads is written, and the graph
    /// format's page documents each.
    /// </summary>
    public class GraphOperationTests
    {
        private static readonly string[] Written = Enum.GetValues(typeof(StepOp)).Cast<StepOp>().Select(GraphJson.Op).Distinct().ToArray();

        [Fact]
        public void Every_operation_the_generator_writes_is_one_the_runtime_reads_and_no_other()
        {
            foreach (string op in Written)
                Assert.Equal(op, GraphOps.Name(GraphOps.Parse(op)));
            Assert.Equal(GraphOps.Names.OrderBy(n => n, StringComparer.Ordinal), Written.OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void The_graph_format_page_documents_every_operation()
        {
            string page = File.ReadAllText(Path.Combine(DiagnosticHarness.RepoRoot, "docs", "graph-format.md"));
            foreach (string op in GraphOps.Names)
                Assert.Contains($"| `{op}` |", page);
        }

        [Fact]
        public void The_graph_constant_is_one_module_per_line()
        {
            var run = Harness.Run("""
                using Dsl;
                namespace N;
                /// <summary>A convolution and its activation.</summary>
                [Block("c")] [Conv2d(1, 3, Padding = 1, With = "OutChannels = c")] [ReLU]
                public partial class ConvRelu;
                /// <summary>Two of them and a head.</summary>
                [Input(1, 8, 8)] [Use<ConvRelu>(4)] [Use<ConvRelu>(8)] [Flatten] [Linear(2)]
                public partial class Net;
                """);
            Assert.Empty(run.WarningsAndErrors);
            Assert.Contains("public const string Graph = \"\"\"", run.Sources["N.Net.Info.g.cs"]);
            // One line per module (the network, two blocks and their two layers each, flatten, linear: 9) and one per
            // forward (the network's: blocks without a merge are Sequentials, which have none).
            string[] lines = Graph(run).Split('\n');
            Assert.Equal(9, lines.Count(l => l.TrimStart().StartsWith("{\"name\":", StringComparison.Ordinal)));
            Assert.Equal(1, lines.Count(l => l.TrimStart().StartsWith("\"body\":", StringComparison.Ordinal)));
        }

        [Fact]
        public void Before_CSharp_11_the_graph_constant_is_one_escaped_literal_with_the_same_value()
        {
            const string source = """
                using Dsl;
                namespace N
                {
                    /// <summary>A network without C# 11 syntax (no generic attributes, a class body).</summary>
                    [Input(1, 8, 8)] [Conv2d(4, 3)] [ReLU] [Flatten] [Linear(2)]
                    public partial class Net { }
                }
                """;
            var latest = Harness.Run(source);
            var older = Harness.Run(new Microsoft.CodeAnalysis.CSharp.CSharpParseOptions(Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp10,
                Microsoft.CodeAnalysis.DocumentationMode.Diagnose), source);
            Assert.Empty(latest.WarningsAndErrors);
            Assert.Empty(older.WarningsAndErrors);
            Assert.Equal(Graph(latest), Graph(older));
            Assert.DoesNotContain("\"\"\"", older.Sources["N.Net.Info.g.cs"]);
        }

        private static string Graph(Harness.GeneratorRun run) =>
            (string)run.Output.GetTypeByMetadataName("N.Net")!.GetMembers("Graph").OfType<Microsoft.CodeAnalysis.IFieldSymbol>().Single().ConstantValue!;

        [Fact]
        public void An_unknown_operation_is_refused_with_the_known_ones()
        {
            var e = Assert.Throws<FormatException>(() => GraphOps.Parse("gelu"));
            Assert.Equal("forward step 'gelu' is not an operation this runtime knows (" + string.Join(", ", GraphOps.Names) + ").", e.Message);
        }
    }
}
