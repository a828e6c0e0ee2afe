namespace Dsl
{
    // Normalisation layers: batch, group and layer norm.

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

    /// <summary>Batch normalization over channels (<c>torch.nn.BatchNorm2d</c>); channels are inferred.</summary>
    public sealed class BatchNorm2dAttribute : LayerAttribute
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
    /// Layer normalization over the last dimension (<c>torch.nn.LayerNorm(last)</c>): the features of a flat value,
    /// the model dimension of tokens [L, D], the channels of a channels-last image (ConvNeXt). Learned scale and shift.
    /// </summary>
    public sealed class LayerNormAttribute : LayerAttribute
    {
        /// <summary>Added to the variance for numerical stability; default 1e-5 (ViT and ConvNeXt use 1e-6).</summary>
        public double Eps { get; set; } = 1e-5;
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
}
