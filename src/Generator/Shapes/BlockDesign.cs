using Dsl.Generator.Model;

namespace Dsl.Generator.Shapes
{
    /// <summary>The four block structures of the ResNet family.</summary>
    internal enum BlockKind { Basic, Bottleneck, PreActBasic, PreActBottleneck }

    /// <summary>
    /// One concrete block of a ResNet-family stage: channels in, 3x3 width, channels out, stride, groups (number
    /// of groups), whether the shortcut is projected and how its modules are named (<see cref="Downsample"/>:
    /// torchvision's <c>downsample.0/1</c>, otherwise the next numbered conv/bn).
    /// </summary>
    internal sealed record BlockDesign(
        BlockKind Kind,
        long InChannels,
        long Width,
        long OutChannels,
        long Stride,
        long Groups,
        bool StrideOnFirst1x1,
        bool Projection,
        BlockOptions Options,
        bool Downsample)
    {
        /// <summary>The generated nested class (and LayerInfo type) of the block.</summary>
        public string TypeName => Kind switch
        {
            BlockKind.Basic => "BasicBlock",
            BlockKind.Bottleneck => "BottleneckBlock",
            BlockKind.PreActBasic => "PreActBasicBlock",
            _ => "PreActBottleneckBlock",
        };

        /// <summary>Names of the projection's convolution and BatchNorm.</summary>
        public (string Conv, string Bn) ShortcutNames => Downsample
            ? ("0", "1")
            : Kind is BlockKind.Basic or BlockKind.PreActBasic ? ("conv3", "bn3") : ("conv4", "bn4");
    }
}
