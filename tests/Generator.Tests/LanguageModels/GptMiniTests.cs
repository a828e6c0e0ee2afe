using System;
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
    /// The small GPT (<see cref="GptMini"/>): causal masking, the run-time length and type checks of token input, and its
    /// logits against the same independent PyTorch GPT as the full-size one.
    /// </summary>
    public sealed class GptMiniTests
    {
        private static GptMini Create()
        {
            torch.manual_seed(3);
            var net = new GptMini();
            net.eval();
            return net;
        }

        [Fact]
        public void ChangingALaterTokenLeavesEarlierLogitsUnchanged()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var net = Create();
            var ids = torch.randint(0, 256, new long[] { 2, 40 }, dtype: ScalarType.Int64);
            var changed = ids.clone();
            changed[TensorIndex.Colon, 25] = (ids[TensorIndex.Colon, 25] + 1) % 256;
            var before = net.forward(ids);
            var after = net.forward(changed);
            Assert.Equal(0.0, (before[.., ..25] - after[.., ..25]).abs().max().item<float>());
            Assert.True((before[.., 25..] - after[.., 25..]).abs().max().item<float>() > 1e-3, "the changed token and those after it see the change");
        }

        [Fact]
        public void AnyLengthUpToTheDeclaredOneRuns_LongerAndRealInputAreRefused()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var net = Create();
            Assert.Equal(new long[] { 3, 1, 256 }, net.forward(torch.zeros(3, 1, dtype: ScalarType.Int64)).shape);
            Assert.Equal(new long[] { 1, 128, 256 }, net.forward(torch.zeros(1, 128, dtype: ScalarType.Int64)).shape);
            var longer = Assert.ThrowsAny<ArgumentException>(() => net.forward(torch.zeros(1, 129, dtype: ScalarType.Int64)));
            Assert.Equal("GptMini takes a batch of at most 128 token ids per sample, [N, L] with 1 <= L <= 128, but received [1, 129]. (Parameter 'input')", longer.Message);
            var reals = Assert.ThrowsAny<ArgumentException>(() => net.forward(torch.zeros(1, 8)));
            Assert.StartsWith("GptMini takes token ids: an integer tensor [N, L] (int64), not Float32", reals.Message);
            var outside = Assert.ThrowsAny<ArgumentException>(() => net.forward(torch.full(1, 8, 256L, dtype: ScalarType.Int64)));
            Assert.StartsWith("GptMini takes token ids in [0, 256); the input holds 256.", outside.Message);
        }

        [Theory]
        [InlineData(6)]
        [InlineData(5)]
        public void TheSinusoidalTableIsTheTransformerPapers(int dim)
        {
            // PE(pos, 2i) = sin(pos / 10000^(2i / d)), PE(pos, 2i + 1) = cos(pos / 10000^(2i / d)) ("Attention Is All You Need").
            using var table = Dsl.Layers.PositionTable.Sinusoid(7, dim, ScalarType.Float64);
            for (int pos = 0; pos < 7; pos++)
            {
                for (int j = 0; j < dim; j++)
                {
                    double angle = pos / Math.Pow(10000, (j - j % 2) / (double)dim);
                    double expected = j % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle);
                    Assert.Equal(expected, table[pos, j].item<double>(), 12);
                }
            }
        }

        [Fact]
        public void CountsAndShapes()
        {
            // wte 256 x 128, wpe 128 x 128, 4 blocks of 12 D^2 + 13 D (D = 128, MLP 4D), ln_f; lm_head shares wte.
            long block = 12L * 128 * 128 + 13 * 128;
            long expected = 256L * 128 + 128L * 128 + 4 * block + 2 * 128;
            Assert.Equal(expected, GptMini.Info.TotalParameters);
            using var net = Create();
            Assert.Equal(expected, net.parameters().Sum(p => p.numel()));
            Assert.Equal(new Shape(128, 256), GptMini.OutputShape);
        }

        [SkippableFact]
        public void KeysAndLogitsEqualAPlainPyTorchGpt()
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var net = Create();
            var ids = torch.randint(0, 256, new long[] { 3, 128 }, dtype: ScalarType.Int64);
            var oracle = GptOracle.Run(net, ids, 256, 128, 128, 4, 4, 512);
            try
            {
                // A PyTorch GPT's own checkpoint (the tied weight under both keys) loads strictly into a fresh network.
                using var fresh = new GptMini().LoadPyTorch(oracle.Reference);
                fresh.eval();
                Assert.Equal(0.0, (fresh.forward(ids) - net.forward(ids)).abs().max().item<float>());
            }
            finally
            {
                System.IO.File.Delete(oracle.Reference);
            }
            Assert.Equal(oracle.Parameters, GptOracle.ParameterLines(net));
            Assert.Equal(oracle.StateDict.Where(k => k != "lm_head.weight"), net.state_dict().Keys);
            var logits = net.forward(ids);
            double diff = (logits - oracle.Logits).abs().max().item<float>();
            Assert.True(diff < 1e-4, $"max |logits difference| = {diff}");
        }
    }
}
