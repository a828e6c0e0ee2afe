using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.PyTorch;
using ResNetSample;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Ranks
{
    /// <summary>
    /// Flat and sequence input, the 1-d layers, GroupNorm, Softmax and Linear over tokens against TorchSharp's own
    /// modules (shapes, parameters, multiply-adds and values), networks that accept other spatial sizes after a global
    /// pooling, and [Custom&lt;T&gt;] modules.
    /// </summary>
    public class RankNetworkTests
    {
        /// <summary>One layer on one input: the declaration, the independent TorchSharp module and the expected multiply-adds.</summary>
        private sealed record Case(string Name, int[] Input, string Layer, Func<nn.Module<Tensor, Tensor>> Reference, long MultiplyAdds);

        private static readonly Case[] Cases =
        {
            // Length 17, kernel 3 dilated to 5, stride 2, padding 1: (17 + 2 - 5) / 2 + 1 = 8 positions of 4/2*3 products per channel.
            new("Conv1dNet", new[] { 4, 17 }, "Conv1d(8, 3, Stride = 2, Padding = 1, Dilation = 2, Groups = 2, Bias = false)",
                () => nn.Conv1d(4, 8, 3, stride: 2, padding: 1, dilation: 2, groups: 2, bias: false), 8 * 8 * 2 * 3),
            new("Conv1dBias", new[] { 3, 9 }, "Conv1d(5, 4)", () => nn.Conv1d(3, 5, 4), 5 * 6 * 3 * 4),
            new("BatchNorm1dFlat", new[] { 6 }, "BatchNorm1d(Eps = 1e-3, Momentum = 0.2)", () => nn.BatchNorm1d(6, 1e-3, 0.2), 0),
            new("BatchNorm1dSequence", new[] { 6, 10 }, "BatchNorm1d", () => nn.BatchNorm1d(6), 0),
            new("GroupNormSequence", new[] { 6, 10 }, "GroupNorm(2, Eps = 1e-3)", () => nn.GroupNorm(2, 6, 1e-3), 0),
            new("GroupNormImage", new[] { 6, 5, 5 }, "GroupNorm(6)", () => nn.GroupNorm(6, 6), 0),
            new("SoftmaxLast", new[] { 7 }, "Softmax", () => nn.Softmax(-1), 0),
            new("SoftmaxChannels", new[] { 4, 5, 6 }, "Softmax(Dim = 1)", () => nn.Softmax(1), 0),
            new("SoftmaxHeight", new[] { 4, 5, 6 }, "Softmax(Dim = -2)", () => nn.Softmax(-2), 0),
            new("MaxPool1dNet", new[] { 3, 11 }, "MaxPool1d(3, Stride = 2, Padding = 1, Dilation = 2, CeilMode = true)",
                () => nn.MaxPool1d(3, stride: 2, padding: 1, dilation: 2, ceil_mode: true), 0),
            new("AvgPool1dNet", new[] { 3, 11 }, "AvgPool1d(3, Stride = 2, Padding = 1, CeilMode = true)",
                () => nn.AvgPool1d(3, stride: 2, padding: 1, ceil_mode: true), 0),
            new("AvgPool1dDefault", new[] { 3, 11 }, "AvgPool1d(2)", () => nn.AvgPool1d(2), 0),
            new("AdaptiveAvgPool1dNet", new[] { 3, 11 }, "AdaptiveAvgPool1d(4)", () => nn.AdaptiveAvgPool1d(4), 0),
            new("LinearTokens", new[] { 5, 9 }, "Linear(7)", () => nn.Linear(9, 7), 5 * 9 * 7),
            new("LinearFlat", new[] { 9 }, "Linear(7, Bias = false)", () => nn.Linear(9, 7, hasBias: false), 9 * 7),
        };

        public static TheoryData<string> CaseNames() => new(Cases.Select(c => c.Name));

        private static readonly Lazy<System.Reflection.Assembly> CaseAssembly = new(() =>
        {
            var source = "using Dsl;\nnamespace Nets;\n" + string.Join("\n", Cases.Select(c => $"[Input({string.Join(", ", c.Input)})] [{c.Layer}] public partial class {c.Name};"));
            return Compile(source);
        });

        internal static System.Reflection.Assembly Compile(string source)
        {
            var run = Harness.Run(source);
            var problems = run.WarningsAndErrors.ToArray();
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            return Harness.Load(run);
        }

        private static nn.Module<Tensor, Tensor> Create(System.Reflection.Assembly assembly, string name) =>
            (nn.Module<Tensor, Tensor>)Activator.CreateInstance(assembly.GetType("Nets." + name, throwOnError: true)!)!;

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Each_kind_matches_its_TorchSharp_module(string name)
        {
            var c = Cases.Single(x => x.Name == name);
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var network = Create(CaseAssembly.Value, name);
            var info = ((IDeclaredNetwork)network).Info;
            var reference = c.Reference();
            var (_, layer) = network.named_children().Single();

            // Parameters: the compile-time count, the generated module's and TorchSharp's own module's.
            long parameters = reference.parameters().Sum(p => p.numel());
            Assert.Equal(parameters, info.TotalParameters);
            Assert.Equal(parameters, network.parameters().Sum(p => p.numel()));
            Assert.Equal(c.MultiplyAdds, info.TotalMultiplyAdds);

            // Same weights (and running statistics), eval mode: same output, of the shape predicted at compile time.
            foreach (var (_, p) in network.named_parameters()) p.uniform_(-1, 1);
            if (parameters > 0 || reference.buffers().Any()) reference.load_state_dict(layer.state_dict());
            network.eval();
            reference.eval();
            var x = randn(new long[] { 3 }.Concat(c.Input.Select(d => (long)d)).ToArray());
            var expected = reference.call(x);
            var actual = network.call(x);
            Assert.Equal(expected.shape, actual.shape);
            Assert.Equal(info.OutputShape.WithBatch(3), actual.shape);
            Assert.True(allclose(expected, actual), $"{name}: outputs differ");
        }

        [Fact]
        public void An_MLP_on_flat_input_compiles_runs_and_checks_its_input()
        {
            var assembly = Compile("using Dsl;\nnamespace Nets;\n[Input(784)] [Linear(256)] [ReLU] [Linear(10)] public partial class Mlp;");
            using var net = Create(assembly, "Mlp");
            var info = ((IDeclaredNetwork)net).Info;
            Assert.Equal(784 * 256 + 256 + 256 * 10 + 10, info.TotalParameters);
            Assert.Equal(new long[] { 784 }, info.InputShape.ToArray());
            using var y = net.call(randn(5, 784));
            Assert.Equal(new long[] { 5, 10 }, y.shape);
            var error = Assert.Throws<InputShapeException>(() => net.call(randn(5, 1, 28, 28)));
            Assert.Equal("Mlp expects input of shape [N, 784] but got [5, 1, 28, 28]: pass a 2-D batch (batch, features); add a batch dimension with unsqueeze(0) for a single sample.", error.Message);
        }

        [Fact]
        public void A_1d_convolutional_network_compiles_and_runs()
        {
            var assembly = Compile("""
                using Dsl;
                namespace Nets;
                [Input(2, 50)]
                [Conv1d(8, 5, Padding = 2)] [BatchNorm1d] [ReLU] [MaxPool1d(2)]
                [Conv1d(16, 3, Stride = 2)] [GroupNorm(4)] [SiLU] [AvgPool1d(2)]
                [Flatten] [Linear(3)]
                public partial class Seq;
                """);
            using var net = Create(assembly, "Seq");
            var info = ((IDeclaredNetwork)net).Info;
            Assert.Equal("[16, 6]", info.TopLevel[7].OutputShape.ToString());
            using var y = net.call(randn(4, 2, 50));
            Assert.Equal(new long[] { 4, 3 }, y.shape);
            // Flatten depends on the length: no other length is accepted.
            var error = Assert.Throws<InputShapeException>(() => net.call(randn(4, 2, 60)));
            Assert.Equal("Seq expects input of shape [N, 2, 50] but got [4, 2, 60]: resize or reshape the input, or change the [Input] declaration.", error.Message);
        }

        [Fact]
        public void Networks_that_pool_globally_accept_other_spatial_sizes()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using (var d2l = new D2LResNet18())
            {
                d2l.eval();
                Assert.Equal(new long[] { 2, 10 }, d2l.call(randn(2, 1, 64, 64)).shape);
                Assert.Equal(new long[] { 1, 10 }, d2l.call(randn(1, 1, 96, 96)).shape);
                var channels = Assert.Throws<InputShapeException>(() => d2l.call(randn(1, 3, 64, 64)));
                Assert.Equal("D2LResNet18 expects input of shape [N, 1, height, width] (any height and width) but got [1, 3, 64, 64]: pass 1 channels, or change the [Input] declaration.", channels.Message);
                Assert.True(channels.AnySize);
                var rank = Assert.Throws<InputShapeException>(() => d2l.call(randn(1, 64, 64)));
                Assert.Contains("pass a 4-D batch (batch, channels, height, width)", rank.Message);
            }
            using (var mini = new ResNetMini())
            {
                mini.eval();
                Assert.Equal(new long[] { 2, 10 }, mini.call(randn(2, 1, 64, 64)).shape);
            }
            using (var resnet18 = new ResNet18())
            {
                resnet18.eval();
                Assert.Equal(new long[] { 1, 1000 }, resnet18.call(randn(1, 3, 160, 160)).shape);
            }
            using (var mobile = new MobileNetV2())
            {
                mobile.eval();
                Assert.Equal(new long[] { 1, 1000 }, mobile.call(randn(1, 3, 160, 160)).shape);
            }
            using (var convnext = new ConvNeXtTiny())
            {
                convnext.eval();
                Assert.Equal(new long[] { 1, 1000 }, convnext.call(randn(1, 3, 96, 96)).shape);
            }
            using (var sequence = new SequenceNet())
            {
                sequence.eval();
                Assert.Equal(new long[] { 2, 5 }, sequence.call(randn(2, 12, 200)).shape);
            }
            // Without a global pooling before Flatten/Linear, the declared size is the only one.
            using var lenet = new LeNet();
            Assert.Throws<InputShapeException>(() => lenet.call(randn(1, 1, 32, 32)));

            Assert.Contains("\"anySize\":true", D2LResNet18.Graph);
            Assert.Contains("\"anySize\":true", ResNet18.Graph);
            Assert.Contains("\"anySize\":true", SequenceNet.Graph);
            Assert.Contains("\"anySize\":true", ConvNeXtTiny.Graph);
            Assert.DoesNotContain("anySize", LeNet.Graph);
            Assert.DoesNotContain("anySize", Mlp.Graph);
            Assert.DoesNotContain("anySize", TokenMlp.Graph);
        }

        [Theory]
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3)] [AdaptiveAvgPool2d] [Flatten] [Linear(2)]", true)]
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3)] [MaxPool2d(2)] [AdaptiveAvgPool2d(2)] [Flatten] [Linear(2)]", true)]
        [InlineData("[Input(3, 16, 16)] [Stem(8)] [ResidualStage(1, 16, Downsample = true)] [ClassifierHead(4)]", true)]
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3)] [Flatten] [Linear(2)]", false)]
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3)] [Flatten] [Linear(2)] [Softmax]", false)]
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3)]", false)]
        [InlineData("[Input(3, 16, 16)] [Custom<Nets.Same>] [AdaptiveAvgPool2d] [Flatten] [Linear(2)]", false)]
        [InlineData("[Input(3, 16, 16)] [Use<Nets.Split>] [AdaptiveAvgPool2d] [Flatten] [Linear(2)]", false)]
        [InlineData("[Input(3, 16, 16)] [Use<Nets.Split>(1)] [AdaptiveAvgPool2d] [Flatten] [Linear(2)]", true)]
        [InlineData("[Input(3, 40)] [Conv1d(8, 3)] [AdaptiveAvgPool1d] [Flatten] [Linear(2)]", true)]
        [InlineData("[Input(30)] [Linear(2)]", false)]
        // ConvNeXt's channels-last block: a permute, a LayerNorm and Linears over the channels follow any size.
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3)] [Permute(0, 2, 3, 1)] [LayerNorm] [Linear(16, InFeatures = 8)] [Permute(0, 3, 1, 2)] [LayerNorm2d] [StochasticDepth(0.1)] [AdaptiveAvgPool2d] [Flatten] [Linear(2)]", true)]
        // A LayerNorm over an image's last dimension (its width) has one weight per column: another size changes its parameters.
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3)] [LayerNorm] [AdaptiveAvgPool2d] [Flatten] [Linear(2)]", false)]
        // Outputs resized to the input's size ([Interpolate]) follow it at any size: a segmentation network.
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3, Stride = 2)] [Conv2d(2, 1)] [Interpolate]", true)]
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3, Stride = 2, Name = \"c\")] [Conv2d(2, 1, Name = \"aux_head\")] [Interpolate(Name = \"aux_up\")] [Output(\"aux\")] [Conv2d(2, 1, From = \"c\")] [Interpolate]", true)]
        // A global pooling inside (ASPP's pooling branch, resized back) does not stop it.
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3, Stride = 2)] [Use<Nets.Pooled>] [Interpolate]", true)]
        // Not when a layer after the resize changes the size, nor when one depends on it, nor when an output is not resized.
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3, Stride = 2)] [Interpolate] [MaxPool2d(2)]", false)]
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3, Stride = 2)] [Interpolate] [Flatten] [Linear(2)]", false)]
        [InlineData("[Input(3, 16, 16)] [Conv2d(8, 3, Stride = 2, Name = \"c\")] [Output(\"features\")] [Conv2d(2, 1)] [Interpolate]", false)]
        // Branches that agree only at the declared size: the probes at other sizes catch them.
        [InlineData("[Input(3, 16, 16)] [Use<Nets.Split>] [Conv2d(2, 1)] [Interpolate]", false)]
        public void The_graph_knows_whether_a_global_pooling_comes_before_any_size_dependent_layer_or_the_outputs_are_resized_to_the_input(string declaration, bool anySize)
        {
            // Split concatenates a 3x3 stride-2 convolution (padding 1: ceil(n / 2)) with a 2x2 max pooling: floor(n / 2),
            // equal at 16x16 but not at 17x17, which the graph's probes at other sizes catch; in ceil mode (up = 1) the
            // pooling gives ceil(n / 2) too, and every size works.
            var run = Harness.Run("""
                using Dsl;
                using TorchSharp;
                using static TorchSharp.torch;
                namespace Nets;
                public sealed class Same : nn.Module<Tensor, Tensor>
                {
                    public Same() : base(nameof(Same)) { }
                    public override Tensor forward(Tensor x) => x;
                }
                [Block("up = 0")]
                [MaxPool2d(2, With = "CeilMode = up")]
                public partial class Pool;
                [Block("up = 0", Merge = Merge.Concat, Shortcut = typeof(Pool))]
                [Conv2d(4, 3, Stride = 2, Padding = 1)]
                public partial class Split;
                [Block]
                [AdaptiveAvgPool2d] [Conv2d(8, 1)] [Interpolate(To = InterpolateTarget.BlockInput)]
                public partial class Pooled;
                """ + "\n" + declaration + " public partial class Net;");
            var model = Harness.Analyze(run, "Net");
            Assert.True(model.Problems.Count == 0, string.Join("\n", model.Problems.Select(p => p.Code + ": " + string.Join(" | ", p.Args))));
            Assert.Equal(anySize, model.AnySize);
        }

        private const string CustomModules = """
            using Dsl;
            using TorchSharp;
            using static TorchSharp.torch;
            namespace Nets;

            /// <summary>Stacks the input on itself along the channels: (c, h, w) -> (2c, h, w).</summary>
            public sealed class Twice : nn.Module<Tensor, Tensor>
            {
                /// <summary>Creates it.</summary>
                public Twice() : base(nameof(Twice)) { }
                /// <inheritdoc/>
                public override Tensor forward(Tensor x) => cat(new[] { x, x }, 1);
            }

            /// <summary>A linear mixing of the last dimension (16 -> 16), with parameters.</summary>
            public sealed class Mixer : nn.Module<Tensor, Tensor>
            {
                private readonly TorchSharp.Modules.Linear mix = nn.Linear(16, 16);
                /// <summary>Creates it.</summary>
                public Mixer() : base(nameof(Mixer)) => RegisterComponents();
                /// <inheritdoc/>
                public override Tensor forward(Tensor x) => mix.call(x);
            }

            [Input(3, 8, 16)]
            [Custom<Twice>(OutputShape = "c * 2, h, w")]
            [Conv2d(4, 3, Padding = 1)]
            [Custom<Mixer>(Parameters = 272)]
            [Flatten] [Linear(2)]
            public partial class WithCustom;

            [Input(3, 8, 16)]
            [Custom<Twice>(OutputShape = new[] { 3, 8, 16 })]
            [Flatten] [Linear(2)]
            public partial class Lying;
            """;

        [Fact]
        public void Custom_modules_are_layers_with_a_checked_contract()
        {
            var assembly = Compile(CustomModules);
            using var net = Create(assembly, "WithCustom");
            var info = ((IDeclaredNetwork)net).Info;
            Assert.Equal(new[] { "twice1", "conv1", "mixer1", "flatten1", "fc1" }, info.TopLevel.Select(l => l.Name).ToArray());
            Assert.Equal("[6, 8, 16]", info["twice1"].OutputShape.ToString());
            Assert.Equal("Custom", info["mixer1"].Type);
            // The declared parameters enter the count, and agree with the module's own.
            Assert.Equal(net.parameters().Sum(p => p.numel()), info.TotalParameters);
            Assert.Contains("mixer1.mix.weight", net.state_dict().Keys);
            using var y = net.call(randn(2, 3, 8, 16));
            Assert.Equal(new long[] { 2, 2 }, y.shape);

            // A module that breaks its declared contract is stopped at run time, naming the layer.
            using var lying = Create(assembly, "Lying");
            var error = Assert.Throws<InvalidOperationException>(() => lying.call(randn(2, 3, 8, 16)));
            Assert.Equal("Lying: the custom layer 'twice1' returned [2, 6, 8, 16] for a batch of 2, but its declared output shape is [2, 3, 8, 16] (the batch of its input, then its OutputShape); fix the module, or its OutputShape in [Custom].", error.Message);
        }

        [Fact]
        public void Custom_modules_work_inside_user_blocks()
        {
            var assembly = Compile(CustomModules.Replace("[Input(3, 8, 16)]\n[Custom<Twice>(OutputShape = new[] { 3, 8, 16 })]", "[Input(3, 8, 16)]\n[Custom<Twice>(OutputShape = \"c * 2, h, w\")]") + """

                /// <summary>A convolution and a doubling of its channels.</summary>
                [Block("out")]
                [Conv2d(1, 3, Padding = 1, With = "OutChannels = out")]
                [Custom<Twice>(OutputShape = "c * 2, h, w", Name = "twice")]
                public partial class ConvTwice;

                [Input(3, 8, 8)]
                [Use<ConvTwice>(4)] [Use<ConvTwice>(5)]
                [AdaptiveAvgPool2d] [Flatten] [Linear(2)]
                public partial class Blocks;
                """);
            using var net = Create(assembly, "Blocks");
            var info = ((IDeclaredNetwork)net).Info;
            Assert.Equal("[10, 8, 8]", info["convTwice2"].OutputShape.ToString());
            Assert.Equal(net.parameters().Sum(p => p.numel()), info.TotalParameters);
            using var y = net.call(randn(2, 3, 8, 8));
            Assert.Equal(new long[] { 2, 2 }, y.shape);
            // A custom layer depends on the size (its contract was checked at the declared one): no other size is accepted.
            Assert.DoesNotContain("anySize", info.Graph);
        }

        [Fact]
        public void Exporters_refuse_custom_layers_naming_them()
        {
            var assembly = Compile(CustomModules);
            using var net = Create(assembly, "WithCustom");
            var onnx = Assert.Throws<OnnxExportException>(() => ((IDeclaredNetwork)net).ToOnnx());
            Assert.Equal("twice1", onnx.LayerPath);
            Assert.StartsWith("Cannot export layer 'twice1' (Custom) to ONNX: it is the hand-written module global::Nets.Twice, used through [Custom<T>]", onnx.Message);
            var twin = Assert.Throws<NotSupportedException>(() => PyTorchTwin.Render((IDeclaredNetwork)net));
            Assert.StartsWith("The PyTorch twin cannot render layer 'twice1': it is the hand-written TorchSharp module global::Nets.Twice, used through [Custom<T>].", twin.Message);
        }

        [Fact]
        public void Sample_networks_on_flat_and_sequence_input_run()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var mlp = new Mlp();
            Assert.Equal(new long[] { 3, 10 }, mlp.call(randn(3, 784)).shape);
            using var tokens = new TokenMlp();
            Assert.Equal("[16, 64]", TokenMlp.Info["fc1"].OutputShape.ToString());
            Assert.Equal(16 * 32 * 64, TokenMlp.Info["fc1"].MultiplyAdds);
            Assert.Equal(new long[] { 3, 3 }, tokens.call(randn(3, 16, 32)).shape);
        }
    }
}
