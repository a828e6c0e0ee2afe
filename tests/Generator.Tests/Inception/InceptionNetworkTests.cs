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

namespace Dsl.Generator.Tests.Inception
{
    /// <summary>One module of each of the sample's Inception networks, built once for every test of the class.</summary>
    public sealed class InceptionNetworks : IDisposable
    {
        private readonly Dictionary<string, Lazy<nn.Module<Tensor, Tensor>>> _networks = new()
        {
            ["inception_v3"] = new(() => new InceptionV3()),
            ["googlenet"] = new(() => new GoogLeNet()),
        };

        public nn.Module<Tensor, Tensor> this[string name] => _networks[name].Value;

        public void Dispose()
        {
            foreach (var network in _networks.Values.Where(n => n.IsValueCreated)) network.Value.Dispose();
        }
    }

    /// <summary>
    /// torchvision's <c>inception_v3</c> and <c>googlenet</c> with their auxiliary classifiers as the sample declares them
    /// (<c>samples/ResNet/Inception.cs</c>): parameter counts with and without the auxiliary heads, every state_dict key
    /// and shape against torchvision's, the compile-time shapes, and every output (the logits and each auxiliary
    /// classifier's) equal to torchvision's with the same weights, through .pth files in both directions (skipped, saying
    /// why, without python3-torch). The auxiliary outputs are compared in training mode, the only mode that computes
    /// them, with dropout and BatchNorm as in evaluation so both sides are deterministic.
    /// </summary>
    public sealed class InceptionNetworkTests(InceptionNetworks networks, ITestOutputHelper log) : IClassFixture<InceptionNetworks>
    {
        private static string Script => Path.Combine(PythonOracle.RepoRoot(), "scripts", "torchvision-oracle.py");

        public static TheoryData<string> Names => new() { "inception_v3", "googlenet" };

        /// <summary>The declared input size: Inception-v3's smallest that its auxiliary head accepts; GoogLeNet's small one.</summary>
        private static int Size(string name) => (int)ModelCatalog.Find(name).Info.InputShape[1];

        private static NetworkInfo Info(string name) => ModelCatalog.Find(name).Info;

        [Fact]
        public void InceptionV3_has_torchvisions_counts_with_and_without_its_auxiliary_classifier()
        {
            // torchvision: inception_v3(aux_logits=True) 27,161,264 parameters; aux_logits=False 23,834,568.
            Assert.Equal(27_161_264L, InceptionV3.ParameterCount);
            Assert.Equal(27_161_264L, networks["inception_v3"].parameters().Sum(p => p.numel()));
            long aux = networks["inception_v3"].named_parameters().Where(p => p.name.StartsWith("AuxLogits.", StringComparison.Ordinal)).Sum(p => p.parameter.numel());
            Assert.Equal(23_834_568L, InceptionV3.ParameterCount - aux);
            Assert.Equal(aux, InceptionV3.Info.TopLevel.Single(l => l.Name == "AuxLogits").Parameters);

            var state = networks["inception_v3"].state_dict();
            // Factorised 7x7: 1x7 then 7x1 kernels; InceptionE's 1x3 / 3x1 split.
            Assert.Equal(new long[] { 128, 128, 1, 7 }, state["Mixed_6b.branch7x7_2.conv.weight"].shape);
            Assert.Equal(new long[] { 192, 128, 7, 1 }, state["Mixed_6b.branch7x7_3.conv.weight"].shape);
            Assert.Equal(new long[] { 384, 384, 1, 3 }, state["Mixed_7b.branch3x3_2a.conv.weight"].shape);
            Assert.Equal(new long[] { 384, 384, 3, 1 }, state["Mixed_7c.branch3x3dbl_3b.conv.weight"].shape);
            Assert.Equal(new long[] { 768, 128, 5, 5 }, state["AuxLogits.conv1.conv.weight"].shape);
            Assert.Equal(new long[] { 1000, 768 }, state["AuxLogits.fc.weight"].shape);
            Assert.Equal(new long[] { 1000, 2048 }, state["fc.weight"].shape);
            // BatchNorm eps 0.001, as torchvision's BasicConv2d.
            var norms = networks["inception_v3"].named_modules().Select(m => m.module).OfType<TorchSharp.Modules.BatchNorm2d>().ToList();
            Assert.Equal(96, norms.Count);
            Assert.All(norms, bn => Assert.Equal(0.001, bn.eps, 9));

            // Compile-time shapes: Mixed_6e at 17x17 (what AuxLogits needs), 8x8 after Mixed_7a.
            Assert.Equal(new Shape(768, 17, 17), InceptionV3.Info.TopLevel.Single(l => l.Name == "Mixed_6e").OutputShape);
            Assert.Equal(new Shape(2048, 8, 8), InceptionV3.Info.TopLevel.Single(l => l.Name == "Mixed_7c").OutputShape);
            Assert.Equal(new[] { ("aux", true, 0.4), ("logits", false, 1.0) }, InceptionV3.Info.Outputs.Select(o => (o.Name, o.Auxiliary, o.LossWeight)));
        }

        [Fact]
        public void GoogLeNet_has_torchvisions_counts_with_its_two_auxiliary_classifiers()
        {
            // torchvision: googlenet(aux_logits=True) 13,004,888 parameters.
            Assert.Equal(13_004_888L, GoogLeNet.ParameterCount);
            Assert.Equal(13_004_888L, networks["googlenet"].parameters().Sum(p => p.numel()));
            var state = networks["googlenet"].state_dict();
            // torchvision's branch3 is a 3x3 convolution (not the paper's 5x5); aux1 reads inception4a (512), aux2 inception4d (528).
            Assert.Equal(new long[] { 32, 16, 3, 3 }, state["inception3a.branch3.1.conv.weight"].shape);
            Assert.Equal(new long[] { 128, 96, 3, 3 }, state["inception3a.branch2.1.conv.weight"].shape);
            Assert.Equal(new long[] { 32, 192, 1, 1 }, state["inception3a.branch4.1.conv.weight"].shape);
            Assert.Equal(new long[] { 128, 512, 1, 1 }, state["aux1.conv.conv.weight"].shape);
            Assert.Equal(new long[] { 128, 528, 1, 1 }, state["aux2.conv.conv.weight"].shape);
            Assert.Equal(new long[] { 1024, 2048 }, state["aux1.fc1.weight"].shape);
            Assert.Equal(new long[] { 1000, 1024 }, state["aux2.fc2.weight"].shape);
            // Max pools round up: 64 -> 32 -> 16 (ceil of 15.5) -> 8 -> 4 -> 2.
            var pools = networks["googlenet"].named_modules().Where(m => m.module is TorchSharp.Modules.MaxPool2d).Select(m => m.name).ToList();
            Assert.Equal(13, pools.Count);
            Assert.Equal(new Shape(64, 16, 16), GoogLeNet.Info.TopLevel.Single(l => l.Name == "maxpool1").OutputShape);
            Assert.Equal(new Shape(512, 4, 4), GoogLeNet.Info.TopLevel.Single(l => l.Name == "inception4a").OutputShape);
            Assert.Equal(new Shape(1024, 2, 2), GoogLeNet.Info.TopLevel.Single(l => l.Name == "inception5b").OutputShape);
            Assert.Equal(new[] { ("aux1", true, 0.3), ("aux2", true, 0.3), ("logits", false, 1.0) }, GoogLeNet.Info.Outputs.Select(o => (o.Name, o.Auxiliary, o.LossWeight)));
        }

        [SkippableTheory]
        [MemberData(nameof(Names))]
        public void Every_key_and_shape_is_torchvisions(string name)
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var (code, output, error) = PythonOracle.Run($"\"{Script}\" keys {name}", TimeSpan.FromMinutes(2));
            Assert.True(code == 0, output + error);
            var expected = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1]);
            var actual = networks[name].state_dict().ToDictionary(p => p.Key, p => p.Value.dim() == 0 ? "scalar" : string.Join(",", p.Value.shape));
            Assert.Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal), actual.Keys.OrderBy(k => k, StringComparer.Ordinal));
            foreach (var (key, shape) in expected) Assert.True(shape == actual[key], $"{key}: torchvision {shape}, TorchSharp {actual[key]}");
        }

        /// <summary>
        /// Every output for <paramref name="x"/>: the logits in evaluation mode, each auxiliary output in training mode with
        /// dropout and BatchNorm in evaluation mode (as the oracle computes them).
        /// </summary>
        private static Dictionary<string, Tensor> Outputs(string name, nn.Module<Tensor, Tensor> net, Tensor x)
        {
            net.eval();
            var result = new Dictionary<string, Tensor> { ["logits"] = net.forward(x) };
            net.train();
            foreach (var (_, module) in net.named_modules())
                if (module is TorchSharp.Modules.Dropout or TorchSharp.Modules.BatchNorm2d) module.eval();
            using (var outputs = ((IMultiOutputNetwork)net).ForwardOutputs(x))
            {
                foreach (var output in Info(name).Outputs.Where(o => o.Auxiliary))
                    result[output.Name] = outputs[output.Name]!.detach().clone();
            }
            net.eval();
            return result;
        }

        [SkippableTheory]
        [MemberData(nameof(Names))]
        public void TorchVisionWeightsGiveTheSameOutputsInTorchSharp(string name)
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-inception-py").FullName;
            try
            {
                var (code, output, error) = PythonOracle.Run($"\"{Script}\" export {name} \"{dir}\" {Size(name)}", TimeSpan.FromMinutes(5));
                Assert.True(code == 0, output + error);

                using var scope = NewDisposeScope();
                using var _ = no_grad();
                var net = networks[name].LoadPyTorch(Path.Combine(dir, name + ".pth"));
                var io = PyTorchCheckpoint.ReadTensors(Path.Combine(dir, name + "-io.pth"));
                var outputs = Outputs(name, net, io["input"]);
                // torchvision's Inception-v3 initialisation (trunc-normal std 0.1 on every convolution) gives logits near 1e14
                // here, so its bound is the relative one; GoogLeNet's (std 0.01) stay below 1, under the absolute 1e-4.
                PyTorchInteropTests.AssertTorchVisionOutputs(name, io, outputs, new long[] { 2, 1000 }, log);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        [SkippableTheory]
        [MemberData(nameof(Names))]
        public void TorchSharpWeightsGiveTheSameOutputsInTorchVision(string name)
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-inception-cs").FullName;
            try
            {
                int keys;
                using (var scope = NewDisposeScope())
                using (no_grad())
                {
                    manual_seed(1);
                    var net = networks[name];
                    PyTorchInteropTests.RandomizeBatchNorm(net, biasHalfRange: 0.5);
                    var x = randn(2, 3, Size(name), Size(name));
                    var outputs = Outputs(name, net, x);
                    keys = net.state_dict().Count;
                    net.SavePyTorch(Path.Combine(dir, "csharp.pth"));
                    PyTorchCheckpoint.SaveTensors(new Dictionary<string, Tensor>(outputs) { ["input"] = x }, Path.Combine(dir, "csharp-io.pth"));
                }
                var (code, output, error) = PythonOracle.Run($"\"{Script}\" check {name} \"{dir}\"", TimeSpan.FromMinutes(5));
                log.WriteLine($"{name}: TorchSharp weights in torchvision: {output.Trim()}");
                Assert.True(code == 0, "python check failed: " + output + error);
                Assert.Contains($"keys={keys}", output);
                foreach (var aux in Info(name).Outputs.Where(o => o.Auxiliary)) Assert.Contains(aux.Name + ": max_abs_diff=", output);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
