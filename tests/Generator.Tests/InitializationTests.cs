using System;
using System.Linq;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>[Init] and [InitPreset]: the generated constructor applies the rules in order, by kind and by path glob; bad rules are diagnostics at the argument.</summary>
    public class InitializationTests
    {
        private const string Usings = "using Dsl;\nnamespace Nets;\n";

        private static nn.Module<Tensor, Tensor> Build(string source, string className)
        {
            var run = Harness.Run(Usings + source);
            Assert.Empty(Harness.Problems(run.Output).Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).Select(d => d.ToString()));
            var type = Harness.Load(run).GetType("Nets." + className, throwOnError: true)!;
            return (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
        }

        private static Tensor Param(nn.Module module, string name) => module.named_parameters().Single(p => p.name == name).parameter;

        private static bool All(Tensor t, double value) => t.eq(value).all().item<bool>();

        [Fact]
        public void Later_rules_overwrite_earlier_ones_on_the_tensors_both_select()
        {
            using var specificLast = Build(
                "[Input(1, 8, 8)] [Init(\"Conv2d\", InitScheme.Constant, Value = 3, Bias = 0)] [Init(\"conv2\", InitScheme.Constant, Value = 5)]\n" +
                "[Conv2d(4, 3)] [Conv2d(4, 3)] public partial class A;", "A");
            Assert.True(All(Param(specificLast, "conv1.weight"), 3));
            Assert.True(All(Param(specificLast, "conv2.weight"), 5));
            Assert.True(All(Param(specificLast, "conv2.bias"), 0)); // the kind rule's bias stays: the path rule sets no bias

            using var generalLast = Build(
                "[Input(1, 8, 8)] [Init(\"conv2\", InitScheme.Constant, Value = 5)] [Init(\"Conv2d\", InitScheme.Constant, Value = 3)]\n" +
                "[Conv2d(4, 3)] [Conv2d(4, 3)] public partial class B;", "B");
            Assert.True(All(Param(generalLast, "conv2.weight"), 3));
        }

        [Fact]
        public void Globs_select_module_and_parameter_paths()
        {
            using var net = Build(
                "[Block] [Conv2d(4, 3, Padding = 1)] [ReLU] [Conv2d(4, 3, Padding = 1)] public partial class Features;\n" +
                "[Input(1, 8, 8)] [Init(\"features.*\", InitScheme.Ones, Bias = 2)] [Init(\"**.bias\", InitScheme.Constant, Value = 7)]\n" +
                "[Use<Features>(Name = \"features\")] [Flatten] [Linear(3, Name = \"fc\")] public partial class C;", "C");
            Assert.True(All(Param(net, "features.0.weight"), 1));
            Assert.True(All(Param(net, "features.2.weight"), 1));
            Assert.True(All(Param(net, "features.0.bias"), 7)); // '**' crosses segments; the later rule wins over Bias = 2
            Assert.True(All(Param(net, "fc.bias"), 7));
            Assert.False(All(Param(net, "fc.weight"), 1)); // 'features.*' is one segment below features only
        }

        [Fact]
        public void Schemes_follow_torch_formulas()
        {
            using var net = Build(
                "[Input(500)] [Init(\"fc1\", InitScheme.KaimingNormal, Mode = FanMode.FanOut, Nonlinearity = \"relu\")]\n" +
                "[Init(\"fc2\", InitScheme.XavierUniform, Gain = 2)] [Init(\"fc3\", InitScheme.TruncNormal, Mean = 1, Std = 1, Min = 0.5, Max = 1.5)]\n" +
                "[Init(\"fc4\", InitScheme.Uniform, Min = -3, Max = -2)]\n" +
                "[Linear(2000)] [Linear(500)] [Linear(400)] [Linear(300)] public partial class D;", "D");
            double Std(string name) => Param(net, name).std().item<float>();
            // kaiming_normal_(mode="fan_out", nonlinearity="relu") on [2000, 500]: std = sqrt(2) / sqrt(2000).
            Assert.Equal(Math.Sqrt(2.0 / 2000), Std("fc1.weight"), 3);
            // xavier_uniform_(gain=2) on [500, 2000]: bound = 2 * sqrt(6 / 2500), std = bound / sqrt(3).
            Assert.InRange(Std("fc2.weight") / (2 * Math.Sqrt(6.0 / 2500) / Math.Sqrt(3)), 0.99, 1.01);
            var t = Param(net, "fc3.weight");
            Assert.True(t.min().item<float>() >= 0.5f && t.max().item<float>() <= 1.5f);
            Assert.InRange(t.mean().item<float>(), 0.99, 1.01);
            var u = Param(net, "fc4.weight");
            Assert.True(u.min().item<float>() >= -3f && u.max().item<float>() < -2f);
        }

        [Fact]
        public void ZeroInitResidual_zeroes_the_last_BatchNorm_of_each_residual_block()
        {
            using var net = Build(
                "[Input(3, 32, 32)] [Naming(NamingConvention.TorchVision)] [InitPreset(InitPresets.TorchVisionResNet, ZeroInitResidual = true)]\n" +
                "[Conv2d(16, 3, Padding = 1, Bias = false)] [BatchNorm2d] [ReLU] [BasicStage(2, 16)] [BasicStage(1, 32, Stride = 2)]\n" +
                "[AdaptiveAvgPool2d] [Flatten] [Linear(10)] public partial class E;", "E");
            Assert.True(All(Param(net, "layer1.0.bn2.weight"), 0));
            Assert.True(All(Param(net, "layer1.1.bn2.weight"), 0));
            Assert.True(All(Param(net, "layer2.0.bn2.weight"), 0));
            Assert.True(All(Param(net, "layer2.0.bn1.weight"), 1));
            Assert.True(All(Param(net, "layer2.0.downsample.1.weight"), 1)); // the shortcut's BatchNorm is not the branch's last
            Assert.True(All(Param(net, "bn1.weight"), 1));
        }

        [Fact]
        public void The_generator_mirrors_the_attribute_enums()
        {
            Assert.Equal(Enum.GetNames(typeof(Dsl.InitScheme)), Enum.GetNames(typeof(Dsl.Generator.Init.InitScheme)));
            Assert.Equal(Enum.GetValues(typeof(Dsl.InitScheme)).Cast<object>().Select(Convert.ToInt32).ToArray(), Enum.GetValues(typeof(Dsl.Generator.Init.InitScheme)).Cast<object>().Select(Convert.ToInt32).ToArray());
            Assert.Equal(Enum.GetNames(typeof(Dsl.InitPresets)), Enum.GetNames(typeof(Dsl.Generator.Init.InitPreset)));
            Assert.Equal(Enum.GetValues(typeof(Dsl.InitPresets)).Cast<object>().Select(Convert.ToInt32).ToArray(), Enum.GetValues(typeof(Dsl.Generator.Init.InitPreset)).Cast<object>().Select(Convert.ToInt32).ToArray());
        }

        private static void Verify(string markup, params (string Id, string Message)[] expected) => DiagnosticHarness.Verify(Usings + markup, expected);

        [Fact]
        public void DSL021_A_kind_the_network_lacks_at_the_target() => Verify(
            "[Input(1, 8, 8)] [Init([|\"Linear\"|], InitScheme.Zeros)] [Conv2d(4, 3)] [BatchNorm2d] public partial class Net;",
            ("DSL021", "[Init(\"Linear\", InitScheme.Zeros)] on Net matches no layer: the network has no Linear layer; its kinds with parameters are Conv2d, BatchNorm2d"));

        [Fact]
        public void DSL021_An_unknown_kind_at_the_target() => Verify(
            "[Input(1, 8, 8)] [Init([|\"Conv3d\"|], InitScheme.Zeros)] [Conv2d(4, 3)] public partial class Net;",
            ("DSL021", "[Init(\"Conv3d\", InitScheme.Zeros)] on Net matches no layer: 'Conv3d' is not a layer kind with parameters (BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, ConvTranspose2d, GroupNorm, LayerNorm, LayerNorm2d, Linear, MultiheadSelfAttention) and no module is called so; the network's kinds are Conv2d"));

        [Fact]
        public void DSL021_A_glob_that_matches_no_path_at_the_target() => Verify(
            "[Input(1, 8, 8)] [Init([|target: \"features.*.conv\"|], scheme: InitScheme.Zeros)] [Conv2d(4, 3)] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL021", "[Init(\"features.*.conv\", InitScheme.Zeros)] on Net matches no layer: no module or parameter path matches 'features.*.conv'; paths look like 'conv1', 'fc1'"));

        [Fact]
        public void DSL021_A_preset_whose_named_layers_are_missing_at_the_preset() => Verify(
            "[Input(3, 32, 32)] [InitPreset([|InitPresets.TorchVisionViT|])] [Conv2d(4, 3)] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL021", "[InitPreset(InitPresets.TorchVisionViT)] on Net matches no layer: the preset initialises 'conv_proj', 'encoder.layers.encoder_layer_0.mlp.0', 'heads.head' as torchvision names them, and the network has no such modules; declare them with those names (Name = ...), or write [Init] rules instead"));

        [Fact]
        public void DSL022_An_argument_of_another_scheme_at_the_argument() => Verify(
            "[Input(1, 8, 8)] [Init(\"Conv2d\", InitScheme.KaimingNormal, [|Std = 0.1|])] [Conv2d(4, 3)] public partial class Net;",
            ("DSL022", "[Init(\"Conv2d\", InitScheme.KaimingNormal)]: Std does not apply to KaimingNormal, which takes Mode, Nonlinearity, NegativeSlope; remove it or choose the scheme that uses it"));

        [Fact]
        public void DSL022_A_fan_scheme_on_one_dimensional_weights_at_the_scheme() => Verify(
            "[Input(1, 8, 8)] [Init(\"BatchNorm2d\", [|InitScheme.XavierUniform|])] [Conv2d(4, 3)] [BatchNorm2d] public partial class Net;",
            ("DSL022", "[Init(\"BatchNorm2d\", InitScheme.XavierUniform)]: XavierUniform needs the fans of a weight with at least 2 dimensions, and 'bn1' has 1; use Constant, Ones, Zeros, Normal, TruncNormal or Uniform"));

        [Fact]
        public void DSL022_Constant_without_a_value_and_a_bad_nonlinearity() => Verify(
            "[Input(1, 8, 8)] [[|Init(\"Conv2d\", InitScheme.Constant)|]] [Init(\"conv1\", InitScheme.KaimingUniform, [|Nonlinearity = \"gelu\"|])] [Conv2d(4, 3)] public partial class Net;",
            ("DSL022", "[Init(\"Conv2d\", InitScheme.Constant)]: Constant needs Value = ...; or use Zeros or Ones"),
            ("DSL022", "[Init(\"conv1\", InitScheme.KaimingUniform)]: 'gelu' is not a nonlinearity of torch.nn.init.calculate_gain: use linear, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, sigmoid, tanh, relu, leaky_relu, selu"));

        [Fact]
        public void DSL022_Bias_on_modules_without_a_bias_at_the_argument() => Verify(
            "[Input(1, 8, 8)] [Init(\"Conv2d\", InitScheme.KaimingNormal, [|Bias = 0|])] [Conv2d(4, 3, Bias = false)] [BatchNorm2d] public partial class Net;",
            ("DSL022", "[Init(\"Conv2d\", InitScheme.KaimingNormal)]: Bias sets the bias of selected modules, and none of the modules 'Conv2d' selects has one (conv1); remove Bias"));

        [Fact]
        public void DSL022_Bias_on_an_embedding_which_has_no_bias() => Verify(
            "[Input(6, Vocabulary = 10)] [Embedding(4)] [Init(\"embedding1\", InitScheme.Normal, [|Bias = 0|])] [Flatten] [Linear(2)] public partial class Net;",
            ("DSL022", "[Init(\"embedding1\", InitScheme.Normal)]: Bias sets the bias of selected modules, and none of the modules 'embedding1' selects has one (embedding1); remove Bias"));

        [Fact]
        public void DSL021_A_bias_glob_does_not_match_an_embedding() => Verify(
            "[Input(6, Vocabulary = 10)] [Init([|\"**.bias\"|], InitScheme.Zeros)] [Embedding(4)] [Flatten] [Linear(2, Bias = false)] public partial class Net;",
            ("DSL021", "[Init(\"**.bias\", InitScheme.Zeros)] on Net matches no layer: no module or parameter path matches '**.bias'; paths look like 'embedding1', 'fc1'"));

        [Fact]
        public void DSL021_Init_on_a_block_is_reported_at_the_rule() => Verify(
            "[Block] [[|Init(\"Conv2d\", InitScheme.Zeros)|]] [Conv2d(4, 3)] public partial class Body;",
            ("DSL021", "[Init(\"Conv2d\")] on Body matches no layer: rules belong on the network, whose module paths they select; move it there (a glob such as \"**.conv1\" reaches the block's layers)"));
    }
}
