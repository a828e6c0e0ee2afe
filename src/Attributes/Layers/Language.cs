namespace Dsl
{
    // Language-model layers over token ids: the token embedding and the position table.

    /// <summary>
    /// A token embedding (<c>torch.nn.Embedding(vocabulary, dim, padding_idx)</c>): token ids [L] (the network's
    /// <c>[Input(length, Vocabulary = v)]</c>) become vectors [L, dim]; key <c>weight</c> [vocabulary, dim]. The vocabulary
    /// is the input's. The only layer that takes token ids.
    /// </summary>
    public sealed class EmbeddingAttribute : LayerAttribute
    {
        /// <param name="dim">The vector size of each token (the model dimension); at least 1.</param>
        public EmbeddingAttribute(int dim) => Dim = dim;

        /// <summary>The vector size of each token.</summary>
        public int Dim { get; }

        /// <summary>
        /// A token id whose vector is zero at first and gets no gradient (<c>padding_idx</c>); in [0, vocabulary). Default -1:
        /// none.
        /// </summary>
        public int PaddingIndex { get; set; } = -1;
    }

    /// <summary>
    /// Position vectors added to tokens [L, D]: the first L rows of a table [maxLength, D], so a shorter sequence at run
    /// time takes fewer rows. Learned by default: a parameter <c>weight</c> [maxLength, D] with <c>nn.Embedding</c>'s key
    /// and layout (GPT-2's <c>wpe</c>), normal with mean 0 and <see cref="Std"/> at first. With <see cref="Sinusoidal"/>,
    /// the fixed sine and cosine table of "Attention Is All You Need" (no parameters, no key). The declared length must
    /// not exceed <c>maxLength</c> (DSL041).
    /// </summary>
    public sealed class PositionTableAttribute : LayerAttribute
    {
        /// <param name="maxLength">Rows of the table: the longest sequence the layer takes; at least 1.</param>
        public PositionTableAttribute(int maxLength) => MaxLength = maxLength;

        /// <summary>Rows of the table.</summary>
        public int MaxLength { get; }

        /// <summary>The fixed sine and cosine table instead of a learned one; default false.</summary>
        public bool Sinusoidal { get; set; }

        /// <summary>Standard deviation of the learned table's normal initialisation; default 0.02, as GPT-2.</summary>
        public double Std { get; set; } = 0.02;
    }
}
