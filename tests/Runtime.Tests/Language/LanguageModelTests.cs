using System;
using System.IO;
using System.Linq;
using System.Text;
using Dsl.Runtime.Data;
using Dsl.Runtime.Language;
using Dsl.Runtime.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.Language
{
    /// <summary>A token embedding for the test network (the vocabulary has no embedding layer of its own here).</summary>
    public sealed class ByteEmbedding : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Embedding embedding;

        public ByteEmbedding() : base(nameof(ByteEmbedding))
        {
            embedding = nn.Embedding(256, 16);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => embedding.call(input);
    }

    /// <summary>A byte-level language model: 12 byte ids in, the next byte's 256 scores at each position out.</summary>
    [Input(12)]
    [Custom<ByteEmbedding>(OutputShape = new[] { 12, 16 }, Parameters = 256 * 16)]
    [LSTM(48, RecurrentOutput.AllSteps)]
    [Linear(256)]
    public partial class ByteLstm;

    /// <summary>
    /// Language modelling in the runtime: the tokenizers, text corpora as next-token windows, the task's loss and
    /// metrics against a hand computation, training a small byte-level LSTM on a repeating text, and generation from it.
    /// </summary>
    public sealed class LanguageModelTests
    {
        [Fact]
        public void The_gpt2_tokenizer_gives_gpt2s_ids_and_the_byte_tokenizer_utf8_bytes()
        {
            Assert.Equal(new[] { 15496, 995 }, TextTokenizer.Gpt2.Encode("Hello world"));
            Assert.Equal("Hello world, déjà vu", TextTokenizer.Gpt2.Decode(TextTokenizer.Gpt2.Encode("Hello world, déjà vu")));
            Assert.Equal(50257, TextTokenizer.Gpt2.VocabularySize);
            Assert.Equal(new[] { 104, 195, 169 }, TextTokenizer.Bytes.Encode("hé"));
            Assert.Equal("hé", TextTokenizer.Bytes.Decode(new[] { 104, 195, 169 }));
            var e = Assert.Throws<InvalidOptionException>(() => TextTokenizer.Parse("wordpiece"));
            Assert.Equal("tokenizer must be one of gpt2, bytes; got wordpiece.", e.Message);
        }

        private static string WriteText(string text)
        {
            string path = Path.Combine(TestData.TempDir("text"), "corpus.txt");
            File.WriteAllText(path, text, new UTF8Encoding(false));
            return path;
        }

        [Fact]
        public void A_corpus_is_cut_into_windows_whose_targets_are_the_next_tokens()
        {
            string text = string.Concat(Enumerable.Range(0, 50).Select(i => (char)('a' + i % 26)));
            var (train, val) = TextCorpus.Open(WriteText(text), TextTokenizer.Bytes, context: 8);
            using var _ = train;
            Assert.Null(val);
            Assert.Equal((50 - 8) / 8, train.Count);   // room for an offset of up to 7 tokens
            Assert.Equal(TargetKind.Tokens, train.TargetKind);
            using var third = train.Read(2);
            Assert.Equal(text.Substring(16, 8).Select(c => (long)c), third.Input.data<long>().ToArray());
            Assert.Equal(text.Substring(17, 8).Select(c => (long)c), third.Target.data<long>().ToArray());
            // In training, an epoch's windows start at one seeded offset: the same for every window, and from the seed only.
            var offsets = Enumerable.Range(0, 6).Select(epoch =>
            {
                using var a = train.Get(0, seed: 5, epoch);
                using var b = train.Get(3, seed: 5, epoch);
                long offset = a.Input.data<long>()[0] - 'a';
                Assert.Equal(text.Substring(24 + (int)offset, 8).Select(c => (long)c), b.Input.data<long>().ToArray());
                Assert.Equal(text.Substring((int)offset + 1, 8).Select(c => (long)c), a.Target.data<long>().ToArray());
                using var again = train.Get(0, seed: 5, epoch);
                Assert.Equal(a.Input.data<long>().ToArray(), again.Input.data<long>().ToArray());
                return offset;
            }).ToArray();
            Assert.All(offsets, o => Assert.InRange(o, 0, 7));
            Assert.True(offsets.Distinct().Count() > 1, "the offset changes from epoch to epoch: " + string.Join(", ", offsets));
        }

        [Fact]
        public void The_validation_corpus_is_the_end_of_the_text_and_short_texts_are_refused()
        {
            string text = new string('x', 800) + new string('y', 200);
            var (train, val) = TextCorpus.Open(WriteText(text), TextTokenizer.Bytes, context: 10, validationFraction: 0.2);
            using var _ = train;
            using var __ = val;
            Assert.Equal(790 / 10, train.Count);
            Assert.Equal(190 / 10, val!.Count);
            Assert.All(val.Read(0).Input.data<long>().ToArray(), b => Assert.Equal('y', (char)b));
            string path = WriteText("tiny");
            var e = Assert.Throws<InvalidDataException>(() => TextCorpus.Open(path, TextTokenizer.Bytes, context: 10));
            Assert.Equal("corpus.txt: 4 tokens (4 characters, bytes tokenizer) do not fill one window of 10 tokens plus the next one; give a longer text, a smaller validation fraction, or a model with a shorter context.", e.Message);
        }

        [Fact]
        public void The_task_scores_every_position_as_a_hand_computation_does()
        {
            // Two positions over a vocabulary of three.
            double[][] logits = { new[] { 2.0, 0.5, -1.0 }, new[] { 0.1, 0.2, 3.0 } };
            long[] targets = { 1, 2 };
            double LogSoftmax(double[] z, long k) => z[k] - Math.Log(z.Sum(Math.Exp));
            double expected = -(LogSoftmax(logits[0], 1) + LogSoftmax(logits[1], 2)) / 2;
            var task = new LanguageModelTask();
            using var output = torch.tensor(logits.SelectMany(r => r).Select(v => (float)v).ToArray()).reshape(1, 2, 3);
            using var target = torch.tensor(targets).reshape(1, 2);
            Assert.Equal(expected, task.Loss(output, target).item<float>(), 5);
            var sums = task.Statistics(output, target).data<double>().ToArray();
            var (accuracy, extra) = task.Compute(sums);
            Assert.Equal(0.5, accuracy);                        // position 0 predicts 0 (wrong), position 1 predicts 2 (right)
            Assert.Equal(Math.Exp(expected), extra[0], 4);      // perplexity
            Assert.Equal(new[] { "ppl" }, task.ExtraMetrics);
            Assert.IsType<LanguageModelTask>(TrainingTask.For(new ListDataset(), new long[] { 2, 3 }));
        }

        /// <summary>A data set of token targets, for the task choice.</summary>
        private sealed class ListDataset : Dataset
        {
            public override string Name => "tokens";
            public override int Count => 0;
            public override TargetKind TargetKind => TargetKind.Tokens;
            public override Example Read(int index) => throw new NotSupportedException();
        }

        [Fact]
        public void A_byte_lstm_learns_a_repeating_text_and_generates_it()
        {
            const string cycle = "the cat sat on the mat. ";
            string path = WriteText(string.Concat(Enumerable.Repeat(cycle, 100)));
            var (train, val) = TextCorpus.Open(path, TextTokenizer.Bytes, context: 12, validationFraction: 0.1);
            using var _ = train;
            using var __ = val;
            torch.manual_seed(3);
            using var net = new ByteLstm();
            var result = Trainer.Fit(net, train, val, new TrainOptions
            {
                Epochs = 10, BatchSize = 16, LearningRate = 0.02, Optimizer = OptimizerKind.Adam, WeightDecay = 0, Seed = 3,
                OutputDir = TestData.TempDir("byte-lstm"), Progress = ProgressMode.Silent,
            });
            var last = result.Metrics[^1];
            // The text repeats with period 24: the next byte is certain once a window has seen enough of it (its first
            // positions see too little to tell "the cat" from "the mat"), far from the 13 equally likely bytes of a unigram model.
            Assert.True(last.ValAccuracy > 0.8, $"next-token accuracy {last.ValAccuracy:F3}");
            Assert.True(last.ValExtra!["ppl"] < 2, $"perplexity {last.ValExtra["ppl"]:F3}");

            var prompt = TextTokenizer.Bytes.Encode(cycle.Substring(0, 12));
            var greedy = TextGenerator.Generate(net, prompt, new GenerateOptions { MaxNewTokens = 24, Temperature = 0 });
            Assert.Equal(cycle.Substring(0, 12) + cycle.Substring(12) + cycle.Substring(0, 12), TextTokenizer.Bytes.Decode(greedy));
            // Sampling is reproducible from its seed.
            var a = TextGenerator.Generate(net, prompt, new GenerateOptions { MaxNewTokens = 30, Temperature = 2, TopK = 0, Seed = 7 });
            var b = TextGenerator.Generate(net, prompt, new GenerateOptions { MaxNewTokens = 30, Temperature = 2, TopK = 0, Seed = 7 });
            Assert.Equal(a, b);
            // This network reads exactly 12 tokens: a shorter prompt is refused by name.
            var e = Assert.Throws<InvalidOptionException>(() => TextGenerator.Generate(net, new[] { 116, 104 }, new GenerateOptions { MaxNewTokens = 1 }));
            Assert.Equal("prompt must be at least 12 tokens: ByteLstm reads exactly 12 tokens at a time; got 2 tokens.", e.Message);
        }
    }
}
