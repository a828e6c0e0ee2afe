using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Dsl.Runtime.Interop;
using ResNetSample;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.ResNetFamily
{
    /// <summary>
    /// Weights move between PyTorch (torchvision's resnet18) and the generated torchvision-compatible
    /// <see cref="ResNet18"/> in both directions, with the same logits. Skipped without python3-torch.
    /// </summary>
    public sealed class PyTorchInteropTests
    {
        private static string Script => Path.Combine(PythonOracle.RepoRoot(), "scripts", "resnet18-interop.py");

        [SkippableFact]
        public void TorchVisionWeightsGiveTheSameLogitsInTorchSharp()
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-interop-py").FullName;
            try
            {
                var (code, output, error) = PythonOracle.Run($"\"{Script}\" export \"{dir}\"", TimeSpan.FromMinutes(5));
                Assert.True(code == 0, output + error);

                using var scope = NewDisposeScope();
                using var _ = no_grad();
                using var net = new ResNet18().LoadPyTorch(Path.Combine(dir, "resnet18.pth"));
                net.eval();
                var io = PyTorchCheckpoint.ReadTensors(Path.Combine(dir, "resnet18-io.pth"));
                var logits = net.forward(io["input"]);
                Assert.Equal(io["logits"].shape, logits.shape);
                double diff = (logits - io["logits"]).abs().max().item<float>();
                Assert.True(diff < 1e-4, $"max |logits difference| = {diff}");
                Assert.Equal(7L, net.bn1.num_batches_tracked!.item<long>());
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        [SkippableFact]
        public void TorchSharpWeightsGiveTheSameLogitsInPyTorch()
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-interop-cs").FullName;
            try
            {
                using (var scope = NewDisposeScope())
                using (no_grad())
                {
                    manual_seed(1);
                    using var net = new ResNet18();
                    RandomizeBatchNorm(net);
                    net.eval();
                    var x = randn(1, 3, 224, 224);
                    var y = net.forward(x);
                    net.SavePyTorch(Path.Combine(dir, "csharp.pth"));
                    net.SavePyTorch(Path.Combine(dir, "csharp.safetensors"));
                    PyTorchCheckpoint.SaveTensors(new Dictionary<string, Tensor> { ["input"] = x, ["logits"] = y }, Path.Combine(dir, "csharp-io.pth"));

                    // The safetensors file loads back into a fresh network with the same logits.
                    using var copy = new ResNet18().LoadPyTorch(Path.Combine(dir, "csharp.safetensors"));
                    copy.eval();
                    Assert.Equal(0.0, (copy.forward(x) - y).abs().max().item<float>(), 6);
                }
                var (code, output, error) = PythonOracle.Run($"\"{Script}\" check \"{dir}\"", TimeSpan.FromMinutes(5));
                Assert.True(code == 0, "python check failed: " + output + error);
                Assert.Contains("keys=122", output);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        /// <summary>
        /// Gives every BatchNorm2d random statistics and affine parameters (a fresh one is the identity in eval mode, so a
        /// network that dropped it would pass): running means in [-0.5, 0.5), shifts in +-<paramref name="biasHalfRange"/>,
        /// variances and scales in [0.5, 1.5). Shared by the torchvision comparisons.
        /// </summary>
        internal static void RandomizeBatchNorm(nn.Module net, double biasHalfRange = 0.2)
        {
            foreach (var (_, module) in net.named_modules())
            {
                if (module is not TorchSharp.Modules.BatchNorm2d bn) continue;
                bn.running_mean!.copy_(rand(bn.running_mean.shape) - 0.5);
                bn.running_var!.copy_(rand(bn.running_var.shape) + 0.5);
                bn.weight.copy_(rand(bn.weight.shape) + 0.5);
                bn.bias!.copy_(rand(bn.bias.shape) * (2 * biasHalfRange) - biasHalfRange);
                bn.num_batches_tracked!.fill_(3);
            }
        }
        /// <summary>
        /// Asserts that a declaration's outputs are torchvision's (<paramref name="io"/>: its input and each output by
        /// name, as the oracle saved them): the same names, each of <paramref name="shape"/>, within 1e-4 or 1e-5 of the
        /// largest logit, whichever is larger (deep torchvision networks under their own initialisation give logits from
        /// hundreds to 1e14, where float32 in another summation order differs by about 1e-6 of their magnitude; a wrong
        /// wiring differs by the logits' own size), and torchvision's output not constant. Shared by the torchvision
        /// comparisons of networks with several outputs.
        /// </summary>
        internal static void AssertTorchVisionOutputs(string name, IReadOnlyDictionary<string, Tensor> io, IReadOnlyDictionary<string, Tensor> outputs,
            long[] shape, Xunit.Abstractions.ITestOutputHelper log)
        {
            // Every output of the declaration is one of torchvision's, and the reverse.
            Assert.Equal(io.Keys.Where(k => k != "input").OrderBy(k => k), outputs.Keys.OrderBy(k => k));
            foreach (var (key, actual) in outputs)
            {
                Assert.Equal(shape, io[key].shape);
                Assert.Equal(io[key].shape, actual.shape);
                double diff = (actual - io[key]).abs().max().item<float>();
                double scale = io[key].abs().max().item<float>();
                log.WriteLine($"{name} {key}: torchvision weights in TorchSharp, max |difference| = {diff:E3}, max |logit| = {scale:G4}");
                Assert.True(diff < Math.Max(1e-4, 1e-5 * scale), $"{name} {key}: max |difference| = {diff} with logits up to {scale}");
                Assert.True(io[key].std().item<float>() > 1e-3, $"{name} {key}: torchvision's output is constant");
            }
        }
    }
}
