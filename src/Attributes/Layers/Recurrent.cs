namespace Dsl
{
    // Recurrent layers over a sequence of steps [L, F] (batch first, as a transformer's tokens): LSTM and GRU.

    /// <summary>What a recurrent layer (<see cref="LSTMAttribute"/>, <see cref="GRUAttribute"/>) passes on.</summary>
    public enum RecurrentOutput
    {
        /// <summary>
        /// Every step's output of the last layer, [L, H] (with <c>Bidirectional</c>, [L, 2H]: the forward and backward
        /// directions concatenated per step): PyTorch's <c>output</c>, for taggers, language models and stacked layers.
        /// </summary>
        AllSteps = 0,

        /// <summary>
        /// The last layer's final hidden state, [H] (with <c>Bidirectional</c>, [2H]: the forward direction after the last
        /// step and the backward direction after the first, concatenated): PyTorch's <c>h_n[-1]</c> (or
        /// <c>torch.cat([h_n[-2], h_n[-1]], 1)</c>), for classifying a whole sequence. Unidirectional, it equals the last
        /// step of <see cref="AllSteps"/>.
        /// </summary>
        LastStep = 1,
    }

    /// <summary>
    /// What the recurrent layers (<see cref="LSTMAttribute"/>, <see cref="GRUAttribute"/>) share: the hidden size, the
    /// output written out, and PyTorch's options.
    /// </summary>
    /// <param name="hiddenSize">Features of the hidden state H; at least 1.</param>
    /// <param name="output">Every step's output [L, H] or the final hidden state [H]: a choice written out, as the two differ in shape and meaning.</param>
    public abstract class RecurrentAttribute(int hiddenSize, RecurrentOutput output) : LayerAttribute
    {
        /// <summary>Features of the hidden state.</summary>
        public int HiddenSize { get; } = hiddenSize;

        /// <summary>What the layer passes on.</summary>
        public RecurrentOutput Output { get; } = output;

        /// <summary>Stacked layers, each reading the previous one's outputs; default 1.</summary>
        public int Layers { get; set; } = 1;

        /// <summary>Whether each layer also reads the sequence backwards, doubling the output features; default false.</summary>
        public bool Bidirectional { get; set; }

        /// <summary>Dropout on the outputs of every layer but the last, in training; in [0, 1), default 0 (PyTorch's meaning).</summary>
        public double Dropout { get; set; }

        /// <summary>Whether the layers have biases (<c>bias_ih</c>, <c>bias_hh</c>); default true.</summary>
        public bool Bias { get; set; } = true;
    }

    /// <summary>
    /// A long short-term memory layer (<c>torch.nn.LSTM(F, hiddenSize, Layers, Bias, batch_first=True, Dropout,
    /// Bidirectional)</c>) over a sequence of steps [L, F], starting from zero states: PyTorch's parameters and
    /// state_dict keys (<c>weight_ih_l0</c> [4H, F], <c>weight_hh_l0</c> [4H, H], <c>bias_ih_l0</c>, <c>bias_hh_l0</c>,
    /// <c>..._reverse</c> for the backward direction; gates in PyTorch's order input, forget, cell, output). The layer reads
    /// any length (the network's declared input fixes the length it is given); the output argument says what it passes on.
    /// </summary>
    public sealed class LSTMAttribute : RecurrentAttribute
    {
        /// <inheritdoc cref="RecurrentAttribute(int, RecurrentOutput)"/>
        public LSTMAttribute(int hiddenSize, RecurrentOutput output) : base(hiddenSize, output) { }
    }

    /// <summary>
    /// A gated recurrent unit layer (<c>torch.nn.GRU(F, hiddenSize, Layers, Bias, batch_first=True, Dropout,
    /// Bidirectional)</c>) over a sequence of steps [L, F], starting from a zero state: PyTorch's parameters and keys
    /// (<c>weight_ih_l0</c> [3H, F], <c>weight_hh_l0</c> [3H, H], biases; gates in PyTorch's order reset, update, new;
    /// the reset gate applied after the hidden projection, as PyTorch does).
    /// </summary>
    public sealed class GRUAttribute : RecurrentAttribute
    {
        /// <inheritdoc cref="RecurrentAttribute(int, RecurrentOutput)"/>
        public GRUAttribute(int hiddenSize, RecurrentOutput output) : base(hiddenSize, output) { }
    }
}
