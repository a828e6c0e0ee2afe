using System;
using System.IO;
using System.Linq;
using Dsl.Runtime.Interop;
using ResNetSample;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.ResNetFamily
{
    /// <summary>
    /// The declared ViT-B/16 (<see cref="VitB16"/>) is torchvision's <c>vit_b_16</c>: the same state_dict keys and shapes,
    /// parameter count, compile-time shapes equal to runtime shapes, and the same logits with torchvision's weights
    /// (skipped without python3-torch / python3-torchvision).
    /// </summary>
    public sealed class VisionTransformerTests
    {
        [Fact]
        public void StateDictKeysAndShapesEqualTorchVision()
        {
            var expected = TorchVisionCompatibilityTests.Sorted(File.ReadAllLines(Harness.TestData("torchvision", "vit_b_16.txt")));
            using var net = new VitB16();
            var actual = TorchVisionCompatibilityTests.StateDictLines(net);
            Assert.Equal(152, expected.Count);
            Assert.Equal(expected, actual);
        }

        [Fact]
        public void OwnTensorsComeFirstInTheStateDict()
        {
            // PyTorch lists a module's own parameters before its submodules': class_token, then conv_proj; pos_embedding first in encoder.
            using var net = new VitB16();
            var keys = net.state_dict().Keys.ToList();
            Assert.Equal("class_token", keys[0]);
            Assert.Equal("conv_proj.weight", keys[1]);
            Assert.Equal("encoder.pos_embedding", keys[3]);
        }

        [Fact]
        public void ParameterCountEqualsTorchVision()
        {
            Assert.Equal(86_567_656L, VitB16.ParameterCount);
            Assert.Equal(VitB16.ParameterCount, VitB16.Info.TotalParameters);
            using var net = new VitB16();
            Assert.Equal(86_567_656L, net.parameters().Sum(p => p.numel()));
            Assert.Equal(new Shape(1000), VitB16.OutputShape);
            var encoder = VitB16.Info.Layers.Single(l => l.Name == "encoder");
            Assert.Equal(new Shape(197, 768), encoder.OutputShape);
            Assert.Equal(197L * 768 + 12 * 7_087_872 + 2 * 768, encoder.Parameters);
        }

        [Fact]
        public void CompileTimeShapesEqualRuntimeShapes()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var net = new VitB16();
            net.eval();
            var x = randn(2, 3, 224, 224);
            x = net.conv_proj.forward(x);
            Assert.Equal(new long[] { 2, 768, 14, 14 }, x.shape);
            x = net.tokens.forward(x);
            Assert.Equal(new long[] { 2, 196, 768 }, x.shape);
            var layers = VitB16.Info.Layers.ToDictionary(l => l.Name);
            Assert.Equal(new Shape(196, 768), layers["tokens"].OutputShape);
            Assert.Equal(new Shape(768), layers["token"].OutputShape);
            var y = net.forward(randn(2, 3, 224, 224));
            Assert.Equal(new long[] { 2, 1000 }, y.shape);
        }

        [SkippableFact]
        public void TorchVisionWeightsGiveTheSameLogits()
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-vit-py").FullName;
            try
            {
                string script = Path.Combine(PythonOracle.RepoRoot(), "scripts", "vit-interop.py");
                var (code, output, error) = PythonOracle.Run($"\"{script}\" export \"{dir}\"", TimeSpan.FromMinutes(5));
                Assert.True(code == 0, output + error);

                using var scope = NewDisposeScope();
                using var _ = no_grad();
                using var net = new VitB16().LoadPyTorch(Path.Combine(dir, "vit_b_16.pth"));
                net.eval();
                var io = PyTorchCheckpoint.ReadTensors(Path.Combine(dir, "vit_b_16-io.pth"));
                var logits = net.forward(io["input"]);
                Assert.Equal(io["logits"].shape, logits.shape);
                double diff = (logits - io["logits"]).abs().max().item<float>();
                Assert.True(diff < 1e-4, $"max |logits difference| = {diff}");
                Assert.True(io["logits"].abs().max().item<float>() > 0.1, "the reference logits are not trivial");
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
