using System.Collections.Immutable;
using Dsl.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Dsl.Generator.Diagnostics
{
    /// <summary>
    /// Explains why the generator skips a declaration: runs the generator's own parser and shape
    /// core on every class that carries [Input] or a layer attribute and reports each problem at
    /// the attribute argument responsible.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class NetworkAnalyzer : DiagnosticAnalyzer
    {
        /// <inheritdoc/>
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.All);

        /// <inheritdoc/>
        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterSymbolAction(AnalyzeType, SymbolKind.NamedType);
        }

        private static void AnalyzeType(SymbolAnalysisContext context)
        {
            if (context.Symbol is not INamedTypeSymbol type) return;
            IEnumerable<Diagnostic> diagnostics;
            try
            {
                diagnostics = Analyze(type, context.CancellationToken).ToList();
            }
            catch (System.Exception e) when (e is not System.OperationCanceledException)
            {
                // Never AD0001: an unexpected failure is this declaration's DSL016.
                diagnostics = new[] { Diagnostic.Create(Descriptors.GeneratorFailure, type.Locations.FirstOrDefault(), type.Name, "analyzing it: " + e.GetType().Name + ": " + e.Message) };
            }
            foreach (var diagnostic in diagnostics) context.ReportDiagnostic(diagnostic);
        }

        /// <summary>The diagnostics of one type: none unless it carries a DSL attribute.</summary>
        internal static IEnumerable<Diagnostic> Analyze(INamedTypeSymbol type, System.Threading.CancellationToken cancellationToken)
        {
            var attributes = type.GetAttributes();
            bool isBlock = attributes.Any(Blocks.BlockReader.IsBlockAttribute);
            if (!isBlock && !attributes.Any(a => SpecParser.IsInputAttribute(a) || SpecParser.IsLayerAttribute(a) || Init.InitRules.IsInitAttribute(a))) return Enumerable.Empty<Diagnostic>();
            // A block's shapes depend on its use and are checked there; here, once, all that needs no use (used or not).
            if (isBlock)
            {
                var own = BlockDiagnostics(type, cancellationToken);
                return attributes.Any(SpecParser.IsInputAttribute) ? own.Concat(NetworkDiagnostics(type, cancellationToken)).ToList() : own;
            }
            return NetworkDiagnostics(type, cancellationToken);
        }

        private static IEnumerable<Diagnostic> NetworkDiagnostics(INamedTypeSymbol type, System.Threading.CancellationToken cancellationToken)
        {

            var parsed = Guarded.Parse(type, cancellationToken);
            var problems = parsed.Problems;
            if (parsed.Spec is not null)
            {
                // Only the graph: writing the code is the generator's (which reports a failure to write it itself).
                problems = Guarded.Build(parsed.Spec, parsed.Problems).Problems;
            }
            return ToDiagnostics(type, problems, cancellationToken);
        }

        /// <summary>A block declaration's own problems (parameters, attributes the generator does not know), at the block.</summary>
        private static IEnumerable<Diagnostic> BlockDiagnostics(INamedTypeSymbol type, System.Threading.CancellationToken cancellationToken)
        {
            var problems = new List<Problem>();
            var layers = SpecParser.LayerAttributes(type);
            for (int i = 0; i < layers.Length; i++)
            {
                if (layers[i].AttributeClass is { } c && !Layers.LayerRegistry.Readers.ContainsKey(c.Name))
                    problems.Add(Problem.At(ProblemCode.UnknownLayer, i, null, Blocks.RawAttribute.DisplayName(c.Name), type.Name));
            }
            var block = type.GetAttributes().First(Blocks.BlockReader.IsBlockAttribute);
            var read = Blocks.BlockReader.Read(type, block, layers);
            if (read.Problem is { } why && !SpecParser.HasErrors(block)) problems.Add(Problem.At(ProblemCode.InvalidBlock, Problem.ClassName, null, type.Name, why));
            else if (read.Problem is null)
            {
                // Every expression, With entry and nested use's binding, checked here once whether or not a network uses the block.
                var used = Blocks.BlockReader.Reachable(layers, type, cancellationToken).ToDictionary(d => d.Key, System.StringComparer.Ordinal);
                used[read.Key] = read;
                problems.AddRange(Blocks.BlockChecker.Check(read, used));
            }
            // Initialisation rules apply to a network's modules: on a block they would select nothing.
            foreach (var init in Init.InitRules.Read(type.GetAttributes()))
                problems.Add(Problem.At(ProblemCode.InitMatchesNothing, Init.InitRules.LocationOf(init.Index), null, init.IsPreset ? "[InitPreset]" : "[Init(\"" + init.Target + "\")]", type.Name,
                    "rules belong on the network, whose module paths they select; move it there (a glob such as \"**.conv1\" reaches the block's layers)"));
            return ToDiagnostics(type, problems.ToEquatableArray(), cancellationToken);
        }

        private static IEnumerable<Diagnostic> ToDiagnostics(INamedTypeSymbol type, Model.EquatableArray<Problem> problems, System.Threading.CancellationToken cancellationToken)
        {
            var diagnostics = new List<Diagnostic>(problems.Count);
            foreach (var problem in problems)
            {
                if (Descriptors.For(problem.Code) is not { } descriptor) continue;
                // Reported where it is (a block's own declaration), not again at each network that uses it.
                if (problem.Argument == Blocks.ArgumentSite.Reported) continue;
                var properties = problem.Code == ProblemCode.LinearInFeaturesMismatch && problem.Args.Count > 2
                    ? ImmutableDictionary<string, string?>.Empty.Add(Descriptors.InferredInFeatures, problem.Args[2])
                    : problem.Fix is { } fix ? ImmutableDictionary<string, string?>.Empty.Add(Descriptors.Replacement, fix)
                    : null;
                diagnostics.Add(Diagnostic.Create(descriptor, ProblemLocator.Locate(type, problem, cancellationToken), properties, problem.Args.Cast<object?>().ToArray()));
            }
            return diagnostics;
        }
    }
}
