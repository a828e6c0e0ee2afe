using System.Threading;
using Dsl.Generator.Emit;
using Dsl.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generator
{
    /// <summary>
    /// Turns every partial class marked <c>[Input]</c> into a TorchSharp module:
    /// find the class -> parse its attributes -> build the network graph -> emit C#.
    /// A declaration with problems gets a stub module (the analyzer says why); one that cannot hold generated code
    /// (not partial, generic, ...) gets nothing. Each declaration is guarded: whatever one does, the others' code stays.
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
                    transform: static (ctx, ct) => IsPrimaryDeclaration(ctx) ? Guarded.Parse((INamedTypeSymbol)ctx.TargetSymbol, ct) : null)
                .Where(static result => result is { Spec: not null } && result.Problems.All(p => p.AllowsStub))
                .WithTrackingName(Steps.Parse);

            var analyzed = parsed
                .Select(static (result, _) => Guarded.Build(result!.Spec!, result.Problems))
                .WithTrackingName(Steps.Analyze);

            var buildable = analyzed
                .Where(static model => model.CanEmit)
                .WithTrackingName(Steps.Buildable);

            // The graph constant is a raw string literal (one line per module) where the project's C# has them.
            var rawStrings = context.ParseOptionsProvider
                .Select(static (options, _) => options is CSharpParseOptions c && c.LanguageVersion >= LanguageVersion.CSharp11);

            context.RegisterSourceOutput(buildable.Combine(rawStrings), static (spc, input) =>
            {
                var (model, raw) = input;
                // Emission is pure and guarded: should it fail, this network alone is skipped and DSL016 says why
                // (reported here, the one place that writes the code, so the analyzer never has to write it too).
                var files = Guarded.Emit(model, raw, out var failure);
                if (files is not null)
                {
                    try
                    {
                        foreach (var (hint, text) in files) spc.AddSource(hint, text);
                    }
                    catch (ArgumentException e)
                    {
                        failure = e; // a hint name the compiler refuses
                    }
                }
                if (failure is not null)
                {
                    spc.ReportDiagnostic(Diagnostic.Create(Diagnostics.Descriptors.GeneratorFailure, Location.None,
                        model.Spec.ClassName, "writing its code: " + failure.GetType().Name + ": " + failure.Message));
                }
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

    /// <summary>
    /// The generator's and analyzer's steps behind a guard: an unexpected exception in one declaration becomes a
    /// DSL016 problem for that declaration instead of failing the generator (which would drop every network's code).
    /// </summary>
    internal static class Guarded
    {
        public static ParseResult Parse(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            try
            {
                return SpecParser.Parse(type, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new ParseResult(null, new EquatableArray<Problem>(new[] { Failure(type.Name, "reading its attributes", e) }));
            }
        }

        public static NetworkModel Build(NetworkSpec spec, EquatableArray<Problem> structural)
        {
            try
            {
                return NetworkGraph.Build(spec, structural);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var empty = GraphNode.Dims();
                var root = new GraphNode(spec.ClassName, "", spec.ClassName, -1, empty, empty, 0, 0, NodeForm.Block, spec.ClassName,
                    EquatableArray<LeafArg>.Empty, EquatableArray<BlockParam>.Empty, EquatableArray<GraphNode>.Empty, EquatableArray<Step>.Empty, "input", null, false);
                return new NetworkModel(spec, root, new EquatableArray<Problem>(new[] { Failure(spec.ClassName, "building its graph", e) }));
            }
        }

        /// <summary>The generated files (hint name, text), or null and the <paramref name="failure"/> when emission failed.</summary>
        public static (string Hint, string Text)[]? Emit(NetworkModel model, bool rawStrings, out Exception? failure)
        {
            failure = null;
            try
            {
                if (model.HasErrors) return new[] { (ModuleEmitter.HintName(model.Spec), StubEmitter.Emit(model)) };
                // The block classes are planned once, for the module and for the graph JSON in the facts file.
                var classes = BlockClasses.For(model);
                return new[] { (ModuleEmitter.HintName(model.Spec), ModuleEmitter.Emit(model, classes)), (InfoEmitter.HintName(model.Spec), InfoEmitter.Emit(model, classes, rawStrings)) };
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failure = e;
                return null;
            }
        }

        public static Problem Failure(string className, string step, Exception e) =>
            Problem.At(ProblemCode.GeneratorFailure, Problem.ClassName, null, className, step + ": " + e.GetType().Name + ": " + e.Message);
    }
}
