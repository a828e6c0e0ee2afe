using Dsl;

namespace MyNet;

/// <summary>
/// A small convolutional network for 28x28 grey images and 10 classes. The source generator
/// turns these attributes into a TorchSharp module (fields conv1, bn1, ..., forward, Summary,
/// ParameterCount); a shape mistake is reported at the attribute argument while you type.
/// </summary>
[Input(1, 28, 28)]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm2d]
[ReLU]
[MaxPool2d(2)]                // 16 x 14 x 14
[Conv2d(32, 3, Padding = 1)]
[BatchNorm2d]
[ReLU]
[MaxPool2d(2)]                // 32 x 7 x 7
[Flatten]
[Linear(64, InFeatures = 1568)]
[ReLU]
[Linear(10)]
public partial class Classifier;
