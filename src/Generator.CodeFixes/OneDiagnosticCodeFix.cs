using System;
using System.Collections.Immutable;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeActions;

namespace Dsl.Generator.CodeFixes
{
    /// <summary>
    /// A code fix for one diagnostic id, fixed all at once in a batch: each reported diagnostic is offered what
    /// <see cref="Register"/> finds for it in the document's syntax tree.
    /// </summary>
    public abstract class OneDiagnosticCodeFix : CodeFixProvider
    {
        protected OneDiagnosticCodeFix(string id) => FixableDiagnosticIds = ImmutableArray.Create(id);

        /// <inheritdoc/>
        public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

        /// <inheritdoc/>
        public sealed override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc/>
        public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null) return;
            foreach (var diagnostic in context.Diagnostics) Register(context, root, diagnostic);
        }

        /// <summary>Registers the fix of <paramref name="diagnostic"/>, when the code at its location has one.</summary>
        protected abstract void Register(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic);

        /// <summary>
        /// Offers the fix <paramref name="title"/> for <paramref name="diagnostic"/>: the document with the syntax root
        /// <paramref name="fixedRoot"/> makes. Fixes with the same <paramref name="variant"/> (a replacement's text) are
        /// applied together by Fix All.
        /// </summary>
        protected void Offer(CodeFixContext context, Diagnostic diagnostic, string title, Func<SyntaxNode> fixedRoot, string variant = "")
        {
            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(title, _ => Task.FromResult(document.WithSyntaxRoot(fixedRoot())), equivalenceKey: GetType().Name + variant),
                diagnostic);
        }
    }
}
