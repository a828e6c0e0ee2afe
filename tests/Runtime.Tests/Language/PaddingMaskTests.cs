using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Dsl.Runtime.Interop;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.PyTorch;
using Dsl.Runtime.Tests.PyTorch;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.Language
{
    /// <summary>An encoder whose attention (PyTorch's layout) does not attend to padding tokens (id 0).</summary>
    [Input(10, Vocabulary = 30)]
    [Embedding(16, PaddingIndex = 0, Name = "embed")]
    [PositionTable(10, Name = "positions")]
    [MultiheadSelfAttention(2, PaddingMask = true, Name = "attn")]
    [Linear(30, Name = "head")]
    public partial class PaddedEncoder;

    /// <summary>A causal decoder (GPT-2's layout, head tied to the embedding) whose attention does not attend to padding tokens (id 1).</summary>
    [Input(10, Vocabulary = 30)]
    [Embedding(16, PaddingIndex = 1, Name = "wte")]
    [PositionTable(10, Name = "wpe")]
    [MultiheadSelfAttention(2, Causal = true, Layout = AttentionLayout.Gpt2, PaddingMask = true, Name = "attn")]
    [Linear(30, Bias = false, Name = "head", TiedTo = "wte")]
    public partial class PaddedDecoder;

    /// <summary>
    /// <c>PaddingMask</c>: the logits of the other tokens do not depend on the padding tokens (their embedding, or how many
    /// trail the sequence), equal PyTorch's <c>nn.MultiheadAttention</c> with <c>key_padding_mask</c> on the same weights,
    /// and the ONNX model and the PyTorch twin compute the same.
    /// </summary>
    public sealed class PaddingMaskTests
    {
        /// <summary>Two sequences: the first ends in four padding tokens, the second has one in the middle.</summary>
        private static Tensor Ids(long pad)
        {
            var ids = torch.tensor(new long[,] { { 5, 9, 3, 7, 12, 4, pad, pad, pad, pad }, { 8, 2, 14, pad, 6, 21, 11, 3, 17, 25 } });
            return ids;
        }

        private static Tensor NonPadding(Tensor ids, long pad) => ids.ne(pad).unsqueeze(-1);

        private static double MaxDifferenceWhere(Tensor a, Tensor b, Tensor where) =>
            (a - b).abs().masked_fill(where.logical_not(), 0).max().item<float>();

        public static TheoryData<string> Networks() => new() { nameof(PaddedEncoder), nameof(PaddedDecoder) };

        private static (nn.Module<Tensor, Tensor> Net, long Pad, bool Causal, Dsl.NetworkInfo Info) Create(string name)
        {
            torch.manual_seed(3);
            return name == nameof(PaddedEncoder)
                ? (new PaddedEncoder(), 0, false, PaddedEncoder.Info)
                : (new PaddedDecoder(), 1, true, PaddedDecoder.Info);
        }

        [Theory]
        [MemberData(nameof(Networks))]
        public void The_other_tokens_logits_ignore_the_padding_tokens(string name)
        {
            var (net, pad, _, _) = Create(name);
            using var _net = net;
            net.eval();
            using var scope = torch.NewDisposeScope();
            using var __ = torch.no_grad();
            var ids = Ids(pad);
            var before = net.call(ids);
            // Another padding vector (the embedding's row of the padding index) changes nothing but the padding positions.
            var table = net.named_parameters().First(p => p.name.EndsWith("weight", StringComparison.Ordinal) && p.parameter.shape[0] == 30 && p.parameter.shape[1] == 16).parameter;
            table[pad] = torch.randn(16) * 3;
            var after = net.call(ids);
            // (A head tied to the embedding scores the padding id with that row itself: its column is left out.)
            var otherIds = torch.arange(30).ne(pad);
            Assert.True(MaxDifferenceWhere(before, after, NonPadding(ids, pad).logical_and(otherIds)) < 1e-6, "a padding token's vector changed another token's logits");
            Assert.True((before - after).abs().max().item<float>() > 1e-3, "the padding positions' own logits did not change: the test changed nothing");
            // The first sequence without its trailing padding gives the same logits at its six tokens.
            var shorter = net.call(ids.narrow(0, 0, 1).narrow(1, 0, 6));
            double difference = (shorter - after.narrow(0, 0, 1).narrow(1, 0, 6)).abs().max().item<float>();
            Assert.True(difference < 1e-5, $"four trailing padding tokens changed the other tokens' logits by {difference}");
        }

        [SkippableTheory]
        [MemberData(nameof(Networks))]
        public void Logits_equal_PyTorchs_key_padding_mask_and_the_ONNX_model_and_twin_follow(string name)
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            var (net, pad, causal, info) = Create(name);
            using var _net = net;
            net.eval();
            using var ids = Ids(pad);
            Tensor logits;
            using (torch.no_grad()) logits = net.call(ids);
            var mask = NonPadding(ids, pad);

            using (var onnx = new OnnxPredictor(((IDeclaredNetwork)net).ToOnnx(), threads: 1))
            using (var fromOnnx = onnx.call(ids))
            {
                double onnxDifference = (fromOnnx - logits).abs().max().item<float>();
                Assert.True(onnxDifference < 1e-5, $"{name}: ONNX Runtime's logits differ by up to {onnxDifference}");
            }

            var dir = Directory.CreateTempSubdirectory("dsl-padding-oracle").FullName;
            try
            {
                net.SavePyTorch(Path.Combine(dir, "weights.pth"));
                PyTorchCheckpoint.SaveTensors(new Dictionary<string, Tensor> { ["ids"] = ids }, Path.Combine(dir, "ids.pth"));
                string twin = Path.Combine(dir, "twin.py");
                File.WriteAllText(twin, PyTorchTwin.Render(info), new UTF8Encoding(false));
                var result = PythonTorch.Run(new[] { Path.Combine(PythonTorch.Helpers, "padding_oracle.py"), dir, pad.ToString(System.Globalization.CultureInfo.InvariantCulture), causal ? "1" : "0", twin, name }, TimeSpan.FromMinutes(5));
                Assert.True(result.ExitCode == 0, result.ToString());
                var results = PyTorchCheckpoint.ReadTensors(Path.Combine(dir, "logits.pth"));
                double oracle = MaxDifferenceWhere(logits, results["logits"], mask);
                Assert.True(oracle < 1e-5, $"{name}: PyTorch's key_padding_mask gives other logits, by up to {oracle}");
                double twinDifference = (logits - results["twin"]).abs().max().item<float>();
                Assert.True(twinDifference < 1e-5, $"{name}: the twin's logits differ by up to {twinDifference}");
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
