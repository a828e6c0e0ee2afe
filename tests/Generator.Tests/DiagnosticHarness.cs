using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Dsl.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generator.Tests
{
    /// <summary>Compiles test sources against the attributes and runs the analyzer on them.</summary>
    internal static class DiagnosticHarness
    {
        public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

        public static ImmutableArray<MetadataReference> References => Harness.References;

        public static CSharpCompilation Compile(params string[] sources) =>
            CSharpCompilation.Create(
                "Test" + Guid.NewGuid().ToString("N"),
                sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"/src/Net{i}.cs")),
                References,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        /// <summary>The analyzer's diagnostics, sorted by position.</summary>
        public static ImmutableArray<Diagnostic> Analyze(Compilation compilation, AnalyzerOptions? options = null)
        {
            var withAnalyzers = compilation.WithAnalyzers(
                ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer()),
                new CompilationWithAnalyzersOptions(options ?? new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false));
            var diagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult();
            return diagnostics.OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
        }

        /// <summary>Analyzer diagnostics plus AD0001 (analyzer exceptions), which surface among the compilation's own.</summary>
        public static ImmutableArray<Diagnostic> AnalyzeAll(Compilation compilation)
        {
            var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer()));
            return withAnalyzers.GetAllDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        /// <summary>
        /// Strips markup from <paramref name="markup"/>: <c>[|text|]</c> marks a span. Returns the
        /// plain source and the spans in order.
        /// </summary>
        public static (string Source, List<TextSpan> Spans) Markup(string markup)
        {
            var text = new StringBuilder();
            var spans = new List<TextSpan>();
            var open = new Stack<int>();
            for (int i = 0; i < markup.Length; i++)
            {
                if (string.CompareOrdinal(markup, i, "[|", 0, 2) == 0) { open.Push(text.Length); i++; continue; }
                if (string.CompareOrdinal(markup, i, "|]", 0, 2) == 0) { int start = open.Pop(); spans.Add(TextSpan.FromBounds(start, text.Length)); i++; continue; }
                text.Append(markup[i]);
            }
            if (open.Count != 0) throw new ArgumentException("Unclosed [| in markup");
            spans.Sort((a, b) => a.Start.CompareTo(b.Start));
            return (text.ToString(), spans);
        }

        /// <summary>The repository root (the folder holding Dsl.sln).</summary>
        /// <summary>
        /// Runs the analyzer on <paramref name="markup"/> (a whole source, [| |] marking the expected spans) and checks it
        /// reports exactly <paramref name="expected"/> as errors, one per marked span, in order: id, span and message.
        /// </summary>
        public static void Verify(string markup, params (string Id, string Message)[] expected)
        {
            var (source, spans) = Markup(markup);
            var compilation = Compile(source);
            Xunit.Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            var diagnostics = Analyze(compilation);
            Xunit.Assert.True(diagnostics.Length == expected.Length, "Expected " + expected.Length + " diagnostics, got:\n" + string.Join("\n", diagnostics.Select(Render)));
            Xunit.Assert.Equal(expected.Length, spans.Count);
            for (int i = 0; i < expected.Length; i++)
            {
                var d = diagnostics[i];
                Xunit.Assert.Equal(expected[i].Id, d.Id);
                Xunit.Assert.Equal(DiagnosticSeverity.Error, d.Severity);
                Xunit.Assert.Equal(source.Substring(spans[i].Start, spans[i].Length), source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
                Xunit.Assert.Equal(spans[i], d.Location.SourceSpan);
                Xunit.Assert.Equal(expected[i].Message, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        public static string RepoRoot => Harness.RepoRoot;

        public static string Render(Diagnostic d) =>
            $"{d.Id} {d.Location.GetLineSpan().StartLinePosition} '{d.Location.SourceTree?.ToString().Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)}': {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}
