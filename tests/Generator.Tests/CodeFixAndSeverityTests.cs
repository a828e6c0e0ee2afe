using System.Linq;
using System.Threading.Tasks;
using Dsl.Generator.CodeFixes;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Dsl.Generator.Tests
{
    /// <summary>The code fixes (applied in a workspace) and .editorconfig severities.</summary>
    public class CodeFixAndSeverityTests
    {
        private const string WrongInFeatures = "using Dsl;\n[Input(1, 28, 28)] [Conv2d(6, 5)] [Flatten]\n[Linear(10, InFeatures = 500, Bias = false)]\npublic partial class Net;\n";

        [Fact]
        public async Task DSL003_Fix_WritesTheInferredInFeatures()
        {
            var text = await WorkspaceHarness.ApplyFixAsync(WrongInFeatures, "DSL003", new InFeaturesCodeFix());
            Assert.Equal(WrongInFeatures.Replace("InFeatures = 500", "InFeatures = 3456"), text);
        }

        [Theory]
        [InlineData("public class Plain;", "public partial class Plain;")]
        [InlineData("class Plain { }", "partial class Plain { }")]
        [InlineData("internal sealed class Plain { }", "internal sealed partial class Plain { }")]
        public async Task DSL010_Fix_AddsPartial(string declaration, string expected)
        {
            const string Head = "using Dsl;\n[Input(1, 8, 8)] [Flatten] [Linear(4)]\n";
            var text = await WorkspaceHarness.ApplyFixAsync(Head + declaration + "\n", "DSL010", new MakePartialCodeFix());
            Assert.Equal(Head + expected + "\n", text);
        }

        [Theory]
        [InlineData("[Block(\"k\")] [Conv2d(4, 1, With = \"Padding = 0; KernelSize = k\")] public partial class B;\n", "KernelSize = k", "Kernel = k")]
        [InlineData("[Input(1, 8, 8)] [Conv2d(4, 1, With = @\"Strid = 2\")] [Flatten] [Linear(2)] public partial class Net;\n", "Strid = 2", "Stride = 2")]
        [InlineData("[Block(\"c\", \"stride = 1\")] [Conv2d(\"c\", 3, With = \"Stride = stride\")] public partial class C;\n[Block] [Use<C>(4, \"strde = 2\")] public partial class B;\n", "strde = 2", "stride = 2")]
        public async Task DSL018_Fix_ReplacesAMisspelledNameWithTheNearest(string declaration, string wrong, string right)
        {
            const string Head = "using Dsl;\n";
            var text = await WorkspaceHarness.ApplyFixAsync(Head + declaration, "DSL018", new MisspelledNameCodeFix());
            Assert.Equal(Head + declaration.Replace(wrong, right), text);
        }

        [Theory]
        [InlineData(null, DiagnosticSeverity.Error)]
        [InlineData("error", DiagnosticSeverity.Error)]
        [InlineData("warning", DiagnosticSeverity.Warning)]
        [InlineData("suggestion", DiagnosticSeverity.Info)]
        [InlineData("none", null)]
        public async Task Severity_IsConfigurableInEditorConfig(string? setting, DiagnosticSeverity? expected)
        {
            string? config = setting is null ? null : "root = true\n\n[*.cs]\ndotnet_diagnostic.DSL003.severity = " + setting + "\n";
            using var workspace = new AdhocWorkspace();
            // DSL003 and DSL005 in one network: only DSL003 is configured.
            var source = WrongInFeatures.Replace("public partial class Net;", "public partial class Net;\n[Input(1, 8, 8)] [Linear(4)] public partial class Other;");
            var document = WorkspaceHarness.Document(workspace, source, config);
            var diagnostics = await WorkspaceHarness.AnalyzeAsync(document.Project);
            var dsl003 = diagnostics.Where(d => d.Id == "DSL003").ToArray();
            if (expected is null)
            {
                Assert.Empty(dsl003);
            }
            else
            {
                Assert.Equal(expected, Assert.Single(dsl003).Severity);
            }
            Assert.Equal(DiagnosticSeverity.Error, Assert.Single(diagnostics, d => d.Id == "DSL005").Severity);
        }
    }
}
