using System;

namespace Dsl
{
    // Layers for flat and sequence input ([Input(features)], [Input(channels, length)]) and the rank-independent
    // normalisation and softmax. Shapes are per sample, batch excluded: a sequence is (channels, length).

    /// <summary>
    /// 1-D convolution (<c>torch.nn.Conv1d</c>) over a sequence (channels, length) -> (out, length'). Input channels are
    /// inferred from the previous layer.
    /// </summary>
    public sealed class Conv1dAttribute : LayerAttribute
    {
        /// <param name="outChannels">Output channels; at least 1.</param>
        /// <param name="kernel">Kernel size; at least 1.</param>
        public Conv1dAttribute(int outChannels, int kernel)
        {
            OutChannels = outChannels;
            Kernel = kernel;
        }

        /// <summary>Output channels.</summary>
        public int OutChannels { get; }

        /// <summary>Kernel size.</summary>
        public int Kernel { get; }

        /// <summary>Stride; default 1.</summary>
        public int Stride { get; set; } = 1;

        /// <summary>Zero padding at both ends; default 0.</summary>
        public int Padding { get; set; }

        /// <summary>Spacing between kernel elements; default 1.</summary>
        public int Dilation { get; set; } = 1;

        /// <summary>Blocked connections from input to output channels; must divide both; default 1.</summary>
        public int Groups { get; set; } = 1;

        /// <summary>Whether the layer adds a learnable bias; default true.</summary>
        public bool Bias { get; set; } = true;
    }

    /// <summary>
    /// Batch normalisation (<c>torch.nn.BatchNorm1d</c>) over the channels of flat features (features) or of a sequence
    /// (channels, length).
    /// </summary>
    public sealed class BatchNorm1dAttribute : LayerAttribute
    {
        /// <summary>Added to the variance for numerical stability; default 1e-5.</summary>
        public double Eps { get; set; } = 1e-5;

        /// <summary>Running statistics momentum; default 0.1.</summary>
        public double Momentum { get; set; } = 0.1;
    }

    /// <summary>
    /// Group normalisation (<c>torch.nn.GroupNorm</c>, affine): the channels (the first dimension of a sample) are split
    /// into <see cref="Groups"/> groups, each normalised over its channels and every position. Works on sequences
    /// (channels, length) and images (channels, height, width), batched rank 3 or 4, as TorchSharp's GroupNorm takes
    /// them (not on flat features: use <c>BatchNorm1d</c> there). <c>[GroupNorm(1)]</c> normalises a whole sample, as a
    /// LayerNorm over (C, H, W) with one scale and shift per channel.
    /// </summary>
    public sealed class GroupNormAttribute : LayerAttribute
    {
        /// <param name="groups">Number of groups; at least 1 and must divide the incoming channels.</param>
        public GroupNormAttribute(int groups) => Groups = groups;

        /// <summary>Number of groups the channels are split into.</summary>
        public int Groups { get; }

        /// <summary>Added to the variance for numerical stability; default 1e-5.</summary>
        public double Eps { get; set; } = 1e-5;
    }

    /// <summary>
    /// Softmax (<c>torch.nn.Softmax(dim)</c>) along one dimension; shape-preserving, no parameters. <see cref="Dim"/>
    /// counts as PyTorch's <c>dim</c> does, over the batched tensor: <c>-1</c> (the default) is the last dimension (the
    /// features of a flat sample, the positions of a sequence), <c>1</c> the channels; dimension 0, the batch, is not
    /// allowed, since a softmax across samples mixes them. PyTorch's implicit dimension (<c>dim=None</c>) is not offered.
    /// </summary>
    public sealed class SoftmaxAttribute : LayerAttribute
    {
        /// <summary>The dimension that sums to 1, as PyTorch's <c>dim</c>: -1 (default) to -rank, or 1 to rank (the sample's rank).</summary>
        public int Dim { get; set; } = -1;
    }

    /// <summary>1-D max pooling (<c>torch.nn.MaxPool1d</c>) over a sequence (channels, length).</summary>
    public sealed class MaxPool1dAttribute : LayerAttribute
    {
        /// <param name="kernel">Window size; at least 1.</param>
        public MaxPool1dAttribute(int kernel) => Kernel = kernel;

        /// <summary>Window size.</summary>
        public int Kernel { get; }

        /// <summary>Stride; 0 (the default) means equal to <see cref="Kernel"/>, as in PyTorch.</summary>
        public int Stride { get; set; }

        /// <summary>Implicit negative-infinity padding at both ends; at most half the kernel.</summary>
        public int Padding { get; set; }

        /// <summary>Spacing between window elements; default 1.</summary>
        public int Dilation { get; set; } = 1;

        /// <summary>Use ceiling instead of floor to compute the output length; default false.</summary>
        public bool CeilMode { get; set; }
    }

    /// <summary>1-D average pooling (<c>torch.nn.AvgPool1d</c>, padding counted in the average) over a sequence (channels, length).</summary>
    public sealed class AvgPool1dAttribute : LayerAttribute
    {
        /// <param name="kernel">Window size; at least 1.</param>
        public AvgPool1dAttribute(int kernel) => Kernel = kernel;

        /// <summary>Window size.</summary>
        public int Kernel { get; }

        /// <summary>Stride; 0 (the default) means equal to <see cref="Kernel"/>, as in PyTorch.</summary>
        public int Stride { get; set; }

        /// <summary>Implicit zero padding at both ends; at most half the kernel.</summary>
        public int Padding { get; set; }

        /// <summary>Use ceiling instead of floor to compute the output length; default false.</summary>
        public bool CeilMode { get; set; }
    }

    /// <summary>
    /// Adaptive average pooling of a sequence to a fixed length (<c>torch.nn.AdaptiveAvgPool1d</c>);
    /// <c>[AdaptiveAvgPool1d]</c> is global average pooling (output length 1).
    /// </summary>
    public sealed class AdaptiveAvgPool1dAttribute : LayerAttribute
    {
        /// <param name="outputSize">Output length; default 1 (global average pooling).</param>
        public AdaptiveAvgPool1dAttribute(int outputSize = 1) => OutputSize = outputSize;

        /// <summary>Output length.</summary>
        public int OutputSize { get; }
    }

    /// <summary>
    /// A hand-written TorchSharp module used as a layer, with a declared shape contract: the escape hatch for what the
    /// attributes cannot say. <typeparamref name="TModule"/> must derive from <c>torch.nn.Module&lt;Tensor, Tensor&gt;</c>
    /// and have a public parameterless constructor (the network creates it with <c>new TModule()</c>); otherwise DSL020.
    /// The layers around it are shape-checked at compile time against <see cref="OutputShape"/>, the generated forward
    /// checks at run time that the module keeps that contract, and <see cref="Parameters"/> enters the parameter count.
    /// The ONNX exporter and the PyTorch twin refuse a network with a custom layer (they cannot know its computation).
    /// </summary>
    /// <example><code>
    /// [Input(3, 32, 32)]
    /// [Conv2d(16, 3, Padding = 1)]
    /// [Custom&lt;ChannelShuffle&gt;]                                          // shape-preserving, no parameters
    /// [Custom&lt;SpaceToDepth&gt;(OutputShape = "c * 4, h / 2, w / 2")]       // an expression over the input
    /// [Custom&lt;Mixer&gt;(OutputShape = new[] { 32, 16, 16 }, Parameters = 2080)]
    /// [Flatten] [Linear(10)]
    /// public partial class Net;
    /// </code></example>
    /// <typeparam name="TModule">The module class: a <c>torch.nn.Module&lt;Tensor, Tensor&gt;</c> with a public parameterless constructor.</typeparam>
    public sealed class CustomAttribute<TModule> : LayerAttribute where TModule : class
    {
        /// <summary>
        /// The module's output shape per sample (batch excluded): <c>null</c> (the default) means the input's shape;
        /// an <c>int[]</c> such as <c>new[] { 64, 8, 8 }</c>; or a string of comma-separated expressions over the input
        /// shape, such as <c>"c * 2, h / 2, w / 2"</c>. Expressions read <c>d0</c>, <c>d1</c>, ... (the input's
        /// dimensions), <c>in</c> (its first) and <c>last</c>, and by rank <c>f</c> (features), <c>c, l</c>
        /// (channels, length) or <c>c, h, w</c>; <c>/</c> rounds down, and <c>min</c>, <c>max</c>, <c>? :</c> are available.
        /// </summary>
        public object? OutputShape { get; set; }

        /// <summary>The module's trainable parameters, for the compile-time counts; default 0. Multiply-adds are counted as 0.</summary>
        public long Parameters { get; set; }
    }
}
