using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Dsl.Generator.Tests.ResNetFamily;
using Dsl.Runtime.Interop;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.PyTorch;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dsl.Generator.Tests.Outputs
{
    /// <summary>
    /// Networks that are not one tensor in, one tensor out, compiled and run: two inputs merged at the top level, an
    /// auxiliary head computed in training mode only, a second output beside the logits, and a feature extractor over the
    /// sample's resnet50 taking three of its stages without declaring it again, heads reading values inside a Sequential use
    /// (<c>From = "trunk.deep.1"</c>). Shapes known at compile time are compared
    /// with libtorch's, values with an independent computation, and every output with ONNX Runtime and the PyTorch twin
    /// (the extractor also with torchvision's IntermediateLayerGetter).
    /// </summary>
    public class OutputNetworkTests
    {
        private const string Source = """
            using Dsl;
            namespace Nets;

            [Input(3, 12, 12, Name = "image")] [Input(1, 12, 12, Name = "depth")]
            [Conv2d(4, 3, Padding = 1, From = "image", Name = "rgb")] [ReLU(Name = "rgb_relu")]
            [Conv2d(4, 3, Padding = 1, From = "depth", Name = "d")]
            [Merge(Merge.Concat, "rgb_relu", "d")]
            [Conv2d(6, 3, Stride = 2, Padding = 1, Name = "fuse")]
            [Flatten] [Linear(5, Name = "fc")]
            public partial class TwoTower;

            [Input(3, 16, 16)]
            [Conv2d(8, 3, Padding = 1, Name = "conv")] [ReLU]
            [Conv2d(8, 3, Stride = 2, Padding = 1, Name = "mid")]
            [Conv2d(8, 3, Padding = 1, Name = "late")]
            [AdaptiveAvgPool2d(1, From = "mid", Name = "aux_pool")] [Flatten(Name = "aux_flat")] [Linear(5, Name = "aux")]
            [Output("aux", Auxiliary = true, LossWeight = 0.3)]
            [AdaptiveAvgPool2d(1, From = "late")] [Flatten] [Linear(5, Name = "fc")]
            [Output("logits")]
            public partial class AuxNet;

            [Input(3, 10, 10)]
            [Conv2d(4, 3, Padding = 1, Name = "stem")] [Output("features")]
            [AdaptiveAvgPool2d(1)] [Flatten] [Linear(3, Name = "fc")]
            public partial class FeatureNet;

            [Input(3, 10, 10)]
            [Conv2d(4, 3, Padding = 1, Name = "stem")]
            [AdaptiveAvgPool2d(1)] [Flatten] [Linear(3, Name = "fc")]
            public partial class PlainNet;

            [Input(3, 12, 12, Name = "image")] [Input(1, 12, 12, Name = "depth")]
            [Conv2d(4, 3, Padding = 1, From = "image", Name = "rgb")]
            [Conv2d(4, 3, Padding = 1, From = "depth", Name = "d")]
            [Merge(Merge.Concat, "rgb", "d")]
            [Conv2d(6, 3, Stride = 2, Padding = 1, Name = "fuse")]
            [AdaptiveAvgPool2d(1)] [Flatten] [Linear(5, Name = "fc")]
            public partial class PooledTwoTower;

            [Input(3, 12, 12, Name = "image")] [Input(1, 6, 6, Name = "depth")]
            [Conv2d(4, 3, Padding = 1, From = "image", Name = "rgb")]
            [Upsample(2, From = "depth", Name = "up")] [Conv2d(4, 3, Padding = 1, Name = "d")]
            [Merge(Merge.Concat, "rgb", "d")]
            [AdaptiveAvgPool2d(1)] [Flatten] [Linear(5, Name = "fc")]
            public partial class ResizedTwoTower;

            [Input(3, 10, 10)]
            [Conv2d(4, 3, Padding = 1, Name = "stem")]
            [Conv2d(6, 3, Padding = 1, Name = "side")] [ReLU(Name = "side_relu")] [Conv2d(2, 1, Name = "side_out")] [Output("side")]
            [AdaptiveAvgPool2d(1, From = "stem")] [Flatten] [Linear(3, Name = "fc")]
            public partial class FeatureHeadNet;

            [Input(3, 10, 10)]
            [Conv2d(4, 3, Padding = 1, Name = "stem")]
            [Conv2d(6, 3, Padding = 1, Name = "side")] [ReLU(Name = "side_relu")] [Conv2d(2, 1, Name = "side_out")] [Output("side", LossWeight = 0.5)]
            [AdaptiveAvgPool2d(1, From = "stem")] [Flatten] [Linear(3, Name = "fc")]
            public partial class WeightedHeadNet;

            [Input(3, 64, 64)]
            [Backbone<ResNetSample.ResNet50>(Until = "layer4")]
            [Output("c3", From = "layer2")] [Output("c4", From = "layer3")] [Output("c5", From = "layer4")]
            public partial class ResNet50Features;

            /// <summary>A Sequential of three, keyed 0, 1, 2.</summary>
            [Block]
            [Conv2d(6, 3, Padding = 1)] [BatchNorm2d] [ReLU]
            public partial class Inner;

            /// <summary>A Sequential with a Sequential inside.</summary>
            [Block]
            [Conv2d(6, 3, Padding = 1, Name = "a")] [ReLU(Name = "act")] [Use<Inner>(Name = "deep")] [MaxPool2d(2, Name = "pool")]
            public partial class Trunk;

            [Input(3, 10, 10)]
            [Use<Trunk>(Name = "trunk")]
            [Conv2d(2, 1, From = "trunk.act", Name = "side")] [Output("side")]
            [Conv2d(2, 1, From = "trunk.deep.1", Name = "deep_side")] [Output("deep_side")]
            [AdaptiveAvgPool2d(1, From = "trunk")] [Flatten] [Linear(3, Name = "fc")]
            public partial class InsideNet;

            [Input(3, 10, 10)]
            [Use<Trunk>(Name = "trunk")]
            [AdaptiveAvgPool2d(1)] [Flatten] [Linear(3, Name = "fc")]
            public partial class TrunkNet;
            """;

        private static readonly Lazy<System.Reflection.Assembly> Assembly = new(() =>
        {
            var run = Harness.RunWith(new[] { typeof(ResNetSample.ResNet50).Assembly }, Source);
            var problems = run.WarningsAndErrors.ToArray();
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            return Harness.Load(run);
        });

        private static nn.Module Create(string name)
        {
            torch.manual_seed(7);
            return (nn.Module)Activator.CreateInstance(Assembly.Value.GetType("Nets." + name)!)!;
        }

        private static NetworkInfo Info(nn.Module net) => ((IDeclaredNetwork)net).Info;

        private static Dictionary<string, Tensor> State(nn.Module net) => net.state_dict().ToDictionary(p => p.Key, p => p.Value);

        private static void Close(Tensor expected, Tensor actual, string what, double tolerance = 1e-5)
        {
            Assert.Equal(expected.shape, actual.shape);
            double error = (expected - actual).abs().max().item<float>();
            Assert.True(error <= tolerance * Math.Max(1, expected.abs().max().item<float>()), $"{what}: differs by {error}");
        }

        [Fact]
        public void Two_inputs_are_named_arguments_checked_and_merged()
        {
            using var scope = NewDisposeScope();
            var net = Create("TwoTower");
            var module = (nn.Module<Tensor, Tensor, Tensor>)net;
            module.eval();
            var forward = net.GetType().GetMethod("forward")!;
            Assert.Equal(new[] { "image", "depth" }, forward.GetParameters().Select(p => p.Name));
            var info = Info(net);
            Assert.Equal(new[] { "image", "depth" }, info.Inputs.Select(i => i.Name));
            Assert.Equal(new long[] { 3, 12, 12 }, info.Inputs[0].Shape.ToArray());
            Assert.Equal(new long[] { 1, 12, 12 }, info.Inputs[1].Shape.ToArray());
            Assert.Equal(new long[] { 6, 6, 6 }, info["fuse"].OutputShape.ToArray());

            var image = randn(2, 3, 12, 12);
            var depth = randn(2, 1, 12, 12);
            var y = module.call(image, depth);
            Assert.Equal(new long[] { 2 }.Concat(info.OutputShape.ToArray()), y.shape);

            // The same computation written with libtorch's functions and the module's weights.
            var s = State(net);
            var rgb = F.relu(F.conv2d(image, s["rgb.weight"], s["rgb.bias"], padding: new long[] { 1, 1 }));
            var d = F.conv2d(depth, s["d.weight"], s["d.bias"], padding: new long[] { 1, 1 });
            var fused = F.conv2d(cat(new[] { rgb, d }, 1), s["fuse.weight"], s["fuse.bias"], strides: new long[] { 2, 2 }, padding: new long[] { 1, 1 });
            Assert.Equal(new long[] { 2 }.Concat(info["fuse"].OutputShape.ToArray()), fused.shape);
            Close(F.linear(fused.flatten(1), s["fc.weight"], s["fc.bias"]), y, "TwoTower");

            var wrong = Assert.Throws<InputShapeException>(() => module.call(image, randn(2, 3, 12, 12)));
            Assert.Contains("input 'depth'", wrong.Message, StringComparison.Ordinal);
            Assert.Contains("Input depth: [1, 1, 12, 12]", info.Summary(), StringComparison.Ordinal);
        }

        [Fact]
        public void An_auxiliary_head_runs_in_training_mode_only()
        {
            using var scope = NewDisposeScope();
            var net = Create("AuxNet");
            var module = (nn.Module<Tensor, Tensor>)net;
            var info = Info(net);
            Assert.Equal(new[] { "aux", "logits" }, info.Outputs.Select(o => o.Name));
            Assert.Equal(new[] { true, false }, info.Outputs.Select(o => o.Auxiliary));
            Assert.Equal(new[] { false, true }, info.Outputs.Select(o => o.Main));
            Assert.Equal(new[] { 0.3, 1.0 }, info.Outputs.Select(o => o.LossWeight));
            Assert.All(info.Outputs, o => Assert.Equal(new long[] { 5 }, o.Shape.ToArray()));
            Assert.Contains("Output aux: [1, 5] (training only) (loss weight 0.3)", info.Summary(), StringComparison.Ordinal);

            var x = randn(3, 3, 16, 16);
            var children = net.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);
            Tensor Run(Tensor v, params string[] layers) => layers.Aggregate(v, (t, l) => children[l].call(t));
            var mid = Run(x, "conv", "relu1", "mid");
            var expectedLogits = Run(mid, "late", "gap1", "flatten1", "fc");
            var expectedAux = Run(mid, "aux_pool", "aux_flat", "aux");

            var multi = (IMultiOutputNetwork)net;
            module.eval();
            using (var outputs = multi.ForwardOutputs(x))
            {
                Assert.Null(outputs["aux"]);
                Close(expectedLogits, outputs["logits"]!, "eval logits");
            }
            Close(expectedLogits, module.call(x), "forward");
            module.train();
            using (var outputs = multi.ForwardOutputs(x))
            {
                Close(expectedAux, outputs["aux"]!, "training aux");
                Close(expectedLogits, outputs["logits"]!, "training logits");
                Assert.Equal(new[] { "aux", "logits" }, outputs.Names);
            }
            // forward is the main output in both modes: the auxiliary head does not run.
            Close(expectedLogits, module.call(x), "training forward");
        }

        [Fact]
        public void Feature_outputs_of_a_declared_resnet50_without_declaring_it_again()
        {
            using var scope = NewDisposeScope();
            var net = Create("ResNet50Features");
            var info = Info(net);
            Assert.Equal(new[] { "c3", "c4", "c5" }, info.Outputs.Select(o => o.Name));
            Assert.Equal(new long[] { 512, 8, 8 }, info.Outputs[0].Shape.ToArray());
            Assert.Equal(new long[] { 1024, 4, 4 }, info.Outputs[1].Shape.ToArray());
            Assert.Equal(new long[] { 2048, 2, 2 }, info.Outputs[2].Shape.ToArray());
            // resnet50 without its classifier (2048 x 1000 weights and 1000 biases), as IntermediateLayerGetter drops it.
            Assert.Equal(ResNetSample.ResNet50.ParameterCount - 2048 * 1000 - 1000, info.TotalParameters);

            using var resnet = new ResNetSample.ResNet50();
            var keys = resnet.state_dict().Keys.Where(k => !k.StartsWith("fc.", StringComparison.Ordinal)).ToArray();
            Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), State(net).Keys.OrderBy(k => k, StringComparer.Ordinal));
            net.load_state_dict(resnet.state_dict().Where(p => !p.Key.StartsWith("fc.", StringComparison.Ordinal)).ToDictionary(p => p.Key, p => p.Value));
            resnet.eval();
            net.eval();

            var x = randn(2, 3, 64, 64);
            var stem = resnet.maxpool.call(resnet.relu.call(resnet.bn1.call(resnet.conv1.call(x))));
            var c3 = resnet.layer2.call(resnet.layer1.call(stem));
            var c4 = resnet.layer3.call(c3);
            var c5 = resnet.layer4.call(c4);
            using var outputs = ((IMultiOutputNetwork)net).ForwardOutputs(x);
            var expected = new[] { c3, c4, c5 };
            for (int i = 0; i < 3; i++)
            {
                // The compile-time shape is libtorch's.
                Assert.Equal(new long[] { 2 }.Concat(info.Outputs[i].Shape.ToArray()), outputs.All[i].Value!.shape);
                Close(expected[i], outputs.All[i].Value!, info.Outputs[i].Name, 1e-4);
            }
        }

        [Fact]
        public void From_reads_inside_a_sequential_use_whose_children_then_run_one_by_one_with_the_same_keys()
        {
            using var scope = NewDisposeScope();
            var net = Create("InsideNet");
            var info = Info(net);
            // The use's modules and keys are those of the same use read only as a whole.
            var keys = State(Create("TrunkNet")).Keys.Concat(new[] { "side.weight", "side.bias", "deep_side.weight", "deep_side.bias" });
            Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), State(net).Keys.OrderBy(k => k, StringComparer.Ordinal));
            Assert.Contains("trunk.deep.1.running_mean", State(net).Keys);
            Assert.Equal(new[] { "out", "side", "deep_side" }, info.Outputs.Select(o => o.Name));
            // The forward calls each child of the use (and of its Sequential child on the way to 'trunk.deep.1').
            var graph = Dsl.Runtime.Graph.NetworkGraph.Of(info);
            Assert.Equal(new[] { "trunk.a", "trunk.act", "trunk.deep.0", "trunk.deep.1", "trunk.deep.2", "trunk.pool", "side", "deep_side", "gap1", "flatten1", "fc" },
                graph.Root.Body.Where(s => s.Module is not null).Select(s => s.Module));

            var modules = net.named_modules().ToDictionary(m => m.name, m => (nn.Module<Tensor, Tensor>)m.module);
            net.eval();
            var x = randn(2, 3, 10, 10);
            // The values the outputs read, computed from the use's modules in the order the Sequential runs them.
            var act = modules["trunk.act"].call(modules["trunk.a"].call(x));
            var bn = modules["trunk.deep.1"].call(modules["trunk.deep.0"].call(act));
            var trunk = modules["trunk.pool"].call(modules["trunk.deep.2"].call(bn));
            var expected = new Dictionary<string, Tensor>
            {
                ["out"] = modules["fc"].call(F.adaptive_avg_pool2d(trunk, new long[] { 1, 1 }).flatten(1)),
                ["side"] = modules["side"].call(act),
                ["deep_side"] = modules["deep_side"].call(bn),
            };
            Close(modules["trunk"].call(x), trunk, "the use called as a whole");
            using var outputs = ((IMultiOutputNetwork)net).ForwardOutputs(x);
            foreach (var o in info.Outputs)
            {
                // The compile-time shape is libtorch's.
                Assert.Equal(new long[] { 2 }.Concat(o.Shape.ToArray()), outputs[o.Name]!.shape);
                Close(expected[o.Name], outputs[o.Name]!, o.Name);
            }
            Close(expected["out"], ((nn.Module<Tensor, Tensor>)net).call(x), "forward");
        }

        [Fact]
        public void Two_inputs_pooled_globally_take_other_sizes_and_two_that_agree_only_at_the_declared_sizes_do_not()
        {
            using var scope = NewDisposeScope();
            var net = Create("PooledTwoTower");
            var module = (nn.Module<Tensor, Tensor, Tensor>)net;
            module.eval();
            Assert.True(Dsl.Runtime.Graph.NetworkGraph.Of(Info(net)).AnySize);
            var s = State(net);
            foreach (long size in new long[] { 12, 17, 30 })
            {
                var image = randn(2, 3, size, size);
                var depth = randn(2, 1, size, size);
                // The same computation written with libtorch's functions and the module's weights, at this size.
                var rgb = F.conv2d(image, s["rgb.weight"], s["rgb.bias"], padding: new long[] { 1, 1 });
                var d = F.conv2d(depth, s["d.weight"], s["d.bias"], padding: new long[] { 1, 1 });
                var fused = F.conv2d(cat(new[] { rgb, d }, 1), s["fuse.weight"], s["fuse.bias"], strides: new long[] { 2, 2 }, padding: new long[] { 1, 1 });
                var expected = F.linear(F.adaptive_avg_pool2d(fused, new long[] { 1, 1 }).flatten(1), s["fc.weight"], s["fc.bias"]);
                Close(expected, module.call(image, depth), $"PooledTwoTower at {size}x{size}");
            }
            // The channels are still checked, each input by name.
            var wrong = Assert.Throws<InputShapeException>(() => module.call(randn(2, 3, 17, 17), randn(2, 2, 17, 17)));
            Assert.Contains("input 'depth'", wrong.Message, StringComparison.Ordinal);

            // An input resized to meet the other merges only at the declared sizes: probed at other sizes, the merge fails,
            // so the declared sizes stay the only ones.
            var resized = Create("ResizedTwoTower");
            Assert.False(Dsl.Runtime.Graph.NetworkGraph.Of(Info(resized)).AnySize);
            var fixedSize = (nn.Module<Tensor, Tensor, Tensor>)resized;
            Assert.Equal(new long[] { 2, 5 }, fixedSize.call(randn(2, 3, 12, 12), randn(2, 1, 6, 6)).shape);
            Assert.Throws<InputShapeException>(() => fixedSize.call(randn(2, 3, 14, 14), randn(2, 1, 7, 7)));
        }

        [Fact]
        public void The_memory_plan_counts_a_head_only_when_training_runs_it()
        {
            // The trainer runs every output when one besides the main output has a loss weight, the main output alone
            // otherwise: a feature head (loss weight 0) saves nothing in training, a weighted head saves its activations.
            long Saved(string name) => Info(Create(name)).MemoryPlan(2).ActivationBytes;
            long plain = Saved("PlainNet");
            Assert.True(plain > 0);
            Assert.Equal(plain, Saved("FeatureHeadNet"));
            // The weighted head adds one storage: its ReLU's output, which the ReLU and the last convolution save (2 samples x
            // 6 x 10 x 10 float32); its first convolution saves the stem's output, which the main path's pool saves already.
            Assert.Equal(plain + 4 * 2 * 6 * 10 * 10, Saved("WeightedHeadNet"));
        }

        [Fact]
        public void Diagrams_show_every_input_and_output_by_name()
        {
            var two = Dsl.Runtime.Diagrams.NetworkDiagram.Of(Info(Create("TwoTower")));
            Assert.Equal(new[] { "image", "depth" }, two.Nodes.Where(n => n.Kind == Dsl.Runtime.Diagrams.DiagramNodeKind.Input).Select(n => n.Label));
            var aux = Dsl.Runtime.Diagrams.NetworkDiagram.Of(Info(Create("AuxNet")));
            Assert.Equal(new[] { "aux (training)", "logits" }, aux.Nodes.Where(n => n.Kind == Dsl.Runtime.Diagrams.DiagramNodeKind.Output).Select(n => n.Label));
            // The auxiliary output is drawn from its head's last layer.
            Assert.Contains(aux.Edges, e => e.From == "aux" && e.To.EndsWith(":aux", StringComparison.Ordinal));
            // Outputs read inside a Sequential use: its children are drawn as the forward calls them.
            var inside = Dsl.Runtime.Diagrams.NetworkDiagram.Of(Info(Create("InsideNet")));
            Assert.Equal(new[] { "out", "side", "deep_side" }.OrderBy(n => n), inside.Nodes.Where(n => n.Kind == Dsl.Runtime.Diagrams.DiagramNodeKind.Output).Select(n => n.Label).OrderBy(n => n));
            Assert.Contains(inside.Edges, e => e.From == "deep_side" && e.To.EndsWith(":deep_side", StringComparison.Ordinal));
        }

        /// <summary>The cases every exporter runs: the network and its inputs (the extractor with resnet50's initial weights).</summary>
        private static (string Name, Tensor[] Inputs)[] Cases() => new[]
        {
            ("TwoTower", new[] { randn(2, 3, 12, 12), randn(2, 1, 12, 12) }),
            ("AuxNet", new[] { randn(2, 3, 16, 16) }),
            ("FeatureNet", new[] { randn(2, 3, 10, 10) }),
            ("ResNet50Features", new[] { randn(2, 3, 64, 64) }),
            ("PooledTwoTower", new[] { randn(2, 3, 17, 17), randn(2, 1, 17, 17) }),
            ("InsideNet", new[] { randn(2, 3, 10, 10) }),
        };

        /// <summary>Every output of <paramref name="net"/> in its current mode, by name (the main output alone as "output").</summary>
        private static Dictionary<string, Tensor> Outputs(nn.Module net, Tensor[] inputs)
        {
            if (net is nn.Module<Tensor, Tensor, Tensor> two) return new() { ["output"] = two.call(inputs[0], inputs[1]) };
            using var outputs = ((IMultiOutputNetwork)net).ForwardOutputs(inputs[0]);
            return outputs.All.Where(o => o.Value is not null).ToDictionary(o => o.Key, o => o.Value!.detach().clone());
        }

        [Fact]
        public void ONNX_Runtime_agrees_on_every_output()
        {
            using var scope = NewDisposeScope();
            torch.manual_seed(11);
            foreach (var (name, inputs) in Cases())
            {
                var net = Create(name);
                net.eval();
                var graph = Dsl.Runtime.Graph.NetworkGraph.Of(Info(net));
                // The ONNX model is exported at the declared sizes: a case at another size is the twin's.
                if (!inputs.Zip(graph.Inputs).All(p => p.First.shape.Skip(1).SequenceEqual(p.Second.Shape))) continue;
                var expected = Outputs(net, inputs);
                using var session = new InferenceSession(((IDeclaredNetwork)net).ToOnnx());
                var feeds = graph.Inputs.Select((input, k) => NamedOnnxValue.CreateFromTensor(inputs.Length > 1 ? input.Name : OnnxExporter.InputName,
                    new DenseTensor(inputs[k].data<float>().ToArray(), inputs[k].shape.Select(d => (int)d).ToArray()))).ToList();
                using var results = session.Run(feeds);
                // The ONNX model is the eval-mode forward: its outputs are those of evaluation mode, by name.
                Assert.Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal), results.Select(r => r.Name).OrderBy(k => k, StringComparer.Ordinal));
                foreach (var result in results)
                {
                    var tensor = result.AsTensor<float>();
                    var actual = torch.tensor(tensor.ToArray(), tensor.Dimensions.ToArray().Select(d => (long)d).ToArray());
                    Close(expected[result.Name], actual, $"{name}.{result.Name} in ONNX Runtime", 1e-4);
                }
            }
        }

        [SkippableFact]
        public void The_PyTorch_twin_agrees_on_every_output_and_torchvision_on_the_feature_maps()
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            string dir = Path.Combine(Path.GetTempPath(), "dsl-outputs-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                using (var scope = NewDisposeScope())
                {
                    torch.manual_seed(13);
                    foreach (var (name, inputs) in Cases())
                    {
                        var net = Create(name);
                        File.WriteAllText(Path.Combine(dir, name + ".py"), PyTorchTwin.Render((IDeclaredNetwork)net));
                        PyTorchCheckpoint.SaveTensors(State(net), Path.Combine(dir, name + "-state.pth"));
                        var io = inputs.Select((t, k) => ("input" + k, t)).ToDictionary(p => p.Item1, p => p.t);
                        net.eval();
                        foreach (var o in Outputs(net, inputs)) io["eval." + o.Key] = o.Value;
                        // Training mode, where the auxiliary head runs (AuxNet has no batch statistics, so both modes are deterministic).
                        if (name == "AuxNet")
                        {
                            net.train();
                            foreach (var o in Outputs(net, inputs)) io["train." + o.Key] = o.Value;
                        }
                        PyTorchCheckpoint.SaveTensors(io, Path.Combine(dir, name + "-io.pth"));
                    }
                }
                File.WriteAllText(Path.Combine(dir, "check.py"), CheckScript);
                File.WriteAllText(Path.Combine(dir, "train.py"), PyTorchExport.TrainingScript);
                var (code, output, error) = PythonOracle.Run($"\"{Path.Combine(dir, "check.py")}\" \"{dir}\"", TimeSpan.FromMinutes(5));
                Assert.True(code == 0 && output.Contains("OK 6", StringComparison.Ordinal), $"python3 failed ({code}):\n{output}\n{error}");
            }
            finally
            {
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            }
        }

        /// <summary>
        /// Imports each twin, loads the .NET weights and compares every output, by name, in evaluation mode (and AuxNet's
        /// auxiliary output in training mode); the feature extractor also against torchvision's IntermediateLayerGetter.
        /// </summary>
        private const string CheckScript = """
            import importlib.util, os, sys
            import torch
            from torchvision.models import resnet50
            from torchvision.models._utils import IntermediateLayerGetter
            folder = sys.argv[1]
            def close(expected, actual, what):
                assert tuple(expected.shape) == tuple(actual.shape), f"{what}: shape {tuple(actual.shape)} vs {tuple(expected.shape)}"
                error = (expected - actual).abs().max().item()
                assert error <= 1e-4 * max(1.0, expected.abs().max().item()), f"{what}: differs by {error}"
            ok = 0
            for name in ["TwoTower", "AuxNet", "FeatureNet", "ResNet50Features", "PooledTwoTower", "InsideNet"]:
                spec = importlib.util.spec_from_file_location(name, os.path.join(folder, name + ".py"))
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                net = getattr(module, name)()
                state = torch.load(os.path.join(folder, name + "-state.pth"))
                net.load_state_dict(state)
                io = torch.load(os.path.join(folder, name + "-io.pth"))
                inputs = [io[k] for k in sorted(k for k in io if k.startswith("input"))]
                for mode in ["eval", "train"]:
                    expected = {k[len(mode) + 1:]: v for k, v in io.items() if k.startswith(mode + ".")}
                    if not expected:
                        continue
                    net.train(mode == "train")
                    with torch.no_grad():
                        y = net(*inputs)
                    got = y if isinstance(y, dict) else {"output": y}
                    assert sorted(got) == sorted(expected), f"{name} {mode}: outputs {sorted(got)} vs {sorted(expected)}"
                    for key in expected:
                        close(expected[key], got[key], f"{name} {mode} {key}")
                if name == "AuxNet":
                    # train.py trains the main output plus the weighted auxiliary one: its loss against the .NET outputs'.
                    assert net.main_output == "logits" and net.loss_weights == {"aux": 0.3}, f"{net.main_output} {net.loss_weights}"
                    spec = importlib.util.spec_from_file_location("train", os.path.join(folder, "train.py"))
                    train = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(train)
                    target = torch.tensor([0, 1, 2, 3, 4, 0])[: inputs[0].shape[0]]
                    F = torch.nn.functional
                    expected_loss = (F.cross_entropy(io["train.logits"], target) + 0.3 * F.cross_entropy(io["train.aux"], target)).item()
                    net.train()
                    seen = []
                    task = train.ClassificationTask(0.0)
                    task.statistics_size = task.size(net.output_shape)
                    totals = train.run_epoch(net, [(inputs[0], target)], task, lambda v: v, "cpu", optimize=lambda loss: seen.append(loss.item()))
                    assert abs(seen[0] - expected_loss) < 1e-4 and abs(totals[0].item() / totals[1].item() - expected_loss) < 1e-4, f"train.py loss {seen} vs {expected_loss}"
                if name == "ResNet50Features":
                    reference = resnet50()
                    missing, unexpected = reference.load_state_dict(state, strict=False)
                    assert unexpected == [] and sorted(missing) == ["fc.bias", "fc.weight"], f"{missing} {unexpected}"
                    getter = IntermediateLayerGetter(reference, {"layer2": "c3", "layer3": "c4", "layer4": "c5"}).eval()
                    with torch.no_grad():
                        maps = getter(inputs[0])
                    assert list(maps) == ["c3", "c4", "c5"]
                    for key in maps:
                        close(io["eval." + key], maps[key], f"IntermediateLayerGetter {key}")
                ok += 1
            print(f"OK {ok}")
            """;
    }
}
