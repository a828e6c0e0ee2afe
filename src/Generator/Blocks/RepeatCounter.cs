
namespace Dsl.Generator.Blocks
{
    /// <summary>
    /// The repeated uses of one network build, in the order they are built: <c>block_id</c> is the count so far,
    /// <c>block_count</c> the count of a whole build (known after a first build, when a block reads it).
    /// </summary>
    internal sealed class RepeatCounter
    {
        /// <summary>The names a repeated use's arguments read besides the enclosing block's.</summary>
        public const string Index = "i", Id = "block_id", Count = "block_count";

        /// <summary>What <c>block_count</c> reads in the build that counts (any value that keeps expressions such as <c>id / (count - 1)</c> valid).</summary>
        public const int Placeholder = 1 << 20;

        /// <summary>The next repeated use's <c>block_id</c>.</summary>
        public int Next { get; set; }

        /// <summary>The repeated uses of the whole network; null before they are counted.</summary>
        public int? Total { get; set; }

        /// <summary>Whether any block reads <c>block_count</c> (then the network is built once to count first).</summary>
        public static bool Reads(EquatableArray<BlockDecl> blocks) =>
            blocks.Any(d => d.Layers.Any(l => l.Arguments.Concat(l.Named.Select(n => n.Value)).Any(v => v.Value is string s && s.Contains(Count))));
    }
}
