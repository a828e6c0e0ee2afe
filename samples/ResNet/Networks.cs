using Dsl;

namespace ResNetSample
{
    /// <summary>
    /// ResNet-18 as in D2L's "Residual Networks (ResNet) and ResNeXt" chapter: stem b1,
    /// four stages of two residual blocks, global-average-pool head. 11,178,378 parameters.
    /// </summary>
    [Input(1, 96, 96)]
    [Stem(64, Kernel = 7, Stride = 2, MaxPool = true)]
    [ResidualStage(2, 64)]
    [ResidualStage(2, 128, Downsample = true)]
    [ResidualStage(2, 256, Downsample = true)]
    [ResidualStage(2, 512, Downsample = true)]
    [ClassifierHead(10)]
    public partial class D2LResNet18;

    /// <summary>
    /// A small ResNet for 28x28 Fashion-MNIST on a CPU: 3x3 stem without max-pool and
    /// three one-block stages (16, 32, 64 channels). The sample's default model.
    /// </summary>
    [Input(1, 28, 28)]
    [Stem(16, Kernel = 3, Stride = 1, MaxPool = false)]
    [ResidualStage(1, 16)]
    [ResidualStage(1, 32, Downsample = true)]
    [ResidualStage(1, 64, Downsample = true)]
    [ClassifierHead(10)]
    public partial class ResNetMini;

    /// <summary>D2L <c>Residual(3)</c> on its own: (3, 6, 6) -> (3, 6, 6).</summary>
    [Input(3, 6, 6)]
    [Residual(3)]
    public partial class ResidualBlock3;

    /// <summary>D2L <c>Residual(6, use_1x1conv=True, strides=2)</c> on its own: (3, 6, 6) -> (6, 3, 3).</summary>
    [Input(3, 6, 6)]
    [Residual(6, Use1x1Conv = true, Stride = 2)]
    public partial class ResidualBlock6;

    /// <summary>LeNet-5 as in D2L (sigmoid activations, average pooling), for 28x28 images.</summary>
    [Input(1, 28, 28)]
    [Conv2d(6, 5, Padding = 2)] [Sigmoid] [AvgPool2d(2, Stride = 2)]
    [Conv2d(16, 5)] [Sigmoid] [AvgPool2d(2, Stride = 2)]
    [Flatten]
    [Linear(120, InFeatures = 16 * 5 * 5)] [Sigmoid]
    [Linear(84)] [Sigmoid]
    [Linear(10)]
    public partial class LeNet;

    /// <summary>AlexNet as in D2L, for 224x224 grey images and 10 classes.</summary>
    [Input(1, 224, 224)]
    [Conv2d(96, 11, Stride = 4, Padding = 1)] [ReLU] [MaxPool2d(3, Stride = 2)]
    [Conv2d(256, 5, Padding = 2)] [ReLU] [MaxPool2d(3, Stride = 2)]
    [Conv2d(384, 3, Padding = 1)] [ReLU]
    [Conv2d(384, 3, Padding = 1)] [ReLU]
    [Conv2d(256, 3, Padding = 1)] [ReLU] [MaxPool2d(3, Stride = 2)]
    [Flatten]
    [Linear(4096, InFeatures = 256 * 5 * 5)] [ReLU] [Dropout(0.5)]
    [Linear(4096)] [ReLU] [Dropout(0.5)]
    [Linear(10)]
    public partial class AlexNet;

    /// <summary>VGG-11 as in D2L (arch ((1,64),(1,128),(2,256),(2,512),(2,512))), for 224x224 grey images.</summary>
    [Input(1, 224, 224)]
    [Conv2d(64, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
    [Conv2d(128, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
    [Conv2d(256, 3, Padding = 1)] [ReLU] [Conv2d(256, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
    [Conv2d(512, 3, Padding = 1)] [ReLU] [Conv2d(512, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
    [Conv2d(512, 3, Padding = 1)] [ReLU] [Conv2d(512, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
    [Flatten]
    [Linear(4096, InFeatures = 512 * 7 * 7)] [ReLU] [Dropout(0.5)]
    [Linear(4096)] [ReLU] [Dropout(0.5)]
    [Linear(10)]
    public partial class Vgg11;

    /// <summary>
    /// A small network of the newer activations (ReLU6, SiLU, Hardswish, GELU, LeakyReLU, Hardsigmoid, Identity), for
    /// 28x28 grey images: every activation goes through the same checks and exporters as the rest.
    /// </summary>
    [Input(1, 28, 28)]
    [Conv2d(8, 3, Padding = 1)] [ReLU6] [Conv2d(8, 3, Padding = 1)] [SiLU] [MaxPool2d(2)]
    [Conv2d(16, 3, Padding = 1)] [Hardswish] [MaxPool2d(2)] [Identity]
    [Flatten]
    [Linear(64)] [GELU] [Linear(32)] [LeakyReLU(NegativeSlope = 0.2)] [Linear(32)] [Hardsigmoid] [Linear(10)]
    public partial class ActivationNet;
}
