using System;
using System.Linq;
using System.Text.RegularExpressions;
using ResNetSample;
using Xunit;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// The block-class plan of the catalogue's torchvision networks, as users meet it: the nested classes a network's
    /// generated module has for each block kind and the constructor parameters they take, against torchvision's own
    /// classes (one class per kind, its values as <c>__init__</c> arguments). Uses that differ in values, in a merge
    /// that holds or not (<c>merge</c>, torchvision's <c>use_res_connect</c>) or in an optional Sequential item
    /// (<c>has_conv_0</c>, torchvision's <c>if expand_ratio != 1: layers.append(...)</c>) share one class.
    /// </summary>
    public sealed class BlockPlanTests
    {
        /// <summary>The generated classes of <paramref name="kind"/> nested in <paramref name="network"/>: the kind's class and its numbered variants.</summary>
        private static Type[] Classes(Type network, string kind) =>
            network.GetNestedTypes().Where(t => Regex.IsMatch(t.Name, "^" + Regex.Escape(kind) + "[0-9]*$") && typeof(TorchSharp.torch.nn.Module).IsAssignableFrom(t)).ToArray();

        private static string Parameters(Type blockClass) =>
            string.Join(", ", blockClass.GetConstructors().Single().GetParameters().Select(p => p.Name));

        public static TheoryData<Type, string, int, string> OneClassPerKind => new()
        {
            // torchvision InvertedResidual(inp, oup, stride, expand_ratio): the expansion only when expand_ratio != 1,
            // the residual only when stride == 1 and inp == oup.
            { typeof(MobileNetV2), "InvertedResidualModule", 1, "inChannels, outChannels, stride, hidden, has_conv_0, merge" },
            // torchvision BasicBlock / Bottleneck(inplanes, planes, stride, downsample, groups, base_width, dilation).
            { typeof(ResNet18), "BasicBlock", 1, "inChannels, channels, stride, projection" },
            { typeof(ResNet34), "BasicBlock", 1, "inChannels, channels, stride, projection" },
            { typeof(ResNet50), "BottleneckBlock", 1, "inChannels, width, outChannels, stride, projection" },
            { typeof(ResNeXt50_32x4d), "BottleneckBlock", 1, "inChannels, width, outChannels, stride, projection" },
            { typeof(FcnResNet50), "BottleneckBlock", 1, "inChannels, width, outChannels, stride, dilation, projection" },
            // torchvision _DenseLayer(num_input_features, growth_rate, bn_size, ...): growth and bn_size are the same in every use.
            { typeof(DenseNet121), "DenseNetLayerModule", 1, "inChannels" },
            // torchvision CNBlock(dim, layer_scale, stochastic_depth_prob): the dimension, the depth's drop probability and the MLP's width.
            { typeof(ConvNeXtTiny), "CNBlockModule", 1, "inChannels, sd, block_outputSize" },
            // torchvision SqueezeExcitation(input_channels, squeeze_channels), inside the inverted residuals' classes, which
            // pass on their own arguments (MobileNetV3: the expanded width, the squeezed width).
            { typeof(MobileNetV3Large), "SqueezeExcitationModule", 1, "inChannels, squeeze" },
            { typeof(EfficientNetB0), "SqueezeExcitationModule", 1, "inChannels, squeeze" },
            // A residual block whose shortcut projects in one use and is empty (the input itself) in the other, as
            // torchvision's BasicBlock takes downsample or None: the projection is the shortcut's item under a flag.
            { typeof(BlockNet), "ResidualSEModule", 1, "inChannels, stride, has_downsample_0" },
        };

        [Theory]
        [MemberData(nameof(OneClassPerKind))]
        public void A_block_kind_is_one_class_whose_arguments_are_what_differs(Type network, string kind, int classes, string parameters)
        {
            var found = Classes(network, kind);
            Assert.True(found.Length == classes, $"{network.Name}: {found.Length} classes of {kind} ({string.Join(", ", found.Select(t => t.Name))}), torchvision has {classes}");
            Assert.Equal(parameters, Parameters(found[0]));
        }

        [Fact]
        public void MobileNetV2s_inverted_residuals_with_and_without_expansion_are_one_class()
        {
            // features.1 (expand ratio 1: conv.0 is the depthwise) and features.2 (conv.0 expands) share the class.
            using var net = new MobileNetV2();
            var features = net.features;
            var children = features.named_children().ToDictionary(c => c.name, c => c.module);
            var type = Classes(typeof(MobileNetV2), "InvertedResidualModule").Single();
            Assert.IsType(type, children["1"]);
            Assert.IsType(type, children["2"]);
            Assert.Equal(new[] { "0", "1", "2" }, ((TorchSharp.torch.nn.Module)children["1"]).named_children().Single().module.named_children().Select(c => c.name));
            Assert.Equal(new[] { "0", "1", "2", "3" }, ((TorchSharp.torch.nn.Module)children["2"]).named_children().Single().module.named_children().Select(c => c.name));
        }

        [Fact]
        public void MobileNetV3s_inverted_residuals_are_one_class_per_activation()
        {
            // torchvision's one InvertedResidual takes the activation as an argument; here the activation (ReLU or
            // Hardswish) is a module kind, hence structure: one class for each. The optional expansion (where the width
            // changes) and squeeze-and-excitation (use_se) are flags; the SE block inside takes the widths passed on.
            var found = Classes(typeof(MobileNetV3Large), "MobileNetV3BlockModule");
            Assert.Equal(2, found.Length);
            Assert.Equal("inChannels, kernel, expand, outChannels, stride, block_padding, block_squeeze, has_block_0, has_block_2, merge", Parameters(found[0]));
            Assert.Equal("inChannels, kernel, expand, outChannels, stride, block_padding, block_squeeze, has_block_2, merge", Parameters(found[1]));
        }

        [Fact]
        public void EfficientNets_mbconv_blocks_are_one_class_as_torchvisions_mbconv()
        {
            // torchvision MBConv(cnf, stochastic_depth_prob, norm_layer, se_layer): the drop probability (a fraction, 0 in the
            // first block) is an argument; stochastic_depth exists where the residual is, so it reuses use_res_connect's flag.
            var found = Classes(typeof(EfficientNetB0), "MBConvModule");
            Assert.True(found.Length == 1, $"{found.Length} classes of MBConvModule ({string.Join(", ", found.Select(t => t.Name))}), torchvision has 1");
            Assert.Equal("inChannels, outChannels, kernel, stride, sd, block_in_channels, block_padding, block_squeeze, has_block_0, merge", Parameters(found[0]));
            Assert.Equal(typeof(double), found[0].GetConstructors().Single().GetParameters().Single(p => p.Name == "sd").ParameterType);
            using var net = new EfficientNetB0();
            var stages = net.features.named_children().ToDictionary(c => c.name, c => (TorchSharp.torch.nn.Module)c.module);
            // features.1.0: neither expansion nor residual; features.2.1: both, and stochastic depth.
            var first = (TorchSharp.torch.nn.Module)stages["1"].named_children().Single().module;
            var residual = (TorchSharp.torch.nn.Module)stages["2"].named_children().Skip(1).First().module;
            Assert.IsType(found[0], first);
            Assert.IsType(found[0], residual);
            Assert.Equal(new[] { "block" }, first.named_children().Select(c => c.name));
            Assert.Equal(new[] { "block", "stochastic_depth" }, residual.named_children().Select(c => c.name));
        }
    }
}
