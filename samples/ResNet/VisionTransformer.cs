using Dsl;

namespace ResNetSample
{
    /// <summary>
    /// The MLP of a ViT encoder layer (torchvision's MLPBlock, an nn.Sequential): Linear to <c>hidden</c>, GELU, dropout,
    /// Linear back to the model dimension (<c>last</c>), dropout; keys <c>0</c> and <c>3</c>.
    /// </summary>
    [Block("hidden")]
    [Linear(1, With = "OutFeatures = hidden")]
    [GELU]
    [Dropout(0.0)]
    [Linear(1, With = "OutFeatures = last")]
    [Dropout(0.0)]
    public partial class VitMlp;

    /// <summary>The attention half of a ViT encoder layer: <c>x + dropout(self_attention(ln_1(x)))</c>.</summary>
    [Block("heads", Merge = Merge.Add)]
    [LayerNorm(Eps = 1e-6, Name = "ln_1")]
    [MultiheadSelfAttention(1, Name = "self_attention", With = "Heads = heads")]
    [Dropout(0.0, Name = "dropout")]
    public partial class AttentionResidual;

    /// <summary>The MLP half of a ViT encoder layer: <c>x + mlp(ln_2(x))</c>.</summary>
    [Block("hidden", Merge = Merge.Add)]
    [LayerNorm(Eps = 1e-6, Name = "ln_2")]
    [Use<VitMlp>("hidden", Name = "mlp")]
    public partial class MlpResidual;

    /// <summary>
    /// torchvision's EncoderBlock: the two residual halves inlined, so its children are <c>ln_1</c>,
    /// <c>self_attention</c>, <c>dropout</c>, <c>ln_2</c> and <c>mlp</c>, as torchvision's keys read.
    /// </summary>
    [Block("heads", "hidden")]
    [Use<AttentionResidual>("heads", Inline = true)]
    [Use<MlpResidual>("hidden", Inline = true)]
    public partial class EncoderBlock;

    /// <summary>ViT-B/16's twelve encoder layers, an nn.Sequential with torchvision's names.</summary>
    [Block]
    [Use<EncoderBlock>(12, 3072, Name = "encoder_layer_0")]
    [Use<EncoderBlock>(12, 3072, Name = "encoder_layer_1")]
    [Use<EncoderBlock>(12, 3072, Name = "encoder_layer_2")]
    [Use<EncoderBlock>(12, 3072, Name = "encoder_layer_3")]
    [Use<EncoderBlock>(12, 3072, Name = "encoder_layer_4")]
    [Use<EncoderBlock>(12, 3072, Name = "encoder_layer_5")]
    [Use<EncoderBlock>(12, 3072, Name = "encoder_layer_6")]
    [Use<EncoderBlock>(12, 3072, Name = "encoder_layer_7")]
    [Use<EncoderBlock>(12, 3072, Name = "encoder_layer_8")]
    [Use<EncoderBlock>(12, 3072, Name = "encoder_layer_9")]
    [Use<EncoderBlock>(12, 3072, Name = "encoder_layer_10")]
    [Use<EncoderBlock>(12, 3072, Name = "encoder_layer_11")]
    public partial class VitB16Layers;

    /// <summary>torchvision's ViT Encoder: add the learned position embedding, dropout, the layers, a final LayerNorm.</summary>
    [Block]
    [PositionEmbedding(Name = "pos_embedding")]
    [Dropout(0.0, Name = "dropout")]
    [Use<VitB16Layers>(Name = "layers")]
    [LayerNorm(Eps = 1e-6, Name = "ln")]
    public partial class VitB16Encoder;

    /// <summary>torchvision's ViT classifier: an nn.Sequential with one Linear called <c>head</c>.</summary>
    [Block("classes")]
    [Linear(1, Name = "head", With = "OutFeatures = classes")]
    public partial class VitHeads;

    /// <summary>
    /// torchvision's <c>vit_b_16</c>: 16x16 patches of a 224x224 image as 196 tokens of 768 features, a class token,
    /// twelve encoder layers (12 heads, MLP 3072) and a linear head on the class token; the same state_dict keys and
    /// shapes (86,567,656 parameters), so torchvision's weights load as they are.
    /// </summary>
    [Input(3, 224, 224)]
    [InitPreset(InitPresets.TorchVisionViT)]
    [Conv2d(768, 16, Stride = 16, Name = "conv_proj")]
    [Tokens(Name = "tokens")]
    [ClassToken(Name = "class_token")]
    [Use<VitB16Encoder>(Name = "encoder")]
    [SelectToken(0, Name = "token")]
    [Use<VitHeads>(1000, Name = "heads")]
    public partial class VitB16;
}
