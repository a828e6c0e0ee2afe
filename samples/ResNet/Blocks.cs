using Dsl;

namespace ResNetSample
{
    /// <summary>Convolution (padding keeps the size at stride 1) then BatchNorm: an nn.Sequential with children 0 and 1.</summary>
    [Block("outChannels", "kernel = 3", "stride = 1")]
    [Conv2d(1, 1, Bias = false, With = "OutChannels = outChannels; Kernel = kernel; Stride = stride; Padding = kernel / 2")]
    [BatchNorm2d]
    public partial class ConvBN;

    /// <summary>Squeeze-and-excitation: the input times one learned weight per channel (global pool, 1x1 squeeze, 1x1 excite, sigmoid).</summary>
    [Block("squeeze", Merge = Merge.Multiply)]
    [AdaptiveAvgPool2d(Name = "pool")]
    [Conv2d(1, 1, Name = "fc1", With = "OutChannels = squeeze")]
    [ReLU(Name = "relu")]
    [Conv2d(1, 1, Name = "fc2", With = "OutChannels = block_in")]
    [Sigmoid(Name = "gate")]
    public partial class SqueezeExcite;

    /// <summary>The shortcut of <see cref="ResidualSE"/>: a 1x1 projection where the block changes channels or size, else nothing (the input itself).</summary>
    [Block("outChannels", "stride")]
    [Use<ConvBN>("outChannels", 1, "stride", When = "stride != 1 || in != outChannels")]
    public partial class Projection;

    /// <summary>A residual block with squeeze-and-excitation (SE-ResNet): conv-BN-ReLU, conv-BN, SE, plus the (projected) input.</summary>
    [Block("outChannels", "stride = 1", Merge = Merge.Add, Shortcut = typeof(Projection), ShortcutName = "downsample")]
    [Use<ConvBN>("outChannels", 3, "stride", Name = "conv1")]
    [ReLU(Name = "relu")]
    [Use<ConvBN>("outChannels", Name = "conv2")]
    [Use<SqueezeExcite>("max(outChannels / 4, 4)", Name = "se")]
    public partial class ResidualSE;

    /// <summary>DenseNet's layer: BN-ReLU-conv 3x3 to <c>growth</c> channels, concatenated to its input.</summary>
    [Block("growth", Merge = Merge.Concat)]
    [BatchNorm2d(Name = "norm")]
    [ReLU(Name = "relu")]
    [Conv2d(1, 3, Padding = 1, Bias = false, Name = "conv", With = "OutChannels = growth")]
    public partial class DenseLayer;

    /// <summary>Convolution (padding keeps the size) and ReLU.</summary>
    [Block("outChannels", "kernel = 1")]
    [Conv2d("outChannels", 1, With = "Kernel = kernel; Padding = kernel / 2")]
    [ReLU]
    public partial class ConvReLU;

    /// <summary>A 1x1 reduction to <c>reduce</c> channels, then a <c>kernel</c> convolution to <c>outChannels</c>.</summary>
    [Block("reduce", "outChannels", "kernel")]
    [Use<ConvReLU>("reduce")]
    [Use<ConvReLU>("outChannels", "kernel")]
    public partial class ReducedConv;

    /// <summary>A 3x3 max-pool (stride 1, size kept), then a 1x1 convolution to <c>outChannels</c>.</summary>
    [Block("outChannels")]
    [MaxPool2d(3, Stride = 1, Padding = 1)]
    [Use<ConvReLU>("outChannels")]
    public partial class PoolProjection;

    /// <summary>
    /// GoogLeNet's Inception block (D2L <c>Inception(c1, c2, c3, c4)</c>): four parallel branches on the same input,
    /// concatenated along the channels: c1 + c2 + c3 + c4 channels out.
    /// </summary>
    [Block("c1", "c2Reduce", "c2", "c3Reduce", "c3", "c4", Parallel = Merge.Concat)]
    [Use<ConvReLU>("c1", Name = "b1")]
    [Use<ReducedConv>("c2Reduce", "c2", 3, Name = "b2")]
    [Use<ReducedConv>("c3Reduce", "c3", 5, Name = "b3")]
    [Use<PoolProjection>("c4", Name = "b4")]
    public partial class Inception;

    /// <summary>
    /// A small network made of user-declared blocks, for 28x28 Fashion-MNIST: every merge (an SE gate, a residual with
    /// a projection shortcut, dense concatenation), parallel branches (Inception), conditional layers and a LayerNorm
    /// before the classifier.
    /// </summary>
    [Input(1, 28, 28)]
    [Use<ConvBN>(16, Name = "stem")]
    [ReLU]
    [Use<ResidualSE>(32, 2)]
    [Use<ResidualSE>(32)]
    [Use<DenseLayer>(16)]
    [Use<DenseLayer>(16)]
    [Use<Inception>(16, 16, 24, 4, 8, 8)]
    [AdaptiveAvgPool2d]
    [Flatten]
    [LayerNorm]
    [Linear(10)]
    public partial class BlockNet;
}
