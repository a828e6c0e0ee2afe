namespace Dsl
{
    // The ResNet family's composite layers: stem, residual blocks and stages, classifier head.

    /// <summary>
    /// The ResNet stem (D2L <c>b1</c>): convolution (kernel <see cref="Kernel"/>, stride
    /// <see cref="Stride"/>, padding kernel/2) -> BatchNorm -> ReLU, then optionally a 3x3
    /// max-pool with stride 2 and padding 1. Submodules: <c>conv</c>, <c>bn</c>, <c>relu</c>, <c>pool</c>.
    /// </summary>
    /// <param name="channels">Output channels of the stem convolution (64 in ResNet).</param>
    public sealed class StemAttribute(int channels) : LayerAttribute
    {
        /// <summary>Output channels.</summary>
        public int Channels { get; } = channels;

        /// <summary>Square kernel of the stem convolution; default 7. Padding is kernel / 2.</summary>
        public int Kernel { get; set; } = 7;

        /// <summary>Stride of the stem convolution; default 2.</summary>
        public int Stride { get; set; } = 2;

        /// <summary>Whether a 3x3, stride 2, padding 1 max-pool follows; default true.</summary>
        public bool MaxPool { get; set; } = true;

        /// <summary>Whether the stem convolution has a bias; default true (D2L). torchvision uses false.</summary>
        public bool Bias { get; set; } = true;
    }

    /// <summary>
    /// One D2L residual block (<c>Residual(num_channels, use_1x1conv, strides)</c>):
    /// conv 3x3 (stride <see cref="Stride"/>, padding 1) -> BN -> ReLU -> conv 3x3 (padding 1) -> BN,
    /// plus the shortcut (the input, or a 1x1 convolution with stride <see cref="Stride"/> when
    /// <see cref="Use1x1Conv"/>), then ReLU. Submodules: <c>conv1, bn1, conv2, bn2[, conv3]</c>.
    /// </summary>
    /// <param name="channels">Output channels of the block.</param>
    public sealed class ResidualAttribute(int channels) : LayerAttribute
    {
        /// <summary>Output channels.</summary>
        public int Channels { get; } = channels;

        /// <summary>
        /// Use a 1x1 convolution on the shortcut (needed when channels or stride change: the
        /// two branches must have the same shape to be added). Default false.
        /// </summary>
        public bool Use1x1Conv { get; set; }

        /// <summary>Stride of the first 3x3 convolution and of the 1x1 shortcut; default 1.</summary>
        public int Stride { get; set; } = 1;

        /// <summary>Whether the convolutions have a bias; default true (D2L). torchvision uses false.</summary>
        public bool Bias { get; set; } = true;
    }

    /// <summary>
    /// A stage of <c>blocks</c> D2L residual blocks with <c>channels</c>
    /// channels (D2L <c>block(num_residuals, num_channels, first_block)</c>). With
    /// <see cref="Downsample"/> the first block uses the 1x1 projection and stride 2 (halves
    /// height and width); the other blocks keep the shape. Blocks are named <c>0, 1, ...</c>.
    /// </summary>
    /// <param name="blocks">Number of residual blocks; at least 1.</param>
    /// <param name="channels">Output channels of every block.</param>
    public sealed class ResidualStageAttribute(int blocks, int channels) : LayerAttribute
    {
        /// <summary>Number of residual blocks.</summary>
        public int Blocks { get; } = blocks;

        /// <summary>Output channels of every block.</summary>
        public int Channels { get; } = channels;

        /// <summary>
        /// The first block halves height and width with stride 2 and projects the shortcut with a
        /// 1x1 convolution (every D2L stage but the first). Default false: then the input must
        /// already have <see cref="Channels"/> channels.
        /// </summary>
        public bool Downsample { get; set; }

        /// <summary>Whether the convolutions have a bias; default true (D2L). torchvision uses false.</summary>
        public bool Bias { get; set; } = true;
    }

    /// <summary>
    /// Classifier head: global average pooling -> flatten -> linear to <c>classes</c>
    /// (D2L's <c>last</c> block). Submodules: <c>pool</c>, <c>flatten</c>, <c>fc</c>. Must be the last layer.
    /// </summary>
    /// <param name="classes">Number of output classes; at least 1.</param>
    public sealed class ClassifierHeadAttribute(int classes) : LayerAttribute
    {
        /// <summary>Number of output classes.</summary>
        public int Classes { get; } = classes;
    }

    /// <summary>
    /// Options shared by the ResNet-family stage and block attributes (<see cref="BasicStageAttribute"/>,
    /// <see cref="BottleneckStageAttribute"/>, <see cref="PreActStageAttribute"/>, <see cref="ResNeXtBlockAttribute"/>),
    /// where the published sources differ.
    /// </summary>
    public abstract class ResidualBlockOptionsAttribute : LayerAttribute
    {
        /// <summary>torchvision's defaults: convolutions without a bias, a BatchNorm on the projection.</summary>
        protected ResidualBlockOptionsAttribute() : this(bias: false, projectionBatchNorm: true) { }

        /// <summary>The defaults of another source: D2L's biased convolutions, the pre-activation paper's bare projection.</summary>
        private protected ResidualBlockOptionsAttribute(bool bias, bool projectionBatchNorm)
        {
            Bias = bias;
            ProjectionBatchNorm = projectionBatchNorm;
        }

        /// <summary>
        /// Whether the convolutions (main branch and projection) add a bias. torchvision: false (every
        /// convolution is followed by a BatchNorm, so a bias is redundant); D2L: true (PyTorch's default).
        /// </summary>
        public bool Bias { get; set; }

        /// <summary>
        /// Whether a BatchNorm follows the 1x1 projection on the shortcut (torchvision's
        /// <c>downsample = Sequential(conv1x1, BatchNorm2d)</c> and D2L's ResNeXt block: true; D2L's
        /// <c>Residual</c> and the pre-activation paper: false).
        /// </summary>
        public bool ProjectionBatchNorm { get; set; }

        /// <summary>
        /// Initialise the scale (weight) of the last BatchNorm of each block's main branch to zero, so every
        /// block starts as the identity (torchvision's <c>zero_init_residual=True</c>; Goyal et al. 2017).
        /// Default false, as torchvision. Pre-activation blocks end with a convolution, not a BatchNorm, so
        /// there the option zeroes nothing and is reported as an invalid value.
        /// </summary>
        public bool ZeroInitLastBatchNorm { get; set; }
    }

    /// <summary>
    /// A stage of torchvision <c>BasicBlock</c>s (ResNet-18/34): each block is conv1 3x3 (stride) -> bn1 -> ReLU
    /// -> conv2 3x3 -> bn2, plus the shortcut, then ReLU. Only the first block strides; it gets the 1x1 projection
    /// shortcut when <see cref="Stride"/> is not 1 or the channels change (torchvision's rule). Blocks are
    /// named <c>0, 1, ...</c>. Defaults follow torchvision (no conv bias, BatchNorm on the projection).
    /// </summary>
    /// <param name="blocks">Number of blocks; at least 1 (ResNet-18: 2, 2, 2, 2; ResNet-34: 3, 4, 6, 3).</param>
    /// <param name="channels">Output channels of every block (64, 128, 256, 512 in ResNet).</param>
    public sealed class BasicStageAttribute(int blocks, int channels) : ResidualBlockOptionsAttribute
    {
        /// <summary>Number of blocks.</summary>
        public int Blocks { get; } = blocks;

        /// <summary>Output channels of every block.</summary>
        public int Channels { get; } = channels;

        /// <summary>Stride of the first block's first 3x3 convolution and projection; default 1 (2 halves height and width).</summary>
        public int Stride { get; set; } = 1;
    }

    /// <summary>
    /// A stage of torchvision <c>Bottleneck</c> blocks (ResNet-50/101/152, ResNeXt, Wide ResNet): conv1 1x1 to
    /// <c>width</c> -> bn1 -> ReLU -> conv2 3x3 (groups <see cref="Groups"/>) to <c>width</c> -> bn2 -> ReLU ->
    /// conv3 1x1 to <c>planes * Expansion</c> -> bn3, plus the shortcut, then ReLU, with
    /// <c>width = int(planes * BaseWidth / 64) * Groups</c> (torchvision and timm). The stride sits on the 3x3
    /// convolution (torchvision, "ResNet v1.5") unless <see cref="StrideOnFirst1x1"/>. The first block gets the
    /// 1x1 projection when the stride is not 1 or the channels change.
    /// </summary>
    /// <example><code>
    /// [BottleneckStage(3, 64)]                                   // ResNet-50 layer1: 64 -> 256 channels
    /// [BottleneckStage(4, 128, Stride = 2, Groups = 32, BaseWidth = 4)]   // ResNeXt-50 32x4d layer2 (width 256)
    /// </code></example>
    /// <param name="blocks">Number of blocks; at least 1 (ResNet-50: 3, 4, 6, 3).</param>
    /// <param name="planes">torchvision's <c>planes</c>: 64, 128, 256, 512; blocks output <c>planes * Expansion</c> channels.</param>
    public sealed class BottleneckStageAttribute(int blocks, int planes) : ResidualBlockOptionsAttribute
    {
        /// <summary>Number of blocks.</summary>
        public int Blocks { get; } = blocks;

        /// <summary>torchvision's <c>planes</c>; the output channels are <c>planes * Expansion</c>.</summary>
        public int Planes { get; } = planes;

        /// <summary>Stride of the first block; default 1.</summary>
        public int Stride { get; set; } = 1;

        /// <summary>
        /// Number of groups of the 3x3 convolution, torchvision's meaning (ResNeXt's cardinality, 32 in
        /// ResNeXt-50 32x4d); default 1. Not D2L's <c>groups</c>, which is channels per group: see
        /// <see cref="ResNeXtBlockAttribute"/>.
        /// </summary>
        public int Groups { get; set; } = 1;

        /// <summary>
        /// Channels per group per 64 planes (torchvision's <c>width_per_group</c>, the "4d" of ResNeXt 32x4d);
        /// default 64. The 3x3 width is <c>int(planes * BaseWidth / 64) * Groups</c>; Wide ResNet-50-2 uses 128.
        /// </summary>
        public int BaseWidth { get; set; } = 64;

        /// <summary>Output channels per plane; default 4 (the bottleneck expansion).</summary>
        public int Expansion { get; set; } = 4;

        /// <summary>
        /// Put the stride on the first 1x1 convolution, as the original paper (He et al. 2015, "ResNet v1") and
        /// Caffe; default false: the stride is on the 3x3 convolution, as torchvision ("v1.5"). Shapes and
        /// parameters are the same; multiply-adds differ.
        /// </summary>
        public bool StrideOnFirst1x1 { get; set; }

        /// <summary>
        /// Dilation (and padding) of the 3x3 convolutions of the blocks after the first; default 1. With
        /// <see cref="FirstDilation"/> it is torchvision's <c>replace_stride_with_dilation</c> (FCN, DeepLabV3): a stage
        /// that would stride 2 keeps the resolution and dilates instead, e.g. ResNet-50's <c>layer3</c> as
        /// <c>Dilation = 2, FirstDilation = 1</c> and <c>layer4</c> as <c>Dilation = 4, FirstDilation = 2</c> (leave
        /// <see cref="Stride"/> at 1).
        /// </summary>
        public int Dilation { get; set; } = 1;

        /// <summary>
        /// Dilation (and padding) of the first block's 3x3 convolution; 0 (the default) means <see cref="Dilation"/>.
        /// torchvision gives the first block of a dilated stage the dilation the previous stage ended with.
        /// </summary>
        public int FirstDilation { get; set; }
    }

    /// <summary>
    /// A stage of pre-activation blocks (He et al. 2016, "Identity Mappings in Deep Residual Networks", "ResNet v2"):
    /// every convolution is preceded by BatchNorm and ReLU and nothing follows the addition. Basic form:
    /// bn1 -> ReLU -> conv1 3x3 (stride) -> bn2 -> ReLU -> conv2 3x3; with <see cref="Bottleneck"/>:
    /// bn1 -> ReLU -> conv1 1x1 -> bn2 -> ReLU -> conv2 3x3 (stride, groups) -> bn3 -> ReLU -> conv3 1x1 (x4).
    /// The projection shortcut (first block, when the stride or channels change) is a 1x1 convolution applied to
    /// the pre-activated input (bn1 -> ReLU), as in the paper's code; its BatchNorm is off by default.
    /// Put <c>[BatchNorm2d] [ReLU]</c> after the last stage, as the paper does.
    /// </summary>
    /// <param name="blocks">Number of blocks; at least 1.</param>
    /// <param name="planes">Output channels of a basic block; with <see cref="Bottleneck"/>, the <c>planes</c> of the bottleneck (output <c>planes * 4</c>).</param>
    public sealed class PreActStageAttribute(int blocks, int planes) : ResidualBlockOptionsAttribute(bias: false, projectionBatchNorm: false)
    {
        /// <summary>Number of blocks.</summary>
        public int Blocks { get; } = blocks;

        /// <summary>Output channels (basic) or bottleneck planes.</summary>
        public int Planes { get; } = planes;

        /// <summary>Stride of the first block; default 1.</summary>
        public int Stride { get; set; } = 1;

        /// <summary>Use bottleneck blocks (1x1, 3x3, 1x1 expanding by 4) instead of basic ones; default false.</summary>
        public bool Bottleneck { get; set; }

        /// <summary>Number of groups of the 3x3 convolution of a bottleneck (torchvision meaning); default 1. Only with <see cref="Bottleneck"/>.</summary>
        public int Groups { get; set; } = 1;

        /// <summary>Bottleneck base width, as <see cref="BottleneckStageAttribute.BaseWidth"/>; default 64.</summary>
        public int BaseWidth { get; set; } = 64;
    }

    /// <summary>
    /// One D2L ResNeXt block (<c>ResNeXtBlock(num_channels, groups, bot_mul, use_1x1conv, strides)</c>):
    /// with <c>b = round(channels * BottleneckMultiplier)</c>, conv1 1x1 to b -> bn1 -> ReLU -> conv2 3x3
    /// (stride, padding 1, <c>b / groupWidth</c> groups) -> bn2 -> ReLU -> conv3 1x1 to <c>channels</c> -> bn3,
    /// plus the shortcut (the input, or conv4 1x1 with stride -> bn4 when <see cref="Use1x1Conv"/>), then ReLU.
    /// Defaults follow D2L: convolutions with bias, BatchNorm on the projection.
    /// </summary>
    /// <remarks>
    /// <c>groupWidth</c> is D2L's <c>groups</c> argument, which is the number of channels per group:
    /// the convolution gets <c>b / groupWidth</c> groups. torchvision's <c>groups</c> (and
    /// <see cref="BottleneckStageAttribute.Groups"/>, <see cref="ConvolutionAttribute.Groups"/>) is the number of
    /// groups. D2L <c>ResNeXtBlock(32, 16, 1)</c> is <c>[ResNeXtBlock(32, 16)]</c>: b = 32, 2 groups of 16 channels.
    /// </remarks>
    /// <param name="channels">Output channels of the block (D2L <c>num_channels</c>).</param>
    /// <param name="groupWidth">Channels per group of the 3x3 convolution (D2L <c>groups</c>); at most the bottleneck channels.</param>
    /// <param name="bottleneckMultiplier">Bottleneck channels per output channel (D2L <c>bot_mul</c>); greater than 0.</param>
    public sealed class ResNeXtBlockAttribute(int channels, int groupWidth, double bottleneckMultiplier = 1.0)
        : ResidualBlockOptionsAttribute(bias: true, projectionBatchNorm: true)
    {
        /// <summary>Output channels.</summary>
        public int Channels { get; } = channels;

        /// <summary>Channels per group (D2L's <c>groups</c>).</summary>
        public int GroupWidth { get; } = groupWidth;

        /// <summary>Bottleneck channels per output channel (D2L's <c>bot_mul</c>).</summary>
        public double BottleneckMultiplier { get; } = bottleneckMultiplier;

        /// <summary>Use a 1x1 convolution (and BatchNorm) on the shortcut; needed when the stride or channels change. Default false.</summary>
        public bool Use1x1Conv { get; set; }

        /// <summary>Stride of the 3x3 convolution and of the projection; default 1.</summary>
        public int Stride { get; set; } = 1;
    }
}
