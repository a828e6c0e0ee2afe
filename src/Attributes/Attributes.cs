using System;

namespace Dsl
{
    /// <summary>
    /// Declares the input of a network: one sample is an image (channels, height, width), a sequence
    /// (channels, length) or flat features; the batch dimension is always symbolic. Put it on a
    /// <c>partial</c> class together with layer attributes; the attributes below it are the layers, in order.
    /// </summary>
    /// <example><code>
    /// [Input(1, 28, 28)]
    /// [Conv2d(6, 5, Padding = 2)] [Sigmoid] [AvgPool2d(2)]
    /// [Flatten] [Linear(10)]
    /// public partial class TinyNet;
    ///
    /// [Input(784)] [Linear(256)] [ReLU] [Linear(10)]
    /// public partial class Mlp;
    ///
    /// [Input(12, 128)] [Conv1d(32, 5, Padding = 2)] [ReLU] [MaxPool1d(2)] [Flatten] [Linear(4)]
    /// public partial class SequenceNet;
    /// </code></example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class InputAttribute : Attribute
    {
        private readonly int[] _dimensions;

        /// <summary>Flat input: one sample is a vector of <paramref name="features"/> values (an MLP's input).</summary>
        /// <param name="features">Features of one input sample; at least 1.</param>
        public InputAttribute(int features)
        {
            _dimensions = new[] { features };
            Channels = features;
        }

        /// <summary>Sequence input: one sample is (channels, length), as <c>Conv1d</c> reads it; also tokens (length, dim) for <c>Linear</c>.</summary>
        /// <param name="channels">Channels (features per position) of one input sample; at least 1.</param>
        /// <param name="length">Length (positions) of one input sample; at least 1.</param>
        public InputAttribute(int channels, int length)
        {
            _dimensions = new[] { channels, length };
            Channels = channels;
            Length = length;
        }

        /// <summary>Image input: one sample is (channels, height, width).</summary>
        /// <param name="channels">Channels of one input sample (1 for grey images, 3 for RGB).</param>
        /// <param name="height">Height of one input sample in pixels.</param>
        /// <param name="width">Width of one input sample in pixels.</param>
        public InputAttribute(int channels, int height, int width)
        {
            _dimensions = new[] { channels, height, width };
            Channels = channels;
            Height = height;
            Width = width;
        }

        /// <summary>The dimensions of one sample as declared (batch excluded): 1, 2 or 3 of them.</summary>
        public int[] Dimensions => (int[])_dimensions.Clone();

        /// <summary>Channels of one input sample (for flat input: its features).</summary>
        public int Channels { get; }

        /// <summary>Height of one image sample; 0 for sequence and flat input.</summary>
        public int Height { get; }

        /// <summary>Width of one image sample; 0 for sequence and flat input.</summary>
        public int Width { get; }

        /// <summary>Length of one sequence sample; 0 for image and flat input.</summary>
        public int Length { get; }
    }

    /// <summary>Base of every layer attribute. Attribute order on the class is layer order.</summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public abstract class LayerAttribute : Attribute
    {
        /// <summary>
        /// The field and state_dict name of this layer. When omitted the generator numbers
        /// layers per kind: <c>conv1</c>, <c>bn1</c>, <c>relu1</c>, <c>fc1</c>, <c>stage1</c>...
        /// Must be a valid C# identifier.
        /// </summary>
        public string? Name { get; set; }

        /// <summary>
        /// Inside a <see cref="BlockAttribute">block</see>: a condition on the block's parameters (and <c>in</c>, the
        /// incoming channels); the layer exists only in the uses where it holds, e.g. <c>When = "expand != 1"</c>.
        /// </summary>
        public string? When { get; set; }

        /// <summary>
        /// Inside a <see cref="BlockAttribute">block</see>: arguments computed from the block's parameters, as
        /// <c>"argument = expression"</c> pairs separated by <c>;</c> or <c>,</c> (a comma inside parentheses, as in <c>max(a, b)</c>, belongs to the expression), e.g. <c>With = "Stride = stride; Groups = hidden"</c>.
        /// They replace the written value of the same argument (constructor parameter or property, any case).
        /// </summary>
        public string? With { get; set; }
    }

    /// <summary>2-D convolution (<c>torch.nn.Conv2d</c>). Input channels are inferred from the previous layer.</summary>
    public sealed class Conv2dAttribute : LayerAttribute
    {
        /// <param name="outChannels">Output channels (number of filters); at least 1.</param>
        /// <param name="kernel">Square kernel size; at least 1.</param>
        public Conv2dAttribute(int outChannels, int kernel)
        {
            OutChannels = outChannels;
            Kernel = kernel;
        }

        /// <param name="outChannels">Inside a <see cref="BlockAttribute">block</see>: output channels as an expression over its parameters, e.g. <c>"in * expand"</c>.</param>
        /// <param name="kernel">Square kernel size; at least 1.</param>
        public Conv2dAttribute(string outChannels, int kernel)
        {
            OutChannelsExpression = outChannels;
            Kernel = kernel;
        }

        /// <summary>The output channels expression, when given as a string (inside a block).</summary>
        public string? OutChannelsExpression { get; }

        /// <summary>Output channels.</summary>
        public int OutChannels { get; }

        /// <summary>Square kernel size.</summary>
        public int Kernel { get; }

        /// <summary>Stride in both directions; default 1.</summary>
        public int Stride { get; set; } = 1;

        /// <summary>Zero padding added on every side; default 0.</summary>
        public int Padding { get; set; }

        /// <summary>Spacing between kernel elements; default 1.</summary>
        public int Dilation { get; set; } = 1;

        /// <summary>Number of groups (PyTorch's meaning): must divide input and output channels; default 1.</summary>
        public int Groups { get; set; } = 1;

        /// <summary>Whether the convolution adds a learnable bias; default true, as in PyTorch.</summary>
        public bool Bias { get; set; } = true;
    }

    /// <summary>Batch normalization over channels (<c>torch.nn.BatchNorm2d</c>); channels are inferred.</summary>
    public sealed class BatchNorm2dAttribute : LayerAttribute
    {
        /// <summary>Added to the variance for numerical stability; default 1e-5.</summary>
        public double Eps { get; set; } = 1e-5;

        /// <summary>Running statistics momentum; default 0.1.</summary>
        public double Momentum { get; set; } = 0.1;
    }

    /// <summary>
    /// Layer normalization over the last dimension (<c>torch.nn.LayerNorm(last)</c>): the features of a flat value,
    /// the model dimension of tokens [L, D], the channels of a channels-last image (ConvNeXt). Learned scale and shift.
    /// </summary>
    public sealed class LayerNormAttribute : LayerAttribute
    {
        /// <summary>Added to the variance for numerical stability; default 1e-5 (ViT and ConvNeXt use 1e-6).</summary>
        public double Eps { get; set; } = 1e-5;
    }

    /// <summary>Rectified linear unit (<c>torch.nn.ReLU</c>).</summary>
    public sealed class ReLUAttribute : LayerAttribute { }

    /// <summary>Logistic sigmoid (<c>torch.nn.Sigmoid</c>).</summary>
    public sealed class SigmoidAttribute : LayerAttribute { }

    /// <summary>Hyperbolic tangent (<c>torch.nn.Tanh</c>).</summary>
    public sealed class TanhAttribute : LayerAttribute { }

    /// <summary>ReLU capped at 6 (<c>torch.nn.ReLU6</c>), as in MobileNetV2.</summary>
    public sealed class ReLU6Attribute : LayerAttribute { }

    /// <summary>Sigmoid-weighted linear unit, x * sigmoid(x) (<c>torch.nn.SiLU</c>, "swish"), as in EfficientNet.</summary>
    public sealed class SiLUAttribute : LayerAttribute { }

    /// <summary>Gaussian error linear unit, exact (erf) form (<c>torch.nn.GELU</c>), as in ViT and ConvNeXt.</summary>
    public sealed class GELUAttribute : LayerAttribute { }

    /// <summary>Hard swish, x * relu6(x + 3) / 6 (<c>torch.nn.Hardswish</c>), as in MobileNetV3.</summary>
    public sealed class HardswishAttribute : LayerAttribute { }

    /// <summary>Hard sigmoid, relu6(x + 3) / 6 (<c>torch.nn.Hardsigmoid</c>), as in MobileNetV3's gates.</summary>
    public sealed class HardsigmoidAttribute : LayerAttribute { }

    /// <summary>Leaky ReLU (<c>torch.nn.LeakyReLU</c>): x for x &gt;= 0, <see cref="NegativeSlope"/> * x otherwise.</summary>
    public sealed class LeakyReLUAttribute : LayerAttribute
    {
        /// <summary>Slope for negative inputs; default 0.01 (PyTorch's).</summary>
        public double NegativeSlope { get; set; } = 0.01;
    }

    /// <summary>Passes its input through unchanged (<c>torch.nn.Identity</c>): a placeholder with a name.</summary>
    public sealed class IdentityAttribute : LayerAttribute { }

    /// <summary>2-D max pooling (<c>torch.nn.MaxPool2d</c>).</summary>
    public sealed class MaxPool2dAttribute : LayerAttribute
    {
        /// <param name="kernel">Square window size; at least 1.</param>
        public MaxPool2dAttribute(int kernel) => Kernel = kernel;

        /// <summary>Square window size.</summary>
        public int Kernel { get; }

        /// <summary>Stride; 0 (the default) means equal to <see cref="Kernel"/>, as in PyTorch.</summary>
        public int Stride { get; set; }

        /// <summary>Implicit negative-infinity padding on every side; at most half the kernel.</summary>
        public int Padding { get; set; }

        /// <summary>Spacing between window elements; default 1.</summary>
        public int Dilation { get; set; } = 1;

        /// <summary>Use ceiling instead of floor to compute the output size; default false.</summary>
        public bool CeilMode { get; set; }
    }

    /// <summary>2-D average pooling (<c>torch.nn.AvgPool2d</c>).</summary>
    public sealed class AvgPool2dAttribute : LayerAttribute
    {
        /// <param name="kernel">Square window size; at least 1.</param>
        public AvgPool2dAttribute(int kernel) => Kernel = kernel;

        /// <summary>Square window size.</summary>
        public int Kernel { get; }

        /// <summary>Stride; 0 (the default) means equal to <see cref="Kernel"/>, as in PyTorch.</summary>
        public int Stride { get; set; }

        /// <summary>Implicit zero padding on every side; at most half the kernel.</summary>
        public int Padding { get; set; }

        /// <summary>Use ceiling instead of floor to compute the output size; default false.</summary>
        public bool CeilMode { get; set; }
    }

    /// <summary>
    /// Adaptive average pooling to a fixed output size (<c>torch.nn.AdaptiveAvgPool2d</c>);
    /// <c>[AdaptiveAvgPool2d]</c> is global average pooling (output 1x1).
    /// </summary>
    public sealed class AdaptiveAvgPool2dAttribute : LayerAttribute
    {
        /// <param name="outputSize">Output height and width; default 1 (global average pooling).</param>
        public AdaptiveAvgPool2dAttribute(int outputSize = 1) => OutputSize = outputSize;

        /// <summary>Output height and width.</summary>
        public int OutputSize { get; }
    }

    /// <summary>Flattens (channels, height, width) into features (<c>torch.nn.Flatten</c>).</summary>
    public sealed class FlattenAttribute : LayerAttribute { }

    /// <summary>
    /// Fully connected layer (<c>torch.nn.Linear</c>). Needs flat input: put <c>[Flatten]</c>
    /// (or a <c>[ClassifierHead]</c>) before it. Input features are inferred.
    /// </summary>
    public sealed class LinearAttribute : LayerAttribute
    {
        /// <param name="outFeatures">Output features; at least 1.</param>
        public LinearAttribute(int outFeatures) => OutFeatures = outFeatures;

        /// <param name="outFeatures">Inside a <see cref="BlockAttribute">block</see>: output features as an expression over its parameters, e.g. <c>"mlp"</c>.</param>
        public LinearAttribute(string outFeatures) => OutFeaturesExpression = outFeatures;

        /// <summary>The output features expression, when given as a string (inside a block).</summary>
        public string? OutFeaturesExpression { get; }

        /// <summary>Output features.</summary>
        public int OutFeatures { get; }

        /// <summary>
        /// Optional: the input features you expect. 0 (the default) means inferred. When set,
        /// the compiler checks it against the features that actually arrive and reports a mismatch.
        /// On a value with more than one dimension (channels-last [H, W, C] after a <c>[Permute]</c>), setting it to the
        /// last dimension applies the layer over that dimension at every position, as PyTorch does (in a block:
        /// <c>With = "InFeatures = last"</c>).
        /// </summary>
        public int InFeatures { get; set; }

        /// <summary>Whether the layer adds a learnable bias; default true.</summary>
        public bool Bias { get; set; } = true;
    }

    /// <summary>Dropout (<c>torch.nn.Dropout</c>), active only in training mode.</summary>
    public sealed class DropoutAttribute : LayerAttribute
    {
        /// <param name="probability">Probability of zeroing an element, in [0, 1); default 0.5.</param>
        public DropoutAttribute(double probability = 0.5) => Probability = probability;

        /// <summary>Probability of zeroing an element.</summary>
        public double Probability { get; }
    }

    /// <summary>
    /// The ResNet stem (D2L <c>b1</c>): convolution (kernel <see cref="Kernel"/>, stride
    /// <see cref="Stride"/>, padding kernel/2) -> BatchNorm -> ReLU, then optionally a 3x3
    /// max-pool with stride 2 and padding 1. Submodules: <c>conv</c>, <c>bn</c>, <c>relu</c>, <c>pool</c>.
    /// </summary>
    public sealed class StemAttribute : LayerAttribute
    {
        /// <param name="channels">Output channels of the stem convolution (64 in ResNet).</param>
        public StemAttribute(int channels) => Channels = channels;

        /// <summary>Output channels.</summary>
        public int Channels { get; }

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
    public sealed class ResidualAttribute : LayerAttribute
    {
        /// <param name="channels">Output channels of the block.</param>
        public ResidualAttribute(int channels) => Channels = channels;

        /// <summary>Output channels.</summary>
        public int Channels { get; }

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
    public sealed class ResidualStageAttribute : LayerAttribute
    {
        /// <param name="blocks">Number of residual blocks; at least 1.</param>
        /// <param name="channels">Output channels of every block.</param>
        public ResidualStageAttribute(int blocks, int channels)
        {
            Blocks = blocks;
            Channels = channels;
        }

        /// <summary>Number of residual blocks.</summary>
        public int Blocks { get; }

        /// <summary>Output channels of every block.</summary>
        public int Channels { get; }

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
    public sealed class ClassifierHeadAttribute : LayerAttribute
    {
        /// <param name="classes">Number of output classes; at least 1.</param>
        public ClassifierHeadAttribute(int classes) => Classes = classes;

        /// <summary>Number of output classes.</summary>
        public int Classes { get; }
    }

    /// <summary>How the generator names the modules of a network (field names and state_dict keys).</summary>
    public enum NamingConvention
    {
        /// <summary>
        /// The default, D2L-style names: layers numbered per kind (<c>conv1</c>, <c>bn1</c>, <c>relu1</c>,
        /// <c>stage1</c>, <c>stem</c>, <c>head</c>); inside a block the projection shortcut is the next
        /// numbered convolution and BatchNorm (<c>conv3</c>/<c>bn3</c> in a basic block,
        /// <c>conv4</c>/<c>bn4</c> in a bottleneck, as in D2L's <c>ResNeXtBlock</c>).
        /// </summary>
        D2L = 0,

        /// <summary>
        /// torchvision's names: <c>conv1, bn1, relu, maxpool, layer1..layer4, avgpool, fc</c> (only convolutions
        /// and BatchNorms are numbered from the first one; other kinds are numbered from the second one of their
        /// kind); blocks <c>0, 1, ...</c>; inside a block <c>conv1, bn1, conv2, bn2[, conv3, bn3]</c> and the
        /// projection shortcut <c>downsample.0</c> (1x1 convolution), <c>downsample.1</c> (BatchNorm).
        /// With this convention and plain stem/head layers the state_dict keys equal torchvision's.
        /// </summary>
        TorchVision = 1,
    }

    /// <summary>
    /// Chooses the <see cref="NamingConvention"/> of a network (put it on the network class next to
    /// <c>[Input]</c>). Without it the network uses <see cref="NamingConvention.D2L"/>.
    /// </summary>
    /// <example><code>
    /// [Input(3, 224, 224)]
    /// [Naming(NamingConvention.TorchVision)]
    /// [Conv2d(64, 7, Stride = 2, Padding = 3, Bias = false)] [BatchNorm2d] [ReLU] [MaxPool2d(3, Stride = 2, Padding = 1)]
    /// [BasicStage(2, 64)] [BasicStage(2, 128, Stride = 2)] [BasicStage(2, 256, Stride = 2)] [BasicStage(2, 512, Stride = 2)]
    /// [AdaptiveAvgPool2d] [Flatten] [Linear(1000)]
    /// public partial class ResNet18;   // conv1, bn1, relu, maxpool, layer1..layer4, avgpool, flatten, fc
    /// </code></example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class NamingAttribute : Attribute
    {
        /// <param name="convention">The naming convention of the network's modules.</param>
        public NamingAttribute(NamingConvention convention) => Convention = convention;

        /// <summary>The naming convention of the network's modules.</summary>
        public NamingConvention Convention { get; }
    }

    /// <summary>
    /// Options shared by the ResNet-family stage and block attributes (<see cref="BasicStageAttribute"/>,
    /// <see cref="BottleneckStageAttribute"/>, <see cref="PreActStageAttribute"/>, <see cref="ResNeXtBlockAttribute"/>),
    /// where the published sources differ.
    /// </summary>
    public abstract class ResidualBlockOptionsAttribute : LayerAttribute
    {
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
        public bool ProjectionBatchNorm { get; set; } = true;

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
    public sealed class BasicStageAttribute : ResidualBlockOptionsAttribute
    {
        /// <param name="blocks">Number of blocks; at least 1 (ResNet-18: 2, 2, 2, 2; ResNet-34: 3, 4, 6, 3).</param>
        /// <param name="channels">Output channels of every block (64, 128, 256, 512 in ResNet).</param>
        public BasicStageAttribute(int blocks, int channels)
        {
            Blocks = blocks;
            Channels = channels;
        }

        /// <summary>Number of blocks.</summary>
        public int Blocks { get; }

        /// <summary>Output channels of every block.</summary>
        public int Channels { get; }

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
    public sealed class BottleneckStageAttribute : ResidualBlockOptionsAttribute
    {
        /// <param name="blocks">Number of blocks; at least 1 (ResNet-50: 3, 4, 6, 3).</param>
        /// <param name="planes">torchvision's <c>planes</c>: 64, 128, 256, 512; blocks output <c>planes * Expansion</c> channels.</param>
        public BottleneckStageAttribute(int blocks, int planes)
        {
            Blocks = blocks;
            Planes = planes;
        }

        /// <summary>Number of blocks.</summary>
        public int Blocks { get; }

        /// <summary>torchvision's <c>planes</c>; the output channels are <c>planes * Expansion</c>.</summary>
        public int Planes { get; }

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
    public sealed class PreActStageAttribute : ResidualBlockOptionsAttribute
    {
        /// <param name="blocks">Number of blocks; at least 1.</param>
        /// <param name="planes">Output channels of a basic block; with <see cref="Bottleneck"/>, the <c>planes</c> of the bottleneck (output <c>planes * 4</c>).</param>
        public PreActStageAttribute(int blocks, int planes)
        {
            Blocks = blocks;
            Planes = planes;
            ProjectionBatchNorm = false;
        }

        /// <summary>Number of blocks.</summary>
        public int Blocks { get; }

        /// <summary>Output channels (basic) or bottleneck planes.</summary>
        public int Planes { get; }

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
    /// <see cref="BottleneckStageAttribute.Groups"/>, <see cref="Conv2dAttribute.Groups"/>) is the number of
    /// groups. D2L <c>ResNeXtBlock(32, 16, 1)</c> is <c>[ResNeXtBlock(32, 16)]</c>: b = 32, 2 groups of 16 channels.
    /// </remarks>
    public sealed class ResNeXtBlockAttribute : ResidualBlockOptionsAttribute
    {
        /// <param name="channels">Output channels of the block (D2L <c>num_channels</c>).</param>
        /// <param name="groupWidth">Channels per group of the 3x3 convolution (D2L <c>groups</c>); at most the bottleneck channels.</param>
        /// <param name="bottleneckMultiplier">Bottleneck channels per output channel (D2L <c>bot_mul</c>); greater than 0.</param>
        public ResNeXtBlockAttribute(int channels, int groupWidth, double bottleneckMultiplier = 1.0)
        {
            Channels = channels;
            GroupWidth = groupWidth;
            BottleneckMultiplier = bottleneckMultiplier;
            Bias = true;
        }

        /// <summary>Output channels.</summary>
        public int Channels { get; }

        /// <summary>Channels per group (D2L's <c>groups</c>).</summary>
        public int GroupWidth { get; }

        /// <summary>Bottleneck channels per output channel (D2L's <c>bot_mul</c>).</summary>
        public double BottleneckMultiplier { get; }

        /// <summary>Use a 1x1 convolution (and BatchNorm) on the shortcut; needed when the stride or channels change. Default false.</summary>
        public bool Use1x1Conv { get; set; }

        /// <summary>Stride of the 3x3 convolution and of the projection; default 1.</summary>
        public int Stride { get; set; } = 1;
    }

    /// <summary>
    /// 2-D transposed convolution (<c>torch.nn.ConvTranspose2d</c>), the learned upsampling of U-Net's decoder. Input
    /// channels are inferred. Output size per side: <c>(in - 1) * Stride - 2 * Padding + Dilation * (kernel - 1) + OutputPadding + 1</c>;
    /// <c>[ConvTranspose2d(c, 2, Stride = 2)]</c> doubles height and width.
    /// </summary>
    public sealed class ConvTranspose2dAttribute : LayerAttribute
    {
        /// <param name="outChannels">Output channels; at least 1.</param>
        /// <param name="kernel">Square kernel size; at least 1.</param>
        public ConvTranspose2dAttribute(int outChannels, int kernel)
        {
            OutChannels = outChannels;
            Kernel = kernel;
        }

        /// <summary>Output channels.</summary>
        public int OutChannels { get; }

        /// <summary>Square kernel size.</summary>
        public int Kernel { get; }

        /// <summary>Stride in both directions (the upsampling factor); default 1.</summary>
        public int Stride { get; set; } = 1;

        /// <summary>PyTorch's <c>padding</c>: crops this many rows and columns from every side of the output; default 0.</summary>
        public int Padding { get; set; }

        /// <summary>Extra rows and columns added to one side of the output (to reach an exact size); default 0; must be smaller than <see cref="Stride"/> or <see cref="Dilation"/>.</summary>
        public int OutputPadding { get; set; }

        /// <summary>Spacing between kernel elements; default 1.</summary>
        public int Dilation { get; set; } = 1;

        /// <summary>Number of groups (PyTorch's meaning): must divide input and output channels; default 1.</summary>
        public int Groups { get; set; } = 1;

        /// <summary>Whether the convolution adds a learnable bias; default true, as in PyTorch.</summary>
        public bool Bias { get; set; } = true;
    }

    /// <summary>
    /// How <see cref="UpsampleAttribute"/> computes the new pixels. TorchSharp has an enum of the same name
    /// (<c>torch.UpsampleMode</c>): in a file with <c>using static TorchSharp.torch;</c> write <c>Dsl.UpsampleMode</c>.
    /// </summary>
    public enum UpsampleMode
    {
        /// <summary>Each output pixel copies the nearest input pixel (PyTorch's <c>'nearest'</c>).</summary>
        Nearest = 0,

        /// <summary>Bilinear interpolation of the four nearest input pixels (PyTorch's <c>'bilinear'</c>).</summary>
        Bilinear = 1,
    }

    /// <summary>
    /// Upsampling by a fixed factor without parameters (<c>torch.nn.Upsample(scale_factor=..., mode=...)</c>). Output
    /// size per side: <c>floor(in * ScaleFactor)</c>; channels are kept.
    /// </summary>
    public sealed class UpsampleAttribute : LayerAttribute
    {
        /// <param name="scaleFactor">Factor applied to height and width; greater than 0; default 2.</param>
        public UpsampleAttribute(double scaleFactor = 2) => ScaleFactor = scaleFactor;

        /// <summary>Factor applied to height and width.</summary>
        public double ScaleFactor { get; }

        /// <summary>Nearest-neighbour (the default, as in PyTorch) or bilinear interpolation.</summary>
        public UpsampleMode Mode { get; set; } = UpsampleMode.Nearest;

        /// <summary>
        /// Bilinear only: align the corner pixels of input and output (PyTorch's <c>align_corners=True</c>) instead of
        /// their areas; default false. Setting it with <see cref="UpsampleMode.Nearest"/> is an error, as in PyTorch.
        /// </summary>
        public bool AlignCorners { get; set; }
    }

    /// <summary>
    /// Reorders the dimensions of the value, as torchvision's <c>Permute</c> (<c>torch.permute</c>): the dimensions are
    /// those of the whole tensor, batch included, so <c>[Permute(0, 2, 3, 1)]</c> turns an image [C, H, W] into
    /// channels-last [H, W, C] (where <c>[LayerNorm]</c> and <c>[Linear]</c> work on the channels) and
    /// <c>[Permute(0, 3, 1, 2)]</c> turns it back. The batch stays first (the first dimension must be 0). No parameters.
    /// </summary>
    /// <example><code>
    /// [Permute(0, 2, 3, 1)] [LayerNorm(Eps = 1e-6)] [Permute(0, 3, 1, 2)]   // torchvision's LayerNorm2d, spelled out
    /// </code></example>
    public sealed class PermuteAttribute : LayerAttribute
    {
        /// <param name="dims">The new order of the dimensions, batch included (torchvision's <c>Permute([0, 2, 3, 1])</c>): a permutation of 0 .. rank with 0 first.</param>
        public PermuteAttribute(params int[] dims) => Dims = dims;

        /// <summary>The new order of the dimensions, batch included.</summary>
        public int[] Dims { get; }
    }

    /// <summary>
    /// Layer normalization over the channels of an image [C, H, W], at every position (torchvision's <c>LayerNorm2d</c>,
    /// used by ConvNeXt): a learned scale and shift per channel (state_dict keys <c>weight</c> and <c>bias</c>).
    /// </summary>
    public sealed class LayerNorm2dAttribute : LayerAttribute
    {
        /// <summary>Added to the variance for numerical stability; default 1e-5 (PyTorch's; ConvNeXt uses 1e-6).</summary>
        public double Eps { get; set; } = 1e-5;
    }

    /// <summary>Which samples stochastic depth drops together.</summary>
    public enum StochasticDepthMode
    {
        /// <summary>Each sample of the batch is dropped on its own (torchvision's <c>"row"</c>, what ConvNeXt and EfficientNet use).</summary>
        Row = 0,

        /// <summary>The whole batch is dropped or kept at once (torchvision's <c>"batch"</c>).</summary>
        Batch = 1,
    }

    /// <summary>
    /// Stochastic depth (torchvision's <c>StochasticDepth</c>, <c>torchvision.ops.stochastic_depth</c>): in training, zeroes
    /// a residual branch with probability <c>probability</c> and scales what it keeps by <c>1 / (1 - probability)</c>; in
    /// evaluation it is the identity. No parameters. Put it at the end of a residual block's body.
    /// </summary>
    public sealed class StochasticDepthAttribute : LayerAttribute
    {
        /// <param name="probability">The probability of dropping the branch, in [0, 1]; inside a block usually a parameter (<c>With = "Probability = sd"</c>).</param>
        public StochasticDepthAttribute(double probability) => Probability = probability;

        /// <summary>The probability of dropping the branch.</summary>
        public double Probability { get; }

        /// <summary>Whether samples are dropped one by one or the batch at once; default <see cref="StochasticDepthMode.Row"/>.</summary>
        public StochasticDepthMode Mode { get; set; } = StochasticDepthMode.Row;
    }

    /// <summary>
    /// Layer scale (ConvNeXt, CaiT): multiplies the value by a learned weight per channel, a parameter of shape
    /// [C, 1, ...] that starts at <see cref="InitialValue"/>. It is not a module: the parameter belongs to the enclosing
    /// block (state_dict key <c>&lt;block&gt;.&lt;name&gt;</c>, torchvision's <c>features.1.0.layer_scale</c>), whose forward
    /// multiplies. So it needs a block with a forward of its own (one with a Merge, Body or Shortcut, or the network itself), not
    /// a plain Sequential block.
    /// </summary>
    /// <example><code>
    /// [Block("dim", "sd", Merge = Merge.Add)]
    /// [Use&lt;ConvNeXtBody&gt;("dim", Name = "block")]
    /// [LayerScale(Name = "layer_scale")]
    /// [StochasticDepth(0, Name = "stochastic_depth", With = "Probability = sd")]
    /// public partial class CNBlock;
    /// </code></example>
    public sealed class LayerScaleAttribute : LayerAttribute
    {
        /// <summary>The value every weight starts at; default 1e-6 (ConvNeXt's).</summary>
        public double InitialValue { get; set; } = 1e-6;
    }

    /// <summary>
    /// Patch tokens: an image [C, H, W] becomes a sequence of H*W tokens of C features, [H*W, C] (flatten the positions,
    /// then transpose), as ViT after its strided patch convolution. No parameters.
    /// </summary>
    public sealed class TokensAttribute : LayerAttribute { }

    /// <summary>
    /// A learned class token [1, 1, D] (zeros at first) put before the tokens [L, D], giving [L + 1, D]. The tensor is a
    /// parameter of the module that holds this layer (the network or a block), registered under the layer's name,
    /// <c>class_token</c> by default (torchvision's ViT key); it is not a submodule.
    /// </summary>
    public sealed class ClassTokenAttribute : LayerAttribute { }

    /// <summary>
    /// A learned position embedding [1, ..shape] of the incoming shape (tokens [L, D]: [1, L, D]) added to the value. The
    /// tensor is a parameter of the module that holds this layer, registered under the layer's name,
    /// <c>pos_embedding</c> by default (torchvision's ViT encoder key).
    /// </summary>
    public sealed class PositionEmbeddingAttribute : LayerAttribute
    {
        /// <summary>Standard deviation of the normal initialisation (mean 0); default 0.02, as torchvision's ViT.</summary>
        public double Std { get; set; } = 0.02;
    }

    /// <summary>
    /// Multi-head self-attention over tokens [L, E] (<c>torch.nn.MultiheadAttention(E, heads, dropout, batch_first=True)</c>
    /// applied as <c>attn(x, x, x, need_weights=False)[0]</c>): the same parameters and state_dict keys
    /// (<c>in_proj_weight</c>, <c>in_proj_bias</c>, <c>out_proj.weight</c>, <c>out_proj.bias</c>). Output [L, E].
    /// </summary>
    public sealed class MultiheadSelfAttentionAttribute : LayerAttribute
    {
        /// <param name="heads">Attention heads; at least 1, and must divide the embedding dimension E.</param>
        public MultiheadSelfAttentionAttribute(int heads) => Heads = heads;

        /// <summary>Attention heads.</summary>
        public int Heads { get; }

        /// <summary>Dropout on the attention weights while training; in [0, 1), default 0.</summary>
        public double Dropout { get; set; }
    }

    /// <summary>One token of tokens [L, D]: <c>x[:, index]</c>, giving [D] (ViT's class token before the head).</summary>
    public sealed class SelectTokenAttribute : LayerAttribute
    {
        /// <param name="index">Which token, from 0; less than L. Default 0 (the class token).</param>
        public SelectTokenAttribute(int index = 0) => Index = index;

        /// <summary>Which token.</summary>
        public int Index { get; }
    }
}
