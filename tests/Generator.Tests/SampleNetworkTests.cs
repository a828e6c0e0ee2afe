using System;
using System.Collections.Generic;
using System.Linq;
using ResNetSample;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>The chapter's facts, from the compile-time tables and from an actual TorchSharp forward.</summary>
    public class SampleNetworkTests
    {
        /// <summary>Runs each top-level part in order; returns (name, output shape without batch) per part.</summary>
        internal static List<(string Name, long[] Shape)> RunParts(nn.Module<Tensor, Tensor> network, Tensor input)
        {
            var shapes = new List<(string, long[])>();
            using var scope = NewDisposeScope();
            network.eval();
            using var noGrad = no_grad();
            var x = input;
            foreach (var (name, child) in network.named_children())
            {
                if (child is nn.Module<Tensor, Tensor> module)
                {
                    x = module.forward(x);
                }
                else
                {
                    // A stage: a ModuleList of blocks named 0, 1, ...
                    foreach (var (_, block) in child.named_children()) x = ((nn.Module<Tensor, Tensor>)block).forward(x);
                }
                shapes.Add((name, x.shape.Skip(1).ToArray()));
            }
            return shapes;
        }

        private static long CountParameters(nn.Module module) => module.parameters().Sum(p => p.numel());

        [Fact]
        public void D2L_ResNet18_layer_summary_matches_the_chapter()
        {
            var expected = new[]
            {
                ("stem", new long[] { 64, 24, 24 }),
                ("stage1", new long[] { 64, 24, 24 }),
                ("stage2", new long[] { 128, 12, 12 }),
                ("stage3", new long[] { 256, 6, 6 }),
                ("stage4", new long[] { 512, 3, 3 }),
                ("head", new long[] { 10 }),
            };
            Assert.Equal(expected.Select(e => (e.Item1, Shape.Format(e.Item2))), D2LResNet18.Info.TopLevel.Select(l => (l.Name, l.OutputShape.ToString())));

            using var network = new D2LResNet18();
            using var input = randn(1, 1, 96, 96);
            var runtime = RunParts(network, input);
            Assert.Equal(expected.Select(e => (e.Item1, Shape.Format(e.Item2))), runtime.Select(r => (r.Name, Shape.Format(r.Shape))));

            var summary = D2LResNet18.Info.LayerSummary();
            Assert.Contains("stem    Stem            output shape: [1, 64, 24, 24]", summary);
            Assert.Contains("head    ClassifierHead  output shape: [1, 10]", summary);
        }

        [Fact]
        public void D2L_ResNet18_has_11178378_parameters_at_compile_time_and_in_TorchSharp()
        {
            Assert.Equal(11_178_378L, D2LResNet18.ParameterCount);
            Assert.Equal(11_178_378L, D2LResNet18.Info.TotalParameters);
            using var network = new D2LResNet18();
            Assert.Equal(11_178_378L, CountParameters(network));
            Assert.Contains("Total params: 11,178,378", D2LResNet18.Summary());
        }

        [Fact]
        public void Residual_3_keeps_a_4x3x6x6_batch()
        {
            Assert.Equal("[3, 6, 6]", ResidualBlock3.OutputShape.ToString());
            using var block = new ResidualBlock3();
            block.eval();
            using var y = block.forward(randn(4, 3, 6, 6));
            Assert.Equal(new long[] { 4, 3, 6, 6 }, y.shape);
        }

        [Fact]
        public void Residual_6_with_1x1_conv_and_stride_2_gives_4x6x3x3()
        {
            Assert.Equal("[6, 3, 3]", ResidualBlock6.OutputShape.ToString());
            using var block = new ResidualBlock6();
            block.eval();
            using var y = block.forward(randn(4, 3, 6, 6));
            Assert.Equal(new long[] { 4, 6, 3, 3 }, y.shape);
        }

        public static TheoryData<string> Networks => new() { "D2LResNet18", "ResNetMini", "ResidualBlock3", "ResidualBlock6", "LeNet", "AlexNet", "Vgg11", "MobileNetV2", "DenseNet121" };

        private static (nn.Module<Tensor, Tensor> Module, NetworkInfo Info) Create(string name)
        {
            var type = typeof(D2LResNet18).Assembly.GetType("ResNetSample." + name)!;
            var info = (NetworkInfo)type.GetProperty("Info")!.GetValue(null)!;
            return ((nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!, info);
        }

        [Theory]
        [MemberData(nameof(Networks))]
        public void Compile_time_shapes_and_parameters_equal_the_TorchSharp_run(string name)
        {
            var (network, info) = Create(name);
            using (network)
            {
                using var input = randn(info.InputShape.WithBatch(1));
                var runtime = RunParts(network, input);
                Assert.Equal(
                    info.TopLevel.Select(l => (l.Name, l.OutputShape.ToString())),
                    runtime.Select(r => (r.Name, Shape.Format(r.Shape))));
                Assert.Equal(info.TotalParameters, CountParameters(network));

                // Every named submodule with parameters has the compile-time parameter count.
                var byName = info.Layers.ToDictionary(l => l.Name);
                foreach (var (path, module) in network.named_modules().Where(m => m.name.Length > 0))
                {
                    Assert.True(byName.ContainsKey(path), $"{name}: module '{path}' has no compile-time row");
                    Assert.Equal(byName[path].Parameters, CountParameters(module));
                }
            }
        }

        /// <summary>Every network the sample assembly declares (every class with a generated Info).</summary>
        public static TheoryData<string> AllSampleNetworks()
        {
            var data = new TheoryData<string>();
            foreach (var type in typeof(D2LResNet18).Assembly.GetTypes()
                .Where(t => t.GetProperty("Info", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public)?.PropertyType == typeof(NetworkInfo))
                .OrderBy(t => t.Name))
            {
                data.Add(type.Name);
            }
            return data;
        }

        [Theory]
        [MemberData(nameof(AllSampleNetworks))]
        public void Every_layer_shape_at_compile_time_equals_the_shape_TorchSharp_produces(string name)
        {
            var (network, info) = Create(name);
            using (network)
            {
                var observed = new Dictionary<string, long[]>();
                var hooks = new List<Action>();
                foreach (var (path, module) in network.named_modules())
                {
                    if (path.Length == 0 || module is not nn.Module<Tensor, Tensor> layer) continue;
                    var remover = layer.register_forward_hook((_, _, output) =>
                    {
                        observed[path] = output.shape.Skip(1).ToArray();
                        return output;
                    });
                    hooks.Add(remover.remove);
                }
                if (network is IMultiOutputNetwork multi)
                {
                    // Every output, auxiliary heads included: they run in training mode only (batch 2, as BatchNorm
                    // needs more than one value per channel in training).
                    network.train();
                    using (no_grad())
                    using (var input = SampleInput(info, 2))
                    using (var outputs = multi.ForwardOutputs(input))
                    {
                        foreach (var declared in info.Outputs)
                            Assert.Equal($"{declared.Name} {declared.Shape}", $"{declared.Name} {Shape.Format(outputs[declared.Name]!.shape.Skip(1).ToArray())}");
                    }
                }
                else
                {
                    network.eval();
                    using (no_grad())
                    using (var input = SampleInput(info, 1))
                    using (var output = network.call(input))
                    {
                        Assert.Equal(info.OutputShape.ToString(), Shape.Format(output.shape.Skip(1).ToArray()));
                    }
                }
                foreach (var remove in hooks) remove();

                // Every module that runs forward (all but the stage containers, and the Sequential uses whose children the
                // network calls one by one to read one of them, From = "backbone.layer3") was seen, with the predicted shape.
                var calledByChild = Dsl.Runtime.Graph.NetworkGraph.Of(info).Root.Body.Select(s => s.Module).OfType<string>()
                    .SelectMany(m => Enumerable.Range(1, m.Count(c => c == '.')).Select(k => string.Join(".", m.Split('.').Take(k)))).ToHashSet();
                var expected = info.Layers.Where(l => observed.ContainsKey(l.Name) || (!l.Type.EndsWith("Stage", StringComparison.Ordinal) && !calledByChild.Contains(l.Name))).ToArray();
                Assert.Equal(expected.Length, observed.Count);
                foreach (var layer in expected)
                {
                    Assert.True(observed.ContainsKey(layer.Name), $"{name}: layer {layer.Name} did not run");
                    Assert.Equal($"{layer.Name} {layer.OutputShape}", $"{layer.Name} {Shape.Format(observed[layer.Name])}");
                }
            }
        }

        /// <summary><paramref name="batch"/> samples the network takes at its declared shape: token ids for a language model, normal values otherwise.</summary>
        private static Tensor SampleInput(NetworkInfo info, int batch)
        {
            var graph = Dsl.Runtime.Graph.NetworkGraph.Of(info);
            return graph.IsTokens ? randint(0, graph.Vocabulary, info.InputShape.WithBatch(batch), dtype: ScalarType.Int64) : randn(info.InputShape.WithBatch(batch));
        }

        [Fact]
        public void Forward_rejects_a_wrong_input_shape_naming_network_expected_and_actual()
        {
            using var network = new LeNet();
            using var wrong = randn(2, 3, 28, 28);
            var error = Assert.Throws<InputShapeException>(() => network.forward(wrong));
            Assert.Equal("LeNet expects input of shape [N, 1, 28, 28] but got [2, 3, 28, 28]: resize or reshape the input, or change the [Input] declaration.", error.Message);

            using var unbatched = randn(1, 28, 28);
            var missingBatch = Assert.Throws<InputShapeException>(() => network.forward(unbatched));
            Assert.Contains("got [1, 28, 28]: pass a 4-D batch (batch, channels, height, width)", missingBatch.Message);
        }

        [Fact]
        public void State_dict_keys_follow_the_declared_names()
        {
            using var network = new D2LResNet18();
            var keys = network.state_dict().Keys.ToArray();
            Assert.Contains("stem.conv.weight", keys);
            Assert.Contains("stage2.0.conv3.weight", keys);
            Assert.Contains("stage4.1.bn2.running_var", keys);
            Assert.Contains("head.fc.bias", keys);
            Assert.DoesNotContain(keys, k => k.Contains("k__BackingField"));
        }
    }
}
