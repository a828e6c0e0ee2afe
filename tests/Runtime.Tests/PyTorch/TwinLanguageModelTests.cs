using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Dsl.Runtime.Data;
using Dsl.Runtime.Interop;
using Dsl.Runtime.Language;
using Dsl.Runtime.PyTorch;
using Dsl.Runtime.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.PyTorch
{
    /// <summary>The causal attention half of <see cref="TwinTinyGpt"/>'s block: <c>x + attn(ln_1(x))</c>.</summary>
    [Block(Merge = Merge.Add)]
    [LayerNorm(Name = "ln_1")]
    [MultiheadSelfAttention(2, Name = "attn", Causal = true, Layout = AttentionLayout.Gpt2)]
    public partial class TwinGptAttention;

    /// <summary>The MLP half of <see cref="TwinTinyGpt"/>'s block: <c>x + mlp(ln_2(x))</c>.</summary>
    [Block(Merge = Merge.Add)]
    [LayerNorm(Name = "ln_2")]
    [Linear(64, Name = "c_fc")]
    [GELU(Tanh = true)]
    [Linear(32, Name = "c_proj")]
    public partial class TwinGptMlp;

    /// <summary>A one-block GPT over bytes (32 tokens, 32 features, lm_head tied to wte): gpt-mini's layout, small enough for a test.</summary>
    [Input(32, Vocabulary = 256)]
    [Embedding(32, Name = "wte")]
    [PositionTable(32, Name = "wpe")]
    [Use<TwinGptAttention>(Inline = true)]
    [Use<TwinGptMlp>(Inline = true)]
    [LayerNorm(Name = "ln_f")]
    [Linear(256, Bias = false, Name = "lm_head", TiedTo = "wte")]
    public partial class TwinTinyGpt;

    /// <summary>
    /// The exported train.py training a language model on a text file under torchrun (two gloo processes): the .NET
    /// runtime's windows, task and metrics, and a checkpoint that .NET loads and scores as train.py did.
    /// </summary>
    public sealed class TwinLanguageModelTests : IDisposable
    {
        private readonly string _dir = TestData.TempDir("pytorch-lm");

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        /// <summary>Seeded sentences over a small vocabulary: a text whose bytes a model learns within a few steps.</summary>
        private string WriteCorpus()
        {
            var random = new Random(1);
            string[] words = "the licensee shall keep this notice and the copyright of the software in all copies".Split(' ');
            var text = new StringBuilder();
            while (text.Length < 6000)
                text.Append(string.Join(" ", Enumerable.Range(0, random.Next(5, 12)).Select(_ => words[random.Next(words.Length)]))).Append(".\n");
            string path = Path.Combine(_dir, "corpus.txt");
            File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
            return path;
        }

        [SkippableFact]
        public void Train_py_trains_a_language_model_under_torchrun_with_the_dotnet_windows_and_metrics()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            var files = PyTorchExport.Export(TwinTinyGpt.Info, Path.Combine(_dir, "model.py"));
            string corpus = WriteCorpus();
            string input = Path.Combine(_dir, "probe-input.safetensors");
            torch.manual_seed(5);
            using (var ids = torch.randint(0, 256, new long[] { 2, 32 }, dtype: ScalarType.Int64))
                PyTorchCheckpoint.SaveTensors(new Dictionary<string, Tensor> { ["input"] = ids }, input);
            string run = Path.Combine(_dir, "run");
            var result = PythonTorch.Run(new[]
            {
                "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", PythonTorch.FreePort().ToString(CultureInfo.InvariantCulture),
                "--monitor_interval", "1", Path.Combine(PythonTorch.Helpers, "ddp_probe.py"), files.TrainScriptPath!, input, "--",
                "--data", corpus, "--tokenizer", "bytes", "--val-fraction", "0.1", "--epochs", "4", "--batch-size", "8",
                "--optimizer", "adamw", "--lr", "0.01", "--weight-decay", "0.1", "--out", run,
            }, TimeSpan.FromMinutes(5));
            Assert.True(result.ExitCode == 0, "train.py failed: " + result);
            Assert.Contains("task: language-model (next-token cross-entropy; next-token accuracy and perplexity)", result.Output);
            Assert.Contains("2 process(es) (gloo, cpu); batch 8 = 2 x 4", result.Output);

            // metrics.csv has the .NET trainer's columns for the task; the validation loss ends well below the unigram
            // baseline (the training bytes' frequencies, add-one smoothed, scoring the validation bytes).
            byte[] bytes = File.ReadAllBytes(corpus);
            int split = (int)Math.Round(bytes.Length * 0.9);
            var counts = new double[256];
            foreach (byte b in bytes.Take(split)) counts[b]++;
            double unigram = bytes.Skip(split).Average(b => -Math.Log((counts[b] + 1) / (split + 256)));
            string[] lines = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
            var task = new LanguageModelTask();
            Assert.Equal(MetricsCsv.HeaderFor(task), lines[0]);
            var rows = lines.Skip(1).Select(l => l.Split(',').Select(c => double.Parse(c, CultureInfo.InvariantCulture)).ToArray()).ToArray();
            Assert.Equal(new[] { 1.0, 2.0, 3.0, 4.0 }, rows.Select(r => r[0]));
            double trainFirst = rows[0][1], trainLast = rows[3][1], valLoss = rows[3][3], valAccuracy = rows[3][4], valPerplexity = rows[3][7];
            Assert.True(trainLast < trainFirst - 0.5, $"the training loss went from {trainFirst} to {trainLast}");
            Assert.True(valLoss < unigram - 0.3, $"validation loss {valLoss}, against {unigram:F3} for the unigram baseline");
            Assert.Equal(Math.Exp(valLoss), valPerplexity, 3);

            // .NET on the checkpoint, over the same validation windows (the end of the tokens), gives the same loss,
            // next-token accuracy and perplexity; and the twin's logits on the probe ids.
            using var net = new TwinTinyGpt();
            net.LoadPyTorch(Path.Combine(run, "model.safetensors"));
            net.eval();
            var (train, held) = TextCorpus.Open(corpus, TextTokenizer.Bytes, 32, 0.1);
            var validation = held!;
            using (train)
            using (validation)
            using (torch.no_grad())
            {
                var sums = new double[3];
                for (int i = 0; i < validation.Count; i++)
                {
                    using var scope = torch.NewDisposeScope();
                    var example = validation.Read(i);
                    var statistics = task.Statistics(net.call(example.Input.unsqueeze(0)), example.Target.unsqueeze(0)).data<double>().ToArray();
                    for (int k = 0; k < 3; k++) sums[k] += statistics[k];
                }
                var (accuracy, extra) = task.Compute(sums);
                Assert.Equal(valLoss, sums[0] / sums[2], 4);
                Assert.Equal(valAccuracy, accuracy, 4);
                Assert.Equal(valPerplexity, extra[0], 3);

                using var ids = PyTorchCheckpoint.ReadTensors(input)["input"];
                using var twin = PyTorchCheckpoint.ReadTensors(Path.Combine(run, "probe-logits.safetensors"))["logits"];
                using var logits = net.call(ids);
                double difference = (logits - twin).abs().max().item<float>();
                Assert.True(difference < 1e-4, $"the .NET module on the checkpoint and the trained twin differ by up to {difference:G3}");
            }
        }

        [SkippableFact]
        public void Train_py_draws_the_epochs_window_offset_as_the_dotnet_runtime_does()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            var files = PyTorchExport.Export(TwinTinyGpt.Info, Path.Combine(_dir, "model.py"));
            var keys = new[] { (42L, 1), (42L, 2), (7L, 3), (-5L, 1000) };
            string script = "import importlib.util, sys\n" +
                            $"spec = importlib.util.spec_from_file_location('train', {PythonText.String(files.TrainScriptPath!)})\n" +
                            "train = importlib.util.module_from_spec(spec); spec.loader.exec_module(train)\n" +
                            $"print(' '.join(str(train.SplitMix(s, e, -1).next()) for s, e in [{string.Join(", ", keys.Select(k => $"({k.Item1}, {k.Item2})"))}]))\n";
            var result = PythonTorch.Run(new[] { "-c", script }, TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, result.ToString());
            var expected = keys.Select(k => new Dsl.Runtime.Data.Transforms.TransformRandom(k.Item1, k.Item2, -1).NextULong().ToString(CultureInfo.InvariantCulture));
            Assert.Equal(string.Join(" ", expected), result.Output.Trim());
        }
    }
}
