namespace Dsl
{
    // Pooling over sequences and images: max, average and adaptive average.

    /// <summary>
    /// What every max and average pooling attribute has: the window, PyTorch's <c>stride</c> (0: the window),
    /// <c>padding</c> and <c>ceil_mode</c>.
    /// </summary>
    public abstract class PoolingAttribute : LayerAttribute
    {
        private protected PoolingAttribute(int kernel) => Kernel = kernel;

        /// <summary>Window size (square in 2-d).</summary>
        public int Kernel { get; }

        /// <summary>Stride; 0 (the default) means equal to <see cref="Kernel"/>, as in PyTorch.</summary>
        public int Stride { get; set; }

        /// <summary>Implicit padding on every side (negative infinity for max pooling, zeros for average pooling); at most half the kernel.</summary>
        public int Padding { get; set; }

        /// <summary>Use ceiling instead of floor to compute the output size; default false.</summary>
        public bool CeilMode { get; set; }
    }

    /// <summary>
    /// What the 2-d poolings add: the window as text (<c>"1, 3"</c>, or an expression inside a block) and stride and
    /// padding per dimension, <c>"height, width"</c>, each instead of its one-number form.
    /// </summary>
    public abstract class Pooling2dAttribute : PoolingAttribute
    {
        private protected Pooling2dAttribute(int kernel) : base(kernel) { }

        private protected Pooling2dAttribute(string kernel) : base(0) => KernelExpression = kernel;

        /// <summary>The window's height and width (<c>"1, 3"</c>), when given as a string.</summary>
        public string? KernelExpression { get; }

        /// <summary>Stride per dimension, <c>"height, width"</c> (<c>"2, 1"</c>); instead of <see cref="PoolingAttribute.Stride"/>. Default: unset (<see cref="PoolingAttribute.Stride"/> applies).</summary>
        public string? Strides { get; set; }

        /// <summary>Padding per dimension, <c>"height, width"</c>; instead of <see cref="PoolingAttribute.Padding"/>; each at most half the kernel in its dimension.</summary>
        public string? Paddings { get; set; }
    }

    /// <summary>1-D max pooling (<c>torch.nn.MaxPool1d</c>) over a sequence (channels, length).</summary>
    public sealed class MaxPool1dAttribute : PoolingAttribute
    {
        /// <param name="kernel">Window size; at least 1.</param>
        public MaxPool1dAttribute(int kernel) : base(kernel) { }

        /// <summary>Spacing between window elements; default 1.</summary>
        public int Dilation { get; set; } = 1;
    }

    /// <summary>1-D average pooling (<c>torch.nn.AvgPool1d</c>, padding counted in the average) over a sequence (channels, length).</summary>
    public sealed class AvgPool1dAttribute : PoolingAttribute
    {
        /// <param name="kernel">Window size; at least 1.</param>
        public AvgPool1dAttribute(int kernel) : base(kernel) { }
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

    /// <summary>2-D max pooling (<c>torch.nn.MaxPool2d</c>).</summary>
    public sealed class MaxPool2dAttribute : Pooling2dAttribute
    {
        /// <param name="kernel">Square window size; at least 1.</param>
        public MaxPool2dAttribute(int kernel) : base(kernel) { }

        /// <param name="kernel">Window height and width, <c>"1, 3"</c> (PyTorch's <c>kernel_size=(1, 3)</c>), or one size for both; inside a block each may be an expression.</param>
        public MaxPool2dAttribute(string kernel) : base(kernel) { }

        /// <summary>Spacing between window elements; default 1.</summary>
        public int Dilation { get; set; } = 1;

        /// <summary>Dilation per dimension, <c>"height, width"</c>; instead of <see cref="Dilation"/>.</summary>
        public string? Dilations { get; set; }
    }

    /// <summary>2-D average pooling (<c>torch.nn.AvgPool2d</c>).</summary>
    public sealed class AvgPool2dAttribute : Pooling2dAttribute
    {
        /// <param name="kernel">Square window size; at least 1.</param>
        public AvgPool2dAttribute(int kernel) : base(kernel) { }

        /// <param name="kernel">Window height and width, <c>"1, 3"</c> (PyTorch's <c>kernel_size=(1, 3)</c>), or one size for both; inside a block each may be an expression.</param>
        public AvgPool2dAttribute(string kernel) : base(kernel) { }
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
}
