using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Dsl.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generator.CodeFixes
{
    /// <summary>DSL003: replaces a wrong <c>InFeatures = n</c> on a Linear layer with the inferred value.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InFeaturesCodeFix)), Shared]
    public sealed class InFeaturesCodeFix : OneDiagnosticCodeFix
    {
        public InFeaturesCodeFix() : base(Descriptors.LinearInFeaturesMismatchId) { }

        /// <inheritdoc/>
        protected override void Register(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.TryGetValue(Descriptors.InferredInFeatures, out var text)
                || !int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int inferred)) return;
            if (root.FindNode(diagnostic.Location.SourceSpan) is not AttributeArgumentSyntax { NameEquals: not null } argument) return;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Set InFeatures = {text}",
                    ct => Replace(context.Document, root, argument, inferred, ct),
                    equivalenceKey: nameof(InFeaturesCodeFix)),
                diagnostic);
        }

        private static Task<Document> Replace(Document document, SyntaxNode root, AttributeArgumentSyntax argument, int inferred, CancellationToken cancellationToken)
        {
            var literal = SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(inferred))
                .WithTriviaFrom(argument.Expression);
            return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(argument.Expression, literal)));
        }
    }
}
