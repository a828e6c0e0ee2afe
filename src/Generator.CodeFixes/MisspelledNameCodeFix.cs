
namespace Dsl.Generator.CodeFixes
{
    /// <summary>
    /// DSL018 at a name the attribute or block does not have (<c>With = "KernelSize = 3"</c> on a Conv2d,
    /// <c>[Use&lt;B&gt;("stide = 2")]</c>): replaces the name, inside the string, with the nearest one the diagnostic names.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MisspelledNameCodeFix)), Shared]
    public sealed class MisspelledNameCodeFix() : OneDiagnosticCodeFix(Descriptors.InvalidBlockId)
    {
        /// <inheritdoc/>
        protected override void Register(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.TryGetValue(Descriptors.Replacement, out var replacement) || string.IsNullOrEmpty(replacement)) return;
            var span = diagnostic.Location.SourceSpan;
            var token = root.FindToken(span.Start);
            // The diagnostic is on a piece of a plain string literal, where each character of the value is one of the source.
            if (!token.IsKind(SyntaxKind.StringLiteralToken) || !token.Span.Contains(span)) return;
            int open = token.Text.StartsWith("@\"", System.StringComparison.Ordinal) ? 2 : 1;
            if (token.Text.Length != token.ValueText.Length + open + 1) return;
            int at = span.Start - token.SpanStart - open;
            string value = token.ValueText.Substring(0, at) + replacement + token.ValueText.Substring(at + span.Length);
            string text = token.Text.Substring(0, span.Start - token.SpanStart) + replacement + token.Text.Substring(span.End - token.SpanStart);
            string name = token.ValueText.Substring(at, span.Length);
            var literal = SyntaxFactory.Literal(token.LeadingTrivia, text, value, token.TrailingTrivia);
            Offer(context, diagnostic, $"Change '{name}' to '{replacement}'", () => root.ReplaceToken(token, literal), replacement!);
        }
    }
}
