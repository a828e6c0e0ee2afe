using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Dsl.Generator.Tests.ResNetFamily;
using Dsl.Runtime.Interop;
using ResNetSample;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.LanguageModels
{
    /// <summary>
    /// Runs <c>TestData/gpt_oracle.py</c>, an independent GPT-2 in plain PyTorch with nanoGPT's module names and tied
    /// weights, on the C# network's weights and token ids: its parameter names and shapes, state_dict keys, what loading
    /// reported, and its logits.
    /// </summary>
    internal sealed class GptOracle
    {
        public required List<string> Parameters { get; init; }
        public required List<string> StateDict { get; init; }
        public required string Report { get; init; }
        public required Tensor Logits { get; init; }

        /// <summary>The oracle's own state_dict as PyTorch saved it (with <c>lm_head.weight</c> beside <c>transformer.wte.weight</c>), as a file copy.</summary>
        public required string Reference { get; init; }

        /// <param name="float64">Whether the oracle computes in float64 (the network's weights as they are, widened).</param>
        public static GptOracle Run(nn.Module<Tensor, Tensor> net, Tensor ids, long vocabulary, long context, long dim, long layers, long heads, long hidden, bool float64 = false)
        {
            var dir = Directory.CreateTempSubdirectory("dsl-gpt-oracle").FullName;
            try
            {
                net.SavePyTorch(Path.Combine(dir, "weights.pth"));
                PyTorchCheckpoint.SaveTensors(new Dictionary<string, Tensor> { ["ids"] = ids }, Path.Combine(dir, "ids.pth"));
                string script = Harness.TestData("gpt_oracle.py");
                var (code, output, error) = PythonOracle.Run($"\"{script}\" \"{dir}\" {vocabulary} {context} {dim} {layers} {heads} {hidden}{(float64 ? " float64" : "")}", TimeSpan.FromMinutes(10));
                Assert.True(code == 0, output + error);
                return new GptOracle
                {
                    Parameters = File.ReadAllLines(Path.Combine(dir, "parameters.txt")).ToList(),
                    StateDict = File.ReadAllLines(Path.Combine(dir, "state_dict.txt")).ToList(),
                    Report = output.Trim(),
                    Logits = PyTorchCheckpoint.ReadTensors(Path.Combine(dir, "logits.pth"))["logits"],
                    Reference = KeepCopy(Path.Combine(dir, "reference.pth")),
                };
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        private static string KeepCopy(string file)
        {
            string copy = Path.Combine(Path.GetTempPath(), "dsl-gpt-reference-" + Guid.NewGuid().ToString("N") + ".pth");
            File.Copy(file, copy);
            return copy;
        }

        /// <summary>"name d0 d1" per parameter, as the oracle writes them.</summary>
        public static List<string> ParameterLines(nn.Module net) =>
            net.named_parameters().Select(p => p.name + " " + string.Join(" ", p.parameter.shape)).ToList();
    }

    /// <summary>The full-size GPT-2 (124M parameters), built once for the class.</summary>
    public sealed class Gpt2Fixture : IDisposable
    {
        public Gpt2Fixture()
        {
            torch.manual_seed(7);
            Net = new Gpt2();
            Net.eval();
            Ids = torch.randint(0, 50257, new long[] { 2, 64 }, dtype: ScalarType.Int64);
        }

        public Gpt2 Net { get; }

        /// <summary>Two sequences of 64 token ids (shorter than the declared 1024: the length is free up to it).</summary>
        public Tensor Ids { get; }

        public void Dispose()
        {
            Net.Dispose();
            Ids.Dispose();
        }
    }

    /// <summary>
    /// The declared <see cref="Gpt2"/> is GPT-2 small with nanoGPT's layout: its parameter count, its keys and shapes and
    /// its logits against an independent PyTorch GPT-2 loading the same weights (skipped, saying why, without
    /// python3-torch).
    /// </summary>
    public sealed class Gpt2Tests : IClassFixture<Gpt2Fixture>
    {
        private readonly Gpt2Fixture _gpt;

        public Gpt2Tests(Gpt2Fixture gpt) => _gpt = gpt;

        [Fact]
        public void ParameterCountIsGpt2Smalls_WithTheTiedWeightCountedOnce()
        {
            Assert.Equal(124_439_808L, Gpt2.ParameterCount);
            Assert.Equal(Gpt2.ParameterCount, Gpt2.Info.TotalParameters);
            var parameters = _gpt.Net.parameters().ToList();
            Assert.Equal(124_439_808L, parameters.Sum(p => p.numel()));
            Assert.Equal(parameters.Count, parameters.Select(p => p.Handle).Distinct().Count());
            Assert.Equal(0L, Gpt2.Info.Layers.Single(l => l.Name == "lm_head").Parameters);
        }

        [Fact]
        public void CompileTimeShapesAreLogitsPerPosition()
        {
            Assert.Equal(new Shape(1024), Gpt2.InputShape);
            Assert.Equal(new Shape(1024, 50257), Gpt2.OutputShape);
            var rows = Gpt2.Info.Layers.ToDictionary(l => l.Name);
            Assert.Equal(new Shape(1024, 768), rows["transformer.wte"].OutputShape);
            Assert.Equal(50257L * 768, rows["transformer.wte"].Parameters);
            Assert.Equal(1024L * 768, rows["transformer.wpe"].Parameters);
            Assert.Equal(7_087_872L, rows["transformer.h.11"].Parameters);
            Assert.Equal(768L * 2304 + 2304 + 768L * 768 + 768, rows["transformer.h.0.attn"].Parameters);
        }

        [Fact]
        public void TheHeadUsesTheTokenEmbeddingsWeight_OneStateDictKey()
        {
            var keys = _gpt.Net.state_dict().Keys.ToList();
            Assert.Contains("transformer.wte.weight", keys);
            Assert.DoesNotContain("lm_head.weight", keys);
            var wte = _gpt.Net.get_parameter("transformer.wte.weight") ?? _gpt.Net.named_parameters().Single(p => p.name == "transformer.wte.weight").parameter;
            Assert.Equal(wte.Handle, _gpt.Net.lm_head.weight.Handle);
        }

        [SkippableFact]
        public void KeysShapesAndLogitsEqualAPlainPyTorchGpt2()
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var oracle = GptOracle.Run(_gpt.Net, _gpt.Ids, 50257, 1024, 768, 12, 12, 3072);
            File.Delete(oracle.Reference);
            // PyTorch lists a tied parameter once (under its first name, transformer.wte.weight); its state_dict has both keys.
            Assert.Equal(oracle.Parameters, GptOracle.ParameterLines(_gpt.Net));
            Assert.Equal(148, oracle.Parameters.Count);
            Assert.Equal(oracle.StateDict.Where(k => k != "lm_head.weight"), _gpt.Net.state_dict().Keys);
            Assert.Equal("missing: lm_head.weight\nunexpected:", oracle.Report.Replace("\r", ""));
            var logits = _gpt.Net.forward(_gpt.Ids);
            Assert.Equal(new long[] { 2, 64, 50257 }, logits.shape);
            double diff = (logits - oracle.Logits).abs().max().item<float>();
            Assert.True(diff < 1e-4, $"max |logits difference| = {diff}");
            Assert.True(oracle.Logits.abs().max().item<float>() > 0.1, "the reference logits are not trivial");
        }
    }
}
