using Dsl;

namespace ResNetSample
{
    /// <summary>torchvision AlexNet's <c>features</c>: five convolutions with ReLUs and three max-pools, children 0 to 12.</summary>
    [Block]
    [Conv2d(64, 11, Stride = 4, Padding = 2)] [ReLU] [MaxPool2d(3, Stride = 2)]
    [Conv2d(192, 5, Padding = 2)] [ReLU] [MaxPool2d(3, Stride = 2)]
    [Conv2d(384, 3, Padding = 1)] [ReLU]
    [Conv2d(256, 3, Padding = 1)] [ReLU]
    [Conv2d(256, 3, Padding = 1)] [ReLU] [MaxPool2d(3, Stride = 2)]
    public partial class AlexNetFeatures;

    /// <summary>torchvision AlexNet's <c>classifier</c>: dropout, 4096, ReLU, dropout, 4096, ReLU, the classes (children 0 to 6).</summary>
    [Block("classes")]
    [Dropout(0.5)] [Linear(4096)] [ReLU]
    [Dropout(0.5)] [Linear(4096)] [ReLU]
    [Linear("classes")]
    public partial class AlexNetClassifier;

    /// <summary>
    /// torchvision's <c>alexnet</c>: its module names and state_dict keys (<c>features.0.weight</c> ...
    /// <c>classifier.6.bias</c>), so its checkpoints load without renaming. 3x224x224, 1000 classes, 61,100,840 parameters.
    /// The adaptive pool makes the classifier see 6x6 whatever the input size.
    /// </summary>
    [Input(3, 224, 224)]
    [Use<AlexNetFeatures>(Name = "features")]
    [AdaptiveAvgPool2d(6, Name = "avgpool")]
    [Flatten(Name = "flatten")]
    [Use<AlexNetClassifier>(1000, Name = "classifier")]
    public partial class TorchVisionAlexNet;
}
