namespace Dsl
{
    // Activations and softmax.

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

    /// <summary>
    /// Gaussian error linear unit (<c>torch.nn.GELU</c>): the exact (erf) form by default, as in ViT and ConvNeXt; with
    /// <see cref="Tanh"/> the tanh approximation GPT-2 uses (<c>nn.GELU(approximate="tanh")</c>).
    /// </summary>
    public sealed class GELUAttribute : LayerAttribute
    {
        /// <summary>Whether to use the tanh approximation (<c>approximate="tanh"</c>, GPT-2's); default false (exact).</summary>
        public bool Tanh { get; set; }
    }

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

    /// <summary>
    /// Exponential linear unit (<c>torch.nn.ELU</c>): x for x &gt; 0, <see cref="Alpha"/> * (exp(x) - 1) otherwise;
    /// shape-preserving, no parameters.
    /// </summary>
    public sealed class ELUAttribute : LayerAttribute
    {
        /// <summary>The value the output approaches for large negative inputs is -Alpha; default 1.0 (PyTorch's).</summary>
        public double Alpha { get; set; } = 1.0;
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
}
