using System.Linq;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generator.CodeFixes
{
    /// <summary>DSL010: adds the missing <c>partial</c> modifier to a network class.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFix)), Shared]
    public sealed class MakePartialCodeFix() : OneDiagnosticCodeFix(Descriptors.NotPartialId)
    {
        /// <inheritdoc/>
        protected override void Register(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic)
        {
            var declaration = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault();
            if (declaration is null || declaration.Modifiers.Any(SyntaxKind.PartialKeyword)) return;
            Offer(context, diagnostic, "Make the class partial", () => root.ReplaceNode(declaration, AddPartial(declaration)));
        }

        /// <summary>Adds <c>partial</c> as the last modifier (it must come right before <c>class</c>).</summary>
        private static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax declaration)
        {
            if (declaration.Modifiers.Count == 0)
            {
                // The keyword carries the leading trivia (attributes are not trivia; comments may be).
                var keyword = declaration.Keyword;
                var partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
                return declaration.WithKeyword(keyword.WithLeadingTrivia()).WithModifiers(SyntaxFactory.TokenList(partial));
            }
            return declaration.AddModifiers(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space));
        }
    }
}
