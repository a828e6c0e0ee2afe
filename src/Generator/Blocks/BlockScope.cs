using Dsl.Generator.Blocks.Language;

namespace Dsl.Generator.Blocks
{
    /// <summary>
    /// One use of a block while it is built: the block, the use, the values its expressions read, the enclosing use (null:
    /// the network's own attribute) and which of the block's layers is being read. It answers where a problem is: the
    /// innermost argument responsible, following a parameter passed on by name (<c>[Use&lt;Inner&gt;("stride")]</c>)
    /// out to where its value is written, at any depth; and it names the chain of uses for messages.
    /// </summary>
    /// <param name="path">The module path of the use (<c>features.3</c>).</param>
    internal sealed class BlockScope(BlockScope? parent, BlockDecl decl, UseSpec use, string path, IReadOnlyDictionary<string, Number> names, string[] bound)
    {
        private readonly string[] _bound = bound;
        private readonly int _useLayer = parent?.Layer ?? -1;

        public BlockScope? Parent { get; } = parent;

        public BlockDecl Decl { get; } = decl;

        public UseSpec Use { get; } = use;

        /// <summary>The module path of the use (<c>features.3</c>).</summary>
        public string Path { get; } = path;

        public IReadOnlyDictionary<string, Number> Names { get; } = names;

        /// <summary>The index of the block's layer attribute being read or built.</summary>
        public int Layer { get; set; } = -1;

        /// <summary><c>outer1 = Outer(c = 4) &gt; outer1.convBlock1 = ConvBlock(c = 8, s = 1)</c>.</summary>
        public string Chain =>
            (Parent is null ? "" : Parent.Chain + " > ") + Path + " = " + Decl.Name + "(" + string.Join(", ", Decl.Parameters.Select(p => p.Name + " = " + (Names.TryGetValue(p.Name, out var v) ? v.ToString() : "?"))) + ")";

        /// <summary>
        /// Where argument <paramref name="position"/> of a use is written (-1: the whole use), the use being an attribute of
        /// <paramref name="enclosing"/>'s block (null: of the network): <c>"#i"</c> at the network, else an encoded site.
        /// </summary>
        public static string? SiteOfUse(BlockScope? enclosing, int useLayer, int position, int start = -1, int length = 0)
        {
            string? argument = position < 0 ? null : "#" + position.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (enclosing is null) return start < 0 ? argument : new ArgumentSite(null, -1, argument, start, length).Encode();
            return new ArgumentSite(enclosing.Decl.Key, useLayer, argument, start, length).Encode();
        }

        /// <summary>Where this use's argument <paramref name="position"/> is written.</summary>
        public string? UseSite(int position, int start = -1, int length = 0) => SiteOfUse(Parent, _useLayer, position, start, length);

        /// <summary>
        /// Where the value of <paramref name="parameter"/> is written: the use's argument that gives it, or, when that
        /// argument just passes on a parameter of the enclosing block, where that one is written (at any depth); the
        /// parameter's default when the use leaves it out.
        /// </summary>
        public string? ParameterSite(string parameter)
        {
            for (int i = 0; i < Use.Arguments.Count && i < _bound.Length; i++)
            {
                if (_bound[i] != parameter) continue;
                var argument = Use.Arguments[i];
                if (Parent is not null && argument.Expression is { } e && Expression.IsName(e) && Parent.Decl.Parameters.Any(p => p.Name == e.Trim()))
                    return Parent.ParameterSite(e.Trim());
                return UseSite(argument.Position);
            }
            for (int k = 0; k < Decl.Parameters.Count; k++)
            {
                var p = Decl.Parameters[k];
                if (p.Name == parameter && p.Default is { } fallback)
                    return new ArgumentSite(Decl.Key, ArgumentSite.BlockAttribute, "#" + k, p.DefaultStart, fallback.Length).Encode();
            }
            return UseSite(-1);
        }

        /// <summary>
        /// Where argument <paramref name="argument"/> of the layer being built (read by <paramref name="reader"/>) is
        /// written: where its parameter's value is, when it is just a parameter's name; else in the block's attribute (its
        /// With entry's expression, or the argument itself; null: the whole attribute).
        /// </summary>
        public string LayerSite(AttributeReader reader, string? argument)
        {
            if (argument is not null && reader.ExpressionOf(argument) is { } expression && Expression.IsName(expression)
                && Decl.Parameters.Any(p => p.Name == expression.Trim()))
                return ParameterSite(expression.Trim()) ?? Site(null);
            if (argument is not null && reader.WithExpression(argument) is { } entry) return Site("With", entry.Start, entry.Text.Length);
            return Site(argument);
        }

        /// <summary>An argument of the block's layer being read (null: the whole attribute), optionally a piece of its string.</summary>
        public string Site(string? argument, int start = -1, int length = 0) => new ArgumentSite(Decl.Key, Layer, argument, start, length).Encode();

        /// <summary>An argument of the block's own <c>[Block(...)]</c>.</summary>
        public string BlockSite(string argument, int start = -1, int length = 0) => new ArgumentSite(Decl.Key, ArgumentSite.BlockAttribute, argument, start, length).Encode();
    }
}
