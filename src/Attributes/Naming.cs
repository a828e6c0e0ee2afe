using System;

namespace Dsl
{
    // How a network names its layers.

    /// <summary>How the generator names the modules of a network (field names and state_dict keys).</summary>
    public enum NamingConvention
    {
        /// <summary>
        /// The default, D2L-style names: layers numbered per kind (<c>conv1</c>, <c>bn1</c>, <c>relu1</c>,
        /// <c>stage1</c>, <c>stem</c>, <c>head</c>); inside a block the projection shortcut is the next
        /// numbered convolution and BatchNorm (<c>conv3</c>/<c>bn3</c> in a basic block,
        /// <c>conv4</c>/<c>bn4</c> in a bottleneck, as in D2L's <c>ResNeXtBlock</c>).
        /// </summary>
        D2L = 0,

        /// <summary>
        /// torchvision's names: <c>conv1, bn1, relu, maxpool, layer1..layer4, avgpool, fc</c> (only convolutions
        /// and BatchNorms are numbered from the first one; other kinds are numbered from the second one of their
        /// kind); blocks <c>0, 1, ...</c>; inside a block <c>conv1, bn1, conv2, bn2[, conv3, bn3]</c> and the
        /// projection shortcut <c>downsample.0</c> (1x1 convolution), <c>downsample.1</c> (BatchNorm).
        /// With this convention and plain stem/head layers the state_dict keys equal torchvision's.
        /// </summary>
        TorchVision = 1,
    }

    /// <summary>
    /// Chooses the <see cref="NamingConvention"/> of a network (put it on the network class next to
    /// <c>[Input]</c>). Without it the network uses <see cref="NamingConvention.D2L"/>.
    /// </summary>
    /// <example><code>
    /// [Input(3, 224, 224)]
    /// [Naming(NamingConvention.TorchVision)]
    /// [Conv2d(64, 7, Stride = 2, Padding = 3, Bias = false)] [BatchNorm2d] [ReLU] [MaxPool2d(3, Stride = 2, Padding = 1)]
    /// [BasicStage(2, 64)] [BasicStage(2, 128, Stride = 2)] [BasicStage(2, 256, Stride = 2)] [BasicStage(2, 512, Stride = 2)]
    /// [AdaptiveAvgPool2d] [Flatten] [Linear(1000)]
    /// public partial class ResNet18;   // conv1, bn1, relu, maxpool, layer1..layer4, avgpool, flatten, fc
    /// </code></example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class NamingAttribute : Attribute
    {
        /// <param name="convention">The naming convention of the network's modules.</param>
        public NamingAttribute(NamingConvention convention) => Convention = convention;

        /// <summary>The naming convention of the network's modules.</summary>
        public NamingConvention Convention { get; }
    }
}
