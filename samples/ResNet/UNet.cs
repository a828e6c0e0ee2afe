using Dsl;

namespace ResNetSample
{
    /// <summary>U-Net's double convolution: twice (3x3 convolution, padding 1, no bias -> BatchNorm -> ReLU), an nn.Sequential.</summary>
    [Block("channels")]
    [Conv2d(1, 3, Padding = 1, Bias = false, With = "OutChannels = channels")]
    [BatchNorm2d]
    [ReLU]
    [Conv2d(1, 3, Padding = 1, Bias = false, With = "OutChannels = channels")]
    [BatchNorm2d]
    [ReLU]
    public partial class DoubleConv;

    /// <summary>
    /// One level of U-Net below the top, and every level below it: the input (the skip, the encoder's output one level
    /// up) is pooled, encoded to <c>channels</c>, passed through the next level while <c>levels &gt; 1</c> and decoded,
    /// then brought back up with half the channels, and the skip is concatenated in front of it: <c>cat([skip, up], 1)</c>.
    /// Up is a 2x2 transposed convolution with stride 2 (the paper), or with <c>bilinear</c> a bilinear upsampling by 2
    /// followed by a 1x1 convolution.
    /// </summary>
    [Block("channels", "levels", "bilinear = false", Merge = Merge.Concat)]
    [MaxPool2d(2, Name = "pool")]
    [Use<DoubleConv>("channels", Name = "encode")]
    [Use<Level>("channels * 2", "levels - 1", "bilinear", Name = "inner", When = "levels > 1")]
    [Use<DoubleConv>("channels", Name = "decode", When = "levels > 1")]
    [ConvTranspose2d(1, 2, Stride = 2, Name = "up", With = "OutChannels = channels / 2", When = "!bilinear")]
    [Upsample(2, Mode = UpsampleMode.Bilinear, AlignCorners = true, Name = "upsample", When = "bilinear")]
    [Conv2d(1, 1, Name = "reduce", With = "OutChannels = channels / 2", When = "bilinear")]
    public partial class Level;

    /// <summary>
    /// U-Net (Ronneberger et al. 2015) with padded convolutions and BatchNorm: channels 64, 128, 256, 512, 1024, 2x2 max-pool
    /// down, 2x2 transposed convolution up, the skips concatenated; 3 input channels, 2 classes per pixel, 31,037,698
    /// parameters. The output is [N, 2, H, W] for an [N, 3, H, W] input.
    /// </summary>
    [Input(3, 64, 64)]
    [Use<DoubleConv>(64, Name = "encode")]
    [Use<Level>(128, 4, Name = "level")]
    [Use<DoubleConv>(64, Name = "decode")]
    [Conv2d(2, 1, Name = "classify")]
    public partial class UNet;

    /// <summary>
    /// A small U-Net for 1x32x32 images with bilinear upsampling instead of transposed convolutions: channels 16, 32,
    /// 64, 128, 2 classes per pixel.
    /// </summary>
    [Input(1, 32, 32)]
    [Use<DoubleConv>(16, Name = "encode")]
    [Use<Level>(32, 3, true, Name = "level")]
    [Use<DoubleConv>(16, Name = "decode")]
    [Conv2d(2, 1, Name = "classify")]
    public partial class BilinearUNet;
}
