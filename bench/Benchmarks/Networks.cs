using Dsl;

namespace Dsl.Benchmarks
{
    /// <summary>D2L ResNet-18 (as samples/ResNet D2LResNet18) for 28x28 Fashion-MNIST images.</summary>
    [Input(1, 28, 28)]
    [Stem(64, Kernel = 7, Stride = 2, MaxPool = true)]
    [ResidualStage(2, 64)]
    [ResidualStage(2, 128, Downsample = true)]
    [ResidualStage(2, 256, Downsample = true)]
    [ResidualStage(2, 512, Downsample = true)]
    [ClassifierHead(10)]
    public partial class GenResNet18At28;

    /// <summary>D2L ResNet-18 (as samples/ResNet D2LResNet18) for Fashion-MNIST resized to 96x96: 11,178,378 parameters.</summary>
    [Input(1, 96, 96)]
    [Stem(64, Kernel = 7, Stride = 2, MaxPool = true)]
    [ResidualStage(2, 64)]
    [ResidualStage(2, 128, Downsample = true)]
    [ResidualStage(2, 256, Downsample = true)]
    [ResidualStage(2, 512, Downsample = true)]
    [ClassifierHead(10)]
    public partial class GenResNet18At96;

    /// <summary>The sample's small ResNet (ResNetMini) for the trainer-overhead and memory benchmarks.</summary>
    [Input(1, 28, 28)]
    [Stem(16, Kernel = 3, Stride = 1, MaxPool = false)]
    [ResidualStage(1, 16)]
    [ResidualStage(1, 32, Downsample = true)]
    [ResidualStage(1, 64, Downsample = true)]
    [ClassifierHead(10)]
    public partial class GenResNetMini;
}
