namespace Dsl
{
    // Upsampling by a scale factor.

    /// <summary>
    /// How <see cref="UpsampleAttribute"/> computes the new pixels. TorchSharp has an enum of the same name
    /// (<c>torch.UpsampleMode</c>): in a file with <c>using static TorchSharp.torch;</c> write <c>Dsl.UpsampleMode</c>.
    /// </summary>
    public enum UpsampleMode
    {
        /// <summary>Each output pixel copies the nearest input pixel (PyTorch's <c>'nearest'</c>).</summary>
        Nearest = 0,

        /// <summary>Bilinear interpolation of the four nearest input pixels (PyTorch's <c>'bilinear'</c>).</summary>
        Bilinear = 1,
    }

    /// <summary>
    /// Upsampling by a fixed factor without parameters (<c>torch.nn.Upsample(scale_factor=..., mode=...)</c>). Output
    /// size per side: <c>floor(in * ScaleFactor)</c>; channels are kept.
    /// </summary>
    public sealed class UpsampleAttribute : LayerAttribute
    {
        /// <param name="scaleFactor">Factor applied to height and width; greater than 0; default 2.</param>
        public UpsampleAttribute(double scaleFactor = 2) => ScaleFactor = scaleFactor;

        /// <summary>Factor applied to height and width.</summary>
        public double ScaleFactor { get; }

        /// <summary>Nearest-neighbour (the default, as in PyTorch) or bilinear interpolation.</summary>
        public UpsampleMode Mode { get; set; } = UpsampleMode.Nearest;

        /// <summary>
        /// Bilinear only: align the corner pixels of input and output (PyTorch's <c>align_corners=True</c>) instead of
        /// their areas; default false. Setting it with <see cref="UpsampleMode.Nearest"/> is an error, as in PyTorch.
        /// </summary>
        public bool AlignCorners { get; set; }
    }
}

namespace Dsl
{
    /// <summary>Whose spatial size <see cref="InterpolateAttribute"/> resizes to.</summary>
    public enum InterpolateTarget
    {
        /// <summary>The network's input (torchvision's segmentation models upsample their logits so).</summary>
        NetworkInput = 0,

        /// <summary>The input of the block whose forward holds the layer (torchvision's <c>ASPPPooling</c>).</summary>
        BlockInput = 1,
    }

    /// <summary>
    /// Bilinear resizing to the height and width of the network's input (or of the enclosing block's input), read at run
    /// time: <c>F.interpolate(x, size=input.shape[-2:], mode="bilinear", align_corners=False)</c>, as torchvision's FCN
    /// and DeepLabV3 heads end. No module and no parameters: a step of the forward, so a block holding it is a class
    /// (it needs a forward), not a Sequential. Channels are kept.
    /// </summary>
    public sealed class InterpolateAttribute : LayerAttribute
    {
        /// <summary>Whose size to take: the network's input (the default) or the enclosing block's.</summary>
        public InterpolateTarget To { get; set; } = InterpolateTarget.NetworkInput;
    }
}
