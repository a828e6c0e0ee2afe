using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Dsl.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Dsl.Generator.Tests
{
    /// <summary>A one-document project in an <see cref="AdhocWorkspace"/>, optionally with an .editorconfig, as an IDE sees it.</summary>
    internal static class WorkspaceHarness
    {
        public static Document Document(AdhocWorkspace workspace, string source, string? editorConfig = null)
        {
            var projectId = ProjectId.CreateNewId();
            var solution = workspace.CurrentSolution
                .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "Nets", "Nets", LanguageNames.CSharp,
                    filePath: "/src/Nets.csproj",
                    compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary),
                    parseOptions: DiagnosticHarness.ParseOptions,
                    metadataReferences: DiagnosticHarness.References));
            var documentId = DocumentId.CreateNewId(projectId);
            solution = solution.AddDocument(documentId, "Net.cs", SourceText.From(source), filePath: "/src/Net.cs");
            if (editorConfig is not null)
            {
                solution = solution.AddAnalyzerConfigDocument(DocumentId.CreateNewId(projectId), ".editorconfig", SourceText.From(editorConfig), filePath: "/src/.editorconfig");
            }
            Assert.True(workspace.TryApplyChanges(solution));
            return workspace.CurrentSolution.GetDocument(documentId)!;
        }

        public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Project project)
        {
            var compilation = (await project.GetCompilationAsync().ConfigureAwait(false))!;
            return await compilation
                .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer()), project.AnalyzerOptions)
                .GetAnalyzerDiagnosticsAsync(CancellationToken.None).ConfigureAwait(false);
        }

        /// <summary>Applies the only fix <paramref name="provider"/> offers for the only diagnostic with <paramref name="id"/>; returns the new text.</summary>
        public static async Task<string> ApplyFixAsync(string source, string id, CodeFixProvider provider)
        {
            using var workspace = new AdhocWorkspace();
            var document = Document(workspace, source);
            var diagnostic = Assert.Single((await AnalyzeAsync(document.Project).ConfigureAwait(false)).Where(d => d.Id == id));
            var actions = new List<CodeAction>();
            var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
            await provider.RegisterCodeFixesAsync(context).ConfigureAwait(false);
            var action = Assert.Single(actions);
            var operations = await action.GetOperationsAsync(CancellationToken.None).ConfigureAwait(false);
            var apply = Assert.Single(operations.OfType<ApplyChangesOperation>());
            var fixedDocument = apply.ChangedSolution.GetDocument(document.Id)!;
            var text = (await fixedDocument.GetTextAsync().ConfigureAwait(false)).ToString();
            var after = await AnalyzeAsync(fixedDocument.Project).ConfigureAwait(false);
            Assert.DoesNotContain(after, d => d.Id == id);
            return text;
        }
    }
}
