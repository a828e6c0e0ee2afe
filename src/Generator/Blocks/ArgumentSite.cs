using System.Globalization;

namespace Dsl.Generator.Blocks
{
    /// <summary>
    /// Where in the source a problem is, when that is not an argument of the network's own attribute: an argument of an
    /// attribute of a block's declaration (<see cref="Block"/>'s key, the attribute's index among its layer attributes, or
    /// <see cref="BlockAttribute"/> for its <c>[Block(...)]</c>), and optionally a piece of that argument's string
    /// (<see cref="Start"/>, <see cref="Length"/> in the string's value: the name in a With entry, the operator that divides
    /// by zero). A problem carries it encoded in its argument (<see cref="Encode"/>), so problems stay plain values;
    /// <see cref="Diagnostics.ProblemLocator"/> decodes it.
    /// </summary>
    /// <param name="Block">The block's key (<see cref="RawAttribute.BlockName"/>); null: the network's attribute the problem names.</param>
    /// <param name="Layer">The attribute's index among the block's layer attributes, <see cref="BlockAttribute"/> or <see cref="Graph.Problem.ClassName"/>.</param>
    /// <param name="Argument">The argument's name (<c>"With"</c>, <c>"kernel"</c>, <c>"#2"</c> for a params array's third); null: the whole attribute.</param>
    internal sealed record ArgumentSite(string? Block, int Layer, string? Argument, int Start = -1, int Length = 0)
    {
        /// <summary>The block's own <c>[Block(...)]</c> attribute (its parameters' defaults, MergeWhen).</summary>
        public const int BlockAttribute = -10;

        private const char Mark = '\u0001';

        /// <summary>The argument of a problem already reported where it is (at the block's declaration): no diagnostic of its own.</summary>
        public const string Reported = "\u0001reported";

        public string Encode() => string.Join(Mark.ToString(), "", Block ?? "", Layer.ToString(CultureInfo.InvariantCulture), Argument ?? "",
            Start.ToString(CultureInfo.InvariantCulture), Length.ToString(CultureInfo.InvariantCulture));

        /// <summary>The site encoded in <paramref name="argument"/>; null for a plain argument name.</summary>
        public static ArgumentSite? Decode(string? argument)
        {
            if (argument is null || argument.Length == 0 || argument[0] != Mark) return null;
            var parts = argument.Split(Mark);
            if (parts.Length != 6) return null;
            return new ArgumentSite(parts[1].Length == 0 ? null : parts[1], int.Parse(parts[2], CultureInfo.InvariantCulture), parts[3].Length == 0 ? null : parts[3],
                int.Parse(parts[4], CultureInfo.InvariantCulture), int.Parse(parts[5], CultureInfo.InvariantCulture));
        }

        /// <summary>This site moved by <paramref name="offset"/> characters into its string (an expression that is part of a With).</summary>
        public ArgumentSite Within(int start, int length) => this with { Start = start, Length = length };
    }
}
