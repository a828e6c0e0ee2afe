using Dsl.Runtime.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// Language modelling: logits [N, L, V] for the next token at every position of a window, scored against the
    /// window moved one token on, int64 [N, L]. Loss: cross-entropy averaged over every position (nanoGPT's). Metrics:
    /// next-token accuracy (the main one, higher is better) and perplexity, exp of the mean cross-entropy over every
    /// token of the epoch (not a mean of batch perplexities).
    /// </summary>
    public sealed class LanguageModelTask : TrainingTask
    {
        /// <inheritdoc/>
        public override string Name => "language-model";

        /// <inheritdoc/>
        public override string MetricName => "next-token accuracy";

        /// <inheritdoc/>
        public override string MetricKey => "acc";

        /// <inheritdoc/>
        public override IReadOnlyList<string> ExtraMetrics { get; } = new[] { "ppl" };

        /// <inheritdoc/>
        public override Tensor Loss(Tensor output, Tensor target) =>
            nn.functional.cross_entropy(output.reshape(-1, output.shape[^1]), target.reshape(-1));

        /// <inheritdoc/>
        /// <remarks>[summed cross-entropy, correct next tokens, tokens].</remarks>
        public override Tensor Statistics(Tensor output, Tensor target)
        {
            var logits = output.reshape(-1, output.shape[^1]);
            var flat = target.reshape(-1);
            var loss = nn.functional.cross_entropy(logits, flat, reduction: nn.Reduction.Sum).to_type(ScalarType.Float64);
            var correct = logits.argmax(1).eq(flat).sum().to_type(ScalarType.Float64);
            var tokens = torch.tensor((double)flat.shape[0], ScalarType.Float64, output.device);
            return torch.stack(new[] { loss, correct, tokens });
        }

        /// <inheritdoc/>
        public override (double Metric, double[] Extra) Compute(double[] sums)
        {
            double n = sums[2];
            return n == 0 ? (double.NaN, new[] { double.NaN }) : (sums[1] / n, new[] { Math.Exp(sums[0] / n) });
        }

        /// <inheritdoc/>
        public override string ToString() => "language-model (next-token cross-entropy; next-token accuracy and perplexity)";

        /// <inheritdoc/>
        public override void Check(string model, Dataset data, string role, long[] output, Tensor target)
        {
            long length = target.shape[^1];
            if (output.Length != 2 || output[0] != length)
                throw new InvalidDataException(
                    $"{model} returns {Dsl.Shape.Format(output)} per sample of the {role} '{data.Name}', but language modelling needs the next token's " +
                    $"scores at each of the window's {length} positions ([{length}, vocabulary]); end the network with a Linear to the vocabulary over every position.");
            if (data is TextCorpus corpus && output[1] < corpus.Tokenizer.VocabularySize)
                throw new InvalidDataException(
                    $"{model} scores {output[1]:N0} tokens, but the {corpus.Tokenizer.Name} tokenizer of '{data.Name}' has {corpus.Tokenizer.VocabularySize:N0}; " +
                    $"declare the network for a vocabulary of {corpus.Tokenizer.VocabularySize:N0}, or choose the tokenizer it was declared for.");
        }
    }
}
