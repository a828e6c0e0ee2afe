using Dsl.Generator.Blocks.Language;

namespace Dsl.Generator.Blocks
{
    /// <summary>
    /// <c>[LayerKind("act")]</c>: the layer whose kind is the value of the block's layer parameter <c>act</c>, read as
    /// that kind's attribute written without arguments (its defaults), keeping the <c>Name</c>. A layer kind is any layer
    /// attribute the generator knows but the block language's own (<c>Use</c>, <c>LayerKind</c>).
    /// </summary>
    internal static class LayerKindSpec
    {
        public const string AttributeName = "LayerKindAttribute";

        /// <summary>Whether <paramref name="name"/> is a layer kind a layer parameter may take (<c>ReLU</c>, <c>BatchNorm2d</c>).</summary>
        public static bool IsKind(string name) =>
            name.Length > 0 && char.IsUpper(name[0]) && name is not ("LayerKind" or "Use") && LayerRegistry.Readers.ContainsKey(name + "Attribute");

        /// <summary>Every layer kind, in the registry's order.</summary>
        public static System.Collections.Generic.IEnumerable<string> Kinds =>
            LayerRegistry.Readers.Keys.Select(k => RawAttribute.DisplayName(k)).Where(IsKind).OrderBy(k => k, System.StringComparer.Ordinal);

        [Reads(AttributeName)]
        public static LayerSpec Read(AttributeReader a)
        {
            string parameter = a.Raw.Arguments.Count > 0 && a.Raw.Arguments[0].Value is string p ? p.Trim() : "";
            if (!a.Names.TryGetValue(parameter, out var value) || !value.IsLayer)
            {
                a.Errors.Add(new ReaderError(a.Names.Count == 0
                    ? "LayerKind reads a layer parameter of a block: use it inside a block declared with one, such as [Block(\"act = ReLU\")]"
                    : $"'{parameter}' is not a layer parameter of the block; declare one with a layer kind as its default, such as \"{(Expression.IsName(parameter) ? parameter : "act")} = ReLU\"", "parameter"));
                // Reported through the reader's error; an identity stands in so nothing else is reported for it.
                return LayerRegistry.Readers["IdentityAttribute"](a);
            }
            string kind = value.Layer!;
            // The kind's attribute as if written [Kind(Name = ...)]: no arguments, its defaults.
            var raw = new RawAttribute(kind + "Attribute", kind, EquatableArray<string>.Empty, EquatableArray<RawValue>.Empty,
                a.Raw.Named.Where(n => n.Name == "Name").ToEquatableArray(), null);
            return LayerRegistry.Readers[kind + "Attribute"](new AttributeReader(raw, a.Names));
        }
    }
}
