using Dsl;

namespace ResNetSample
{
    // torchvision's inception_v3 and googlenet (torchvision/models/inception.py, googlenet.py) with their auxiliary
    // classifiers (aux_logits=True, transform_input=False): same modules, state_dict keys and shapes. torchvision's
    // functional pools and ReLUs are modules without parameters here, so the keys are the same.

    /// <summary>
    /// torchvision's <c>BasicConv2d</c> (both files): a convolution without bias (<c>conv</c>), BatchNorm with eps 0.001
    /// (<c>bn</c>), ReLU. <c>kernel</c>, <c>stride</c> and <c>padding</c> are the height's (and the width's unless
    /// <c>kw</c> or <c>pw</c> say otherwise: Inception-v3's 1x7 is <c>(c, 1, "kw = 7", "pw = 3")</c>).
    /// </summary>
    [Block("outChannels", "kernel", "stride = 1", "padding = 0", "kw = kernel", "pw = padding")]
    [Conv2d("outChannels", "kernel, kw", Strides = "stride, stride", Paddings = "padding, pw", Bias = false, Name = "conv")]
    [BatchNorm2d(Eps = 0.001, Name = "bn")]
    [ReLU(Name = "relu")]
    public partial class BasicConv2d;

    // ---------------------------------------------------------------------------------------------------------------
    // inception_v3. torchvision's Inception blocks hold every branch's convolutions as direct children
    // (Mixed_5b.branch5x5_1, Mixed_5b.branch5x5_2): each branch of more than one layer is a block used Inline.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>The pooling branch of InceptionA, C and E: 3x3 average pooling (stride 1, size kept), then <c>branch_pool</c> to <c>c</c> channels.</summary>
    [Block("c")]
    [AvgPool2d(3, Stride = 1, Padding = 1)]
    [Use<BasicConv2d>("c", 1, Name = "branch_pool")]
    public partial class InceptionPoolBranch;

    /// <summary>InceptionA's 5x5 branch: 1x1 to 48, 5x5 to 64.</summary>
    [Block]
    [Use<BasicConv2d>(48, 1, Name = "branch5x5_1")]
    [Use<BasicConv2d>(64, 5, 1, 2, Name = "branch5x5_2")]
    public partial class InceptionA5x5;

    /// <summary>The double 3x3 branch of InceptionA (<c>stride</c> 1, size kept) and InceptionB (the last 3x3 with stride 2, unpadded).</summary>
    [Block("stride = 1")]
    [Use<BasicConv2d>(64, 1, Name = "branch3x3dbl_1")]
    [Use<BasicConv2d>(96, 3, 1, 1, Name = "branch3x3dbl_2")]
    [Use<BasicConv2d>(96, 3, "stride", "stride == 1 ? 1 : 0", Name = "branch3x3dbl_3")]
    public partial class InceptionDouble3x3;

    /// <summary>torchvision's <c>InceptionA(in_channels, pool_features)</c>: 64 + 64 + 96 + <c>poolFeatures</c> channels, size kept.</summary>
    [Block("poolFeatures", Parallel = Merge.Concat)]
    [Use<BasicConv2d>(64, 1, Name = "branch1x1")]
    [Use<InceptionA5x5>(Inline = true)]
    [Use<InceptionDouble3x3>(Inline = true)]
    [Use<InceptionPoolBranch>("poolFeatures", Inline = true)]
    public partial class InceptionA;

    /// <summary>torchvision's <c>InceptionB</c>: a strided 3x3 to 384, the strided double 3x3 and 3x3 max pooling; the size halves.</summary>
    [Block(Parallel = Merge.Concat)]
    [Use<BasicConv2d>(384, 3, 2, Name = "branch3x3")]
    [Use<InceptionDouble3x3>(2, Inline = true)]
    [MaxPool2d(3, Stride = 2, Name = "branch_pool")]
    public partial class InceptionB;

    /// <summary>InceptionC's factorised 7x7 branch: 1x1 to <c>c7</c>, 1x7 to <c>c7</c>, 7x1 to 192.</summary>
    [Block("c7")]
    [Use<BasicConv2d>("c7", 1, Name = "branch7x7_1")]
    [Use<BasicConv2d>("c7", 1, 1, 0, "kw = 7", "pw = 3", Name = "branch7x7_2")]
    [Use<BasicConv2d>(192, 7, 1, 3, "kw = 1", "pw = 0", Name = "branch7x7_3")]
    public partial class InceptionC7x7;

    /// <summary>InceptionC's double factorised 7x7 branch: 1x1, 7x1, 1x7, 7x1 to <c>c7</c>, 1x7 to 192.</summary>
    [Block("c7")]
    [Use<BasicConv2d>("c7", 1, Name = "branch7x7dbl_1")]
    [Use<BasicConv2d>("c7", 7, 1, 3, "kw = 1", "pw = 0", Name = "branch7x7dbl_2")]
    [Use<BasicConv2d>("c7", 1, 1, 0, "kw = 7", "pw = 3", Name = "branch7x7dbl_3")]
    [Use<BasicConv2d>("c7", 7, 1, 3, "kw = 1", "pw = 0", Name = "branch7x7dbl_4")]
    [Use<BasicConv2d>(192, 1, 1, 0, "kw = 7", "pw = 3", Name = "branch7x7dbl_5")]
    public partial class InceptionC7x7Double;

    /// <summary>torchvision's <c>InceptionC(in_channels, channels_7x7)</c>: four branches of 192 channels (768), size kept.</summary>
    [Block("c7", Parallel = Merge.Concat)]
    [Use<BasicConv2d>(192, 1, Name = "branch1x1")]
    [Use<InceptionC7x7>("c7", Inline = true)]
    [Use<InceptionC7x7Double>("c7", Inline = true)]
    [Use<InceptionPoolBranch>(192, Inline = true)]
    public partial class InceptionC;

    /// <summary>InceptionD's 3x3 branch: 1x1 to 192, strided 3x3 to 320.</summary>
    [Block]
    [Use<BasicConv2d>(192, 1, Name = "branch3x3_1")]
    [Use<BasicConv2d>(320, 3, 2, Name = "branch3x3_2")]
    public partial class InceptionD3x3;

    /// <summary>InceptionD's 7x7x3 branch: 1x1, 1x7, 7x1 to 192, strided 3x3 to 192.</summary>
    [Block]
    [Use<BasicConv2d>(192, 1, Name = "branch7x7x3_1")]
    [Use<BasicConv2d>(192, 1, 1, 0, "kw = 7", "pw = 3", Name = "branch7x7x3_2")]
    [Use<BasicConv2d>(192, 7, 1, 3, "kw = 1", "pw = 0", Name = "branch7x7x3_3")]
    [Use<BasicConv2d>(192, 3, 2, Name = "branch7x7x3_4")]
    public partial class InceptionD7x7x3;

    /// <summary>torchvision's <c>InceptionD</c>: 320 + 192 channels and 3x3 max pooling of the input; the size halves.</summary>
    [Block(Parallel = Merge.Concat)]
    [Use<InceptionD3x3>(Inline = true)]
    [Use<InceptionD7x7x3>(Inline = true)]
    [MaxPool2d(3, Stride = 2, Name = "branch_pool")]
    public partial class InceptionD;

    /// <summary>InceptionE's split of <c>branch3x3_1</c>'s output: 1x3 and 3x1 to 384 each, concatenated.</summary>
    [Block(Parallel = Merge.Concat)]
    [Use<BasicConv2d>(384, 1, 1, 0, "kw = 3", "pw = 1", Name = "branch3x3_2a")]
    [Use<BasicConv2d>(384, 3, 1, 1, "kw = 1", "pw = 0", Name = "branch3x3_2b")]
    public partial class InceptionE3x3Split;

    /// <summary>InceptionE's 3x3 branch: 1x1 to 384, then the 1x3 / 3x1 split (768 channels).</summary>
    [Block]
    [Use<BasicConv2d>(384, 1, Name = "branch3x3_1")]
    [Use<InceptionE3x3Split>(Inline = true)]
    public partial class InceptionE3x3;

    /// <summary>InceptionE's split of <c>branch3x3dbl_2</c>'s output: 1x3 and 3x1 to 384 each, concatenated.</summary>
    [Block(Parallel = Merge.Concat)]
    [Use<BasicConv2d>(384, 1, 1, 0, "kw = 3", "pw = 1", Name = "branch3x3dbl_3a")]
    [Use<BasicConv2d>(384, 3, 1, 1, "kw = 1", "pw = 0", Name = "branch3x3dbl_3b")]
    public partial class InceptionE3x3DoubleSplit;

    /// <summary>InceptionE's double 3x3 branch: 1x1 to 448, 3x3 to 384, then the 1x3 / 3x1 split (768 channels).</summary>
    [Block]
    [Use<BasicConv2d>(448, 1, Name = "branch3x3dbl_1")]
    [Use<BasicConv2d>(384, 3, 1, 1, Name = "branch3x3dbl_2")]
    [Use<InceptionE3x3DoubleSplit>(Inline = true)]
    public partial class InceptionE3x3Double;

    /// <summary>torchvision's <c>InceptionE</c>: 320 + 768 + 768 + 192 = 2048 channels, size kept.</summary>
    [Block(Parallel = Merge.Concat)]
    [Use<BasicConv2d>(320, 1, Name = "branch1x1")]
    [Use<InceptionE3x3>(Inline = true)]
    [Use<InceptionE3x3Double>(Inline = true)]
    [Use<InceptionPoolBranch>(192, Inline = true)]
    public partial class InceptionE;

    /// <summary>
    /// torchvision's <c>InceptionAux(768, num_classes)</c>: 5x5 average pooling with stride 3, <c>conv0</c> (1x1 to 128),
    /// <c>conv1</c> (5x5 to 768), global average, <c>fc</c>. Its input must be at least 17x17 (the 5x5 convolution needs a
    /// 5x5 map after the pooling).
    /// </summary>
    [Block("classes")]
    [AvgPool2d(5, Stride = 3)]
    [Use<BasicConv2d>(128, 1, Name = "conv0")]
    [Use<BasicConv2d>(768, 5, Name = "conv1")]
    [AdaptiveAvgPool2d]
    [Flatten]
    [Linear("classes", Name = "fc")]
    public partial class InceptionAux;

    /// <summary>
    /// torchvision <c>inception_v3(aux_logits=True, transform_input=False, init_weights=True)</c>: the same modules,
    /// state_dict keys and shapes, 27,161,264 parameters (23,834,568 without <c>AuxLogits</c>). The auxiliary classifier
    /// reads <c>Mixed_6e</c> and runs in training mode only, weighted 0.4 as torchvision's reference script trains it.
    /// Declared at 299x299, torchvision's size and the smallest its auxiliary head accepts (at 298 <c>Mixed_6e</c> is
    /// 16x16, too small for <c>AuxLogits</c>'s 5x5 convolution after its pooling).
    /// </summary>
    [Input(3, 299, 299)]
    [InitPreset(InitPresets.TorchVisionInceptionV3)]
    [Use<BasicConv2d>(32, 3, 2, Name = "Conv2d_1a_3x3")]
    [Use<BasicConv2d>(32, 3, Name = "Conv2d_2a_3x3")]
    [Use<BasicConv2d>(64, 3, 1, 1, Name = "Conv2d_2b_3x3")]
    [MaxPool2d(3, Stride = 2, Name = "maxpool1")]
    [Use<BasicConv2d>(80, 1, Name = "Conv2d_3b_1x1")]
    [Use<BasicConv2d>(192, 3, Name = "Conv2d_4a_3x3")]
    [MaxPool2d(3, Stride = 2, Name = "maxpool2")]
    [Use<InceptionA>(32, Name = "Mixed_5b")]
    [Use<InceptionA>(64, Name = "Mixed_5c")]
    [Use<InceptionA>(64, Name = "Mixed_5d")]
    [Use<InceptionB>(Name = "Mixed_6a")]
    [Use<InceptionC>(128, Name = "Mixed_6b")]
    [Use<InceptionC>(160, Name = "Mixed_6c")]
    [Use<InceptionC>(160, Name = "Mixed_6d")]
    [Use<InceptionC>(192, Name = "Mixed_6e")]
    [Use<InceptionAux>(1000, Name = "AuxLogits")]
    [Output("aux", Auxiliary = true, LossWeight = 0.4)]
    [Use<InceptionD>(From = "Mixed_6e", Name = "Mixed_7a")]
    [Use<InceptionE>(Name = "Mixed_7b")]
    [Use<InceptionE>(Name = "Mixed_7c")]
    [AdaptiveAvgPool2d(Name = "avgpool")]
    [Dropout(0.5, Name = "dropout")]
    [Flatten]
    [Linear(1000, Name = "fc")]
    [Output("logits")]
    public partial class InceptionV3;

    // ---------------------------------------------------------------------------------------------------------------
    // googlenet
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>A 1x1 reduction to <c>reduce</c> channels, then a 3x3 to <c>outChannels</c> (children 0 and 1). torchvision's "5x5" branch is this 3x3 too (its known deviation from the paper).</summary>
    [Block("reduce", "outChannels")]
    [Use<BasicConv2d>("reduce", 1)]
    [Use<BasicConv2d>("outChannels", 3, 1, 1)]
    public partial class GoogLeNetReduced;

    /// <summary>GoogLeNet's pooling branch: 3x3 max pooling (stride 1, ceil mode, size kept), 1x1 to <c>poolProj</c> (children 0 and 1).</summary>
    [Block("poolProj")]
    [MaxPool2d(3, Stride = 1, Padding = 1, CeilMode = true)]
    [Use<BasicConv2d>("poolProj", 1)]
    public partial class GoogLeNetPoolBranch;

    /// <summary>torchvision's GoogLeNet <c>Inception(in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj)</c>: branch1 to branch4, concatenated.</summary>
    [Block("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "poolProj", Parallel = Merge.Concat)]
    [Use<BasicConv2d>("ch1x1", 1, Name = "branch1")]
    [Use<GoogLeNetReduced>("ch3x3red", "ch3x3", Name = "branch2")]
    [Use<GoogLeNetReduced>("ch5x5red", "ch5x5", Name = "branch3")]
    [Use<GoogLeNetPoolBranch>("poolProj", Name = "branch4")]
    public partial class GoogLeNetInception;

    /// <summary>
    /// torchvision's GoogLeNet <c>InceptionAux(in, num_classes, dropout=0.7)</c>: average to 4x4, <c>conv</c> (1x1 to 128),
    /// <c>fc1</c> (2048 to 1024) with ReLU, dropout 0.7, <c>fc2</c>.
    /// </summary>
    [Block("classes")]
    [AdaptiveAvgPool2d(4)]
    [Use<BasicConv2d>(128, 1, Name = "conv")]
    [Flatten]
    [Linear(1024, Name = "fc1")]
    [ReLU]
    [Dropout(0.7, Name = "dropout")]
    [Linear("classes", Name = "fc2")]
    public partial class GoogLeNetInceptionAux;

    /// <summary>
    /// torchvision <c>googlenet(aux_logits=True, transform_input=False, init_weights=True)</c>: the same modules,
    /// state_dict keys and shapes, 13,004,888 parameters. The auxiliary classifiers <c>aux1</c> (after <c>inception4a</c>)
    /// and <c>aux2</c> (after <c>inception4d</c>) run in training mode only, each weighted 0.3 as in the paper. Max pools
    /// round up (<c>ceil_mode=True</c>). Declared at 64x64 so the catalogue's checks stay quick: the auxiliary heads then
    /// read 4x4 maps, the size their pooling makes (224x224, torchvision's size, gives 14x14).
    /// </summary>
    [Input(3, 64, 64)]
    [InitPreset(InitPresets.TorchVisionGoogLeNet)]
    [Use<BasicConv2d>(64, 7, 2, 3, Name = "conv1")]
    [MaxPool2d(3, Stride = 2, CeilMode = true, Name = "maxpool1")]
    [Use<BasicConv2d>(64, 1, Name = "conv2")]
    [Use<BasicConv2d>(192, 3, 1, 1, Name = "conv3")]
    [MaxPool2d(3, Stride = 2, CeilMode = true, Name = "maxpool2")]
    [Use<GoogLeNetInception>(64, 96, 128, 16, 32, 32, Name = "inception3a")]
    [Use<GoogLeNetInception>(128, 128, 192, 32, 96, 64, Name = "inception3b")]
    [MaxPool2d(3, Stride = 2, CeilMode = true, Name = "maxpool3")]
    [Use<GoogLeNetInception>(192, 96, 208, 16, 48, 64, Name = "inception4a")]
    [Use<GoogLeNetInceptionAux>(1000, Name = "aux1")]
    [Output("aux1", Auxiliary = true, LossWeight = 0.3)]
    [Use<GoogLeNetInception>(160, 112, 224, 24, 64, 64, From = "inception4a", Name = "inception4b")]
    [Use<GoogLeNetInception>(128, 128, 256, 24, 64, 64, Name = "inception4c")]
    [Use<GoogLeNetInception>(112, 144, 288, 32, 64, 64, Name = "inception4d")]
    [Use<GoogLeNetInceptionAux>(1000, Name = "aux2")]
    [Output("aux2", Auxiliary = true, LossWeight = 0.3)]
    [Use<GoogLeNetInception>(256, 160, 320, 32, 128, 128, From = "inception4d", Name = "inception4e")]
    [MaxPool2d(2, Stride = 2, CeilMode = true, Name = "maxpool4")]
    [Use<GoogLeNetInception>(256, 160, 320, 32, 128, 128, Name = "inception5a")]
    [Use<GoogLeNetInception>(384, 192, 384, 48, 128, 128, Name = "inception5b")]
    [AdaptiveAvgPool2d(Name = "avgpool")]
    [Flatten]
    [Dropout(0.2, Name = "dropout")]
    [Linear(1000, Name = "fc")]
    [Output("logits")]
    public partial class GoogLeNet;
}
