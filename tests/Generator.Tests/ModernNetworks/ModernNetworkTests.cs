using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Dsl.Generator.Tests.ResNetFamily;
using Dsl.Runtime.Interop;
using ResNetSample;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.ModernNetworks
{
    /// <summary>
    /// torchvision's <c>mobilenet_v2</c>, <c>densenet121</c>, <c>mobilenet_v3_large</c> and <c>efficientnet_b0</c>, declared with user blocks in the sample: torchvision's
    /// keys (in its module structure), and the same logits as torchvision with the same weights, through .pth files in
    /// both directions (skipped, saying why, without python3-torch). Keys, shapes, counts and compile-time shapes for
    /// the whole list are in <see cref="TorchVisionCompatibilityTests"/>.
    /// </summary>
    public sealed class ModernNetworkTests(ITestOutputHelper log)
    {
        private static string Script => Path.Combine(PythonOracle.RepoRoot(), "scripts", "torchvision-oracle.py");

        public static TheoryData<string> Names => new() { "mobilenet_v2", "densenet121", "mobilenet_v3_large", "efficientnet_b0" };

        [Fact]
        public void MobileNetV2_has_torchvisions_module_structure()
        {
            using var net = new MobileNetV2();
            var keys = net.state_dict().Keys.ToList();
            Assert.Equal(314, keys.Count);
            Assert.Equal(3_504_872L, MobileNetV2.ParameterCount);
            // The stem, an inverted residual without expansion (conv.0 is the depthwise), one with (conv.0 expands), the last 1x1.
            Assert.Contains("features.0.0.weight", keys);
            Assert.Contains("features.1.conv.0.0.weight", keys);
            Assert.Contains("features.1.conv.1.weight", keys);
            Assert.Contains("features.2.conv.0.0.weight", keys);
            Assert.Contains("features.2.conv.3.running_var", keys);
            Assert.Contains("features.18.1.num_batches_tracked", keys);
            Assert.Contains("classifier.1.weight", keys);
            Assert.Equal(new long[] { 144, 1, 3, 3 }, net.state_dict()["features.3.conv.1.0.weight"].shape);
            // features: the stem, 17 inverted residuals (torchvision's setting), the last 1x1 convolution.
            var features = MobileNetV2.Info.Layers.Where(l => l.Name.StartsWith("features.", StringComparison.Ordinal) && l.Name.Count(c => c == '.') == 1).ToArray();
            Assert.Equal(19, features.Length);
            Assert.Equal(17, features.Count(l => l.Type == "InvertedResidual"));
            Assert.Equal(new Shape(1280, 7, 7), features[^1].OutputShape);
        }

        [Fact]
        public void DenseNet121_has_torchvisions_module_structure()
        {
            using var net = new DenseNet121();
            var keys = net.state_dict().Keys.ToList();
            Assert.Equal(727, keys.Count);
            Assert.Equal(7_978_856L, DenseNet121.ParameterCount);
            Assert.Contains("features.conv0.weight", keys);
            Assert.Contains("features.norm0.running_mean", keys);
            Assert.Contains("features.denseblock1.denselayer1.norm1.weight", keys);
            Assert.Contains("features.denseblock3.denselayer24.conv2.weight", keys);
            Assert.DoesNotContain("features.denseblock4.denselayer17.conv2.weight", keys);
            Assert.Contains("features.transition1.conv.weight", keys);
            Assert.DoesNotContain(keys, k => k.StartsWith("features.transition4", StringComparison.Ordinal));
            Assert.Contains("features.norm5.weight", keys);
            Assert.Contains("features.norm5.num_batches_tracked", keys);
            Assert.Contains("classifier.weight", keys);
            // Each dense layer adds 32 channels: 64 + 6 * 32 = 256 into transition1, halved to 128; 512 + 16 * 32 = 1024 at the end.
            Assert.Equal(new long[] { 128, 256, 1, 1 }, net.state_dict()["features.transition1.conv.weight"].shape);
            Assert.Equal(new long[] { 128, 992, 1, 1 }, net.state_dict()["features.denseblock4.denselayer16.conv1.weight"].shape);
            Assert.Equal(new long[] { 1000, 1024 }, net.state_dict()["classifier.weight"].shape);
            Assert.Equal(new Shape(1024, 7, 7), DenseNet121.Info.Layers.Single(l => l.Name == "features").OutputShape);
        }

        [Fact]
        public void MobileNetV3Large_has_torchvisions_module_structure()
        {
            using var net = new MobileNetV3Large();
            var state = net.state_dict();
            Assert.Equal(312, state.Count);
            Assert.Equal(5_483_032L, MobileNetV3Large.ParameterCount);
            // features.1 does not expand (block.0 is the depthwise); features.4 expands, has squeeze-and-excitation
            // (make_divisible(72 // 4, 8) = 24 channels) and a 5x5 depthwise; the classifier is Linear, Hardswish, Dropout, Linear.
            Assert.Equal(new long[] { 16, 1, 3, 3 }, state["features.1.block.0.0.weight"].shape);
            Assert.DoesNotContain("features.1.block.2.0.weight", state.Keys);
            Assert.Equal(new long[] { 72, 1, 5, 5 }, state["features.4.block.1.0.weight"].shape);
            Assert.Equal(new long[] { 24, 72, 1, 1 }, state["features.4.block.2.fc1.weight"].shape);
            Assert.Equal(new long[] { 40, 72, 1, 1 }, state["features.4.block.3.0.weight"].shape);
            Assert.Equal(new long[] { 960, 160, 1, 1 }, state["features.16.0.weight"].shape);
            Assert.Equal(new long[] { 1000, 1280 }, state["classifier.3.weight"].shape);
            var modules = net.named_modules().ToDictionary(m => m.name, m => m.module);
            // torchvision's norm_layer: BatchNorm2d(eps=0.001, momentum=0.01); the activations per row of its setting.
            foreach (var name in new[] { "features.0.1", "features.4.block.0.1", "features.4.block.3.1", "features.16.1" })
            {
                var bn = (TorchSharp.Modules.BatchNorm2d)modules[name];
                Assert.Equal(0.001, bn.eps);
                Assert.Equal(0.01, bn.momentum);
            }
            Assert.IsType<TorchSharp.Modules.Hardswish>(modules["features.0.2"]);
            Assert.IsType<TorchSharp.Modules.ReLU>(modules["features.4.block.0.2"]);
            Assert.IsType<TorchSharp.Modules.Hardsigmoid>(modules["features.4.block.2.scale_activation"]);
            Assert.IsType<TorchSharp.Modules.Hardswish>(modules["features.7.block.0.2"]);
            Assert.Equal(new Shape(960, 7, 7), MobileNetV3Large.Info.Layers.Single(l => l.Name == "features").OutputShape);
        }

        [Fact]
        public void EfficientNetB0_has_torchvisions_module_structure()
        {
            using var net = new EfficientNetB0();
            var state = net.state_dict();
            Assert.Equal(360, state.Count);
            Assert.Equal(5_288_548L, EfficientNetB0.ParameterCount);
            // Stages of 1, 2, 2, 3, 3, 4, 1 MBConv blocks (features.1 to 7); squeeze channels max(1, in // 4).
            Assert.Equal(new long[] { 8, 32, 1, 1 }, state["features.1.0.block.1.fc1.weight"].shape);
            Assert.Equal(new long[] { 4, 96, 1, 1 }, state["features.2.0.block.2.fc1.weight"].shape);
            Assert.Equal(new long[] { 6, 144, 1, 1 }, state["features.2.1.block.2.fc1.weight"].shape);
            Assert.Contains("features.6.3.block.3.1.running_var", state.Keys);
            Assert.DoesNotContain("features.6.4.block.0.0.weight", state.Keys);
            Assert.Equal(new long[] { 1280, 320, 1, 1 }, state["features.8.0.weight"].shape);
            Assert.Equal(new long[] { 1000, 1280 }, state["classifier.1.weight"].shape);
            var modules = net.named_modules().ToDictionary(m => m.name, m => m.module);
            Assert.IsType<TorchSharp.Modules.SiLU>(modules["features.0.2"]);
            Assert.IsType<TorchSharp.Modules.SiLU>(modules["features.2.0.block.2.activation"]);
            Assert.IsType<TorchSharp.Modules.Sigmoid>(modules["features.2.0.block.2.scale_activation"]);
            // torchvision's sd_prob = 0.2 * stage_block_id / total_stage_blocks over the 16 blocks, applied only where the input is added.
            Assert.Equal(0.2 * 14 / 16.0, ((Dsl.Layers.StochasticDepth)modules["features.6.3.stochastic_depth"]).p, 12);
            Assert.Equal(0.2 * 2 / 16.0, ((Dsl.Layers.StochasticDepth)modules["features.2.1.stochastic_depth"]).p, 12);
            Assert.DoesNotContain("features.2.0.stochastic_depth", modules.Keys);
            Assert.Equal(new Shape(1280, 7, 7), EfficientNetB0.Info.Layers.Single(l => l.Name == "features").OutputShape);
        }

        [SkippableTheory]
        [MemberData(nameof(Names))]
        public void TorchVisionWeightsGiveTheSameLogitsInTorchSharp(string name)
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-modern-py").FullName;
            try
            {
                var (code, output, error) = PythonOracle.Run($"\"{Script}\" export {name} \"{dir}\"", TimeSpan.FromMinutes(5));
                Assert.True(code == 0, output + error);

                using var scope = NewDisposeScope();
                using var _ = no_grad();
                using var net = TorchVisionCompatibilityTests.Create(name).LoadPyTorch(Path.Combine(dir, name + ".pth"));
                net.eval();
                var io = PyTorchCheckpoint.ReadTensors(Path.Combine(dir, name + "-io.pth"));
                var logits = net.forward(io["input"]);
                Assert.Equal(io["logits"].shape, logits.shape);
                double diff = (logits - io["logits"]).abs().max().item<float>();
                log.WriteLine($"{name}: torchvision weights in TorchSharp, max |logits difference| = {diff:E3}");
                Assert.True(diff < 1e-4, $"{name}: max |logits difference| = {diff}");
                // Not a trivially constant output: the logits differ between classes.
                Assert.True(io["logits"].std().item<float>() > 1e-3);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        [SkippableTheory]
        [MemberData(nameof(Names))]
        public void TorchSharpWeightsGiveTheSameLogitsInTorchVision(string name)
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-modern-cs").FullName;
            try
            {
                int keys;
                using (var scope = NewDisposeScope())
                using (no_grad())
                {
                    manual_seed(1);
                    using var net = TorchVisionCompatibilityTests.Create(name);
                    PyTorchInteropTests.RandomizeBatchNorm(net);
                    net.eval();
                    var x = randn(2, 3, 224, 224);
                    var y = net.forward(x);
                    keys = net.state_dict().Count;
                    net.SavePyTorch(Path.Combine(dir, "csharp.pth"));
                    PyTorchCheckpoint.SaveTensors(new Dictionary<string, Tensor> { ["input"] = x, ["logits"] = y }, Path.Combine(dir, "csharp-io.pth"));
                }
                var (code, output, error) = PythonOracle.Run($"\"{Script}\" check {name} \"{dir}\"", TimeSpan.FromMinutes(5));
                log.WriteLine($"{name}: TorchSharp weights in torchvision: {output.Trim()}");
                Assert.True(code == 0, "python check failed: " + output + error);
                Assert.Contains($"keys={keys}", output);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
