namespace Dsl
{
    // A layer of the user's own module type.

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
