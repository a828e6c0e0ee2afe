using Dsl;

namespace Dsl.Onnx.Tests
{
    // The options of ConvTranspose2d and Upsample the U-Net sample does not use, so parity covers every argument of
    // their ONNX mappings: padding, output padding, dilation, groups, no bias; nearest and bilinear upsampling (with
    // and without aligned corners) by whole and fractional factors. Odd sizes make the rounding of floor(n * s) matter.

    [Input(4, 7, 9)]
    [ConvTranspose2d(6, 3, Stride = 2, Padding = 1, OutputPadding = 1, Bias = false)]
    [BatchNorm2d]
    [ReLU]
    [ConvTranspose2d(6, 2, Stride = 3, Padding = 1, Dilation = 2, Groups = 3)]
    [Upsample(0.5)]
    [Upsample(1.5, Mode = UpsampleMode.Bilinear)]
    [Conv2d(4, 3, Padding = 1)]
    [Upsample(2, Mode = UpsampleMode.Bilinear, AlignCorners = true)]
    [Upsample(3)]
    [ConvTranspose2d(2, 4, Stride = 2, Padding = 3, OutputPadding = 1, Dilation = 2)]
    public partial class UpsamplingZoo;
}
