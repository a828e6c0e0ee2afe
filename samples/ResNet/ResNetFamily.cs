using Dsl;

namespace ResNetSample
{
    /// <summary>
    /// torchvision <c>resnet18</c>: the same modules, state_dict keys and shapes (3x224x224, 1000 classes).
    /// 11,689,512 parameters, 1.814 G multiply-adds.
    /// </summary>
    [Input(3, 224, 224)]
    [Naming(NamingConvention.TorchVision)]
    [InitPreset(InitPresets.TorchVisionResNet)]
    [Conv2d(64, 7, Stride = 2, Padding = 3, Bias = false)] [BatchNorm2d] [ReLU] [MaxPool2d(3, Stride = 2, Padding = 1)]
    [BasicStage(2, 64)]
    [BasicStage(2, 128, Stride = 2)]
    [BasicStage(2, 256, Stride = 2)]
    [BasicStage(2, 512, Stride = 2)]
    [AdaptiveAvgPool2d] [Flatten] [Linear(1000)]
    public partial class ResNet18;

    /// <summary>torchvision <c>resnet34</c>: 21,797,672 parameters, 3.664 G multiply-adds.</summary>
    [Input(3, 224, 224)]
    [Naming(NamingConvention.TorchVision)]
    [InitPreset(InitPresets.TorchVisionResNet)]
    [Conv2d(64, 7, Stride = 2, Padding = 3, Bias = false)] [BatchNorm2d] [ReLU] [MaxPool2d(3, Stride = 2, Padding = 1)]
    [BasicStage(3, 64)]
    [BasicStage(4, 128, Stride = 2)]
    [BasicStage(6, 256, Stride = 2)]
    [BasicStage(3, 512, Stride = 2)]
    [AdaptiveAvgPool2d] [Flatten] [Linear(1000)]
    public partial class ResNet34;

    /// <summary>torchvision <c>resnet50</c> (bottleneck, stride on the 3x3: "v1.5"): 25,557,032 parameters, 4.089 G multiply-adds.</summary>
    [Input(3, 224, 224)]
    [Naming(NamingConvention.TorchVision)]
    [InitPreset(InitPresets.TorchVisionResNet)]
    [Conv2d(64, 7, Stride = 2, Padding = 3, Bias = false)] [BatchNorm2d] [ReLU] [MaxPool2d(3, Stride = 2, Padding = 1)]
    [BottleneckStage(3, 64)]
    [BottleneckStage(4, 128, Stride = 2)]
    [BottleneckStage(6, 256, Stride = 2)]
    [BottleneckStage(3, 512, Stride = 2)]
    [AdaptiveAvgPool2d] [Flatten] [Linear(1000)]
    public partial class ResNet50;

    /// <summary>
    /// torchvision <c>resnext50_32x4d</c>: 32 groups, base width 4 (3x3 widths 128, 256, 512, 1024).
    /// 25,028,904 parameters, 4.23 G multiply-adds.
    /// </summary>
    [Input(3, 224, 224)]
    [Naming(NamingConvention.TorchVision)]
    [InitPreset(InitPresets.TorchVisionResNet)]
    [Conv2d(64, 7, Stride = 2, Padding = 3, Bias = false)] [BatchNorm2d] [ReLU] [MaxPool2d(3, Stride = 2, Padding = 1)]
    [BottleneckStage(3, 64, Groups = 32, BaseWidth = 4)]
    [BottleneckStage(4, 128, Stride = 2, Groups = 32, BaseWidth = 4)]
    [BottleneckStage(6, 256, Stride = 2, Groups = 32, BaseWidth = 4)]
    [BottleneckStage(3, 512, Stride = 2, Groups = 32, BaseWidth = 4)]
    [AdaptiveAvgPool2d] [Flatten] [Linear(1000)]
    public partial class ResNeXt50_32x4d;

    /// <summary>
    /// D2L's ResNet-18 layout (stem b1, stages ((2,64),(2,128),(2,256),(2,512)), head) built from the
    /// chapter's <c>ResNeXtBlock(num_channels, groups=16, bot_mul=1)</c>, for 96x96 Fashion-MNIST.
    /// </summary>
    [Input(1, 96, 96)]
    [Stem(64)]
    [ResNeXtBlock(64, 16)] [ResNeXtBlock(64, 16)]
    [ResNeXtBlock(128, 16, Use1x1Conv = true, Stride = 2)] [ResNeXtBlock(128, 16)]
    [ResNeXtBlock(256, 16, Use1x1Conv = true, Stride = 2)] [ResNeXtBlock(256, 16)]
    [ResNeXtBlock(512, 16, Use1x1Conv = true, Stride = 2)] [ResNeXtBlock(512, 16)]
    [ClassifierHead(10)]
    public partial class D2LResNeXt;

    /// <summary>The chapter's check: D2L <c>ResNeXtBlock(32, 16, 1)</c> on (32, 96, 96) gives (32, 96, 96).</summary>
    [Input(32, 96, 96)]
    [ResNeXtBlock(32, 16, 1)]
    public partial class ResNeXtBlock32;

    /// <summary>
    /// Pre-activation ResNet-18 (He et al. 2016) for 32x32 CIFAR images: 3x3 stem, four pre-activation stages,
    /// final BatchNorm and ReLU, head.
    /// </summary>
    [Input(3, 32, 32)]
    [Conv2d(64, 3, Padding = 1, Bias = false)]
    [PreActStage(2, 64)]
    [PreActStage(2, 128, Stride = 2)]
    [PreActStage(2, 256, Stride = 2)]
    [PreActStage(2, 512, Stride = 2)]
    [BatchNorm2d] [ReLU]
    [ClassifierHead(10)]
    public partial class PreActResNet18;
}
