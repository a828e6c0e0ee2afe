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
    [Use<DilatedResNet50>(Name = "backbone")]
    [Use<FCNHead>(21, Name = "classifier")]
    [Interpolate]
    public partial class FcnResNet50;
}
