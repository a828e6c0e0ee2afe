using System.Text;
using Dsl.Runtime.Language;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// A text corpus as language-model samples: the text is tokenized once and held as int64 token ids (8 bytes a
    /// token: 100 MB of English is about 25 million GPT-2 tokens, 200 MB), cut into contiguous windows of
    /// <see cref="Context"/> tokens. Sample i is window i as input and the same window moved one token on as target,
    /// both int64 [Context]: at every position the model learns the next token. The windows do not overlap, so an epoch
    /// reads each token once, and in training they start at an offset drawn per epoch (from the run's seed), so over
    /// epochs every token is seen at every position of a window, as with nanoGPT's random windows.
    /// </summary>
    public sealed class TextCorpus : Dataset
    {
        private readonly Tensor _tokens;   // int64 [n], CPU

        private TextCorpus(string name, Tensor tokens, int context, TextTokenizer tokenizer)
        {
            Name = name;
            _tokens = tokens;
            Context = context;
            Tokenizer = tokenizer;
            // Room for the largest offset: the last window starts at most context - 1 tokens later.
            Count = (int)Math.Max(0, (tokens.shape[0] - context) / context);
        }

        /// <inheritdoc/>
        public override string Name { get; }

        /// <inheritdoc/>
        public override int Count { get; }

        /// <inheritdoc/>
        public override TargetKind TargetKind => TargetKind.Tokens;

        /// <inheritdoc/>
        public override Dsl.Shape? SampleShape => new(Context);

        /// <summary>Tokens per sample.</summary>
        public int Context { get; }

        /// <summary>The tokenizer the ids come from (the model's vocabulary must hold its <see cref="TextTokenizer.VocabularySize"/> ids).</summary>
        public TextTokenizer Tokenizer { get; }

        /// <summary>Tokens in the corpus.</summary>
        public long TokenCount => _tokens.shape[0];

        /// <summary>
        /// Reads <paramref name="path"/> (UTF-8 text) with <paramref name="tokenizer"/>, in windows of
        /// <paramref name="context"/> tokens. With <paramref name="validationFraction"/>, the last part of the tokens is
        /// the validation corpus (the end of the text, not scattered windows: neighbouring windows share their topic,
        /// so a random split would validate on text the model has nearly seen).
        /// </summary>
        /// <exception cref="InvalidDataException">The file is missing, empty or too short for one window; the message says how long it is.</exception>
        public static (TextCorpus Train, TextCorpus? Validation) Open(string path, TextTokenizer tokenizer, int context, double? validationFraction = null)
        {
            if (context < 1) throw new InvalidOptionException("context", "at least 1 token", context.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!File.Exists(path)) throw new InvalidDataException($"{path} does not exist: give a UTF-8 text file.");
            string text = File.ReadAllText(path, Encoding.UTF8);
            var ids = tokenizer.Encode(text);
            var tokens = torch.tensor(Array.ConvertAll(ids, i => (long)i), ScalarType.Int64);
            string name = Path.GetFileName(path);
            if (validationFraction is not double f)
                return (Checked(new TextCorpus(name, tokens, context, tokenizer), text.Length), null);
            if (!(f > 0 && f < 1))
                throw new InvalidOptionException("validation fraction", "a number between 0 and 1, such as 0.1", f.ToString(System.Globalization.CultureInfo.InvariantCulture));
            long split = (long)Math.Round(tokens.shape[0] * (1 - f));
            var train = new TextCorpus(name + " (first " + (1 - f).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + ")", tokens.narrow(0, 0, split), context, tokenizer);
            var validation = new TextCorpus(name + " (last " + f.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + ")", tokens.narrow(0, split, tokens.shape[0] - split), context, tokenizer);
            return (Checked(train, text.Length), Checked(validation, text.Length));
        }

        private static TextCorpus Checked(TextCorpus corpus, int characters)
        {
            if (corpus.Count > 0) return corpus;
            throw new InvalidDataException(
                $"{corpus.Name}: {corpus.TokenCount:N0} tokens ({characters:N0} characters, {corpus.Tokenizer.Name} tokenizer) do not fill one window of " +
                $"{corpus.Context} tokens plus the next one; give a longer text, a smaller validation fraction, or a model with a shorter context.");
        }

        /// <inheritdoc/>
        public override Example Read(int index)
        {
            if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(index));
            return Window((long)index * Context);
        }

        /// <inheritdoc/>
        /// <remarks>Window <paramref name="index"/> moved on by the epoch's offset (the same for every window of the epoch).</remarks>
        public override Example Get(int index, long seed, int epoch)
        {
            if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(index));
            int offset = (int)(new Transforms.TransformRandom(seed, epoch, -1).NextULong() % (ulong)Context);
            return Window((long)index * Context + offset);
        }

        private Example Window(long start)
        {
            using var scope = torch.NewDisposeScope();
            var window = _tokens.narrow(0, start, Context + 1);
            return new Example(window.narrow(0, 0, Context).clone(), window.narrow(0, 1, Context).clone(), TargetKind.Tokens, $"{Name} tokens {start}..");
        }

        /// <inheritdoc/>
        public override void Dispose() => _tokens.Dispose();
    }
}
