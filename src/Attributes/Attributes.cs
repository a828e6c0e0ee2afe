using System;

namespace Dsl
{
    /// <summary>
    /// Declares the input of a network: one sample is (channels, height, width); the batch
    /// dimension is always symbolic. Put it on a <c>partial</c> class together with layer
    /// attributes; the attributes below it are the layers, in order.
    /// </summary>
    /// <example><code>
    /// [Input(1, 28, 28)]
    /// [Conv2d(6, 5, Padding = 2)] [Sigmoid] [AvgPool2d(2)]
    /// [Flatten] [Linear(10)]
    /// public partial class TinyNet;
    /// </code></example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class InputAttribute : Attribute
    {
        /// <param name="channels">Channels of one input sample (1 for grey images, 3 for RGB).</param>
        /// <param name="height">Height of one input sample in pixels.</param>
        /// <param name="width">Width of one input sample in pixels.</param>
        public InputAttribute(int channels, int height, int width)
        {
            Channels = channels;
            Height = height;
            Width = width;
        }

        /// <summary>Channels of one input sample.</summary>
        public int Channels { get; }

        /// <summary>Height of one input sample.</summary>
        public int Height { get; }

        /// <summary>Width of one input sample.</summary>
        public int Width { get; }
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

    /// <summary>Rectified linear unit (<c>torch.nn.ReLU</c>).</summary>
    public sealed class ReLUAttribute : LayerAttribute { }

    /// <summary>Logistic sigmoid (<c>torch.nn.Sigmoid</c>).</summary>
    public sealed class SigmoidAttribute : LayerAttribute { }

    /// <summary>Hyperbolic tangent (<c>torch.nn.Tanh</c>).</summary>
    public sealed class TanhAttribute : LayerAttribute { }

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

        /// <summary>Output features.</summary>
        public int OutFeatures { get; }

        /// <summary>
        /// Optional: the input features you expect. 0 (the default) means inferred. When set,
        /// the compiler checks it against the features that actually arrive and reports a mismatch.
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
}
