using Dsl;

namespace ResNetSample
{
    // GPT-2 declared with nanoGPT's module layout (transformer.wte, transformer.wpe, transformer.h.N.{ln_1, attn.c_attn,
    // attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}, transformer.ln_f, lm_head tied to transformer.wte), and a small
    // configuration of the same blocks that trains on a CPU in minutes.

    /// <summary>GPT-2's MLP (nanoGPT's <c>MLP</c>): <c>c_fc</c> to <c>hidden</c>, GELU (tanh), <c>c_proj</c> back to the model dimension, dropout.</summary>
    [Block("hidden", "dropout")]
    [Linear(1, Name = "c_fc", With = "OutFeatures = hidden")]
    [GELU(Tanh = true, Name = "gelu")]
    [Linear(1, Name = "c_proj", With = "OutFeatures = last")]
    [Dropout(0.0, Name = "dropout", With = "probability = dropout")]
    public partial class GptMlp;

    /// <summary>The attention half of a GPT-2 block: <c>x + attn(ln_1(x))</c>, causal, with the fused <c>c_attn</c> / <c>c_proj</c> layout.</summary>
    [Block("heads", "dropout", Merge = Merge.Add)]
    [LayerNorm(Name = "ln_1")]
    [MultiheadSelfAttention(1, Name = "attn", Causal = true, Layout = AttentionLayout.Gpt2, With = "Heads = heads; Dropout = dropout")]
    public partial class GptAttentionResidual;

    /// <summary>The MLP half of a GPT-2 block: <c>x + mlp(ln_2(x))</c>.</summary>
    [Block("hidden", "dropout", Merge = Merge.Add)]
    [LayerNorm(Name = "ln_2")]
    [Use<GptMlp>("hidden", "dropout", Name = "mlp")]
    public partial class GptMlpResidual;

    /// <summary>One GPT-2 block (nanoGPT's <c>Block</c>): the two residual halves inlined, children <c>ln_1</c>, <c>attn</c>, <c>ln_2</c>, <c>mlp</c>.</summary>
    [Block("heads", "hidden", "dropout")]
    [Use<GptAttentionResidual>("heads", "dropout", Inline = true)]
    [Use<GptMlpResidual>("hidden", "dropout", Inline = true)]
    public partial class GptBlock;

    /// <summary>GPT-2 small's twelve blocks, <c>transformer.h</c> (keys <c>h.0</c> ... <c>h.11</c>).</summary>
    [Block]
    [Use<GptBlock>(12, 3072, 0.0, Repeat = 12)]
    public partial class Gpt2Layers;

    /// <summary>GPT-2 small's <c>transformer</c>: token and position embeddings (1024 positions of 768), dropout, the blocks, the final LayerNorm.</summary>
    [Block]
    [Embedding(768, Name = "wte")]
    [PositionTable(1024, Name = "wpe")]
    [Dropout(0.0, Name = "drop")]
    [Use<Gpt2Layers>(Name = "h")]
    [LayerNorm(Name = "ln_f")]
    public partial class Gpt2Transformer;

    /// <summary>
    /// GPT-2 small (124M) with nanoGPT's layout: 1024 tokens of GPT-2's 50,257-token vocabulary in, logits [L, 50257] out
    /// (one row per position); 12 layers, 12 heads, 768 features; <c>lm_head</c> shares <c>transformer.wte</c>'s weight
    /// (one parameter: 124,439,808 in all). Shorter sequences run too. Initialised as GPT-2: weights normal with std
    /// 0.02, biases zero, the residual projections (<c>c_proj</c>) std 0.02 / sqrt(2 * 12).
    /// </summary>
    [Input(1024, Vocabulary = 50257)]
    [Init("Linear", InitScheme.Normal, Std = 0.02, Bias = 0)]
    [Init("transformer.wte.weight", InitScheme.Normal, Std = 0.02)]
    [Init("**.c_proj.weight", InitScheme.Normal, Std = 0.0040824829046386306)]
    [Use<Gpt2Transformer>(Name = "transformer")]
    [Linear(50257, Bias = false, Name = "lm_head", TiedTo = "transformer.wte")]
    public partial class Gpt2;

    /// <summary>gpt-mini's four blocks (4 heads, MLP 512, dropout 0.1).</summary>
    [Block]
    [Use<GptBlock>(4, 512, 0.1, Repeat = 4)]
    public partial class GptMiniLayers;

    /// <summary>gpt-mini's <c>transformer</c>: 256 byte tokens and 128 positions of 128 features, the blocks, the final LayerNorm.</summary>
    [Block]
    [Embedding(128, Name = "wte")]
    [PositionTable(128, Name = "wpe")]
    [Dropout(0.1, Name = "drop")]
    [Use<GptMiniLayers>(Name = "h")]
    [LayerNorm(Name = "ln_f")]
    public partial class GptMiniTransformer;

    /// <summary>
    /// gpt-mini: GPT-2's layout at a size that trains on a CPU in minutes: 128 byte tokens (vocabulary 256) in, logits
    /// [L, 256] out; 4 layers, 4 heads, 128 features, <c>lm_head</c> tied to <c>transformer.wte</c>; GPT-2's
    /// initialisation (<c>c_proj</c> std 0.02 / sqrt(2 * 4)).
    /// </summary>
    [Input(128, Vocabulary = 256)]
    [Init("Linear", InitScheme.Normal, Std = 0.02, Bias = 0)]
    [Init("transformer.wte.weight", InitScheme.Normal, Std = 0.02)]
    [Init("**.c_proj.weight", InitScheme.Normal, Std = 0.0070710678118654752)]
    [Use<GptMiniTransformer>(Name = "transformer")]
    [Linear(256, Bias = false, Name = "lm_head", TiedTo = "transformer.wte")]
    public partial class GptMini;

    /// <summary>
    /// An LSTM language model over bytes with the layout of PyTorch's word_language_model example (<c>encoder</c>, <c>rnn</c>,
    /// <c>decoder</c>): 64 byte ids in (any length up to 64), an embedding of 64, two LSTM layers of 256 with dropout
    /// between them, next-byte logits [L, 256] at every position.
    /// </summary>
    [Input(64, Vocabulary = 256)]
    [Embedding(64, Name = "encoder")]
    [Dropout(0.2, Name = "drop")]
    [LSTM(256, RecurrentOutput.AllSteps, Layers = 2, Dropout = 0.2, Name = "rnn")]
    [Linear(256, Name = "decoder")]
    public partial class LstmLanguageModel;

    /// <summary>
    /// A text classifier over word ids (a vocabulary of 2,000, id 0 padding): an embedding of 32, an LSTM giving every
    /// word 64 features in its context, then a 1-d convolution over windows of 3 words (the steps turned channels-first
    /// for it), a global average pooling and 4 classes. Any length up to 64 words.
    /// </summary>
    [Input(64, Vocabulary = 2000)]
    [Embedding(32, PaddingIndex = 0, Name = "embedding")]
    [LSTM(64, RecurrentOutput.AllSteps, Name = "lstm")]
    [Permute(0, 2, 1)]
    [Conv1d(64, 3, Padding = 1, Name = "conv")] [ReLU]
    [AdaptiveAvgPool1d] [Flatten]
    [Linear(4, Name = "classifier")]
    public partial class TextClassifier;
}
