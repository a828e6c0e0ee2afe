using Dsl.Generator.Blocks.Language;

namespace Dsl.Generator.Blocks
{
    /// <summary>
    /// The channels a block's expressions read. <c>in</c> has always meant the channels entering the block, which is what
    /// a parameter default, <c>When</c> or <c>MergeWhen</c> wants, but a layer after one that changed the channels may as
    /// well mean those arriving at it (<c>[Use&lt;Expand&gt;("6 * in")]</c> after a projection): there, <c>in</c> is an
    /// error asking for <c>block_in</c> (the block's input, never refused) or <c>layer_in</c> (what arrives at the layer).
    /// </summary>
    internal static class BlockIn
    {
        public const string In = "in", Block = "block_in", Layer = "layer_in";

        private static Dictionary<string, Number> Copy(IReadOnlyDictionary<string, Number> names) =>
            names.ToDictionary(p => p.Key, p => p.Value, System.StringComparer.Ordinal);

        /// <summary>Sets the three names when a use binds: at the block's first layer they are the same.</summary>
        public static void Enter(Dictionary<string, Number> names, long channels)
        {
            names[In] = Number.Integer(channels);
            names[Block] = Number.Integer(channels);
            names[Layer] = Number.Integer(channels);
        }

        /// <summary>
        /// The names <paramref name="what"/> (When, MergeWhen) reads: it is about the block, not one layer, so <c>layer_in</c> is refused.
        /// </summary>
        public static Dictionary<string, Number> ForBlock(IReadOnlyDictionary<string, Number> names, string what) =>
            new(Copy(names))
            {
                [Layer] = Number.Refused($"{what} is decided for the whole block, so it cannot read '{Layer}'; '{In}' and '{Block}' are the channels entering the block"),
            };

        /// <summary>
        /// The names a layer of <paramref name="block"/> reads when <paramref name="arriving"/> channels reach it, or null
        /// when they are the block's own (the names as bound serve).
        /// </summary>
        public static Dictionary<string, Number>? AtLayer(IReadOnlyDictionary<string, Number> names, string block, long arriving)
        {
            long entering = (long)names[Block].Value;
            if (arriving == entering) return null;
            return new Dictionary<string, Number>(Copy(names))
            {
                [In] = Number.Refused($"'in' is the {entering} channels entering block '{block}', but {arriving} arrive at this layer (a layer before it changed them): "
                    + $"write '{Layer}' for the channels arriving here, or '{Block}' for the block's input"),
                [Layer] = Number.Integer(arriving),
            };
        }
    }
}
