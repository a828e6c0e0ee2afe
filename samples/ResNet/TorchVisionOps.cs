using Dsl;

namespace ResNetSample
{
    // Blocks for torchvision's torchvision/ops/misc.py building blocks, shared by MobileNetV3 and EfficientNet.

    /// <summary>
    /// torchvision's <c>Conv2dNormActivation</c>: convolution (no bias, padding <c>(kernel - 1) / 2</c>), BatchNorm
    /// (epsilon <c>eps</c>, momentum <c>momentum</c>), activation <c>act</c>; an nn.Sequential with children 0, 1, 2.
    /// </summary>
    [Block("outChannels", "kernel = 3", "stride = 1", "groups = 1", "act = ReLU", "eps = 0.00001", "momentum = 0.1")]
    [Conv2d(1, 1, Bias = false, With = "OutChannels = outChannels; Kernel = kernel; Stride = stride; Padding = (kernel - 1) / 2; Groups = groups")]
    [BatchNorm2d(With = "Eps = eps; Momentum = momentum")]
    [LayerKind("act")]
    public partial class Conv2dNormActivation;

    /// <summary>
    /// <c>Conv2dNormActivation(..., activation_layer=None)</c>: a 1x1 convolution (no bias) and BatchNorm, children 0 and 1
    /// (the linear projection that ends MobileNetV3's and EfficientNet's blocks).
    /// </summary>
    [Block("outChannels", "eps = 0.00001", "momentum = 0.1")]
    [Conv2d("outChannels", 1, Bias = false)]
    [BatchNorm2d(With = "Eps = eps; Momentum = momentum")]
    public partial class Conv2dNorm;

    /// <summary>
    /// torchvision's <c>SqueezeExcitation(input, squeeze, activation, scale_activation)</c>: the input times a gate per
    /// channel (average pool, 1x1 convolution to <c>squeeze</c>, <c>act</c>, 1x1 convolution back, <c>gate</c>).
    /// </summary>
    [Block("squeeze", "act = ReLU", "gate = Sigmoid", Merge = Merge.Multiply)]
    [AdaptiveAvgPool2d(Name = "avgpool")]
    [Conv2d(1, 1, Name = "fc1", With = "OutChannels = squeeze")]
    [LayerKind("act", Name = "activation")]
    [Conv2d(1, 1, Name = "fc2", With = "OutChannels = block_in")]
    [LayerKind("gate", Name = "scale_activation")]
    public partial class SqueezeExcitation;
}
