using System;

namespace Dsl
{
    /// <summary>How an <see cref="InitAttribute"/> fills a tensor: the functions of <c>torch.nn.init</c>.</summary>
    public enum InitScheme
    {
        /// <summary>PyTorch's default of the layer kind: Conv and Linear weights and biases uniform in ±1/sqrt(fan_in) (<c>kaiming_uniform_(a=sqrt(5))</c>); norm weights 1, biases 0; attention in-projection Xavier-uniform, biases 0.</summary>
        Default,
        /// <summary><c>kaiming_normal_(w, a=NegativeSlope, mode=Mode, nonlinearity=Nonlinearity)</c>: normal, std = gain / sqrt(fan).</summary>
        KaimingNormal,
        /// <summary><c>kaiming_uniform_(w, a=NegativeSlope, mode=Mode, nonlinearity=Nonlinearity)</c>: uniform in ±gain·sqrt(3 / fan).</summary>
        KaimingUniform,
        /// <summary><c>xavier_uniform_(w, gain=Gain)</c>: uniform in ±gain·sqrt(6 / (fan_in + fan_out)).</summary>
        XavierUniform,
        /// <summary><c>xavier_normal_(w, gain=Gain)</c>: normal, std = gain·sqrt(2 / (fan_in + fan_out)).</summary>
        XavierNormal,
        /// <summary><c>normal_(w, mean=Mean, std=Std)</c>.</summary>
        Normal,
        /// <summary><c>trunc_normal_(w, mean=Mean, std=Std, a=Min, b=Max)</c>: <c>Min</c> and <c>Max</c> are absolute values (default -2 and 2), as torch's.</summary>
        TruncNormal,
        /// <summary><c>uniform_(w, a=Min, b=Max)</c> (default 0 and 1).</summary>
        Uniform,
        /// <summary><c>constant_(w, Value)</c>.</summary>
        Constant,
        /// <summary><c>zeros_(w)</c>.</summary>
        Zeros,
        /// <summary><c>ones_(w)</c>.</summary>
        Ones,
    }

    /// <summary>Which fan a Kaiming scheme divides by (<c>mode</c> of <c>torch.nn.init.kaiming_normal_</c>).</summary>
    public enum FanMode
    {
        /// <summary><c>fan_in</c>: input channels × kernel elements (the forward pass keeps its variance).</summary>
        FanIn,
        /// <summary><c>fan_out</c>: output channels × kernel elements (the backward pass keeps its variance).</summary>
        FanOut,
    }

    /// <summary>The initialisation rules of torchvision's model families, as their <c>__init__</c> writes them (torchvision 0.14).</summary>
    public enum InitPresets
    {
        /// <summary>
        /// resnet.py (ResNet, ResNeXt, Wide ResNet): Conv2d <c>kaiming_normal_(mode="fan_out", nonlinearity="relu")</c>;
        /// BatchNorm2d and GroupNorm weight 1, bias 0; Linear keeps PyTorch's default. With
        /// <see cref="InitPresetAttribute.ZeroInitResidual"/>, the last BatchNorm of each residual block starts at 0.
        /// </summary>
        TorchVisionResNet,
        /// <summary>
        /// mobilenetv2.py: Conv2d <c>kaiming_normal_(mode="fan_out")</c>, bias 0; BatchNorm2d and GroupNorm weight 1, bias 0;
        /// Linear <c>normal_(0, 0.01)</c>, bias 0.
        /// </summary>
        TorchVisionMobileNetV2,
        /// <summary>densenet.py: Conv2d <c>kaiming_normal_()</c> (fan_in); BatchNorm2d weight 1, bias 0; Linear bias 0 (weight PyTorch's default).</summary>
        TorchVisionDenseNet,
        /// <summary>vgg.py: Conv2d <c>kaiming_normal_(mode="fan_out", nonlinearity="relu")</c>, bias 0; BatchNorm2d weight 1, bias 0; Linear <c>normal_(0, 0.01)</c>, bias 0.</summary>
        TorchVisionVgg,
        /// <summary>convnext.py: Conv2d and Linear <c>trunc_normal_(std=0.02)</c>, bias 0 (LayerNorm2d and the layer scale keep their own).</summary>
        TorchVisionConvNeXt,
        /// <summary>
        /// vision_transformer.py (names as torchvision's): <c>conv_proj</c> <c>trunc_normal_(std=sqrt(1 / fan_in))</c>, bias 0; the
        /// Linear layers of every <c>mlp</c> <c>xavier_uniform_</c>, biases <c>normal_(std=1e-6)</c>; <c>heads.head</c> weight and
        /// bias 0. The class token (0), the position embedding (normal, std 0.02) and the attention (Xavier-uniform
        /// in-projection, zero biases) are initialised by their layers.
        /// </summary>
        TorchVisionViT,
        /// <summary>
        /// efficientnet.py (EfficientNet; its rules are MobileNetV3's but for Linear): Conv2d <c>kaiming_normal_(mode="fan_out")</c>,
        /// bias 0; BatchNorm2d and GroupNorm weight 1, bias 0; each Linear <c>uniform_(-r, r)</c> with
        /// <c>r = 1 / sqrt(out_features)</c>, bias 0.
        /// </summary>
        TorchVisionEfficientNet,
        /// <summary>
        /// inception.py (Inception-v3): Conv2d and Linear <c>trunc_normal_(std=0.1, a=-2, b=2)</c>, but a module with a
        /// <c>stddev</c> attribute uses it: the auxiliary classifier's <c>AuxLogits.fc</c> 0.001 (torchvision's 0.01 on
        /// <c>AuxLogits.conv1</c> sits on the BasicConv2d, not on its convolution, so that convolution gets 0.1 too);
        /// BatchNorm2d weight 1, bias 0; Linear biases keep PyTorch's default.
        /// </summary>
        TorchVisionInceptionV3,
        /// <summary>googlenet.py: Conv2d and Linear <c>trunc_normal_(std=0.01, a=-2, b=2)</c>; BatchNorm2d weight 1, bias 0; Linear biases keep PyTorch's default.</summary>
        TorchVisionGoogLeNet,
    }

    /// <summary>
    /// An initialisation rule of a network: the layers it selects start from <see cref="Scheme"/> instead of PyTorch's
    /// default. The target is a layer kind with parameters (<c>"Conv2d"</c>, <c>"Linear"</c>, <c>"BatchNorm2d"</c>,
    /// <c>"LayerNorm"</c>, <c>"MultiheadSelfAttention"</c>, ...), or a glob over module and parameter paths (the state_dict
    /// names): <c>"fc"</c>, <c>"features.*.conv"</c> (<c>*</c> is one path segment or part of one, <c>**</c> any number of
    /// segments), <c>"encoder.pos_embedding"</c>, <c>"layer*.*.bn2"</c>. The scheme fills a selected module's
    /// <c>weight</c> (an attention's <c>in_proj_weight</c>), or the selected parameter itself; <see cref="Bias"/> sets the
    /// module's bias. Rules apply in declaration order after every layer is created (with <see cref="InitPresetAttribute"/>
    /// expanded where it stands), so a later rule overwrites an earlier one on the tensors both select: write general
    /// rules first, specific ones after. The random draws use torch's default generator, so <c>torch.manual_seed</c>
    /// (DeviceSetup's seed) makes them reproducible.
    /// </summary>
    /// <example><code>
    /// [Input(3, 32, 32)]
    /// [Init("Conv2d", InitScheme.KaimingNormal, Mode = FanMode.FanOut, Nonlinearity = "relu")]
    /// [Init("BatchNorm2d", InitScheme.Constant, Value = 1, Bias = 0)]
    /// [Init("fc", InitScheme.Normal, Std = 0.01, Bias = 0)]
    /// [Conv2d(16, 3, Padding = 1, Bias = false)] [BatchNorm2d] [ReLU] [AdaptiveAvgPool2d] [Flatten] [Linear(10, Name = "fc")]
    /// public partial class SmallNet;
    /// </code></example>
    /// <param name="target">A layer kind (<c>"Conv2d"</c>) or a glob over module and parameter paths (<c>"features.*.conv"</c>, <c>"fc"</c>, <c>"class_token"</c>).</param>
    /// <param name="scheme">How the selected weights are filled.</param>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class InitAttribute(string target, InitScheme scheme) : Attribute
    {
        /// <summary>A layer kind or a glob over module and parameter paths.</summary>
        public string Target { get; } = target;

        /// <summary>How the selected weights are filled.</summary>
        public InitScheme Scheme { get; } = scheme;

        /// <summary>Kaiming schemes: the fan divided by (default <see cref="FanMode.FanIn"/>).</summary>
        public FanMode Mode { get; set; }

        /// <summary>Kaiming schemes: the nonlinearity whose gain scales the weights, as <c>torch.nn.init.calculate_gain</c>'s names: <c>"leaky_relu"</c> (default), <c>"relu"</c>, <c>"linear"</c>, <c>"tanh"</c>, <c>"sigmoid"</c>, <c>"selu"</c>, <c>"conv2d"</c>, ...</summary>
        public string Nonlinearity { get; set; } = "leaky_relu";

        /// <summary>Kaiming schemes: the negative slope of <c>"leaky_relu"</c> (torch's <c>a</c>; default 0).</summary>
        public double NegativeSlope { get; set; }

        /// <summary>Xavier schemes: the gain (default 1).</summary>
        public double Gain { get; set; } = 1;

        /// <summary>Normal and truncated normal: the mean (default 0).</summary>
        public double Mean { get; set; }

        /// <summary>Normal and truncated normal: the standard deviation (default 1).</summary>
        public double Std { get; set; } = 1;

        /// <summary>Uniform: the lower bound (default 0); truncated normal: the lower cut-off, an absolute value (default -2).</summary>
        public double Min { get; set; } = double.NaN;

        /// <summary>Uniform: the upper bound (default 1); truncated normal: the upper cut-off, an absolute value (default 2).</summary>
        public double Max { get; set; } = double.NaN;

        /// <summary>Constant: the value (required).</summary>
        public double Value { get; set; } = double.NaN;

        /// <summary>The value every selected module's bias starts at (left as the scheme or PyTorch's default makes it when not set).</summary>
        public double Bias { get; set; } = double.NaN;
    }

    /// <summary>
    /// Initialises the network as a torchvision family's constructor does (<see cref="InitPresets"/>): the preset's rules
    /// stand where the attribute stands among the <see cref="InitAttribute"/> rules, so rules written after it refine it.
    /// A preset's rules for a layer kind apply to whatever layers of that kind the network has (as torchvision's
    /// <c>isinstance</c> loops); its rules for named layers (ViT's <c>conv_proj</c>, <c>heads.head</c>) expect torchvision's names.
    /// </summary>
    /// <example><code>
    /// [Input(3, 224, 224)]
    /// [Naming(NamingConvention.TorchVision)]
    /// [InitPreset(InitPresets.TorchVisionResNet, ZeroInitResidual = true)]
    /// ...
    /// public partial class ResNet18;
    /// </code></example>
    /// <param name="preset">The torchvision family whose rules apply.</param>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class InitPresetAttribute(InitPresets preset) : Attribute
    {
        /// <summary>The torchvision family whose rules apply.</summary>
        public InitPresets Preset { get; } = preset;

        /// <summary>
        /// torchvision's <c>zero_init_residual</c>: the weight of the last BatchNorm among the direct children of every block
        /// that adds its input (a residual block: <c>bn2</c> of a BasicBlock, <c>bn3</c> of a Bottleneck) starts at 0,
        /// so each block starts as the identity. Default false, as torchvision's.
        /// </summary>
        public bool ZeroInitResidual { get; set; }
    }
}
