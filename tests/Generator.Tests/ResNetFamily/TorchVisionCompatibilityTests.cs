using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ResNetSample;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.ResNetFamily
{
    /// <summary>
    /// The torchvision-named networks have torchvision's state_dict keys and shapes, parameter counts and
    /// multiply-adds; compile-time shapes equal runtime shapes.
    /// </summary>
    public sealed class TorchVisionCompatibilityTests
    {
        public static TheoryData<string> TorchVisionNames => new() { "resnet18", "resnet34", "resnet50", "resnext50_32x4d", "mobilenet_v2", "densenet121", "convnext_tiny", "mobilenet_v3_large", "efficientnet_b0" };

        internal static nn.Module<Tensor, Tensor> Create(string name) => name switch
        {
            "resnet18" => new ResNet18(),
            "resnet34" => new ResNet34(),
            "resnet50" => new ResNet50(),
            "resnext50_32x4d" => new ResNeXt50_32x4d(),
            "mobilenet_v2" => new MobileNetV2(),
            "densenet121" => new DenseNet121(),
            "convnext_tiny" => new ConvNeXtTiny(),
            "mobilenet_v3_large" => new MobileNetV3Large(),
            "efficientnet_b0" => new EfficientNetB0(),
            "d2l-resnext" => new D2LResNeXt(),
            "resnext-block" => new ResNeXtBlock32(),
            "preact-resnet18" => new PreActResNet18(),
            _ => throw new ArgumentException(name),
        };

        internal static NetworkInfo Info(string name) => name switch
        {
            "resnet18" => ResNet18.Info,
            "resnet34" => ResNet34.Info,
            "resnet50" => ResNet50.Info,
            "resnext50_32x4d" => ResNeXt50_32x4d.Info,
            "mobilenet_v2" => MobileNetV2.Info,
            "densenet121" => DenseNet121.Info,
            "convnext_tiny" => ConvNeXtTiny.Info,
            "mobilenet_v3_large" => MobileNetV3Large.Info,
            "efficientnet_b0" => EfficientNetB0.Info,
            "d2l-resnext" => D2LResNeXt.Info,
            "resnext-block" => ResNeXtBlock32.Info,
            "preact-resnet18" => PreActResNet18.Info,
            _ => throw new ArgumentException(name),
        };

        internal static string ShapeText(long[] shape) => shape.Length == 0 ? "scalar" : string.Join(",", shape);

        /// <summary>
        /// "key shape" lines, sorted: TorchSharp's state_dict lists all parameters before all buffers, PyTorch's goes
        /// module by module; the keys, shapes and count are the same, and loading matches by key.
        /// </summary>
        internal static List<string> StateDictLines(nn.Module module) =>
            module.state_dict().Select(pair => pair.Key + " " + ShapeText(pair.Value.shape)).OrderBy(l => l, StringComparer.Ordinal).ToList();

        internal static List<string> Sorted(IEnumerable<string> lines) =>
            lines.Where(l => l.Length > 0).OrderBy(l => l, StringComparer.Ordinal).ToList();

        [Theory]
        [MemberData(nameof(TorchVisionNames))]
        public void StateDictKeysAndShapesEqualTorchVision(string name)
        {
            var expected = Sorted(File.ReadAllLines(Harness.TestData("torchvision", name + ".txt")));
            using var net = Create(name);
            var actual = StateDictLines(net);
            Assert.Equal(expected.Count, actual.Count);
            Assert.Equal(expected, actual);
        }

        [Theory]
        [InlineData("resnet18", 11_689_512L, 1_814_073_344L, 1.814)]
        [InlineData("resnet34", 21_797_672L, 3_663_761_408L, 3.664)]
        [InlineData("resnet50", 25_557_032L, 4_089_184_256L, 4.089)]
        [InlineData("resnext50_32x4d", 25_028_904L, 4_230_479_872L, 4.23)]
        [InlineData("mobilenet_v2", 3_504_872L, 300_774_272L, 0.30)]
        [InlineData("densenet121", 7_978_856L, 2_834_161_664L, 2.83)]
        [InlineData("convnext_tiny", 28_589_128L, 4_455_531_264L, 4.46)]
        [InlineData("mobilenet_v3_large", 5_483_032L, 216_589_760L, 0.22)]
        [InlineData("efficientnet_b0", 5_288_548L, 385_814_752L, 0.39)]
        public void ParametersAndMultiplyAddsEqualTorchVision(string name, long parameters, long multiplyAdds, double publishedGiga)
        {
            var info = Info(name);
            Assert.Equal(parameters, info.TotalParameters);
            Assert.Equal(multiplyAdds, info.TotalMultiplyAdds);
            // torchvision's published "GFLOPS" (multiply-adds of convolutions and linear layers), three significant digits.
            Assert.Equal(Math.Round(publishedGiga, 2), Math.Round(info.TotalMultiplyAdds / 1e9, 2));
            using var net = Create(name);
            Assert.Equal(parameters, net.parameters().Sum(p => p.numel()));
        }

        [Fact]
        public void CountsMatchTheReferenceSummary()
        {
            // summary.txt is printed by scripts/torchvision-keys.py from torchvision itself.
            foreach (var line in File.ReadAllLines(Harness.TestData("torchvision", "summary.txt")))
            {
                var parts = line.Split(' ');
                var info = Info(parts[0]);
                Assert.Equal("parameters=" + info.TotalParameters, parts[1]);
                Assert.Equal("multiply_adds=" + info.TotalMultiplyAdds, parts[2]);
            }
        }

        public static TheoryData<string, int> AllNetworks => new()
        {
            { "resnet18", 224 }, { "resnet34", 224 }, { "resnet50", 224 }, { "resnext50_32x4d", 224 },
            { "mobilenet_v2", 224 }, { "densenet121", 224 }, { "convnext_tiny", 224 }, { "mobilenet_v3_large", 224 }, { "efficientnet_b0", 224 },
            { "d2l-resnext", 96 }, { "resnext-block", 96 }, { "preact-resnet18", 32 },
        };

        [Theory]
        [MemberData(nameof(AllNetworks))]
        public void CompileTimeShapesEqualRuntimeShapes(string name, int size)
        {
            var info = Info(name);
            Assert.Equal(size, (int)info.InputShape[1]);
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var net = Create(name);
            net.eval();
            var children = net.named_children().ToDictionary(c => c.name, c => c.module);
            var x = randn(new long[] { 1 }.Concat(Dims(info.InputShape)).ToArray());
            foreach (var layer in info.TopLevel)
            {
                var module = children[layer.Name];
                if (module is nn.Module<Tensor, Tensor> m) x = m.forward(x);
                else
                {
                    foreach (var block in (System.Collections.IEnumerable)module) x = ((nn.Module<Tensor, Tensor>)block).forward(x);
                }
                Assert.True(new long[] { 1 }.Concat(Dims(layer.OutputShape)).SequenceEqual(x.shape), $"{layer.Name}: compile time {layer.OutputShape}, runtime [{string.Join(", ", x.shape)}]");
            }
            Assert.Equal(info.TotalParameters, net.parameters().Sum(p => p.numel()));
            var whole = net.forward(randn(new long[] { 1 }.Concat(Dims(info.InputShape)).ToArray()));
            Assert.Equal(new long[] { 1 }.Concat(Dims(info.OutputShape)), whole.shape);
        }

        private static IEnumerable<long> Dims(Shape shape) => Enumerable.Range(0, shape.Rank).Select(i => shape[i]);

        [Fact]
        public void D2LResNeXtBlockKeepsTheShape()
        {
            // The chapter: ResNeXtBlock(32, 16, 1) on (4, 32, 96, 96) gives (4, 32, 96, 96).
            Assert.Equal("block1", ResNeXtBlock32.Info.TopLevel.Single().Name);
            Assert.Equal(new Shape(32, 96, 96), ResNeXtBlock32.OutputShape);
            var conv2 = ResNeXtBlock32.Info.Layers.Single(l => l.Name == "block1.conv2");
            Assert.Equal(new Shape(32, 96, 96), conv2.OutputShape);
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var block = new ResNeXtBlock32();
            Assert.Equal(2L, block.block1.conv2.groups); // 32 bottleneck channels / 16 channels per group
            var y = block.forward(randn(4, 32, 96, 96));
            Assert.Equal(new long[] { 4, 32, 96, 96 }, y.shape);
        }

        [SkippableFact]
        public void KeyListsEqualPythonTorchVisionDirectly()
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var dir = Directory.CreateTempSubdirectory("dsl-torchvision-keys").FullName;
            try
            {
                var script = Path.Combine(PythonOracle.RepoRoot(), "scripts", "torchvision-keys.py");
                var (code, output, error) = PythonOracle.Run($"\"{script}\" \"{dir}\"", TimeSpan.FromMinutes(5));
                Assert.True(code == 0, error);
                foreach (var name in TorchVisionNames.Select((object[] row) => (string)row[0]))
                {
                    using var net = Create(name);
                    Assert.Equal(Sorted(File.ReadAllLines(Path.Combine(dir, name + ".txt"))), StateDictLines(net));
                    Assert.Contains($"{name} parameters={Info(name).TotalParameters} multiply_adds={Info(name).TotalMultiplyAdds}", output);
                }
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
