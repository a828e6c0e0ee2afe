using System;

namespace Dsl
{
    // The network's input declaration.

    /// <summary>
    /// Declares the input of a network: one sample is an image (channels, height, width), a sequence
    /// (channels, length) or flat features; the batch dimension is always symbolic. Put it on a
    /// <c>partial</c> class together with layer attributes; the attributes below it are the layers, in order.
    /// </summary>
    /// <example><code>
    /// [Input(1, 28, 28)]
    /// [Conv2d(6, 5, Padding = 2)] [Sigmoid] [AvgPool2d(2)]
    /// [Flatten] [Linear(10)]
    /// public partial class TinyNet;
    ///
    /// [Input(784)] [Linear(256)] [ReLU] [Linear(10)]
    /// public partial class Mlp;
    ///
    /// [Input(12, 128)] [Conv1d(32, 5, Padding = 2)] [ReLU] [MaxPool1d(2)] [Flatten] [Linear(4)]
    /// public partial class SequenceNet;
    ///
    /// [Input(64, Vocabulary = 256)] [Embedding(32)] [PositionTable(64)] [Linear(256)]
    /// public partial class TinyLanguageModel;
    /// </code></example>
    /// <remarks>
    /// A network with several inputs declares one <c>[Input]</c> per input, each with a <see cref="Name"/>: its forward
    /// takes them in that order as arguments of those names (<c>forward(left, right)</c>), and a layer reads an input
    /// other than the first with <see cref="LayerAttribute.From"/>.
    /// </remarks>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class InputAttribute : Attribute
    {
        private readonly int[] _dimensions;

        /// <summary>Flat input: one sample is a vector of <paramref name="features"/> values (an MLP's input).</summary>
        /// <param name="features">Features of one input sample; at least 1.</param>
        public InputAttribute(int features)
        {
            _dimensions = new[] { features };
            Channels = features;
        }

        /// <summary>Sequence input: one sample is (channels, length), as <c>Conv1d</c> reads it; also tokens (length, dim) for <c>Linear</c>.</summary>
        /// <param name="channels">Channels (features per position) of one input sample; at least 1.</param>
        /// <param name="length">Length (positions) of one input sample; at least 1.</param>
        public InputAttribute(int channels, int length)
        {
            _dimensions = new[] { channels, length };
            Channels = channels;
            Length = length;
        }

        /// <summary>Image input: one sample is (channels, height, width).</summary>
        /// <param name="channels">Channels of one input sample (1 for grey images, 3 for RGB).</param>
        /// <param name="height">Height of one input sample in pixels.</param>
        /// <param name="width">Width of one input sample in pixels.</param>
        public InputAttribute(int channels, int height, int width)
        {
            _dimensions = new[] { channels, height, width };
            Channels = channels;
            Height = height;
            Width = width;
        }

        /// <summary>The dimensions of one sample as declared (batch excluded): 1, 2 or 3 of them.</summary>
        public int[] Dimensions => (int[])_dimensions.Clone();

        /// <summary>Channels of one input sample (for flat input: its features).</summary>
        public int Channels { get; }

        /// <summary>Height of one image sample; 0 for sequence and flat input.</summary>
        public int Height { get; }

        /// <summary>Width of one image sample; 0 for sequence and flat input.</summary>
        public int Width { get; }

        /// <summary>Length of one sequence sample; 0 for image and flat input.</summary>
        public int Length { get; }

        /// <summary>
        /// Token input: with <c>[Input(length, Vocabulary = v)]</c> one sample is a sequence of at most <c>length</c>
        /// integer token ids in [0, v) (a batch is an int64 tensor [N, L]), the input of an <see cref="EmbeddingAttribute"/>.
        /// Shorter sequences are accepted at run time when the network allows it (no layer depends on the length). 0 (the
        /// default): the input is real numbers.
        /// </summary>
        public int Vocabulary { get; set; }

        /// <summary>
        /// The input's name: the forward's argument, the ONNX input and the PyTorch twin's <c>forward</c> argument, and
        /// what <see cref="LayerAttribute.From"/> names. Required when a network has several inputs; default null (the
        /// argument is called <c>input</c>).
        /// </summary>
        public string? Name { get; set; }
    }
}
