using Dsl;

namespace ResNetSample
{
    // Networks on flat and sequence input. train takes tables and arrays for them (--data a .csv, .npy or .npz), and
    // images turned into sequences (--transforms "ImageToSequence()").

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

    /// <summary>
    /// A 1-d convolutional classifier of 28-step sequences of 28 features, such as MNIST images read row by row
    /// (<c>--transforms "ImageToSequence()"</c> turns a [1, 28, 28] image into [28 features, 28 steps]).
    /// </summary>
    [Input(28, 28)]
    [Conv1d(64, 3, Padding = 1, Bias = false)] [BatchNorm1d] [ReLU]
    [Conv1d(128, 3, Padding = 1, Bias = false)] [BatchNorm1d] [ReLU] [MaxPool1d(2)]
    [Conv1d(128, 3, Padding = 1, Bias = false)] [BatchNorm1d] [ReLU] [AdaptiveAvgPool1d]
    [Flatten] [Linear(10)]
    public partial class RowSequenceNet;

    /// <summary>
    /// An LSTM reading MNIST images row by row: <c>ImageToSequence()</c> gives [28 features, 28 steps] (the 1-d
    /// convolutions' layout), the Permute turns it into 28 steps of 28 features [L, F] (the recurrent layers' layout),
    /// and the classifier reads the final hidden state.
    /// </summary>
    [Input(28, 28)]
    [Permute(0, 2, 1)]
    [LSTM(128, RecurrentOutput.LastStep)]
    [Linear(10)]
    public partial class RowLstm;

    /// <summary>
    /// A sequence tagger: two stacked bidirectional GRU layers give each of 24 steps 2 x 32 features, and a Linear gives
    /// each step 5 classes: [24, 8] -> [24, 5].
    /// </summary>
    [Input(24, 8)]
    [GRU(32, RecurrentOutput.AllSteps, Layers = 2, Bidirectional = true, Dropout = 0.1)]
    [Linear(5)]
    public partial class GruTagger;

    /// <summary>
    /// A sequence classifier: an LSTM without biases passes every step on to two stacked bidirectional LSTM layers, whose
    /// final hidden states (forward after the last step, backward after the first) are classified: [20, 6] -> [3].
    /// </summary>
    [Input(20, 6)]
    [LSTM(16, RecurrentOutput.AllSteps, Bias = false)]
    [LSTM(12, RecurrentOutput.LastStep, Layers = 2, Bidirectional = true)]
    [Linear(3)]
    public partial class BiLstmClassifier;

    /// <summary>A regression MLP: 8 features to one value (the sample's synthetic regression table, <c>make-data regression</c>).</summary>
    [Input(8)]
    [Linear(64)] [ReLU]
    [Linear(64)] [ReLU]
    [Linear(1)]
    public partial class RegressionMlp;

    /// <summary>A token MLP: Linear layers on the last dimension of 16 tokens of 32 features, as PyTorch applies them.</summary>
    [Input(16, 32)]
    [Linear(64)] [GELU] [GroupNorm(4)] [Linear(32, Bias = false)] [Softmax(Dim = 1)]
    [Flatten] [Linear(3)]
    public partial class TokenMlp;
}
