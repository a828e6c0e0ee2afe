namespace Dsl
{
    // Layers active while training only, or scaling a residual branch: dropout, stochastic depth, layer scale.

    /// <summary>Dropout (<c>torch.nn.Dropout</c>), active only in training mode.</summary>
    public sealed class DropoutAttribute : LayerAttribute
    {
        /// <param name="probability">Probability of zeroing an element, in [0, 1); default 0.5.</param>
        public DropoutAttribute(double probability = 0.5) => Probability = probability;

        /// <summary>Probability of zeroing an element.</summary>
        public double Probability { get; }
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
}
