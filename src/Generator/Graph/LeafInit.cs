using System.Reflection;

namespace Dsl.Generator.Graph
{
    /// <summary>
    /// A module or parameter an <c>[Init]</c> rule can select: its state_dict path, its module kind (null for a
    /// parameter), its weight's rank (a scheme that needs fans needs at least 2), and whether it is a parameter.
    /// </summary>
    internal sealed record InitTarget(string Path, string? Kind, int WeightRank, bool IsParameter);

    /// <summary>
    /// What <c>[Init]</c> selects in a leaf with parameters, as its kind declares it where it adds the leaf
    /// (<see cref="GraphBuilder.Leaf"/>, argument <c>init</c>): the module and parameters a rule reaches by path, and
    /// <see cref="Kind"/>, the module class a rule may name as a kind (null: reached by path only). The kinds a rule can
    /// name (<see cref="NamedKinds"/>) are collected from the declarations, so no list of kinds is kept by hand. A leaf
    /// with parameters without a declaration fails KindChecklistTests. A record compares by value, so the graph stays
    /// comparable for the incremental generator.
    /// </summary>
    internal abstract record LeafInit(string? Kind)
    {
        /// <summary>
        /// A module with one <c>weight</c> of rank <paramref name="weightRank"/> and a <c>bias</c> (unless its <c>bias</c>
        /// argument is false) that a rule may name by its kind <paramref name="kind"/> (convolutions, Linear, norms).
        /// </summary>
        public static LeafInit Named(string kind, int weightRank) => new WeightAndBias(kind, weightRank);

        /// <summary>
        /// A module with one <c>weight</c> of rank <paramref name="weightRank"/> and no bias (an embedding table) that
        /// rules reach by path only.
        /// </summary>
        public static LeafInit ByPath(int weightRank) => new WeightAndBias(null, weightRank, CanHaveBias: false);

        /// <summary>The targets <paramref name="node"/> offers rules, as <c>named_modules</c> and <c>named_parameters</c> list them.</summary>
        public abstract IEnumerable<InitTarget> Targets(GraphNode node);

        /// <summary>Whether the leaf has a bias: its <c>bias</c> (TorchSharp's Linear: <c>hasBias</c>) argument is not false.</summary>
        protected static bool HasBias(GraphNode node) => !node.Args.Any(a => (a.Name == "bias" || a.Name == "hasBias") && a.Value == "false");

        /// <summary>The module itself (by its module class), its weight and, where it has one, its bias.</summary>
        private sealed record WeightAndBias(string? Kind, int WeightRank, bool CanHaveBias = true) : LeafInit(Kind)
        {
            public override IEnumerable<InitTarget> Targets(GraphNode node)
            {
                yield return new InitTarget(node.Path, node.ModuleType, WeightRank, false);
                yield return new InitTarget(node.Path + ".weight", null, WeightRank, true);
                if (CanHaveBias && HasBias(node)) yield return new InitTarget(node.Path + ".bias", null, 1, true);
            }
        }

        /// <summary>
        /// The module kinds a rule may name, in alphabetical order: every <see cref="Kind"/> of the declarations the kinds
        /// keep in static fields of their files (found by reflection, as <see cref="Layers.LayerRegistry"/> finds readers).
        /// </summary>
        public static IReadOnlyList<string> NamedKinds => Declared.Value;

        private static readonly Lazy<IReadOnlyList<string>> Declared = new(() =>
        {
            Type[] types;
            try
            {
                types = typeof(LeafInit).Assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException e)
            {
                types = e.Types.Where(t => t is not null).ToArray()!; // the kinds load with the generator itself
            }
            return types.Where(t => !t.ContainsGenericParameters)
                .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
                .Where(f => typeof(LeafInit).IsAssignableFrom(f.FieldType))
                .Select(f => (f.GetValue(null) as LeafInit)?.Kind)
                .Where(k => k is not null).Select(k => k!)
                .Distinct().OrderBy(k => k, StringComparer.Ordinal).ToArray();
        });
    }
}
