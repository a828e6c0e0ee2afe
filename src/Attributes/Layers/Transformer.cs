namespace Dsl
{
    // Transformer layers over tokens: patch tokens, class token, position embedding, self-attention, token selection.

    /// <summary>
    /// Patch tokens: an image [C, H, W] becomes a sequence of H*W tokens of C features, [H*W, C] (flatten the positions,
    /// then transpose), as ViT after its strided patch convolution. No parameters.
    /// </summary>
    public sealed class TokensAttribute : LayerAttribute { }

    /// <summary>
    /// A learned class token [1, 1, D] (zeros at first) put before the tokens [L, D], giving [L + 1, D]. The tensor is a
    /// parameter of the module that holds this layer (the network or a block), registered under the layer's name,
    /// <c>class_token</c> by default (torchvision's ViT key); it is not a submodule.
    /// </summary>
    public sealed class ClassTokenAttribute : LayerAttribute { }

    /// <summary>
    /// A learned position embedding [1, ..shape] of the incoming shape (tokens [L, D]: [1, L, D]) added to the value. The
    /// tensor is a parameter of the module that holds this layer, registered under the layer's name,
    /// <c>pos_embedding</c> by default (torchvision's ViT encoder key).
    /// </summary>
    public sealed class PositionEmbeddingAttribute : LayerAttribute
    {
        /// <summary>Standard deviation of the normal initialisation (mean 0); default 0.02, as torchvision's ViT.</summary>
        public double Std { get; set; } = 0.02;
    }

    /// <summary>
    /// Multi-head self-attention over tokens [L, E] (<c>torch.nn.MultiheadAttention(E, heads, dropout, batch_first=True)</c>
    /// applied as <c>attn(x, x, x, need_weights=False)[0]</c>): the same parameters and state_dict keys
    /// (<c>in_proj_weight</c>, <c>in_proj_bias</c>, <c>out_proj.weight</c>, <c>out_proj.bias</c>). Output [L, E].
    /// </summary>
    public sealed class MultiheadSelfAttentionAttribute : LayerAttribute
    {
        /// <param name="heads">Attention heads; at least 1, and must divide the embedding dimension E.</param>
        public MultiheadSelfAttentionAttribute(int heads) => Heads = heads;

        /// <summary>Attention heads.</summary>
        public int Heads { get; }

        /// <summary>
        /// Dropout on the attention weights while training; in [0, 1), default 0. With <see cref="AttentionLayout.Gpt2"/> also
        /// on the output projection's result (GPT-2's <c>attn_dropout</c> and <c>resid_dropout</c>).
        /// </summary>
        public double Dropout { get; set; }

        /// <summary>Causal masking: each token attends only to itself and the tokens before it (a decoder); default false.</summary>
        public bool Causal { get; set; }

        /// <summary>
        /// Padding mask: no token attends to a padding token, one whose id is the <c>PaddingIndex</c> of the network's
        /// <c>Embedding</c> (there must be exactly one Embedding with a padding index, before this layer); PyTorch's
        /// <c>key_padding_mask</c>. A padding token attends to itself only, so no row of weights is empty. Default false.
        /// </summary>
        public bool PaddingMask { get; set; }

        /// <summary>
        /// The parameters' layout: <see cref="AttentionLayout.PyTorch"/> (the default; <c>nn.MultiheadAttention</c>'s
        /// <c>in_proj_weight</c> and <c>out_proj</c>) or <see cref="AttentionLayout.Gpt2"/> (two Linear modules, <c>c_attn</c>
        /// E to 3E and <c>c_proj</c> E to E, as GPT-2 and nanoGPT).
        /// </summary>
        public AttentionLayout Layout { get; set; }
    }

    /// <summary>How a self-attention layer holds its projections (its state_dict keys).</summary>
    public enum AttentionLayout
    {
        /// <summary><c>nn.MultiheadAttention</c>'s: <c>in_proj_weight</c> [3E, E], <c>in_proj_bias</c>, <c>out_proj.weight</c>, <c>out_proj.bias</c>.</summary>
        PyTorch,

        /// <summary>GPT-2's (nanoGPT's <c>CausalSelfAttention</c>): <c>c_attn</c> (Linear E to 3E, q, k, v in that order) and <c>c_proj</c> (Linear E to E).</summary>
        Gpt2,
    }

    /// <summary>One token of tokens [L, D]: <c>x[:, index]</c>, giving [D] (ViT's class token before the head).</summary>
    public sealed class SelectTokenAttribute : LayerAttribute
    {
        /// <param name="index">Which token, from 0; less than L. Default 0 (the class token).</param>
        public SelectTokenAttribute(int index = 0) => Index = index;

        /// <summary>Which token.</summary>
        public int Index { get; }
    }
}
