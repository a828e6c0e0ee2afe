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

namespace Dsl.Generator.Tests.Segmentation
{
    /// <summary>
    /// torchvision's segmentation networks declared in the sample (<c>samples/ResNet/Segmentation.cs</c>): the keys, counts
    /// and compile-time shapes, and the same outputs as torchvision (<c>num_classes=21</c>; <c>fcn_resnet50</c> with
    /// <c>aux_loss=False</c>, <c>deeplabv3_resnet50</c> with <c>aux_loss=True</c>: its <c>out</c> and <c>aux</c>) with the same
    /// weights, through .pth files in both directions (skipped, saying why, without python3-torch).
    /// </summary>
    public sealed class SegmentationNetworkTests(ITestOutputHelper log)
    {
        private static string Script => Path.Combine(PythonOracle.RepoRoot(), "scripts", "torchvision-oracle.py");

        /// <summary>The declared input size (small, so the checks stay quick): 64x64.</summary>
        private const int Size = 64;

        public static TheoryData<string> Names => new() { "fcn_resnet50", "deeplabv3_resnet50" };

        private static nn.Module<Tensor, Tensor> Create(string name) => name switch
        {
            "fcn_resnet50" => new FcnResNet50(),
            "deeplabv3_resnet50" => new DeepLabV3ResNet50(),
            _ => throw new ArgumentException(name),
        };

        [Fact]
        public void FcnResNet50_has_torchvisions_keys_counts_and_shapes()
        {
            using var net = new FcnResNet50();
            var state = net.state_dict();
            // torchvision: 326 keys, 32,957,013 parameters (fcn_resnet50(num_classes=21, aux_loss=False)).
            Assert.Equal(326, state.Count);
            Assert.Equal(32_957_013L, FcnResNet50.ParameterCount);
            Assert.Equal(32_957_013L, net.parameters().Sum(p => p.numel()));
            Assert.Contains("backbone.conv1.weight", state.Keys);
            Assert.Contains("backbone.layer3.0.downsample.0.weight", state.Keys);
            Assert.DoesNotContain(state.Keys, k => k.StartsWith("backbone.fc", StringComparison.Ordinal));
            Assert.Equal(new long[] { 512, 2048, 3, 3 }, state["classifier.0.weight"].shape);
            Assert.Equal(new long[] { 21, 512, 1, 1 }, state["classifier.4.weight"].shape);
            Assert.Equal(new long[] { 21 }, state["classifier.4.bias"].shape);
            // Output stride 8: layer2 halves to 1/8, layer3 and layer4 dilate instead of striding.
            Assert.Equal(new Shape(512, Size / 8, Size / 8), FcnResNet50.Info.Layers.Single(l => l.Name == "backbone.layer2").OutputShape);
            Assert.Equal(new Shape(1024, Size / 8, Size / 8), FcnResNet50.Info.Layers.Single(l => l.Name == "backbone.layer3").OutputShape);
            Assert.Equal(new Shape(2048, Size / 8, Size / 8), FcnResNet50.Info.Layers.Single(l => l.Name == "backbone.layer4").OutputShape);
            Assert.Equal(new Shape(21, Size / 8, Size / 8), FcnResNet50.Info.Layers.Single(l => l.Name == "classifier").OutputShape);
            // The logits are resized to the input's height and width.
            Assert.Equal(new Shape(21, Size, Size), FcnResNet50.OutputShape);
            using var _ = no_grad();
            net.eval();
            Assert.Equal(new long[] { 2, 21, Size, Size }, net.forward(randn(2, 3, Size, Size)).shape);
        }

        [Fact]
        public void DeepLabV3ResNet50_has_torchvisions_keys_counts_and_shapes()
        {
            using var net = new DeepLabV3ResNet50();
            var state = net.state_dict();
            // torchvision: 370 keys, 42,004,074 parameters (deeplabv3_resnet50(num_classes=21, aux_loss=True)); without the
            // auxiliary head (aux_loss=False) 362 keys and 39,638,869.
            Assert.Equal(370, state.Count);
            Assert.Equal(42_004_074L, DeepLabV3ResNet50.ParameterCount);
            Assert.Equal(42_004_074L, net.parameters().Sum(p => p.numel()));
            Assert.Equal(362, state.Keys.Count(k => !k.StartsWith("aux_classifier.", StringComparison.Ordinal)));
            Assert.Equal(39_638_869L, DeepLabV3ResNet50.ParameterCount - DeepLabV3ResNet50.Info.TopLevel.Single(l => l.Name == "aux_classifier").Parameters);
            // The auxiliary FCNHead(1024, 21) reads backbone.layer3 (1024 channels at 1/8 of the input).
            Assert.Equal(new long[] { 256, 1024, 3, 3 }, state["aux_classifier.0.weight"].shape);
            Assert.Equal(new long[] { 21, 256, 1, 1 }, state["aux_classifier.4.weight"].shape);
            Assert.Equal(new[] { ("out", false, 1.0, new Shape(21, Size, Size)), ("aux", false, 0.5, new Shape(21, Size, Size)) },
                DeepLabV3ResNet50.Info.Outputs.Select(o => (o.Name, o.Auxiliary, o.LossWeight, o.Shape)));
            // ASPP's branches keyed as torchvision's ModuleList: the 1x1 branch, three atrous 3x3 branches, the pooling branch.
            Assert.Equal(new long[] { 256, 2048, 1, 1 }, state["classifier.0.convs.0.0.weight"].shape);
            Assert.Equal(new long[] { 256, 2048, 3, 3 }, state["classifier.0.convs.3.0.weight"].shape);
            Assert.Equal(new long[] { 256, 2048, 1, 1 }, state["classifier.0.convs.4.1.weight"].shape);
            Assert.Contains("classifier.0.convs.4.2.running_var", state.Keys);
            Assert.Equal(new long[] { 256, 1280, 1, 1 }, state["classifier.0.project.0.weight"].shape);
            Assert.Equal(new long[] { 21, 256, 1, 1 }, state["classifier.4.weight"].shape);
            var modules = net.named_modules().ToDictionary(m => m.name, m => m.module);
            Assert.IsType<TorchSharp.Modules.Dropout>(modules["classifier.0.project.3"]);
            Assert.IsType<TorchSharp.Modules.AdaptiveAvgPool2d>(modules["classifier.0.convs.4.0"]);
            // The pooling branch is resized back to its input's 1/8 size, the logits to the input's.
            Assert.Equal(new Shape(256, Size / 8, Size / 8), DeepLabV3ResNet50.Info.Layers.Single(l => l.Name == "classifier.0.convs.4").OutputShape);
            Assert.Equal(new Shape(1280, Size / 8, Size / 8), DeepLabV3ResNet50.Info.Layers.Single(l => l.Name == "classifier.0.convs").OutputShape);
            Assert.Equal(new Shape(21, Size, Size), DeepLabV3ResNet50.Info.OutputShape);
            using var _ = no_grad();
            net.eval();
            var x = randn(2, 3, Size, Size);
            Assert.Equal(new long[] { 2, 21, Size, Size }, net.forward(x).shape);
            // aux is computed in both modes, as torchvision's segmentation models compute it.
            using var outputs = net.ForwardOutputs(x);
            Assert.Equal(new long[] { 2, 21, Size, Size }, outputs.aux.shape);
            Assert.Equal(0, (outputs.@out - net.forward(x)).abs().max().item<float>());
        }

        [Fact]
        public void The_outputs_follow_the_input_size_at_any_size_as_torchvisions_do()
        {
            // Every output is resized to the input's size, so the networks take any size (the channels still checked),
            // as torchvision's segmentation models do; the generator confirmed it by building them at other sizes.
            Assert.True(Dsl.Runtime.Graph.NetworkGraph.Of(FcnAuxMini.Info).AnySize);
            Assert.True(Dsl.Runtime.Graph.NetworkGraph.Of(FcnResNet50.Info).AnySize);
            Assert.True(Dsl.Runtime.Graph.NetworkGraph.Of(DeepLabV3ResNet50.Info).AnySize);
            using var _ = no_grad();
            using var mini = new FcnAuxMini();
            mini.eval();
            foreach (var (h, w) in new[] { (32, 32), (40, 24), (57, 33) })
            {
                using var outputs = mini.ForwardOutputs(randn(2, 1, h, w));
                Assert.Equal(new long[] { 2, 2, h, w }, outputs.@out.shape);
                Assert.Equal(new long[] { 2, 2, h, w }, outputs.aux.shape);
            }
            Assert.Throws<InputShapeException>(() => mini.forward(randn(2, 3, 32, 32)));
            using var deeplab = new DeepLabV3ResNet50();
            deeplab.eval();
            using (var outputs = deeplab.ForwardOutputs(randn(1, 3, 48, 80)))
            {
                Assert.Equal(new long[] { 1, 21, 48, 80 }, outputs.@out.shape);
                Assert.Equal(new long[] { 1, 21, 48, 80 }, outputs.aux.shape);
            }
        }

        [SkippableFact]
        public void The_twin_follows_the_input_size_too()
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-seg-size").FullName;
            try
            {
                using (var scope = NewDisposeScope())
                using (no_grad())
                {
                    manual_seed(3);
                    using var net = new FcnAuxMini();
                    PyTorchInteropTests.RandomizeBatchNorm(net, biasHalfRange: 0.5);
                    net.eval();
                    var x = randn(2, 1, 40, 24);
                    using var outputs = net.ForwardOutputs(x);
                    File.WriteAllText(Path.Combine(dir, "twin.py"), Dsl.Runtime.PyTorch.PyTorchTwin.Render(net));
                    net.SavePyTorch(Path.Combine(dir, "state.pth"));
                    PyTorchCheckpoint.SaveTensors(new Dictionary<string, Tensor> { ["input"] = x, ["out"] = outputs.@out, ["aux"] = outputs.aux }, Path.Combine(dir, "io.pth"));
                }
                File.WriteAllText(Path.Combine(dir, "check.py"), """
                    import importlib.util, os, sys
                    import torch
                    folder = sys.argv[1]
                    spec = importlib.util.spec_from_file_location("twin", os.path.join(folder, "twin.py"))
                    twin = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(twin)
                    net = twin.FcnAuxMini()
                    net.load_state_dict(torch.load(os.path.join(folder, "state.pth")))
                    net.eval()
                    io = torch.load(os.path.join(folder, "io.pth"))
                    with torch.no_grad():
                        y = net(io["input"])
                    for key in ["out", "aux"]:
                        assert tuple(y[key].shape) == (2, 2, 40, 24), f"{key}: {tuple(y[key].shape)}"
                        error = (y[key] - io[key]).abs().max().item()
                        assert error < 1e-4, f"{key}: differs by {error}"
                    print("OK")
                    """);
                var (code, output, error) = PythonOracle.Run($"\"{Path.Combine(dir, "check.py")}\" \"{dir}\"", TimeSpan.FromMinutes(2));
                Assert.True(code == 0 && output.Contains("OK", StringComparison.Ordinal), $"python3 failed ({code}):\n{output}\n{error}");
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        [Fact]
        public void A_dilated_stage_keeps_the_previous_dilation_in_its_first_block()
        {
            // torchvision's _make_layer: the first block of a dilated stage has the previous stage's dilation, the others the new one.
            var graph = System.Text.Json.JsonDocument.Parse(FcnResNet50.Graph).RootElement.GetProperty("root");
            long Dilation(string path) => Find(graph, path).GetProperty("args").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "dilation").GetProperty("value").GetInt64();
            long Padding(string path) => Find(graph, path).GetProperty("args").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "padding").GetProperty("value").GetInt64();
            Assert.Equal(1, Dilation("backbone.layer2.0.conv2"));
            Assert.Equal(1, Dilation("backbone.layer3.0.conv2"));
            Assert.Equal(2, Dilation("backbone.layer3.1.conv2"));
            Assert.Equal(2, Dilation("backbone.layer3.5.conv2"));
            Assert.Equal(2, Dilation("backbone.layer4.0.conv2"));
            Assert.Equal(4, Dilation("backbone.layer4.2.conv2"));
            Assert.Equal(4, Padding("backbone.layer4.2.conv2"));
        }

        private static System.Text.Json.JsonElement Find(System.Text.Json.JsonElement node, string path)
        {
            if (node.GetProperty("path").GetString() == path) return node;
            if (node.TryGetProperty("children", out var children))
            {
                foreach (var child in children.EnumerateArray())
                {
                    string p = child.GetProperty("path").GetString()!;
                    if (p == path || path.StartsWith(p + ".", StringComparison.Ordinal)) return Find(child, path);
                }
            }
            throw new KeyNotFoundException(path);
        }

        [SkippableTheory]
        [MemberData(nameof(Names))]
        public void Every_key_and_shape_is_torchvisions(string name)
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var (code, output, error) = PythonOracle.Run($"\"{Script}\" keys {name}", TimeSpan.FromMinutes(2));
            Assert.True(code == 0, output + error);
            var expected = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1]);
            using var net = Create(name);
            var actual = net.state_dict().ToDictionary(p => p.Key, p => p.Value.dim() == 0 ? "scalar" : string.Join(",", p.Value.shape));
            Assert.Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal), actual.Keys.OrderBy(k => k, StringComparer.Ordinal));
            foreach (var (key, shape) in expected) Assert.True(shape == actual[key], $"{key}: torchvision {shape}, TorchSharp {actual[key]}");
        }

        /// <summary>
        /// Every output in evaluation mode, by the oracle's names: the main output as <c>logits</c>, the others (an auxiliary
        /// head's <c>aux</c>, which torchvision's segmentation models compute in both modes) by their own names.
        /// </summary>
        private static Dictionary<string, Tensor> Outputs(nn.Module<Tensor, Tensor> net, Tensor x)
        {
            net.eval();
            if (net is not IMultiOutputNetwork several) return new Dictionary<string, Tensor> { ["logits"] = net.forward(x) };
            using var outputs = several.ForwardOutputs(x);
            var main = ((IDeclaredNetwork)net).Info.Outputs.Single(o => o.Main).Name;
            return outputs.All.ToDictionary(o => o.Key == main ? "logits" : o.Key, o => o.Value!.detach().clone());
        }

        [SkippableTheory]
        [MemberData(nameof(Names))]
        public void TorchVisionWeightsGiveTheSameLogitsInTorchSharp(string name)
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-seg-py").FullName;
            try
            {
                var (code, output, error) = PythonOracle.Run($"\"{Script}\" export {name} \"{dir}\" {Size}", TimeSpan.FromMinutes(5));
                Assert.True(code == 0, output + error);

                using var scope = NewDisposeScope();
                using var _ = no_grad();
                using var net = Create(name).LoadPyTorch(Path.Combine(dir, name + ".pth"));
                net.eval();
                var io = PyTorchCheckpoint.ReadTensors(Path.Combine(dir, name + "-io.pth"));
                var outputs = Outputs(net, io["input"]);
                PyTorchInteropTests.AssertTorchVisionOutputs(name, io, outputs, new long[] { 2, 21, Size, Size }, log);
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
            var dir = Directory.CreateTempSubdirectory("dsl-seg-cs").FullName;
            try
            {
                int keys;
                using (var scope = NewDisposeScope())
                using (no_grad())
                {
                    manual_seed(1);
                    using var net = Create(name);
                    PyTorchInteropTests.RandomizeBatchNorm(net, biasHalfRange: 0.5);
                    var x = randn(2, 3, Size, Size);
                    var outputs = Outputs(net, x);
                    keys = net.state_dict().Count;
                    net.SavePyTorch(Path.Combine(dir, "csharp.pth"));
                    PyTorchCheckpoint.SaveTensors(new Dictionary<string, Tensor>(outputs) { ["input"] = x }, Path.Combine(dir, "csharp-io.pth"));
                }
                var (code, output, error) = PythonOracle.Run($"\"{Script}\" check {name} \"{dir}\"", TimeSpan.FromMinutes(5));
                log.WriteLine($"{name}: TorchSharp weights in torchvision: {output.Trim()}");
                Assert.True(code == 0, "python check failed: " + output + error);
                Assert.Contains($"keys={keys}", output);
                if (name == "deeplabv3_resnet50") Assert.Contains("aux: max_abs_diff=", output);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
