using Dsl;

namespace ResNetSample
{
    // torchvision's convnext_tiny (torchvision/models/convnext.py), declared with user blocks: the same modules, names,
    // state_dict keys and forward, so its weights load as they are. The pieces torchvision defines itself are kinds:
    // [Permute], [LayerNorm2d], [StochasticDepth], and [LayerScale] (CNBlock's layer_scale parameter).

    /// <summary>ConvNeXt's stem (torchvision <c>features.0</c>): a 4x4 convolution at stride 4 and LayerNorm2d, children 0 and 1.</summary>
    [Block("dim")]
    [Conv2d("dim", 4, Stride = 4)]
    [LayerNorm2d(Eps = 1e-6)]
    public partial class ConvNeXtStem;

    /// <summary>
    /// The body of ConvNeXt's block (torchvision <c>CNBlock.block</c>, children 0 to 6): depthwise 7x7 convolution,
    /// channels-last, LayerNorm over the channels, a 4x MLP with GELU, channels-first again.
    /// </summary>
    [Block("dim")]
    [Conv2d("dim", 7, Padding = 3, With = "Groups = dim")]
    [Permute(0, 2, 3, 1)]
    [LayerNorm(Eps = 1e-6)]
    [Linear("4 * dim", With = "InFeatures = dim")]
    [GELU]
    [Linear("dim", With = "InFeatures = 4 * dim")]
    [Permute(0, 3, 1, 2)]
    public partial class ConvNeXtBody;

    /// <summary>
    /// ConvNeXt's block (torchvision <c>CNBlock</c>): <c>input + stochastic_depth(layer_scale * block(input))</c>;
    /// <c>layer_scale</c> is a [dim, 1, 1] parameter of the block itself, <c>sd</c> its drop probability.
    /// </summary>
    [Block("dim", "sd", Merge = Merge.Add)]
    [Use<ConvNeXtBody>("dim", Name = "block")]
    [LayerScale(InitialValue = 1e-6, Name = "layer_scale")]
    [StochasticDepth(0, Mode = StochasticDepthMode.Row, Name = "stochastic_depth", With = "Probability = sd")]
    public partial class CNBlock;

    /// <summary>
    /// A stage of ConvNeXt: <c>depth</c> blocks of <c>dim</c> channels in a Sequential (children 0, 1, ...). Block
    /// <c>block_id</c> of the network's <c>block_count</c> drops with probability <c>0.1 * block_id / (block_count - 1.0)</c>,
    /// torchvision's <c>sd_prob = stochastic_depth_prob * stage_block_id / (total_stage_blocks - 1.0)</c>.
    /// </summary>
    [Block("dim", "depth")]
    [Use<CNBlock>("dim", "0.1 * block_id / (block_count - 1.0)", With = "Repeat = depth")]
    public partial class ConvNeXtStage;

    /// <summary>ConvNeXt's downsampling between stages: LayerNorm2d, then a 2x2 convolution at stride 2 to <c>outChannels</c>.</summary>
    [Block("outChannels")]
    [LayerNorm2d(Eps = 1e-6)]
    [Conv2d("outChannels", 2, Stride = 2)]
    public partial class ConvNeXtDownsample;

    /// <summary>
    /// ConvNeXt-T's feature extractor (torchvision <c>features</c>): stem, four stages of 3, 3, 9 and 3 blocks at 96, 192,
    /// 384 and 768 channels, downsampling between them.
    /// </summary>
    [Block]
    [Use<ConvNeXtStem>(96)]
    [Use<ConvNeXtStage>(96, 3)]
    [Use<ConvNeXtDownsample>(192)]
    [Use<ConvNeXtStage>(192, 3)]
    [Use<ConvNeXtDownsample>(384)]
    [Use<ConvNeXtStage>(384, 9)]
    [Use<ConvNeXtDownsample>(768)]
    [Use<ConvNeXtStage>(768, 3)]
    public partial class ConvNeXtTinyFeatures;

    /// <summary>ConvNeXt's classifier (torchvision <c>classifier</c>): LayerNorm2d, Flatten, Linear to <c>classes</c>.</summary>
    [Block("classes")]
    [LayerNorm2d(Eps = 1e-6)]
    [Flatten]
    [Linear("classes")]
    public partial class ConvNeXtClassifier;

    /// <summary>
    /// torchvision's <c>convnext_tiny</c>: 3x224x224 to 1000 classes, 28,589,128 parameters, with torchvision's module
    /// names and state_dict keys (<c>features.1.0.layer_scale</c>, <c>features.1.0.block.0.weight</c>, ...).
    /// </summary>
    [Input(3, 224, 224)]
    [InitPreset(InitPresets.TorchVisionConvNeXt)]
    [Use<ConvNeXtTinyFeatures>(Name = "features")]
    [AdaptiveAvgPool2d(1, Name = "avgpool")]
    [Use<ConvNeXtClassifier>(1000, Name = "classifier")]
    public partial class ConvNeXtTiny;
}
