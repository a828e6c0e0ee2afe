using Dsl;

namespace Dsl.Benchmarks
{
    /// <summary>
    /// D2L ResNet-18 for 28x28 Fashion-MNIST images: the attributes of the sample's <c>D2LResNet18</c>
    /// with a 28x28 input (the 96x96 network and ResNetMini are used from the sample itself).
    /// </summary>
    [Input(1, 28, 28)]
    [Stem(64, Kernel = 7, Stride = 2, MaxPool = true)]
    [ResidualStage(2, 64)]
    [ResidualStage(2, 128, Downsample = true)]
    [ResidualStage(2, 256, Downsample = true)]
    [ResidualStage(2, 512, Downsample = true)]
    [ClassifierHead(10)]
    public partial class GenResNet18At28;
}

namespace Dsl.Benchmarks
{
    /// <summary>A small colour CNN for 32x32 input: the memory benchmark's model, cheap so that data dominates.</summary>
    [Input(3, 32, 32)]
    [Conv2d(16, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
    [Conv2d(32, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
    [Flatten]
    [Linear(10)]
    public partial class SmallColourNet;
}
