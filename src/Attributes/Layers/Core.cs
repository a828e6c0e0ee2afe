namespace Dsl
{
    // Linear layers and the layers that only move values: flatten, identity, permute.

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

        /// <summary>
        /// Weight tying: the path of an earlier layer (<c>"transformer.wte"</c>, an <see cref="EmbeddingAttribute">Embedding</see>
        /// or a Linear) whose <c>weight</c> this layer uses as its own, as GPT-2's output projection shares the token
        /// embedding. The weight is one parameter, counted once, with one state_dict key (the earlier layer's); this layer
        /// holds only its bias. Its shape must be [outFeatures, in] (DSL042). Default null: a weight of its own.
        /// </summary>
        public string? TiedTo { get; set; }
    }

    /// <summary>Flattens (channels, height, width) into features (<c>torch.nn.Flatten</c>).</summary>
    public sealed class FlattenAttribute : LayerAttribute { }

    /// <summary>Passes its input through unchanged (<c>torch.nn.Identity</c>): a placeholder with a name.</summary>
    public sealed class IdentityAttribute : LayerAttribute { }

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
}
