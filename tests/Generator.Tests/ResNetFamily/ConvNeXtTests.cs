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
    /// The ConvNeXt-T sample is torchvision's convnext_tiny: its module tree, the block's own <c>layer_scale</c>
    /// parameter, the torchvision layers Dsl provides (Permute, LayerNorm2d, StochasticDepth), and the same logits as
    /// torchvision with the same weights, both ways through .pth files (skipped without python3-torch/torchvision).
    /// Keys, shapes and counts are in <see cref="TorchVisionCompatibilityTests"/>.
    /// </summary>
    public sealed class ConvNeXtTests
    {
        private static string Script => Path.Combine(PythonOracle.RepoRoot(), "scripts", "convnext-interop.py");

        [Fact]
        public void HasTorchVisionsStructure()
        {
            using var net = new ConvNeXtTiny();
            var state = net.state_dict();
            Assert.Equal(182, state.Count);
            Assert.Equal(new long[] { 96, 1, 1 }, state["features.1.0.layer_scale"].shape);
            Assert.Equal(new long[] { 768, 1, 1 }, state["features.7.2.layer_scale"].shape);
            Assert.Equal(ScalarType.Float32, state["features.1.0.layer_scale"].dtype);
            Assert.All(state.Where(p => p.Key.EndsWith("layer_scale", StringComparison.Ordinal)), p => Assert.Equal(1e-6f, p.Value.max().item<float>()));

            var modules = net.named_modules().ToDictionary(m => m.name, m => m.module);
            Assert.IsType<Dsl.Layers.Permute>(modules["features.1.0.block.1"]);
            Assert.IsType<Dsl.Layers.LayerNorm2d>(modules["features.0.1"]);
            Assert.IsType<Dsl.Layers.LayerNorm2d>(modules["classifier.0"]);
            Assert.IsType<TorchSharp.Modules.LayerNorm>(modules["features.1.0.block.2"]);
            // The drop probability grows linearly over the 18 blocks, as torchvision computes it.
            var depth = (Dsl.Layers.StochasticDepth)modules["features.5.4.stochastic_depth"];
            Assert.Equal(0.1 * 10 / 17.0, depth.p);
            Assert.Equal("row", depth.mode);
            Assert.Equal(0.0, ((Dsl.Layers.StochasticDepth)modules["features.1.0.stochastic_depth"]).p);
            Assert.Equal(0.1, ((Dsl.Layers.StochasticDepth)modules["features.7.2.stochastic_depth"]).p);

            // Compile-time facts of the block parameter: the block's count includes it, the graph records it.
            var block = ConvNeXtTiny.Info.Layers.Single(l => l.Name == "features.1.0");
            Assert.Equal(modules["features.1.0"].parameters().Sum(p => p.numel()), block.Parameters);
            Assert.Contains("\"tensors\":[{\"name\":\"layer_scale\",\"shape\":[96,1,1],\"init\":\"full\",\"value\":1E-06,\"channels\":\"inChannels\"}]", ConvNeXtTiny.Info.Graph);
            Assert.Contains("{\"op\":\"param_mul\",\"out\":\"y\",\"in\":[\"y\"],\"param\":\"layer_scale\"}", ConvNeXtTiny.Info.Graph);
        }

        [Fact]
        public void AllBlocksShareOneClassAsInTorchVision()
        {
            using var net = new ConvNeXtTiny();
            var types = net.named_modules().Where(m => m.name.EndsWith(".stochastic_depth", StringComparison.Ordinal))
                .Select(m => net.named_modules().Single(n => n.name == m.name[..m.name.LastIndexOf('.')]).module.GetType().Name).Distinct().ToList();
            // One class (torchvision's CNBlock), not one per width or per block: the channels (which also size the layer
            // scale) and the drop probability are constructor arguments.
            Assert.Equal(new[] { "CNBlockModule" }, types);
        }

        [Fact]
        public void TorchVisionLayersBehaveAsTorchVisions()
        {
            using var scope = NewDisposeScope();
            manual_seed(3);
            var x = randn(4, 6, 5, 3);

            using var permute = new Dsl.Layers.Permute(0, 2, 3, 1);
            Assert.Equal(new long[] { 4, 5, 3, 6 }, permute.forward(x).shape);

            using var norm = new Dsl.Layers.LayerNorm2d(6, eps: 1e-6);
            norm.weight.requires_grad = false;
            norm.weight.uniform_(0.5, 1.5);
            var expected = nn.functional.layer_norm(x.permute(0, 2, 3, 1), new long[] { 6 }, norm.weight, norm.bias, 1e-6).permute(0, 3, 1, 2);
            Assert.True(norm.forward(x).allclose(expected, rtol: 0, atol: 1e-6));
            Assert.Equal(new[] { "weight", "bias" }, norm.state_dict().Keys);

            using var depth = new Dsl.Layers.StochasticDepth(0.5);
            depth.eval();
            Assert.True(depth.forward(x).allclose(x, rtol: 0, atol: 0));
            depth.train();
            var y = depth.forward(ones(1000, 2, 2, 2));
            // Row mode: each sample is all zeros or all 1 / (1 - p).
            var perSample = y.flatten(1);
            Assert.True(perSample.min(1).values.allclose(perSample.max(1).values, rtol: 0, atol: 0));
            var kept = (perSample[.., 0] == 2.0f).sum().item<long>();
            Assert.Equal(1000L, kept + (perSample[.., 0] == 0.0f).sum().item<long>());
            Assert.InRange(kept, 400L, 600L);

            using var batch = new Dsl.Layers.StochasticDepth(0.5, "batch");
            batch.train();
            var b = batch.forward(ones(100, 3)).flatten();
            Assert.True(b.min().allclose(b.max(), rtol: 0, atol: 0));
        }

        [SkippableFact]
        public void ModuleNamesEqualTorchVisions()
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-convnext-modules").FullName;
            try
            {
                var (code, output, error) = PythonOracle.Run($"\"{Script}\" modules \"{dir}\"", TimeSpan.FromMinutes(5));
                Assert.True(code == 0, output + error);
                // Sorted: TorchSharp lists a module's children before their descendants, PyTorch goes depth first.
                var expected = File.ReadAllLines(Path.Combine(dir, "convnext_tiny-modules.txt")).Where(l => l.Length > 0).OrderBy(n => n, StringComparer.Ordinal).ToList();
                using var net = new ConvNeXtTiny();
                var actual = net.named_modules().Select(m => m.name).Where(n => n.Length > 0).OrderBy(n => n, StringComparer.Ordinal).ToList();
                Assert.Equal(expected.Count, actual.Count);
                Assert.Equal(expected, actual);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        [SkippableFact]
        public void TorchVisionWeightsGiveTheSameLogitsInTorchSharp()
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-convnext-py").FullName;
            try
            {
                var (code, output, error) = PythonOracle.Run($"\"{Script}\" export \"{dir}\"", TimeSpan.FromMinutes(5));
                Assert.True(code == 0, output + error);

                using var scope = NewDisposeScope();
                using var _ = no_grad();
                using var net = new ConvNeXtTiny().LoadPyTorch(Path.Combine(dir, "convnext_tiny.pth"));
                net.eval();
                var io = PyTorchCheckpoint.ReadTensors(Path.Combine(dir, "convnext_tiny-io.pth"));
                var logits = net.forward(io["input"]);
                Assert.Equal(io["logits"].shape, logits.shape);
                double diff = (logits - io["logits"]).abs().max().item<float>();
                Assert.True(diff < 1e-4, $"max |logits difference| = {diff}");
                // The layer scales were loaded (torchvision's start at 1e-6; the exported ones are random in [0.5, 1.5]).
                Assert.True(net.state_dict()["features.3.1.layer_scale"].min().item<float>() >= 0.5f);
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
            var dir = Directory.CreateTempSubdirectory("dsl-convnext-cs").FullName;
            try
            {
                using (var scope = NewDisposeScope())
                using (no_grad())
                {
                    manual_seed(1);
                    using var net = new ConvNeXtTiny();
                    foreach (var (name, p) in net.named_parameters().Where(p => p.name.EndsWith("layer_scale", StringComparison.Ordinal)))
                        p.uniform_(0.5, 1.5);
                    net.eval();
                    var x = randn(2, 3, 224, 224);
                    var y = net.forward(x);
                    net.SavePyTorch(Path.Combine(dir, "csharp.pth"));
                    PyTorchCheckpoint.SaveTensors(new Dictionary<string, Tensor> { ["input"] = x, ["logits"] = y }, Path.Combine(dir, "csharp-io.pth"));
                }
                var (code, output, error) = PythonOracle.Run($"\"{Script}\" check \"{dir}\"", TimeSpan.FromMinutes(5));
                Assert.True(code == 0, "python check failed: " + output + error);
                Assert.Contains("keys=182", output);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
