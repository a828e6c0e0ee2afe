using System.Text;
using Microsoft.ML.Tokenizers;

namespace Dsl.Runtime.Language
{
    /// <summary>
    /// Turns text into token ids and back, for language models: <see cref="Gpt2"/> (GPT-2's byte-pair encoding, 50,257
    /// tokens, from Microsoft.ML.Tokenizers with the vocabulary shipped in a package, so nothing is downloaded) or
    /// <see cref="Bytes"/> (one token per UTF-8 byte, 256 tokens: any text, no vocabulary, four times longer sequences).
    /// </summary>
    public abstract class TextTokenizer
    {
        /// <summary>The command-line names of the tokenizers.</summary>
        public static IReadOnlyList<string> Names { get; } = new[] { "gpt2", "bytes" };

        /// <summary>The tokenizer's name (<c>gpt2</c>, <c>bytes</c>), as <c>--tokenizer</c> takes it and checkpoints record it.</summary>
        public abstract string Name { get; }

        /// <summary>How many token ids there are: the language model's input vocabulary and output classes.</summary>
        public abstract int VocabularySize { get; }

        /// <summary>The token ids of <paramref name="text"/>.</summary>
        public abstract int[] Encode(string text);

        /// <summary>The text of <paramref name="ids"/> (bytes that do not form UTF-8 become U+FFFD).</summary>
        public abstract string Decode(IEnumerable<int> ids);

        /// <summary>GPT-2's byte-pair encoding ("Hello world" is 15496, 995).</summary>
        public static TextTokenizer Gpt2 { get; } = new Gpt2Tokenizer();

        /// <summary>One token per UTF-8 byte.</summary>
        public static TextTokenizer Bytes { get; } = new ByteTokenizer();

        /// <summary>The tokenizer called <paramref name="name"/> (any case).</summary>
        /// <exception cref="InvalidOptionException">Not a known name; the message lists them.</exception>
        public static TextTokenizer Parse(string name) => name?.Trim().ToLowerInvariant() switch
        {
            "gpt2" => Gpt2,
            "bytes" or "byte" => Bytes,
            _ => throw new InvalidOptionException("tokenizer", "one of " + string.Join(", ", Names), name ?? ""),
        };

        /// <inheritdoc/>
        public override string ToString() => $"{Name} ({VocabularySize:N0} tokens)";

        private sealed class Gpt2Tokenizer : TextTokenizer
        {
            // Created on first use: reading the 50,257-entry vocabulary takes a moment.
            private readonly Lazy<TiktokenTokenizer> _tokenizer = new(() => TiktokenTokenizer.CreateForModel("gpt2"));

            public override string Name => "gpt2";

            public override int VocabularySize => 50257;

            public override int[] Encode(string text) => _tokenizer.Value.EncodeToIds(text).ToArray();

            public override string Decode(IEnumerable<int> ids) => _tokenizer.Value.Decode(ids) ?? "";
        }

        private sealed class ByteTokenizer : TextTokenizer
        {
            public override string Name => "bytes";

            public override int VocabularySize => 256;

            public override int[] Encode(string text) => Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();

            public override string Decode(IEnumerable<int> ids) =>
                Encoding.UTF8.GetString(ids.Select(id => id is >= 0 and < 256 ? (byte)id : (byte)'?').ToArray());
        }
    }
}
