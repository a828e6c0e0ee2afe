using Dsl.Generator.Blocks;
using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[Conv2d(out, kernel, Stride, Padding, Dilation, Groups, Bias)]</c>: nn.Conv2d over an image (channels, height,
    /// width). A string kernel (<c>"1, 7"</c>) and <c>Strides</c>, <c>Paddings</c>, <c>Dilations</c> give a size per
    /// dimension (<see cref="Sizes"/>, as read; null in a spec built from the numbers), as Inception-v3's factorised convolutions.
    /// </summary>
    internal sealed record Conv2dSpec(string? Name, int OutChannels, int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Bias,
        Window? Sizes = null)
        : ConvolutionSpec(Name, 2, OutChannels, Kernel, Stride, Padding, Dilation, Groups, Bias)
    {
        [Reads("Conv2dAttribute")]
        public static LayerSpec Read(AttributeReader a)
        {
            var sizes = Window.Read(a, 1, 2, strideFallback: 1);
            // A kernel written as a string is read per dimension only.
            int kernel = sizes.Kernel.Text is null ? sizes.Kernel.Values[0] : 0;
            return new Conv2dSpec(a.Name, a.Int(0), kernel, a.Named("Stride", 1), a.Named("Padding", 0), a.Named("Dilation", 1),
                a.Named("Groups", 1), a.Named("Bias", true), sizes);
        }

        public override void Validate(Validation v)
        {
            if (Sizes is not { PerAxis: true })
            {
                base.Validate(v);
                return;
            }
            v.AtLeast("outChannels", OutChannels, 1); v.AtLeast("Groups", Groups, 1);
            Sizes.Validate(v, strideMin: 1);
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            if (Sizes is not { PerAxis: true }) return base.Build(b, name, x);
            Num[] Nums(AxisSize size) => size.Values.Select(n => new Num(n)).ToArray();
            return AddConvolution(b, 2, name, x, x.Channels, OutChannels, Nums(Sizes.Kernel), Nums(Sizes.Stride), Nums(Sizes.Padding), Nums(Sizes.Dilation),
                Groups, Bias, arguments: new Arguments(Sizes.Stride.Argument, Sizes.Padding.Argument, Sizes.Dilation.Argument));
        }

        /// <summary>
        /// Adds a 2-d convolution. <paramref name="inChannels"/> names the block parameter that carries the incoming channels
        /// (its value must be the input's channels; otherwise the input's channels are written as a literal).
        /// </summary>
        public static Value Add(GraphBuilder b, string name, Value x, Num inChannels, Num outChannels, Num kernel, Num stride, Num padding,
            Num dilation, Num groups, Flag bias, string? into = null, string? doc = null) =>
            AddConvolution(b, 2, name, x, inChannels, outChannels, new[] { kernel, kernel }, new[] { stride, stride }, new[] { padding, padding },
                new[] { dilation, dilation }, groups, bias, into, doc);
    }

    /// <summary><c>[Conv1d(out, kernel, Stride, Padding, Dilation, Groups, Bias)]</c>: nn.Conv1d over a sequence (channels, length).</summary>
    internal sealed record Conv1dSpec(string? Name, int OutChannels, int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Bias)
        : ConvolutionSpec(Name, 1, OutChannels, Kernel, Stride, Padding, Dilation, Groups, Bias)
    {
        [Reads("Conv1dAttribute")]
        public static LayerSpec Read(AttributeReader a) =>
            new Conv1dSpec(a.Name, a.Int(0), a.Int(1), a.Named("Stride", 1), a.Named("Padding", 0), a.Named("Dilation", 1), a.Named("Groups", 1), a.Named("Bias", true));

        /// <summary>"length-7" (a kernel), as the messages of DSL001 and DSL002 show a 1-d size.</summary>
        internal static string Length(long n) => "length-" + n;
    }

    /// <summary>
    /// A convolution over <see cref="Rank"/> spatial dimensions (1: a sequence, 2: an image): the checks, shapes, counts
    /// and arguments of nn.Conv1d and nn.Conv2d, written once, per dimension.
    /// </summary>
    internal abstract record ConvolutionSpec(string? Name, int Rank, int OutChannels, int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Bias)
        : LayerSpec(Name)
    {
        public override string Kind => "Conv" + Rank + "d";
        public override string NamePrefix => "conv";
        public override (string Prefix, bool Numbered) TorchVisionName => ("conv", true);

        public override void Validate(Validation v)
        {
            v.AtLeast("outChannels", OutChannels, 1); v.AtLeast("kernel", Kernel, 1); v.AtLeast("Stride", Stride, 1);
            v.AtLeast("Padding", Padding, 0); v.AtLeast("Dilation", Dilation, 1); v.AtLeast("Groups", Groups, 1);
        }

        /// <summary>
        /// ONNX: one Conv node for either rank, the bias where the layer has one, the sizes per spatial axis (a square
        /// kernel's single number repeated) and <c>pads</c> from the symmetric padding.
        /// </summary>
        internal static readonly OnnxRendering ToOnnx = Nodes(
            Node("Conv", In(X, Weight("weight"), Weight("bias", ifArg: "bias")),
                Ints("kernel_shape", Spatial("kernel_size")), Ints("strides", Spatial("stride")), Ints("pads", Pads("padding")),
                Ints("dilations", Spatial("dilation")), Int("group", Arg("groups"))));

        public override Value Build(GraphBuilder b, string name, Value x) =>
            AddConvolution(b, Rank, name, x, x.Channels, OutChannels, Same(Kernel), Same(Stride), Same(Padding), Same(Dilation), Groups, Bias);

        private Num[] Same(long value) => Enumerable.Repeat(new Num(value), Rank).ToArray();

        /// <summary>The attribute arguments a problem with the stride, the padding or the dilation points at.</summary>
        protected sealed record Arguments(string Stride, string Padding, string Dilation)
        {
            public static readonly Arguments Square = new("Stride", "Padding", "Dilation");
        }

        /// <summary>
        /// Adds a convolution over <paramref name="rank"/> spatial dimensions, with a kernel, stride, padding and dilation per
        /// dimension; see <see cref="Conv2dSpec.Add"/> for <paramref name="inChannels"/>. Where the sizes are the same in every
        /// dimension the layer's arguments are single numbers (which may come from block parameters), otherwise pairs.
        /// </summary>
        protected static Value AddConvolution(GraphBuilder b, int rank, string name, Value x, Num inChannels, Num outChannels, Num[] kernel, Num[] stride,
            Num[] padding, Num[] dilation, Num groups, Flag bias, string? into = null, string? doc = null, Arguments? arguments = null)
        {
            arguments ??= Arguments.Square;
            string kind = "Conv" + rank + "d", path = b.ChildPath(name);
            if (!(rank == 2 ? Require.Image(b, path, kind, x) : Require.Sequence(b, path, kind, x))) return x;
            long cin = x.Shape[0];
            long[] size = x.Shape.Skip(1).ToArray();
            long g = groups.Value, cout = outChannels.Value;
            if (cin % g != 0 || cout % g != 0)
            {
                b.Report(ProblemCode.GroupsDoNotDivide, "Groups", path, g, cin, cout);
                return x;
            }
            long[] Values(Num[] sizes) => sizes.Select(n => n.Value).ToArray();
            long[] k = Values(kernel), s = Values(stride), p = Values(padding), d = Values(dilation);
            long[] effective = new long[rank], padded = new long[rank], output = new long[rank];
            for (int i = 0; i < rank; i++)
            {
                long ki = k[i], di = d[i], pi = p[i], n = size[i];
                effective[i] = b.Checked(() => ShapeMath.EffectiveKernel(ki, di), path, "kernel");
                padded[i] = b.Checked(() => n + 2 * pi, path, arguments.Padding);
            }
            if (b.Failed) return x;
            bool square = Spatial.Square(k) && Spatial.Square(s) && Spatial.Square(p) && Spatial.Square(d);
            if (Spatial.First(rank, i => effective[i] > padded[i]) is var tooLarge && tooLarge >= 0)
            {
                b.Report(ProblemCode.KernelLargerThanInput, "kernel", path, Spatial.Size(effective),
                    (rank == 2 ? Require.Size(padded[0], padded[1]) : "of length " + padded[0]) + (rank == 2 && !Spatial.Square(k) ? " (" + Spatial.Dimension(rank, tooLarge, false) + " " + padded[tooLarge] + ")" : ""));
                return x;
            }
            for (int i = 0; i < rank; i++) output[i] = ShapeMath.ConvOutput(size[i], k[i], s[i], p[i], d[i]);
            if (Spatial.First(rank, i => output[i] < 1) is var belowOne && belowOne >= 0)
            {
                b.Report(ProblemCode.OutputBelowOne, "kernel", path, Spatial.Size(size), Spatial.Output(output), Spatial.Dimension(rank, belowOne, square));
                return x;
            }
            long window = 1, positions = 1;
            for (int i = 0; i < rank; i++)
            {
                long ki = k[i], o = output[i];
                window = b.Checked(() => window * ki, path, "kernel");
                positions = b.Checked(() => positions * o, path, "kernel");
            }
            long perOutput = b.Checked(() => cin / g * window, path, "kernel");
            long parameters = b.Checked(() => cout * perOutput + (bias.Value ? cout : 0), path, "outChannels");
            long macs = b.Checked(() => cout * positions * perOutput, path, "outChannels");
            if (b.Failed) return x;
            var args = new[]
            {
                Literal.Arg("in_channels", inChannels.Value == cin ? inChannels : cin),
                Literal.Arg("out_channels", outChannels),
                square ? Literal.Arg("kernel_size", kernel[0]) : Spatial.Pair("kernel_size", k, null),
                square ? Literal.Arg("stride", stride[0], 1) : Spatial.Pair("stride", s, Spatial.Repeat(1, rank)),
                // A literal 0 would also convert to TorchSharp's Padding enum (an ambiguous call): the default is left out.
                square ? Literal.Arg("padding", padding[0], 0) : Spatial.Pair("padding", p, Spatial.Repeat(0, rank)),
                square ? Literal.Arg("dilation", dilation[0], 1) : Spatial.Pair("dilation", d, Spatial.Repeat(1, rank)),
                Literal.Arg("groups", groups, 1),
                Literal.Arg("bias", bias, true),
            };
            return b.Leaf(name, kind, x, GraphNode.Dims(new[] { cout }.Concat(output).ToArray()), parameters, macs, SizeRule.Follows, args, into, doc, rendering: rank == 2 ? Rendering2d : Rendering1d, onnx: ToOnnx,
                saves: SavedForBackward.Input, // the input (the weight is a parameter)
                init: rank == 2 ? Init2d : Init1d);
        }

        /// <summary>[Init] names Conv1d and Conv2d; their weights are [out, in / groups, kernel...].</summary>
        private static readonly LeafInit Init1d = LeafInit.Named("Conv1d", 3), Init2d = LeafInit.Named("Conv2d", 4);

        /// <summary>nn.Conv1d and nn.Conv2d, the channels by position as torchvision writes them; convolutions are on autocast's lower-precision list.</summary>
        private static readonly LeafRendering Rendering1d = Rendering(1), Rendering2d = Rendering(2);

        private static LeafRendering Rendering(int rank) => LeafRendering.Module(
            PyTorchConstructor.Of("nn.Conv" + rank + "d", "in_channels*", "out_channels*", "kernel_size", "stride", "padding", "dilation", "groups", "bias"),
            AutocastRule.LowerPrecision("conv" + rank + "d")) with { Family = LayerFamily.Convolution, Layout = rank == 2 ? ActivationLayout.Image : ActivationLayout.Any };
    }
}
