using Dsl;

namespace Dsl.Onnx.Tests
{
    // Networks the shape property test (ShapeFuzzTests) found that did not export, or exported something else: parity
    // (ParityTests) keeps them computing what TorchSharp computes.

    /// <summary>No layers: the model's output is its input (it had no node that named the output).</summary>
    [Input(4, 8, 1)]
    public partial class NoLayers;

    /// <summary>Adaptive pooling to sizes that do not divide the input: windows of different sizes (was refused).</summary>
    [Input(2, 7, 5)]
    [AdaptiveAvgPool2d(3)]
    [Flatten]
    [Linear(3)]
    public partial class UnevenAdaptivePooling;

    /// <summary>The same over a sequence: 23 to 2 and 5 to 4.</summary>
    [Input(4, 23)]
    [AdaptiveAvgPool1d(2)]
    [Conv1d(3, 1)]
    [AdaptiveAvgPool1d(1)]
    [Flatten]
    [Linear(2)]
    public partial class UnevenAdaptivePooling1d;

    /// <summary>
    /// Output padding not below the stride (PyTorch allows it below the dilation; ONNX Runtime refused the model), and
    /// larger than the padding (rows past the full transposed convolution, which hold only the bias).
    /// </summary>
    [Input(1, 4, 15)]
    [ConvTranspose2d(4, 4, Stride = 2, Padding = 3, OutputPadding = 2, Dilation = 3)]
    [ConvTranspose2d(3, 3, Stride = 2, OutputPadding = 1)]
    [Flatten]
    [Linear(2)]
    public partial class TransposedOutputPadding;

    /// <summary>Ceil mode where PyTorch leaves out a last window that starts in the padding (ONNX Runtime kept it).</summary>
    [Input(3, 2, 14)]
    [ConvTranspose2d(4, 2, Padding = 1, Bias = false)]
    [MaxPool2d(4, Padding = 2, CeilMode = true)]
    [Flatten]
    [Linear(3)]
    public partial class CeilModeLastWindow;

    /// <summary>The same for average pooling and over sequences.</summary>
    [Input(3, 13)]
    [MaxPool1d(4, Padding = 2, CeilMode = true)]
    [AvgPool1d(2, Stride = 2, Padding = 1, CeilMode = true)]
    [Flatten]
    [Linear(2)]
    public partial class CeilModeLastWindow1d;

    /// <summary>Bilinear downsampling to one column (ONNX's pytorch_half_pixel maps an output of length 1 to 0, PyTorch does not).</summary>
    [Input(2, 13, 5)]
    [Upsample(0.25, Mode = UpsampleMode.Bilinear)]
    [Flatten]
    [Linear(2)]
    public partial class BilinearToOneColumn;
}
