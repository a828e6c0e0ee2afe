
namespace Dsl.Generator.Layers
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
        bool Downsample,
        long Dilation = 1)
    {
        /// <summary>The generated class (and summary type) of the block.</summary>
        public string TypeName => Kind switch
        {
            BlockKind.Basic => "BasicBlock",
            BlockKind.Bottleneck => "BottleneckBlock",
            BlockKind.PreActBasic => "PreActBasicBlock",
            _ => "PreActBottleneckBlock",
        };

        public bool PreActivation => Kind is BlockKind.PreActBasic or BlockKind.PreActBottleneck;

        public bool Bottleneck => Kind is BlockKind.Bottleneck or BlockKind.PreActBottleneck;

        /// <summary>Names of the projection's convolution and BatchNorm.</summary>
        public (string Conv, string Bn) ShortcutNames => Downsample
            ? ("0", "1")
            : Bottleneck ? ("conv4", "bn4") : ("conv3", "bn3");

        /// <summary>
        /// The blocks of a stage: only the first strides and changes channels, and gets the projection when its
        /// stride is not 1 or its channels change (torchvision's rule). The first block's 3x3 convolution is dilated by
        /// <paramref name="firstDilation"/>, the others' by <paramref name="dilation"/> (torchvision's
        /// <c>_make_layer</c> with <c>replace_stride_with_dilation</c>).
        /// </summary>
        public static IEnumerable<BlockDesign> Stage(BlockKind kind, int blocks, long inChannels, long width, long outChannels, long stride, long groups,
            bool strideOnFirst1x1, BlockOptions options, Naming naming, long dilation = 1, long firstDilation = 1)
        {
            // Lazy: the builder stops at its work budget, so a stage of int.MaxValue blocks never allocates them all.
            for (int b = 0; b < blocks; b++)
            {
                long s = b == 0 ? stride : 1, cin = b == 0 ? inChannels : outChannels;
                yield return new BlockDesign(kind, cin, width, outChannels, s, groups, strideOnFirst1x1, s != 1 || cin != outChannels, options, naming == Naming.TorchVision,
                    b == 0 ? firstDilation : dilation);
            }
        }
    }

    /// <summary>
    /// The ResNet-family blocks, each structure written once (compare torchvision's BasicBlock and Bottleneck):
    /// main branch, projection shortcut, add. Post-activation blocks end with ReLU after the addition;
    /// pre-activation blocks do not. ReLUs are functional and in place (no modules), as torchvision's shared
    /// <c>relu</c>.
    /// </summary>
    internal static class ResNetBlocks
    {
        /// <summary>A stage: a Sequential of blocks named 0, 1, ...</summary>
        public static Value Stage(GraphBuilder b, string name, string kind, Value x, System.Func<long, IEnumerable<BlockDesign>> designs, string groupsArgument)
        {
            if (!Require.Image(b, b.ChildPath(name), kind, x)) return x;
            var stage = b.Sequential(name, x);
            var v = stage.Input;
            int i = 0;
            foreach (var design in designs(x.Channels))
            {
                if (stage.Failed) break;
                v = Block(stage, (i++).ToString(System.Globalization.CultureInfo.InvariantCulture), v, design, groupsArgument, null);
            }
            return b.EndSequential(stage, kind, x, v);
        }

        /// <summary>
        /// One block. <paramref name="groupsArgument"/> is the argument blamed for the grouped 3x3 convolution;
        /// <paramref name="shortcutArgument"/> the one that adds a projection (null inside a stage, which decides it).
        /// </summary>
        public static Value Block(GraphBuilder parent, string name, Value x, BlockDesign d, string groupsArgument, string? shortcutArgument)
        {
            if (!Require.Image(parent, parent.ChildPath(name), d.TypeName, x)) return x;
            var k = parent.Block(name, x);
            var inChannels = k.Param("inChannels", d.InChannels);
            var width = d.Bottleneck ? k.Param("width", d.Width) : default;
            var outChannels = k.Param(d.Bottleneck ? "outChannels" : "channels", d.OutChannels);
            var stride = k.Param("stride", d.Stride);
            var groups = k.Param("groups", d.Groups);
            // torchvision's conv3x3(width, width, stride, groups, dilation) pads by the dilation: the size is kept.
            var dilation = d.Bottleneck && !d.PreActivation ? k.Param("dilation", d.Dilation) : 1;
            var bias = k.Param("bias", d.Options.Bias);
            bool zeroInit = d.Options.ZeroInitLastBatchNorm;

            // Post-activation: convolution n (ungrouped, undilated) and its BatchNorm, torchvision's conv<n> and bn<n>.
            Value ConvBn(int n, Value v, Num cin, Num cout, Num kernel, Num s, Num padding, bool zeroInitBn = false) =>
                BatchNorm2dSpec.Add(k, "bn" + n, Conv2dSpec.Add(k, "conv" + n, v, cin, cout, kernel, s, padding, 1, 1, bias), cout, zeroInitWeight: zeroInitBn);

            var input = k.Input;
            Value y;
            switch (d.Kind)
            {
                case BlockKind.Basic:
                    y = k.ReluInPlace(ConvBn(1, input, inChannels, outChannels, 3, stride, 1));
                    y = ConvBn(2, y, outChannels, outChannels, 3, 1, 1, zeroInit);
                    break;
                case BlockKind.Bottleneck:
                {
                    Num s1 = d.StrideOnFirst1x1 ? stride : 1, s3 = d.StrideOnFirst1x1 ? 1 : stride;
                    y = k.ReluInPlace(ConvBn(1, input, inChannels, width, 1, s1, 0));
                    using (k.Blaming(groupsArgument)) y = Conv2dSpec.Add(k, "conv2", y, width, width, 3, s3, dilation, dilation, groups, bias);
                    y = k.ReluInPlace(BatchNorm2dSpec.Add(k, "bn2", y, width));
                    y = ConvBn(3, y, width, outChannels, 1, 1, 0, zeroInit);
                    break;
                }
                case BlockKind.PreActBasic:
                    input = BatchNorm2dSpec.Add(k, "bn1", input, inChannels, into: "a");
                    input = k.ReluInPlace(input);
                    y = Conv2dSpec.Add(k, "conv1", input, inChannels, outChannels, 3, stride, 1, 1, 1, bias);
                    y = BatchNorm2dSpec.Add(k, "bn2", y, outChannels);
                    y = k.ReluInPlace(y);
                    y = Conv2dSpec.Add(k, "conv2", y, outChannels, outChannels, 3, 1, 1, 1, 1, bias);
                    break;
                default:
                    input = BatchNorm2dSpec.Add(k, "bn1", input, inChannels, into: "a");
                    input = k.ReluInPlace(input);
                    y = Conv2dSpec.Add(k, "conv1", input, inChannels, width, 1, 1, 0, 1, 1, bias);
                    y = BatchNorm2dSpec.Add(k, "bn2", y, width);
                    y = k.ReluInPlace(y);
                    using (k.Blaming(groupsArgument)) y = Conv2dSpec.Add(k, "conv2", y, width, width, 3, stride, 1, 1, groups, bias);
                    y = BatchNorm2dSpec.Add(k, "bn3", y, width);
                    y = k.ReluInPlace(y);
                    y = Conv2dSpec.Add(k, "conv3", y, width, outChannels, 1, 1, 0, 1, 1, bias);
                    break;
            }

            // The shortcut: the block's input, or a 1x1 projection of the (pre-activated) input.
            var projection = k.Param("projection", d.Projection);
            var (convName, bnName) = d.ShortcutNames;
            Value identity;
            if (d.Downsample)
            {
                identity = k.Optional(projection, "downsample", input, k.Input, "identity", v =>
                {
                    var downsample = k.Sequential("downsample", v);
                    var p = Conv2dSpec.Add(downsample, convName, downsample.Input, inChannels, outChannels, 1, stride, 0, 1, 1, bias);
                    if (d.Options.ProjectionBatchNorm) p = BatchNorm2dSpec.Add(downsample, bnName, p, outChannels);
                    return k.EndSequential(downsample, "Sequential", v, p,
                        doc: "The projection shortcut, torchvision's <c>downsample</c>: 0 = 1x1 convolution" + (d.Options.ProjectionBatchNorm ? ", 1 = BatchNorm." : "."));
                });
            }
            else
            {
                identity = k.Optional(projection, convName, input, k.Input, "identity",
                    v => Conv2dSpec.Add(k, convName, v, inChannels, outChannels, 1, stride, 0, 1, 1, bias, doc: "The 1x1 projection on the shortcut."));
                if (d.Options.ProjectionBatchNorm)
                {
                    identity = k.Optional(projection, bnName, identity, identity, "identity",
                        v => BatchNorm2dSpec.Add(k, bnName, v, outChannels, doc: "Batch normalization after the projection."));
                }
            }

            if (!k.Failed && y.Shape != identity.Shape)
            {
                string hint = shortcutArgument is null
                    ? "give the previous layer " + d.OutChannels + " output channels"
                    : "set " + shortcutArgument + " = true, or give the previous layer " + d.OutChannels + " output channels and use Stride = 1";
                k.ReportAt(ProblemCode.ResidualShapeMismatch, k.Blame ?? shortcutArgument, k.Path, GraphBuilder.Format(y.Shape), GraphBuilder.Format(identity.Shape), hint);
            }
            y = k.AddInPlace(y, identity);
            if (!d.PreActivation) y = k.ReluInPlace(y);
            return parent.EndBlock(k, d.TypeName, d.TypeName, x, y, doc: Doc(d.Kind));
        }

        private static string Doc(BlockKind kind) => kind switch
        {
            BlockKind.Basic => "torchvision BasicBlock: conv1 3x3 (stride) -> bn1 -> ReLU -> conv2 3x3 -> bn2, plus the shortcut, then ReLU.",
            BlockKind.Bottleneck => "torchvision Bottleneck: conv1 1x1 -> bn1 -> ReLU -> conv2 3x3 (groups) -> bn2 -> ReLU -> conv3 1x1 -> bn3, plus the shortcut, then ReLU.",
            BlockKind.PreActBasic => "Pre-activation basic block (He et al. 2016): bn1 -> ReLU -> conv1 3x3 (stride) -> bn2 -> ReLU -> conv2 3x3, plus the shortcut.",
            _ => "Pre-activation bottleneck block (He et al. 2016): bn1 -> ReLU -> conv1 1x1 -> bn2 -> ReLU -> conv2 3x3 (stride, groups) -> bn3 -> ReLU -> conv3 1x1, plus the shortcut.",
        };
    }
}
