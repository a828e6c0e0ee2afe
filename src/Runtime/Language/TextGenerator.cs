using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Language
{
    /// <summary>How <see cref="TextGenerator"/> samples.</summary>
    public sealed record GenerateOptions
    {
        /// <summary>Tokens to add after the prompt; at least 1.</summary>
        public int MaxNewTokens { get; init; } = 200;

        /// <summary>Divides the logits before the softmax: below 1 sharper, above 1 flatter; 0 takes the most likely token every time.</summary>
        public double Temperature { get; init; } = 0.8;

        /// <summary>Samples only among the <c>TopK</c> most likely tokens; null or 0 keeps them all.</summary>
        public int? TopK { get; init; } = 40;

        /// <summary>The seed of the sampling: the same model, prompt, options and seed give the same text.</summary>
        public long Seed { get; init; } = 1;
    }

    /// <summary>
    /// Autoregressive generation from a trained language model (logits [N, L, V] for the next token at every position):
    /// the last window of tokens goes in, the last position's logits are scaled by the temperature, cut to the top k,
    /// and a token is drawn; repeated. A network that reads other lengths gets the tokens so far (up to its declared
    /// length); one that reads exactly its declared length needs a prompt at least that long.
    /// </summary>
    public static class TextGenerator
    {
        /// <summary>
        /// <paramref name="prompt"/> followed by <see cref="GenerateOptions.MaxNewTokens"/> generated tokens.
        /// <paramref name="onToken"/> sees each new token as it is drawn (to print text as it comes).
        /// </summary>
        /// <exception cref="InvalidOptionException">An option is out of range, or the prompt is too short for a fixed-length network.</exception>
        public static int[] Generate(IDeclaredNetwork network, IReadOnlyList<int> prompt, GenerateOptions? options = null, Action<int>? onToken = null)
        {
            options ??= new GenerateOptions();
            var info = network.Info;
            var module = (nn.Module<Tensor, Tensor>)network;
            if (options.MaxNewTokens < 1) throw new InvalidOptionException("max tokens", "at least 1", options.MaxNewTokens.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!(options.Temperature >= 0)) throw new InvalidOptionException("temperature", "0 (always the most likely token) or more", options.Temperature.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (options.TopK is < 0) throw new InvalidOptionException("top-k", "0 (all tokens) or more", options.TopK.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (info.InputShape.Rank != 1 || info.OutputShape.Rank != 2)
                throw new InvalidOptionException("model", "a language model: token windows [L] in, next-token scores [L, vocabulary] out", $"{info.Name} ({info.InputShape} -> {info.OutputShape})");
            long context = info.InputShape[0];
            if (prompt.Count == 0) throw new InvalidOptionException("prompt", "at least one token (some text)", "empty");

            var device = module.parameters().FirstOrDefault()?.device ?? torch.CPU;
            var generator = new torch.Generator((ulong)options.Seed, device);
            var tokens = new List<int>(prompt);
            bool training = module.training;
            module.eval();
            try
            {
                using var noGrad = torch.no_grad();
                for (int step = 0; step < options.MaxNewTokens; step++)
                {
                    using var scope = torch.NewDisposeScope();
                    int take = (int)Math.Min(context, tokens.Count);
                    var window = torch.tensor(tokens.Skip(tokens.Count - take).Select(t => (long)t).ToArray(), ScalarType.Int64, device).unsqueeze(0);
                    Tensor output;
                    try
                    {
                        output = module.call(window);
                    }
                    catch (InputShapeException) when (take < context)
                    {
                        throw new InvalidOptionException("prompt", $"at least {context} tokens: {info.Name} reads exactly {context} tokens at a time", $"{take} tokens");
                    }
                    var logits = output[0, -1].to_type(ScalarType.Float32);
                    int next;
                    if (options.Temperature == 0)
                    {
                        next = (int)logits.argmax().item<long>();
                    }
                    else
                    {
                        logits = logits / options.Temperature;
                        if (options.TopK is int k && k > 0 && k < logits.shape[0])
                        {
                            // Tokens below the k-th largest score cannot be drawn (nanoGPT's rule).
                            var kth = logits.topk(k).values[-1];
                            logits = logits.masked_fill(logits.lt(kth), double.NegativeInfinity);
                        }
                        next = (int)torch.multinomial(logits.softmax(0), 1, generator: generator).item<long>();
                    }
                    tokens.Add(next);
                    onToken?.Invoke(next);
                }
            }
            finally
            {
                module.train(training);
            }
            return tokens.ToArray();
        }
    }
}
