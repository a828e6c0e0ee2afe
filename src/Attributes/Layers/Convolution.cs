namespace Dsl
{
    // Convolutions: 1-d, 2-d and transposed 2-d.

    /// <summary>
    /// What every convolution attribute has: output channels, a square kernel, and PyTorch's <c>stride</c>,
    /// <c>padding</c>, <c>dilation</c>, <c>groups</c> and <c>bias</c> with PyTorch's defaults. Input channels are
    /// inferred from the previous layer.
    /// </summary>
    public abstract class ConvolutionAttribute : LayerAttribute
    {
        private protected ConvolutionAttribute(int outChannels, int kernel)
        {
            OutChannels = outChannels;
            Kernel = kernel;
        }

        /// <summary>Output channels (number of filters).</summary>
        public int OutChannels { get; }

        /// <summary>Kernel size (square in 2-d).</summary>
        public int Kernel { get; }

        /// <summary>Stride (in every direction); default 1.</summary>
        public int Stride { get; set; } = 1;

        /// <summary>Zero padding on every side (a transposed convolution crops its output by it instead); default 0.</summary>
        public int Padding { get; set; }

        /// <summary>Spacing between kernel elements; default 1.</summary>
        public int Dilation { get; set; } = 1;

        /// <summary>Number of groups (PyTorch's meaning): must divide input and output channels; default 1.</summary>
        public int Groups { get; set; } = 1;

        /// <summary>Whether the convolution adds a learnable bias; default true, as in PyTorch.</summary>
        public bool Bias { get; set; } = true;
    }

    /// <summary>
    /// What the 2-d convolutions add: the kernel as text (<c>"1, 7"</c>, or an expression inside a block) and stride,
    /// padding and dilation per dimension, <c>"height, width"</c>, each instead of its one-number form.
    /// </summary>
    public abstract class Convolution2dAttribute : ConvolutionAttribute
    {
        private protected Convolution2dAttribute(int outChannels, int kernel) : base(outChannels, kernel) { }

        private protected Convolution2dAttribute(int outChannels, string kernel) : base(outChannels, 0) => KernelExpression = kernel;

        /// <summary>The kernel's height and width (<c>"1, 7"</c>), when given as a string.</summary>
        public string? KernelExpression { get; }

        /// <summary>Stride per dimension, <c>"height, width"</c> (<c>"1, 2"</c>); instead of <see cref="ConvolutionAttribute.Stride"/>. Default: unset (<see cref="ConvolutionAttribute.Stride"/> applies).</summary>
        public string? Strides { get; set; }

        /// <summary>Padding per dimension, <c>"height, width"</c> (<c>"0, 3"</c> with a 1x7 kernel keeps the size); instead of <see cref="ConvolutionAttribute.Padding"/>.</summary>
        public string? Paddings { get; set; }

        /// <summary>Dilation per dimension, <c>"height, width"</c>; instead of <see cref="ConvolutionAttribute.Dilation"/>.</summary>
        public string? Dilations { get; set; }
    }

    /// <summary>1-D convolution (<c>torch.nn.Conv1d</c>) over a sequence (channels, length) -> (out, length').</summary>
    public sealed class Conv1dAttribute : ConvolutionAttribute
    {
        /// <param name="outChannels">Output channels; at least 1.</param>
        /// <param name="kernel">Kernel size; at least 1.</param>
        public Conv1dAttribute(int outChannels, int kernel) : base(outChannels, kernel) { }
    }

    /// <summary>2-D convolution (<c>torch.nn.Conv2d</c>).</summary>
    public sealed class Conv2dAttribute : Convolution2dAttribute
    {
        /// <param name="outChannels">Output channels (number of filters); at least 1.</param>
        /// <param name="kernel">Square kernel size; at least 1.</param>
        public Conv2dAttribute(int outChannels, int kernel) : base(outChannels, kernel) { }

        /// <param name="outChannels">Inside a <see cref="BlockAttribute">block</see>: output channels as an expression over its parameters, e.g. <c>"in * expand"</c>.</param>
        /// <param name="kernel">Square kernel size; at least 1.</param>
        public Conv2dAttribute(string outChannels, int kernel) : base(0, kernel) => OutChannelsExpression = outChannels;

        /// <param name="outChannels">Output channels (number of filters); at least 1.</param>
        /// <param name="kernel">Kernel height and width, <c>"1, 7"</c> (torchvision's <c>kernel_size=(1, 7)</c>), or one size for both; inside a block each may be an expression.</param>
        public Conv2dAttribute(int outChannels, string kernel) : base(outChannels, kernel) { }

        /// <param name="outChannels">Inside a <see cref="BlockAttribute">block</see>: output channels as an expression over its parameters.</param>
        /// <param name="kernel">Kernel height and width, <c>"1, 7"</c>, or one size for both; each may be an expression.</param>
        public Conv2dAttribute(string outChannels, string kernel) : base(0, kernel) => OutChannelsExpression = outChannels;

        /// <summary>The output channels expression, when given as a string (inside a block).</summary>
        public string? OutChannelsExpression { get; }
    }

    /// <summary>
    /// 2-D transposed convolution (<c>torch.nn.ConvTranspose2d</c>), the learned upsampling of U-Net's decoder. A string
    /// kernel and <c>Strides</c>, <c>Paddings</c>, <c>OutputPaddings</c>, <c>Dilations</c> give sizes per dimension.
    /// <c>Padding</c> is PyTorch's: it crops that many rows and columns from every side of the output. Output size per
    /// side: <c>(in - 1) * Stride - 2 * Padding + Dilation * (kernel - 1) + OutputPadding + 1</c>;
    /// <c>[ConvTranspose2d(c, 2, Stride = 2)]</c> doubles height and width.
    /// </summary>
    public sealed class ConvTranspose2dAttribute : Convolution2dAttribute
    {
        /// <param name="outChannels">Output channels; at least 1.</param>
        /// <param name="kernel">Square kernel size; at least 1.</param>
        public ConvTranspose2dAttribute(int outChannels, int kernel) : base(outChannels, kernel) { }

        /// <param name="outChannels">Output channels; at least 1.</param>
        /// <param name="kernel">Kernel height and width, <c>"2, 1"</c> (PyTorch's <c>kernel_size=(2, 1)</c>), or one size for both; inside a block each may be an expression.</param>
        public ConvTranspose2dAttribute(int outChannels, string kernel) : base(outChannels, kernel) { }

        /// <summary>Extra rows and columns added to one side of the output (to reach an exact size); default 0; must be smaller than <see cref="ConvolutionAttribute.Stride"/> or <see cref="ConvolutionAttribute.Dilation"/>.</summary>
        public int OutputPadding { get; set; }

        /// <summary>Output padding per dimension, <c>"height, width"</c>; instead of <see cref="OutputPadding"/>; each smaller than the stride or the dilation in its dimension. The two must be equal: TorchSharp's ConvTranspose2d applies the first to both.</summary>
        public string? OutputPaddings { get; set; }
    }
}
