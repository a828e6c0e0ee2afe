using Dsl;

namespace ResNetSample
{
    // torchvision's efficientnet_b0 (torchvision/models/efficientnet.py): same modules, state_dict keys and shapes.

    /// <summary>
    /// The body of EfficientNet's <c>MBConv</c> (torchvision <c>MBConv.block</c>): a 1x1 SiLU expansion to
    /// <c>make_divisible(in * expand, 8)</c> where that changes the width, a depthwise <c>kernel</c> convolution,
    /// squeeze-and-excitation to <c>max(1, in // 4)</c> channels (SiLU, sigmoid gate), a linear 1x1 projection.
    /// </summary>
    [Block("outChannels", "expand", "kernel", "stride", "hidden = make_divisible(in * expand, 8)", "squeeze = max(1, in // 4)")]
    [Use<Conv2dNormActivation>("hidden", 1, 1, 1, "SiLU", When = "hidden != in")]
    [Use<Conv2dNormActivation>("hidden", "kernel", "stride", "hidden", "SiLU")]
    [Use<SqueezeExcitation>("squeeze", "SiLU")]
    [Use<Conv2dNorm>("outChannels")]
    public partial class MBConvBody;

    /// <summary>
    /// EfficientNet's <c>MBConv</c>: <c>block</c>, and where the stride is 1 and the channels stay (torchvision's
    /// <c>use_res_connect</c>), the input plus the block's output dropped by <c>stochastic_depth</c> with probability
    /// <c>sd</c> while training.
    /// </summary>
    [Block("outChannels", "expand", "kernel", "stride", "sd", Merge = Merge.Add, MergeWhen = "stride == 1 && in == outChannels")]
    [Use<MBConvBody>("outChannels", "expand", "kernel", "stride", Name = "block")]
    [StochasticDepth(0, Mode = StochasticDepthMode.Row, Name = "stochastic_depth", With = "Probability = sd", When = "stride == 1 && in == outChannels")]
    public partial class MBConv;

    /// <summary>
    /// A stage of EfficientNet, one row of torchvision's <c>MBConvConfig(expand_ratio, kernel, stride, input_channels,
    /// out_channels, num_layers)</c> (input channels are those that arrive): <c>int(ceil(layers * depth))</c> MBConv
    /// blocks to <c>make_divisible(outChannels * width, 8)</c> channels in a Sequential, only the first strided; block
    /// <c>block_id</c> of <c>block_count</c> drops with torchvision's <c>0.2 * stage_block_id / total_stage_blocks</c>.
    /// </summary>
    [Block("expand", "kernel", "stride", "outChannels", "layers", "width = 1.0", "depth = 1.0")]
    [Use<MBConv>("make_divisible(outChannels * width, 8)", "expand", "kernel", "i == 0 ? stride : 1", "0.2 * block_id / float(block_count)",
        With = "Repeat = int(ceil(layers * depth))")]
    public partial class EfficientNetStage;

    /// <summary>
    /// EfficientNet-B0's <c>features</c> (children 0 to 8): the SiLU stem to <c>make_divisible(32 * width, 8)</c>, the
    /// seven stages of torchvision's <c>_efficientnet_conf("efficientnet_b0")</c>, the last 1x1 convolution to four times the last stage's width.
    /// </summary>
    [Block("width = 1.0", "depth = 1.0")]
    [Use<Conv2dNormActivation>("make_divisible(32 * width, 8)", 3, 2, 1, "SiLU")]
    [Use<EfficientNetStage>(1, 3, 1, 16, 1, "width", "depth")]
    [Use<EfficientNetStage>(6, 3, 2, 24, 2, "width", "depth")]
    [Use<EfficientNetStage>(6, 5, 2, 40, 2, "width", "depth")]
    [Use<EfficientNetStage>(6, 3, 2, 80, 3, "width", "depth")]
    [Use<EfficientNetStage>(6, 5, 1, 112, 3, "width", "depth")]
    [Use<EfficientNetStage>(6, 5, 2, 192, 4, "width", "depth")]
    [Use<EfficientNetStage>(6, 3, 1, 320, 1, "width", "depth")]
    [Use<Conv2dNormActivation>("4 * make_divisible(320 * width, 8)", 1, 1, 1, "SiLU")]
    public partial class EfficientNetB0Features;

    /// <summary>EfficientNet's <c>classifier</c>: dropout, Linear to <c>classes</c> (children 0 and 1).</summary>
    [Block("dropout", "classes")]
    [Dropout(With = "Probability = dropout")]
    [Linear("classes")]
    public partial class EfficientNetClassifier;

    /// <summary>
    /// torchvision <c>efficientnet_b0</c> (width and depth 1.0, dropout 0.2): the same modules, state_dict keys and shapes
    /// (3x224x224, 1000 classes), 5,288,548 parameters. torchvision flattens functionally; here it is a module without
    /// parameters, so the keys are the same. Initialised as efficientnet.py's constructor (the preset: Conv2d
    /// <c>kaiming_normal_(mode="fan_out")</c>, norms 1 and 0, Linear uniform in <c>±1 / sqrt(out_features)</c>).
    /// </summary>
    [Input(3, 224, 224)]
    [InitPreset(InitPresets.TorchVisionEfficientNet)]
    [Use<EfficientNetB0Features>(Name = "features")]
    [AdaptiveAvgPool2d(Name = "avgpool")]
    [Flatten]
    [Use<EfficientNetClassifier>(0.2, 1000, Name = "classifier")]
    public partial class EfficientNetB0;
}
