using Dsl;

namespace ResNetSample
{
    // torchvision's semantic segmentation networks (torchvision/models/segmentation): a ResNet-50 backbone whose last two
    // stages dilate instead of striding (output stride 8), a head, and the logits resized to the input's size.
    // Declared with their main output only (no auxiliary head, torchvision's aux_loss=False).

    /// <summary>
    /// torchvision's <c>IntermediateLayerGetter</c> over <c>resnet50(replace_stride_with_dilation=[False, True, True])</c>:
    /// the modules up to <c>layer4</c> with torchvision's names; <c>layer3</c> and <c>layer4</c> keep the resolution and
    /// dilate their 3x3 convolutions (2, then 4; each stage's first block keeps the previous stage's dilation), so the
    /// output is 2048 channels at 1/8 of the input's size.
    /// </summary>
    [Block]
    [Conv2d(64, 7, Stride = 2, Padding = 3, Bias = false, Name = "conv1")] [BatchNorm2d(Name = "bn1")] [ReLU(Name = "relu")]
    [MaxPool2d(3, Stride = 2, Padding = 1, Name = "maxpool")]
    [BottleneckStage(3, 64, Name = "layer1")]
    [BottleneckStage(4, 128, Stride = 2, Name = "layer2")]
    [BottleneckStage(6, 256, Dilation = 2, FirstDilation = 1, Name = "layer3")]
    [BottleneckStage(3, 512, Dilation = 4, FirstDilation = 2, Name = "layer4")]
    public partial class DilatedResNet50;

    /// <summary>torchvision's <c>FCNHead(in_channels, channels)</c>: 3x3 convolution to a quarter of the channels, BatchNorm, ReLU, dropout 0.1, 1x1 convolution to the classes.</summary>
    [Block("classes")]
    [Conv2d("in / 4", 3, Padding = 1, Bias = false)] [BatchNorm2d] [ReLU] [Dropout(0.1)] [Conv2d("classes", 1)]
    public partial class FCNHead;

    /// <summary>
    /// torchvision <c>fcn_resnet50(num_classes=21, aux_loss=False)</c>: keys <c>backbone.*</c> and <c>classifier.*</c>,
    /// 21 logits per pixel resized bilinearly to the input's height and width. 32,957,013 parameters. Declared at 64x64 so the
    /// whole catalogue's checks stay quick; change <c>[Input]</c> for other sizes.
    /// </summary>
    [Input(3, 64, 64)]
    [Naming(NamingConvention.TorchVision)]
    // torchvision's ResNet constructor initialises the backbone's convolutions (kaiming_normal_, fan_out, relu); the head
    // keeps PyTorch's defaults, and so do the BatchNorms (weight 1, bias 0), as torchvision's.
    [Init("backbone.**conv?.weight", InitScheme.KaimingNormal, Mode = FanMode.FanOut, Nonlinearity = "relu")]
    [Init("backbone.**downsample.0.weight", InitScheme.KaimingNormal, Mode = FanMode.FanOut, Nonlinearity = "relu")]
    [Use<DilatedResNet50>(Name = "backbone")]
    [Use<FCNHead>(21, Name = "classifier")]
    [Interpolate]
    public partial class FcnResNet50;
}

namespace ResNetSample
{
    /// <summary>
    /// torchvision's segmentation recipe with its auxiliary head, at a size that trains on a CPU in seconds: a small
    /// backbone whose last stage dilates instead of striding (output stride 4), an <see cref="FCNHead"/> on it
    /// (<c>classifier</c>) and another on the stage before (<c>aux_classifier</c>, torchvision's <c>aux_loss=True</c>),
    /// each resized to the input. <c>out</c> is the main output; <c>aux</c> is computed in both modes, as torchvision's
    /// segmentation models compute it, and trained with loss weight 0.5, as torchvision's segmentation reference script
    /// trains it. 1x32x32 grey images, 2 classes per pixel (the synthetic shapes).
    /// </summary>
    [Input(1, 32, 32)]
    [Conv2d(16, 3, Stride = 2, Padding = 1, Bias = false, Name = "conv1")] [BatchNorm2d(Name = "bn1")] [ReLU(Name = "relu1")]
    [Conv2d(32, 3, Stride = 2, Padding = 1, Bias = false, Name = "conv2")] [BatchNorm2d(Name = "bn2")] [ReLU(Name = "relu2")]
    [Conv2d(64, 3, Padding = 2, Dilation = 2, Bias = false, Name = "conv3")] [BatchNorm2d(Name = "bn3")] [ReLU(Name = "relu3")]
    [Use<FCNHead>(2, From = "relu2", Name = "aux_classifier")] [Interpolate(Name = "aux_resize")]
    [Output("aux", LossWeight = 0.5)]
    [Use<FCNHead>(2, From = "relu3", Name = "classifier")] [Interpolate(Name = "resize")]
    [Output("out")]
    public partial class FcnAuxMini;
}

namespace ResNetSample
{
    /// <summary>A convolution (no bias), BatchNorm and ReLU as children 0, 1, 2: ASPP's 1x1 branch (dilation 1) and its atrous 3x3 branches (torchvision's <c>ASPPConv</c>: padding and dilation the rate).</summary>
    [Block("c", "kernel", "dilation = 1")]
    [Conv2d("c", 1, Bias = false, With = "Kernel = kernel; Padding = dilation * (kernel / 2); Dilation = dilation")] [BatchNorm2d] [ReLU]
    public partial class AsppConv;

    /// <summary>torchvision's <c>ASPPPooling</c>: global average, 1x1 convolution, BatchNorm, ReLU (children 0 to 3), resized back to the block's input.</summary>
    [Block("c")]
    [AdaptiveAvgPool2d(Name = "0")] [Conv2d("c", 1, Bias = false, Name = "1")] [BatchNorm2d(Name = "2")] [ReLU(Name = "3")]
    [Interpolate(To = InterpolateTarget.BlockInput)]
    public partial class AsppPooling;

    /// <summary>ASPP's five branches on the same input, keyed 0 to 4 as torchvision's <c>ModuleList</c> <c>convs</c>, concatenated along the channels.</summary>
    [Block("c", "rate1", "rate2", "rate3", Parallel = Merge.Concat)]
    [Use<AsppConv>("c", 1, Name = "0")]
    [Use<AsppConv>("c", 3, "rate1", Name = "1")]
    [Use<AsppConv>("c", 3, "rate2", Name = "2")]
    [Use<AsppConv>("c", 3, "rate3", Name = "3")]
    [Use<AsppPooling>("c", Name = "4")]
    public partial class AsppBranches;

    /// <summary>torchvision's <c>ASPP(in_channels, atrous_rates, out_channels)</c>: the branches (<c>convs</c>) and the 1x1 projection of their concatenation with dropout 0.5 (<c>project</c>).</summary>
    [Block("c", "rate1", "rate2", "rate3")]
    [Use<AsppBranches>("c", "rate1", "rate2", "rate3", Name = "convs")]
    [Use<AsppProjection>("c", Name = "project")]
    public partial class Aspp;

    /// <summary>ASPP's <c>project</c>: 1x1 convolution (no bias), BatchNorm, ReLU, dropout 0.5.</summary>
    [Block("c")]
    [Conv2d("c", 1, Bias = false)] [BatchNorm2d] [ReLU] [Dropout(0.5)]
    public partial class AsppProjection;

    /// <summary>
    /// torchvision <c>deeplabv3_resnet50(num_classes=21, aux_loss=True)</c>: the dilated ResNet-50 backbone, DeepLabV3's
    /// head (ASPP with its global-pooling branch) on <c>layer4</c> and the auxiliary <see cref="FCNHead"/> on <c>layer3</c>,
    /// each resized to the input's height and width: outputs <c>out</c> (the main output, what <c>forward</c> returns) and
    /// <c>aux</c>, computed in both modes as torchvision's and trained with loss weight 0.5 as its reference script trains
    /// it. <c>From = "backbone.layer3"</c> reads the output of the backbone's <c>layer3</c>: the forward runs the
    /// backbone's children one by one, so the keys stay torchvision's (<c>backbone.*</c>, <c>classifier.*</c>,
    /// <c>aux_classifier.*</c>); 42,004,074 parameters. The auxiliary head is declared before the main one (the main output
    /// is the last layer's), so it is registered before <c>classifier</c>; a state_dict loads by key, in any order. Without
    /// the auxiliary head's three lines it is torchvision's <c>aux_loss=False</c> (39,638,869). Declared at 64x64 as
    /// <see cref="FcnResNet50"/>.
    /// </summary>
    [Input(3, 64, 64)]
    [Naming(NamingConvention.TorchVision)]
    // torchvision's ResNet constructor initialises the backbone's convolutions (kaiming_normal_, fan_out, relu); the heads
    // keep PyTorch's defaults, and so do the BatchNorms (weight 1, bias 0), as torchvision's.
    [Init("backbone.**conv?.weight", InitScheme.KaimingNormal, Mode = FanMode.FanOut, Nonlinearity = "relu")]
    [Init("backbone.**downsample.0.weight", InitScheme.KaimingNormal, Mode = FanMode.FanOut, Nonlinearity = "relu")]
    [Use<DilatedResNet50>(Name = "backbone")]
    [Use<FCNHead>(21, From = "backbone.layer3", Name = "aux_classifier")] [Interpolate(Name = "aux_resize")]
    [Output("aux", LossWeight = 0.5)]
    [Use<DeepLabHead>(21, From = "backbone", Name = "classifier")] [Interpolate(Name = "resize")]
    public partial class DeepLabV3ResNet50;

    /// <summary>torchvision's <c>DeepLabHead(in_channels, num_classes)</c>: ASPP with rates 12, 24, 36 and 256 channels, a 3x3 convolution, BatchNorm, ReLU and a 1x1 convolution to the classes.</summary>
    [Block("classes")]
    [Use<Aspp>(256, 12, 24, 36)]
    [Conv2d(256, 3, Padding = 1, Bias = false)] [BatchNorm2d] [ReLU] [Conv2d("classes", 1)]
    public partial class DeepLabHead;
}
