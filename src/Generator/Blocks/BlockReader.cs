using System.Collections.Immutable;
using System.Threading;
using Dsl.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace Dsl.Generator.Blocks
{
    /// <summary>
    /// Reads the <c>[Block]</c> classes a declaration uses (and the blocks those use, and their shortcuts) into
    /// <see cref="BlockDecl"/>s: plain values, so the pipeline caches them and a block's layers can be read again for
    /// every use. Blocks refer to each other by key, so a block may use itself (a When ends the recursion).
    /// </summary>
    internal static class BlockReader
    {
        public const string BlockAttributeName = "BlockAttribute";

        public static bool IsBlockAttribute(AttributeData attribute) =>
            attribute.AttributeClass is { Name: BlockAttributeName, IsGenericType: false } c && c.ContainingNamespace?.ToDisplayString() == SpecParser.Namespace;

        /// <summary>Every block reachable from <paramref name="layers"/>, in the order first met.</summary>
        public static EquatableArray<BlockDecl> Reachable(ImmutableArray<AttributeData> layers, INamedTypeSymbol network, CancellationToken cancellationToken)
        {
            var found = new Dictionary<string, BlockDecl>(System.StringComparer.Ordinal);
            var order = new List<BlockDecl>();
            var pending = new Queue<ITypeSymbol>(layers.Select(UsedBlock).OfType<ITypeSymbol>());
            while (pending.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var type = pending.Dequeue();
                string key = RawAttribute.BlockName(type);
                if (found.ContainsKey(key) || type is not INamedTypeSymbol named) continue;
                var attributes = named.GetAttributes();
                var block = attributes.FirstOrDefault(IsBlockAttribute);
                if (block is null) continue; // not a block: the use reports it
                var layerAttributes = attributes.Where(SpecParser.IsLayerAttribute).ToImmutableArray();
                var decl = Read(named, key, block, layerAttributes, attributes.Any(SpecParser.IsInputAttribute), network);
                found[key] = decl;
                order.Add(decl);
                foreach (var used in layerAttributes.Select(UsedBlock).OfType<ITypeSymbol>()) pending.Enqueue(used);
                if (Shortcut(block) is { } shortcut) pending.Enqueue(shortcut);
            }
            // What a block gets wrong whatever its use is reported at the block (by the analyzer, once); its uses only stop.
            for (int i = 0; i < order.Count; i++)
            {
                if (order[i].Problem is not null) continue;
                var problems = BlockChecker.Check(order[i], found);
                if (problems.Count > 0) order[i] = order[i] with { Problem = "its declaration has an error: " + problems[0].Args[1] };
            }
            return order.ToEquatableArray();
        }

        /// <summary>Names expressions give a meaning of their own: no parameter may have one.</summary>
        private static readonly string[] TakenNames = BlockChecker.BuiltInNames.Concat(Expression.ReservedWords).ToArray();

        private static bool Taken(string name) => TakenNames.Contains(name);

        /// <summary>
        /// A parameter that holds no operator or separator: it can be read as a name in an expression. Whether it is a name
        /// in C# and Python is <see cref="Model.NamePolicy"/>'s to say, with a legal one to use instead.
        /// </summary>
        private static bool LooksLikeName(string text) =>
            text.Trim() is { Length: > 0 } t && (char.IsLetter(t[0]) || t[0] == '_') && t.IndexOfAny("+-*/%<>=!&|?:(), ;".ToCharArray()) < 0;

        /// <summary>The block a <c>[Use&lt;T&gt;]</c> names; null for other attributes.</summary>
        public static ITypeSymbol? UsedBlock(AttributeData attribute) =>
            attribute.AttributeClass is { Name: RawAttribute.Use, IsGenericType: true, TypeArguments.Length: 1 } c ? c.TypeArguments[0] : null;

        private static ITypeSymbol? Shortcut(AttributeData block) =>
            block.NamedArguments.FirstOrDefault(p => p.Key == "Shortcut").Value is { Kind: TypedConstantKind.Type, Value: ITypeSymbol t } ? t : null;

        private static int Named0(AttributeData block, string name) =>
            block.NamedArguments.FirstOrDefault(p => p.Key == name).Value is { Kind: TypedConstantKind.Enum, Value: int value } ? value : 0;

        /// <summary>The declaration of block <paramref name="type"/> (its [Block] attribute and layer attributes).</summary>
        public static BlockDecl Read(INamedTypeSymbol type, AttributeData block, ImmutableArray<AttributeData> layers) =>
            Read(type, RawAttribute.BlockName(type), block, layers, type.GetAttributes().Any(SpecParser.IsInputAttribute), null);

        private static BlockDecl Read(INamedTypeSymbol type, string key, AttributeData block, ImmutableArray<AttributeData> layers, bool hasInput, INamedTypeSymbol? network)
        {
            string? problem = null;
            var parameters = new List<BlockParameter>();
            if (block.ConstructorArguments.Length == 1 && block.ConstructorArguments[0] is { Kind: TypedConstantKind.Array } list && !list.Values.IsDefault)
            {
                foreach (var item in list.Values)
                {
                    string text = item.Value as string ?? "";
                    var whole = new Segment(text, 0);
                    bool hasDefault = Expression.TrySplitAssignment(whole, out var nameSegment, out var fallback);
                    string name = hasDefault ? nameSegment.Text : text.Trim();
                    if (!LooksLikeName(name) || Taken(name))
                        problem ??= $"parameter '{text}' must be a name, optionally with a default ('stride = 1'); {string.Join(", ", TakenNames.Select(n => "'" + n + "'"))} are taken";
                    else if (Model.NamePolicy.ParameterProblem(name) is { } why)
                        problem ??= $"parameter '{name}' is not allowed: " + Model.NamePolicy.WithSuggestion(why, name, Model.NamePolicy.ParameterProblem, n => !Taken(n));
                    else if (parameters.Any(p => p.Name == name)) problem ??= $"parameter '{name}' is declared twice";
                    parameters.Add(hasDefault ? new BlockParameter(name, fallback.Text, fallback.Start) : new BlockParameter(name, null));
                }
            }
            if (hasInput) problem ??= "it has both [Block] and [Input]; a block takes its input from where it is used, so remove [Input]";
            if (SpecParser.HasErrors(block) || layers.Any(SpecParser.HasErrors)) problem ??= "its attributes do not compile; fix the compiler errors in the block first";
            if (layers.Length == 0) problem ??= "it has no layers; add layer attributes to the block class";
            if (Named0(block, "Parallel") is not (BlockDecl.MergeNone or BlockDecl.MergeAdd or BlockDecl.MergeConcat)) problem ??= "Parallel takes Merge.Concat or Merge.Add (branches are joined by concatenation or summed)";
            if (Named0(block, "Parallel") != BlockDecl.MergeNone && block.NamedArguments.Any(p => p.Key == "Body" && p.Value.Value is not null))
                problem ??= "Parallel branches are the block's own children and a Body is a Sequential, which runs its layers one after the other; remove Body";
            if (Named0(block, "Merge") == BlockDecl.MergeNone && Shortcut(block) is not null) problem ??= "it has a Shortcut but no Merge, so the shortcut would never run; set Merge (usually Merge.Add) or remove Shortcut";
            if (Named0(block, "Merge") == BlockDecl.MergeNone && block.NamedArguments.Any(p => p.Key == "MergeWhen" && p.Value.Value is not null)) problem ??= "it has a MergeWhen but no Merge; set Merge or remove MergeWhen";
            if (Named0(block, "Merge") is not (BlockDecl.MergeNone or BlockDecl.MergeAdd or BlockDecl.MergeConcat or BlockDecl.MergeMultiply)) problem ??= "Merge takes Merge.None, Merge.Add, Merge.Concat or Merge.Multiply";

            T Named<T>(string name, T fallback) =>
                block.NamedArguments.FirstOrDefault(p => p.Key == name).Value is { Kind: not TypedConstantKind.Array, Value: T value } ? value : fallback;
            string? shortcut = Shortcut(block) is { } s ? RawAttribute.BlockName(s) : null;
            return new BlockDecl(key, type.Name, parameters.ToEquatableArray(), Named("Merge", 0), Named<string?>("MergeWhen", null), Named<string?>("Body", null),
                shortcut, Named("ShortcutName", "shortcut"), layers.Select(l => RawAttribute.From(l, network)).ToEquatableArray(), problem, Named("Parallel", 0));
        }
    }
}
