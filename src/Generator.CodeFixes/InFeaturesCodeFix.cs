using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generator.CodeFixes
{
    /// <summary>DSL003: replaces a wrong <c>InFeatures = n</c> on a Linear layer with the inferred value.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InFeaturesCodeFix)), Shared]
    public sealed class InFeaturesCodeFix() : OneDiagnosticCodeFix(Descriptors.LinearInFeaturesMismatchId)
    {
        /// <inheritdoc/>
        protected override void Register(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.TryGetValue(Descriptors.InferredInFeatures, out var text)
                || !int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int inferred)) return;
            if (root.FindNode(diagnostic.Location.SourceSpan) is not AttributeArgumentSyntax { NameEquals: not null } argument) return;
            var literal = SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(inferred))
                .WithTriviaFrom(argument.Expression);
            Offer(context, diagnostic, $"Set InFeatures = {text}", () => root.ReplaceNode(argument.Expression, literal));
        }
    }
}
