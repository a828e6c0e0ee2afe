using System;
using System.CommandLine;
using System.Globalization;
using Dsl.Runtime;
using Dsl.Runtime.Language;

namespace Dsl.Cli
{
    /// <summary>
    /// <c>generate --checkpoint PATH [--prompt TEXT] [--max-tokens N] [--temperature T] [--top-k K] [--seed S]</c>:
    /// text from a trained language model, printed as it is drawn (docs/runtime.md, "Language models").
    /// </summary>
    public static class GenerateCommand
    {
        /// <summary>The command over <paramref name="catalog"/>'s networks; <paramref name="commands"/> loads checkpoints as evaluate does.</summary>
        public static Command Create(NetworkCatalog catalog, TrainCommand commands)
        {
            var defaults = new GenerateOptions();
            var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint.ckpt written by train (or a .safetensors state dict with --model)", Required = true };
            var model = new Option<string?>("--model") { Description = "Network of the checkpoint (default: read from the checkpoint)" };
            var prompt = new Option<string>("--prompt") { Description = "The text to continue", DefaultValueFactory = _ => "\n" };
            var maxTokens = new Option<int>("--max-tokens") { Description = $"Tokens to generate (default {defaults.MaxNewTokens})", DefaultValueFactory = _ => defaults.MaxNewTokens };
            var temperature = new Option<double>("--temperature") { Description = $"Below 1 sharper, above 1 more varied; 0 always takes the most likely token (default {defaults.Temperature.ToString(CultureInfo.InvariantCulture)})", DefaultValueFactory = _ => defaults.Temperature };
            var topK = new Option<int>("--top-k") { Description = $"Draw among the K most likely tokens only; 0: all (default {defaults.TopK})", DefaultValueFactory = _ => defaults.TopK ?? 0 };
            var seed = new Option<long>("--seed") { Description = "Seed of the sampling: the same seed gives the same text", DefaultValueFactory = _ => defaults.Seed };
            var tokenizer = new Option<string?>("--tokenizer") { Description = "gpt2 or bytes (default: bytes for a vocabulary of 256, gpt2 otherwise)" };
            var command = new Command("generate", "Continue a prompt with a trained language model (token windows in, next-token scores out)")
            {
                checkpoint, model, prompt, maxTokens, temperature, topK, seed, tokenizer,
            };
            command.SetAction(parse =>
            {
                var (entry, loaded, origin) = commands.LoadCheckpoint(parse.GetValue(checkpoint)!, parse.GetValue(model));
                using var net = loaded;
                var output = entry.Info.OutputShape;
                var text = parse.GetValue(tokenizer) is string name ? TextTokenizer.Parse(name)
                    : output.Rank == 2 && output[1] == TextTokenizer.Bytes.VocabularySize ? TextTokenizer.Bytes : TextTokenizer.Gpt2;
                if (output.Rank == 2 && output[1] < text.VocabularySize)
                    throw new InvalidOptionException("--tokenizer", $"a tokenizer of at most {output[1]:N0} tokens, the vocabulary {entry.Name} scores", $"{text.Name} ({text.VocabularySize:N0} tokens)");
                var ids = text.Encode(parse.GetValue(prompt)!);
                Console.Error.WriteLine($"{entry.Name} ({origin}), {text}, seed {parse.GetValue(seed)}:");
                var options = new GenerateOptions
                {
                    MaxNewTokens = parse.GetValue(maxTokens),
                    Temperature = parse.GetValue(temperature),
                    TopK = parse.GetValue(topK),
                    Seed = parse.GetValue(seed),
                };
                Console.Write(text.Decode(ids));
                // Byte-pair tokens may split a character: print the text decoded so far, from where the last print ended.
                var generated = new System.Collections.Generic.List<int>(ids);
                string printed = text.Decode(ids);
                TextGenerator.Generate((IDeclaredNetwork)net, ids, options, token =>
                {
                    generated.Add(token);
                    string all = text.Decode(generated);
                    if (all.Length > printed.Length && all.StartsWith(printed, StringComparison.Ordinal) && !all.EndsWith('\uFFFD'))
                    {
                        Console.Write(all[printed.Length..]);
                        printed = all;
                    }
                });
                Console.WriteLine();
                return 0;
            });
            return command;
        }
    }
}
