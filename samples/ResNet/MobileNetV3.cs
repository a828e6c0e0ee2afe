using Dsl;

namespace ResNetSample
{
    // torchvision's mobilenet_v3_large (torchvision/models/mobilenetv3.py): same modules, state_dict keys and shapes.

    /// <summary>
    /// MobileNetV3's inverted residual, one row of torchvision's <c>bneck_conf(input, kernel, expanded, out, use_se,
    /// activation, stride, dilation)</c> (input channels are those that arrive; dilation 1): a 1x1 expansion where the
    /// width changes, a depthwise <c>kernel</c> convolution, squeeze-and-excitation (hard-sigmoid gate) when <c>se</c>,
    /// a linear 1x1 projection, all in <c>block</c>; the input is added where the stride is 1 and the channels stay.
    /// Widths are torchvision's <c>adjust_channels(c, width) = make_divisible(c * width, 8)</c>.
    /// </summary>
    [Block("kernel", "expand", "outChannels", "se", "act = ReLU", "stride = 1", "width = 1.0",
        "hidden = make_divisible(expand * width, 8)", "out = make_divisible(outChannels * width, 8)",
        Body = "block", Merge = Merge.Add, MergeWhen = "stride == 1 && in == out")]
    [Use<Conv2dNormActivation>("hidden", 1, 1, 1, "act", 0.001, 0.01, When = "hidden != in")]
    [Use<Conv2dNormActivation>("hidden", "kernel", "stride", "hidden", "act", 0.001, 0.01)]
    [Use<SqueezeExcitation>("make_divisible(hidden // 4, 8)", "ReLU", "Hardsigmoid", When = "se")]
    [Use<Conv2dNorm>("out", 0.001, 0.01)]
    public partial class MobileNetV3Block;

    /// <summary>
    /// MobileNetV3-Large's <c>features</c> (children 0 to 16): the hard-swish stem, the 15 rows of torchvision's
    /// <c>inverted_residual_setting</c> for <c>mobilenet_v3_large</c>, and the last 1x1 convolution to six times the last row's width.
    /// </summary>
    [Block("width = 1.0")]
    [Use<Conv2dNormActivation>("make_divisible(16 * width, 8)", 3, 2, 1, "Hardswish", 0.001, 0.01)]
    [Use<MobileNetV3Block>(3, 16, 16, false, "ReLU", 1, "width")]
    [Use<MobileNetV3Block>(3, 64, 24, false, "ReLU", 2, "width")]
    [Use<MobileNetV3Block>(3, 72, 24, false, "ReLU", 1, "width")]
    [Use<MobileNetV3Block>(5, 72, 40, true, "ReLU", 2, "width")]
    [Use<MobileNetV3Block>(5, 120, 40, true, "ReLU", 1, "width")]
    [Use<MobileNetV3Block>(5, 120, 40, true, "ReLU", 1, "width")]
    [Use<MobileNetV3Block>(3, 240, 80, false, "Hardswish", 2, "width")]
    [Use<MobileNetV3Block>(3, 200, 80, false, "Hardswish", 1, "width")]
    [Use<MobileNetV3Block>(3, 184, 80, false, "Hardswish", 1, "width")]
    [Use<MobileNetV3Block>(3, 184, 80, false, "Hardswish", 1, "width")]
    [Use<MobileNetV3Block>(3, 480, 112, true, "Hardswish", 1, "width")]
    [Use<MobileNetV3Block>(3, 672, 112, true, "Hardswish", 1, "width")]
    [Use<MobileNetV3Block>(5, 672, 160, true, "Hardswish", 2, "width")]
    [Use<MobileNetV3Block>(5, 960, 160, true, "Hardswish", 1, "width")]
    [Use<MobileNetV3Block>(5, 960, 160, true, "Hardswish", 1, "width")]
    [Use<Conv2dNormActivation>("6 * make_divisible(160 * width, 8)", 1, 1, 1, "Hardswish", 0.001, 0.01)]
    public partial class MobileNetV3LargeFeatures;

    /// <summary>MobileNetV3's <c>classifier</c>: Linear to <c>lastChannel</c>, hard swish, dropout 0.2, Linear to <c>classes</c> (children 0 to 3).</summary>
    [Block("lastChannel", "classes")]
    [Linear("lastChannel")]
    [Hardswish]
    [Dropout(0.2)]
    [Linear("classes")]
    public partial class MobileNetV3Classifier;

    /// <summary>
    /// torchvision <c>mobilenet_v3_large</c> (width 1.0): the same modules, state_dict keys and shapes (3x224x224, 1000
    /// classes), 5,483,032 parameters. BatchNorm epsilon 0.001 and momentum 0.01 as torchvision's. torchvision flattens functionally; here
    /// it is a module without parameters, so the keys are the same.
    /// </summary>
    [Input(3, 224, 224)]
    [InitPreset(InitPresets.TorchVisionMobileNetV2)]
    [Use<MobileNetV3LargeFeatures>(Name = "features")]
    [AdaptiveAvgPool2d(Name = "avgpool")]
    [Flatten]
    [Use<MobileNetV3Classifier>("make_divisible(1280 * 1.0, 8)", 1000, Name = "classifier")]
    public partial class MobileNetV3Large;
}
