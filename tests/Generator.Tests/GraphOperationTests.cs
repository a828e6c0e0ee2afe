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
        public void An_unknown_operation_is_refused_with_the_known_ones()
        {
            var e = Assert.Throws<FormatException>(() => GraphOps.Parse("gelu"));
            Assert.Equal("forward step 'gelu' is not an operation this runtime knows (" + string.Join(", ", GraphOps.Names) + ").", e.Message);
        }
    }
}
