using Dsl;

namespace Dsl.Onnx.Tests
{
    // Networks that use the layer options no sample network does, so parity covers every mapping and argument:
    // Tanh, Sigmoid and Dropout, strided, grouped and dilated convolutions without bias, BatchNorm with its own eps,
    // pooling with padding, dilation and ceil mode (AvgPool counts the padding, like PyTorch), adaptive pooling to a
    // size larger than 1, and a Linear without bias. Odd input sizes make ceil mode matter.

    [Input(3, 23, 23)]
    [Conv2d(8, 3, Stride = 2, Padding = 1, Bias = false)]
    [BatchNorm2d(Eps = 1e-3, Momentum = 0.3)]
    [Tanh]
    [AvgPool2d(3, Stride = 2, Padding = 1, CeilMode = true)]
    [Conv2d(16, 3, Padding = 2, Dilation = 2, Groups = 4)]
    [ReLU]
    [MaxPool2d(2, Stride = 2, CeilMode = true)]
    [AdaptiveAvgPool2d(2)]
    [Dropout(0.3)]
    [Sigmoid]
    [Flatten]
    [Linear(12)]
    [Dropout]
    [Tanh]
    [Linear(5, Bias = false)]
    public partial class LayerZoo;

    [Input(2, 11, 11)]
    [Conv2d(6, 2)]
    [MaxPool2d(3, Stride = 2, Padding = 1, CeilMode = true)]
    [MaxPool2d(2, Stride = 1, Dilation = 2)]
    [AvgPool2d(2, Stride = 1, Padding = 1)]
    [AvgPool2d(2, Stride = 2, CeilMode = true)]
    [AdaptiveAvgPool2d(3)]
    [Flatten]
    [Linear(4)]
    public partial class PoolingZoo;
}
