using Dsl;

namespace ResNetSample
{
    // ---------------------------------------------------------------------------------------------------------------
    // torchvision mobilenet_v2 (torchvision/models/mobilenetv2.py): same modules, state_dict keys and shapes.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// torchvision's <c>Conv2dNormActivation</c> with ReLU6: convolution (no bias, padding <c>(kernel - 1) / 2</c>),
    /// BatchNorm, ReLU6; an nn.Sequential with children 0, 1, 2.
    /// </summary>
    [Block("outChannels", "kernel = 3", "stride = 1", "groups = 1")]
    [Conv2d(1, 1, Bias = false, With = "OutChannels = outChannels; Kernel = kernel; Stride = stride; Padding = (kernel - 1) / 2; Groups = groups")]
    [BatchNorm2d]
    [ReLU6]
    public partial class ConvBNReLU6;

    /// <summary>
    /// MobileNetV2's inverted residual: a 1x1 expansion (only when <c>expand != 1</c>), a 3x3 depthwise convolution, a
    /// linear 1x1 projection; the input is added where the stride is 1 and the channels stay (torchvision's
    /// <c>use_res_connect</c>). Its layers live in <c>conv</c>, as in torchvision.
    /// </summary>
    [Block("outChannels", "stride", "expand", "hidden = in * expand", Body = "conv", Merge = Merge.Add, MergeWhen = "stride == 1 && in == outChannels")]
    [Use<ConvBNReLU6>("hidden", 1, When = "expand != 1")]
    [Use<ConvBNReLU6>("hidden", 3, "stride", "hidden")]
    [Conv2d("outChannels", 1, Bias = false)]
    [BatchNorm2d]
    public partial class InvertedResidual;

    /// <summary>
    /// MobileNetV2's <c>features</c> (children 0 to 18): the stem, then for each row (t, c, n, s) of torchvision's
    /// setting, <c>n</c> inverted residuals to <c>make_divisible(c * width, 8)</c> channels, the first with stride
    /// <c>s</c>, and the last 1x1 convolution to <c>make_divisible(1280 * max(1.0, width), 8)</c> channels.
    /// </summary>
    [Block("width = 1.0")]
    [Use<ConvBNReLU6>("make_divisible(32 * width, 8)", 3, 2)]
    [Use<InvertedResidual>("make_divisible(16 * width, 8)", 1, 1, Repeat = 1)]
    [Use<InvertedResidual>("make_divisible(24 * width, 8)", "i == 0 ? 2 : 1", 6, Repeat = 2)]
    [Use<InvertedResidual>("make_divisible(32 * width, 8)", "i == 0 ? 2 : 1", 6, Repeat = 3)]
    [Use<InvertedResidual>("make_divisible(64 * width, 8)", "i == 0 ? 2 : 1", 6, Repeat = 4)]
    [Use<InvertedResidual>("make_divisible(96 * width, 8)", 1, 6, Repeat = 3)]
    [Use<InvertedResidual>("make_divisible(160 * width, 8)", "i == 0 ? 2 : 1", 6, Repeat = 3)]
    [Use<InvertedResidual>("make_divisible(320 * width, 8)", 1, 6, Repeat = 1)]
    [Use<ConvBNReLU6>("make_divisible(1280 * max(1.0, width), 8)", 1)]
    public partial class MobileNetV2Features;

    /// <summary>MobileNetV2's <c>classifier</c>: dropout 0.2 and the linear layer (children 0 and 1).</summary>
    [Block("classes")]
    [Dropout(0.2)]
    [Linear("classes")]
    public partial class MobileNetV2Classifier;

    /// <summary>
    /// torchvision <c>mobilenet_v2</c> (width 1.0): the same modules, state_dict keys and shapes (3x224x224, 1000 classes).
    /// 3,504,872 parameters, 314 state_dict entries. torchvision pools and flattens functionally; here they are
    /// modules without parameters, so the keys are the same.
    /// </summary>
    [Input(3, 224, 224)]
    [InitPreset(InitPresets.TorchVisionMobileNetV2)]
    [Use<MobileNetV2Features>(Name = "features")]
    [AdaptiveAvgPool2d]
    [Flatten]
    [Use<MobileNetV2Classifier>(1000, Name = "classifier")]
    public partial class MobileNetV2;

    // ---------------------------------------------------------------------------------------------------------------
    // torchvision densenet121 (torchvision/models/densenet.py): same modules, state_dict keys and shapes.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// DenseNet's <c>_DenseLayer</c>: BN-ReLU-1x1 conv to <c>bnSize * growth</c> channels, BN-ReLU-3x3 conv to
    /// <c>growth</c> channels, concatenated to its input (torchvision concatenates all earlier features; one
    /// concatenation per layer gives the same tensor).
    /// </summary>
    [Block("growth = 32", "bnSize = 4", Merge = Merge.Concat)]
    [BatchNorm2d(Name = "norm1")]
    [ReLU(Name = "relu1")]
    [Conv2d("bnSize * growth", 1, Bias = false, Name = "conv1")]
    [BatchNorm2d(Name = "norm2")]
    [ReLU(Name = "relu2")]
    [Conv2d("growth", 3, Padding = 1, Bias = false, Name = "conv2")]
    public partial class DenseNetLayer;

    /// <summary>DenseNet's <c>_DenseBlock</c>: <c>layers</c> dense layers named denselayer1, denselayer2, ...</summary>
    [Block("layers", "growth = 32")]
    [Use<DenseNetLayer>("growth", Name = "denselayer{i + 1}", With = "Repeat = layers")]
    public partial class DenseNetBlock;

    /// <summary>DenseNet's <c>_Transition</c>: BN-ReLU-1x1 conv halving the channels, 2x2 average pooling.</summary>
    [Block]
    [BatchNorm2d(Name = "norm")]
    [ReLU(Name = "relu")]
    [Conv2d("in // 2", 1, Bias = false, Name = "conv")]
    [AvgPool2d(2, Stride = 2, Name = "pool")]
    public partial class DenseNetTransition;

    /// <summary>
    /// DenseNet-121's <c>features</c>: conv0, norm0, relu0, pool0, four dense blocks of 6, 12, 24 and 16 layers
    /// (growth 32) with transitions between them, and norm5.
    /// </summary>
    [Block]
    [Conv2d(64, 7, Stride = 2, Padding = 3, Bias = false, Name = "conv0")]
    [BatchNorm2d(Name = "norm0")]
    [ReLU(Name = "relu0")]
    [MaxPool2d(3, Stride = 2, Padding = 1, Name = "pool0")]
    [Use<DenseNetBlock>(6, Name = "denseblock1")]
    [Use<DenseNetTransition>(Name = "transition1")]
    [Use<DenseNetBlock>(12, Name = "denseblock2")]
    [Use<DenseNetTransition>(Name = "transition2")]
    [Use<DenseNetBlock>(24, Name = "denseblock3")]
    [Use<DenseNetTransition>(Name = "transition3")]
    [Use<DenseNetBlock>(16, Name = "denseblock4")]
    [BatchNorm2d(Name = "norm5")]
    public partial class DenseNet121Features;

    /// <summary>
    /// torchvision <c>densenet121</c>: the same modules, state_dict keys and shapes (3x224x224, 1000 classes).
    /// 7,978,856 parameters, 727 state_dict entries. torchvision's final ReLU, pooling and flattening are functional;
    /// here they are modules without parameters, so the keys are the same.
    /// </summary>
    [Input(3, 224, 224)]
    [InitPreset(InitPresets.TorchVisionDenseNet)]
    [Use<DenseNet121Features>(Name = "features")]
    [ReLU]
    [AdaptiveAvgPool2d]
    [Flatten]
    [Linear(1000, Name = "classifier")]
    public partial class DenseNet121;
}
