using Dsl;

namespace Dsl.Onnx.Tests
{
    // Language-model layers in the forms the catalogue's GPTs do not use, so ONNX parity, the initializer check and the
    // ONNX checker (which run over every declared network) cover them: PyTorch's attention layout with a causal mask, the
    // sinusoidal position table, an embedding with a padding index, and an untied head.

    /// <summary>Causal self-attention in nn.MultiheadAttention's layout over 12 tokens, sinusoidal positions, tanh GELU, an untied head.</summary>
    [Input(12, Vocabulary = 40)]
    [Embedding(16, PaddingIndex = 0)]
    [PositionTable(16, Sinusoidal = true)]
    [MultiheadSelfAttention(4, Causal = true)]
    [GELU(Tanh = true)]
    [Linear(40)]
    public partial class CausalPyTorchLayoutLm;
}
