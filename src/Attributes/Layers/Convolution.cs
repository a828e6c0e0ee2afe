namespace Dsl
{
    // Convolutions: 1-d, 2-d and transposed 2-d.

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

        /// <param name="outChannels">Output channels (number of filters); at least 1.</param>
        /// <param name="kernel">Kernel height and width, <c>"1, 7"</c> (torchvision's <c>kernel_size=(1, 7)</c>), or one size for both; inside a block each may be an expression.</param>
        public Conv2dAttribute(int outChannels, string kernel)
        {
            OutChannels = outChannels;
            KernelExpression = kernel;
        }

        /// <param name="outChannels">Inside a <see cref="BlockAttribute">block</see>: output channels as an expression over its parameters.</param>
        /// <param name="kernel">Kernel height and width, <c>"1, 7"</c>, or one size for both; each may be an expression.</param>
        public Conv2dAttribute(string outChannels, string kernel)
        {
            OutChannelsExpression = outChannels;
            KernelExpression = kernel;
        }

        /// <summary>The output channels expression, when given as a string (inside a block).</summary>
        public string? OutChannelsExpression { get; }

        /// <summary>The kernel's height and width (<c>"1, 7"</c>), when given as a string.</summary>
        public string? KernelExpression { get; }

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

        /// <summary>Stride per dimension, <c>"height, width"</c> (<c>"1, 2"</c>); instead of <see cref="Stride"/>. Default: unset (<see cref="Stride"/> applies).</summary>
        public string? Strides { get; set; }

        /// <summary>Zero padding per dimension, <c>"height, width"</c> (<c>"0, 3"</c> with a 1x7 kernel keeps the size); instead of <see cref="Padding"/>.</summary>
        public string? Paddings { get; set; }

        /// <summary>Dilation per dimension, <c>"height, width"</c>; instead of <see cref="Dilation"/>.</summary>
        public string? Dilations { get; set; }

        /// <summary>Number of groups (PyTorch's meaning): must divide input and output channels; default 1.</summary>
        public int Groups { get; set; } = 1;

        /// <summary>Whether the convolution adds a learnable bias; default true, as in PyTorch.</summary>
        public bool Bias { get; set; } = true;
    }

    /// <summary>
    /// 2-D transposed convolution (<c>torch.nn.ConvTranspose2d</c>), the learned upsampling of U-Net's decoder. Input
    /// channels are inferred. A string kernel and <c>Strides</c>, <c>Paddings</c>, <c>OutputPaddings</c>, <c>Dilations</c> give sizes per dimension. Output size per side: <c>(in - 1) * Stride - 2 * Padding + Dilation * (kernel - 1) + OutputPadding + 1</c>;
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

        /// <param name="outChannels">Output channels; at least 1.</param>
        /// <param name="kernel">Kernel height and width, <c>"2, 1"</c> (PyTorch's <c>kernel_size=(2, 1)</c>), or one size for both; inside a block each may be an expression.</param>
        public ConvTranspose2dAttribute(int outChannels, string kernel)
        {
            OutChannels = outChannels;
            KernelExpression = kernel;
        }

        /// <summary>Output channels.</summary>
        public int OutChannels { get; }

        /// <summary>Square kernel size.</summary>
        public int Kernel { get; }

        /// <summary>The kernel's height and width (<c>"2, 1"</c>), when given as a string.</summary>
        public string? KernelExpression { get; }

        /// <summary>Stride in both directions (the upsampling factor); default 1.</summary>
        public int Stride { get; set; } = 1;

        /// <summary>PyTorch's <c>padding</c>: crops this many rows and columns from every side of the output; default 0.</summary>
        public int Padding { get; set; }

        /// <summary>Extra rows and columns added to one side of the output (to reach an exact size); default 0; must be smaller than <see cref="Stride"/> or <see cref="Dilation"/>.</summary>
        public int OutputPadding { get; set; }

        /// <summary>Spacing between kernel elements; default 1.</summary>
        public int Dilation { get; set; } = 1;

        /// <summary>Stride per dimension, <c>"height, width"</c> (<c>"2, 1"</c> doubles the height only); instead of <see cref="Stride"/>.</summary>
        public string? Strides { get; set; }

        /// <summary>Output cropping per dimension, <c>"height, width"</c>; instead of <see cref="Padding"/>.</summary>
        public string? Paddings { get; set; }

        /// <summary>Output padding per dimension, <c>"height, width"</c>; instead of <see cref="OutputPadding"/>; each smaller than the stride or the dilation in its dimension. The two must be equal: TorchSharp's ConvTranspose2d applies the first to both.</summary>
        public string? OutputPaddings { get; set; }

        /// <summary>Dilation per dimension, <c>"height, width"</c>; instead of <see cref="Dilation"/>.</summary>
        public string? Dilations { get; set; }

        /// <summary>Number of groups (PyTorch's meaning): must divide input and output channels; default 1.</summary>
        public int Groups { get; set; } = 1;

        /// <summary>Whether the convolution adds a learnable bias; default true, as in PyTorch.</summary>
        public bool Bias { get; set; } = true;
    }
}
