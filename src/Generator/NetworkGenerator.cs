using System.Linq;
using Dsl.Generator.Emit;
using Dsl.Generator.Parsing;
using Dsl.Generator.Graph;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generator
{
    /// <summary>
    /// Turns every partial class marked <c>[Input]</c> into a TorchSharp module:
    /// find the class -> parse its attributes -> infer shapes -> emit C#.
    /// A declaration with problems is skipped; the analyzer reports why.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class NetworkGenerator : IIncrementalGenerator
    {
        /// <summary>Names of the pipeline steps, for incremental-caching tests.</summary>
        public static class Steps
        {
            public const string Parse = "Dsl.Parse";
            public const string Analyze = "Dsl.Analyze";
            public const string Buildable = "Dsl.Buildable";
        }

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var parsed = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    SpecParser.InputAttributeName,
                    predicate: static (node, _) => node is ClassDeclarationSyntax,
                    transform: static (ctx, ct) => IsPrimaryDeclaration(ctx) ? SpecParser.Parse((INamedTypeSymbol)ctx.TargetSymbol, ct) : null)
                .Where(static result => result is { Spec: not null, Problems.Count: 0 })
                .WithTrackingName(Steps.Parse);

            var analyzed = parsed
                .Select(static (result, _) => NetworkGraph.Build(result!.Spec!))
                .WithTrackingName(Steps.Analyze);

            var buildable = analyzed
                .Where(static model => !model.HasErrors)
                .WithTrackingName(Steps.Buildable);

            context.RegisterSourceOutput(buildable, static (spc, model) =>
            {
                spc.AddSource(ModuleEmitter.HintName(model.Spec), ModuleEmitter.Emit(model));
                spc.AddSource(InfoEmitter.HintName(model.Spec), InfoEmitter.Emit(model));
            });
        }

        /// <summary>
        /// A class with <c>[Input]</c> repeated on several partial parts is a compiler error; emit
        /// once, from the part that holds the first <c>[Input]</c>, so hint names stay unique.
        /// </summary>
        private static bool IsPrimaryDeclaration(GeneratorAttributeSyntaxContext ctx)
        {
            var first = ctx.TargetSymbol.GetAttributes().FirstOrDefault(SpecParser.IsInputAttribute)?.ApplicationSyntaxReference;
            return first is not null && first.SyntaxTree == ctx.TargetNode.SyntaxTree && ctx.TargetNode.Span.Contains(first.Span);
        }
    }
}
