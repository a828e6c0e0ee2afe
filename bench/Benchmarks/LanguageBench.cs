using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Dsl.Runtime.Interop;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.PyTorch;
using Dsl.Runtime.Training;
using ResNetSample;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks
{
    /// <summary>
    /// The sample's gpt-mini (4 layers, 4 heads, 128 features, 128 byte tokens): training tokens per second of the
    /// generated module against its PyTorch twin in PyTorch eager (the same weights, batch and optimizer), and the
    /// latency per generated token of TorchSharp eager against ONNX Runtime on its export.
    /// </summary>
    public static class LanguageBench
    {
        public sealed record TrainResult(int Batch, Stats Generated, Stats? PyTorch, string PythonNote, string PyTorchName);

        public sealed record GenerateResult(int Prompt, int Tokens, Stats Torch, Stats Onnx);

        /// <summary>
        /// AdamW steps on one fixed batch of <paramref name="batch"/> windows of 128 ids (next-token cross-entropy over
        /// every position, as the runtime's LanguageModelTask): <paramref name="repeats"/> rounds of
        /// <paramref name="steps"/> steps, the two contenders alternating round by round.
        /// </summary>
        public static TrainResult Train(Options o, int batch, int warmup, int steps, int repeats)
        {
            Console.WriteLine($"-- gpt-mini training step, batch {batch} x 128 tokens: generated (TorchSharp) vs its twin in PyTorch eager; AdamW; {warmup} warm-up steps, {repeats} alternating rounds of {steps} steps");
            torch.manual_seed(0);
            var net = new GptMini();
            string dir = Directory.CreateTempSubdirectory("dsl-bench-lm").FullName;
            try
            {
                string weights = Path.Combine(dir, "init.safetensors");
                net.SavePyTorch(weights);
                var task = new LanguageModelTask();
                using var x = torch.randint(0, 256, new long[] { batch, 128 }, dtype: ScalarType.Int64);
                using var y = torch.randint(0, 256, new long[] { batch, 128 }, dtype: ScalarType.Int64);
                net.train();
                var opt = torch.optim.AdamW(net.parameters(), 1e-3, weight_decay: 0.1);
                double Ours(int k)
                {
                    var sw = Stopwatch.StartNew();
                    for (int i = 0; i < k; i++)
                    {
                        using var scope = torch.NewDisposeScope();
                        opt.zero_grad();
                        var loss = task.Loss(net.call(x), y);
                        loss.backward();
                        opt.step();
                    }
                    return sw.Elapsed.TotalSeconds;
                }
                var python = Python(o, dir, weights, batch, out string note);
                Ours(warmup);
                python?.Run(warmup);
                var ours = new List<double>();
                var theirs = new List<double>();
                long tokens = (long)batch * 128 * steps;
                for (int r = 0; r < repeats; r++)
                {
                    ours.Add(tokens / Ours(steps));
                    if (python is not null) theirs.Add(tokens / python.Run(steps));
                }
                python?.Dispose();
                opt.Dispose();
                var g = new Stats(ours);
                var p = python is null ? null : new Stats(theirs);
                Console.WriteLine($"   generated (TorchSharp)       tokens/s {g.Format("F0")}");
                if (p is not null) Console.WriteLine($"   {python!.Name,-28} tokens/s {p.Format("F0")}");
                else Console.WriteLine("   PyTorch eager: " + note);
                return new TrainResult(batch, g, p, note, python?.Name ?? "PyTorch eager");
            }
            finally
            {
                net.Dispose();
                Directory.Delete(dir, recursive: true);
            }
        }

        /// <summary>gpt-mini's twin and train.py in <paramref name="dir"/>, stepped by pytorch_lm_step.py; null (with the reason) without python3-torch.</summary>
        private static ModelBench.Contender? Python(Options o, string dir, string weights, int batch, out string note)
        {
            note = "";
            const string python = "/usr/bin/python3";
            string script = Path.Combine(AppContext.BaseDirectory, "pytorch_lm_step.py");
            if (o.NoPython) { note = "skipped: --no-python"; return null; }
            if (!File.Exists(python) || !File.Exists(script)) { note = "skipped: python3-torch not installed"; return null; }
            var files = PyTorchExport.Export(GptMini.Info, Path.Combine(dir, "model.py"));
            var psi = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { script, "--threads", o.Threads.ToString(CultureInfo.InvariantCulture), "--twin", files.ModelPath, "--weights", weights, "--batch", batch.ToString(CultureInfo.InvariantCulture) })
                psi.ArgumentList.Add(a);
            var p = Process.Start(psi)!;
            p.ErrorDataReceived += (_, _) => { };
            p.BeginErrorReadLine();
            string? ready = p.StandardOutput.ReadLine();
            if (ready is null || !ready.StartsWith("ready ", StringComparison.Ordinal))
            {
                p.WaitForExit(5000);
                note = "skipped: the PyTorch script did not start";
                return null;
            }
            var parts = ready.Split(' ');
            note = $"PyTorch {parts[1]}, {long.Parse(parts[2], CultureInfo.InvariantCulture):N0} parameters";
            return new ModelBench.Contender($"PyTorch {parts[1]} eager (twin)", steps =>
            {
                p.StandardInput.WriteLine("steps " + steps.ToString(CultureInfo.InvariantCulture));
                p.StandardInput.Flush();
                string line = p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the PyTorch script ended early");
                return double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
            }, () =>
            {
                try { p.StandardInput.WriteLine("quit"); p.StandardInput.Close(); p.WaitForExit(10000); }
                finally { p.Dispose(); }
            });
        }

        /// <summary>
        /// Greedy generation of <paramref name="tokens"/> tokens after a <paramref name="prompt"/>-token prompt, batch 1, eval
        /// mode: each token is one forward over the sequence so far (no cache of keys and values, in either engine) and an
        /// argmax. TorchSharp eager under no_grad against ONNX Runtime on the exported model (intra-op threads =
        /// <paramref name="threads"/>); the runs alternate. Reported: milliseconds per generated token.
        /// </summary>
        public static GenerateResult Generate(int prompt, int tokens, int warmup, int runs, int threads)
        {
            Console.WriteLine($"-- gpt-mini generation, batch 1: {prompt}-token prompt + {tokens} tokens (greedy, no key/value cache): TorchSharp eager vs ONNX Runtime ({threads} intra-op threads); {warmup} warm-up and {runs} alternating runs each");
            torch.manual_seed(0);
            using var net = new GptMini();
            net.eval();
            using var onnx = OnnxPredictor.For(net, threads);
            using var start = torch.randint(0, 256, new long[] { 1, prompt }, dtype: ScalarType.Int64);
            double Run(Func<Tensor, Tensor> forward)
            {
                var sw = Stopwatch.StartNew();
                using var scope = torch.NewDisposeScope();
                var ids = start.clone();
                for (int i = 0; i < tokens; i++)
                {
                    var window = ids.shape[1] > 128 ? ids.narrow(1, ids.shape[1] - 128, 128) : ids;
                    var next = forward(window).select(1, -1).argmax(-1, keepdim: true);
                    ids = torch.cat(new[] { ids, next }, 1);
                }
                return sw.Elapsed.TotalMilliseconds / tokens;
            }
            Tensor Eager(Tensor ids) { using (torch.no_grad()) return net.call(ids); }
            Tensor Onnx(Tensor ids) => onnx.call(ids);
            for (int i = 0; i < warmup; i++) { Run(Eager); Run(Onnx); }
            var t = new List<double>();
            var o = new List<double>();
            for (int i = 0; i < runs; i++) { t.Add(Run(Eager)); o.Add(Run(Onnx)); }
            var ts = new Stats(t);
            var os = new Stats(o);
            Console.WriteLine($"   TorchSharp eager             ms/token {ts.Format("F2")}");
            Console.WriteLine($"   ONNX Runtime                 ms/token {os.Format("F2")}");
            return new GenerateResult(prompt, tokens, ts, os);
        }
    }
}
