using Dsl;

namespace Dsl.Onnx.Tests
{
    // The options of the sequence and rank-independent layers that no sample network uses, so parity covers every
    // mapping: 1-d pooling with padding, dilation and ceil mode, adaptive 1-d pooling to a divisor of the length,
    // grouped dilated Conv1d without bias, GroupNorm and Softmax on images, Linear over tokens without bias,
    // BatchNorm1d on flat input with its own eps.

    [Input(6, 23)]
    [Conv1d(12, 3, Stride = 2, Padding = 2, Dilation = 2, Groups = 3, Bias = false)]
    [MaxPool1d(3, Stride = 1, Padding = 1, Dilation = 2, CeilMode = true)]
    [AvgPool1d(3, Stride = 2, Padding = 1, CeilMode = true)]
    [GroupNorm(4, Eps = 1e-3)]
    [AdaptiveAvgPool1d(2)]
    [Softmax(Dim = 1)]
    [Linear(5, Bias = false)]
    [Flatten]
    [BatchNorm1d(Eps = 1e-3, Momentum = 0.3)]
    [Linear(4)]
    public partial class SequenceZoo;

    [Input(4, 6, 6)]
    [Conv2d(8, 3, Padding = 1)]
    [GroupNorm(2)]
    [Softmax(Dim = -2)]
    [AdaptiveAvgPool2d]
    [Flatten]
    [Linear(3)]
    [Softmax]
    public partial class NormZoo;
}
