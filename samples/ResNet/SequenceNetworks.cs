using Dsl;

namespace ResNetSample
{
    // Networks on flat and sequence input: not trained by the sample's CLI (its data are images), but exported, run
    // and compared like every other network of the sample (ONNX parity, PyTorch twin, shapes against TorchSharp).

    /// <summary>A multilayer perceptron on flat 28x28 pixels: [N, 784] -> [N, 10].</summary>
    [Input(784)]
    [Linear(256)] [ReLU] [Dropout(0.2)]
    [Linear(10)]
    public partial class Mlp;

    /// <summary>
    /// A 1-d convolutional network on 12-channel sequences of length 128 (sensor data, audio features): convolutions,
    /// batch and group normalisation, 1-d pooling, then a global average pooling, so other lengths run too.
    /// </summary>
    [Input(12, 128)]
    [Conv1d(32, 5, Padding = 2)] [BatchNorm1d] [ReLU] [MaxPool1d(2)]
    [Conv1d(32, 3, Stride = 2, Padding = 2, Dilation = 2, Groups = 4, Bias = false)] [GroupNorm(8, Eps = 1e-3)] [GELU]
    [AvgPool1d(3, Stride = 2, Padding = 1, CeilMode = true)]
    [Conv1d(16, 1)] [AdaptiveAvgPool1d]
    [Flatten] [BatchNorm1d] [Linear(5)] [Softmax]
    public partial class SequenceNet;

    /// <summary>A token MLP: Linear layers on the last dimension of 16 tokens of 32 features, as PyTorch applies them.</summary>
    [Input(16, 32)]
    [Linear(64)] [GELU] [GroupNorm(4)] [Linear(32, Bias = false)] [Softmax(Dim = 1)]
    [Flatten] [Linear(3)]
    public partial class TokenMlp;
}
