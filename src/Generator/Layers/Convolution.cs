using System.Collections.Generic;
using System.Linq;
using Dsl.Generator.Blocks;
using Dsl.Generator.Graph;
using Dsl.Generator.Layers;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// Kernel, stride, padding and dilation per spatial dimension (height, width), where a layer's are not the same in
    /// each: <c>[Conv2d(192, "1, 7", Paddings = "0, 3")]</c>, Inception-v3's factorised convolutions.
    /// </summary>
    internal sealed record ConvolutionAxes(EquatableArray<int> Kernel, EquatableArray<int> Stride, EquatableArray<int> Padding, EquatableArray<int> Dilation)
    {
        /// <summary>The attribute whose arguments below are read per dimension.</summary>
        public const string Attribute = "Conv2dAttribute";

        /// <summary>The constructor argument read per dimension when it is a string (<c>"1, 7"</c>).</summary>
        public const string KernelArgument = "kernel";

        /// <summary>The named arguments read per dimension (<c>Paddings = "0, 3"</c>).</summary>
        public static readonly string[] NamedArguments = { "Strides", "Paddings", "Dilations" };

        /// <summary>
        /// The text of each dimension of <paramref name="argument"/> of a <paramref name="kind"/> attribute: its
        /// comma-separated parts (a block checks each as an expression); the whole text for any other argument.
        /// </summary>
        public static List<Segment> Parts(string kind, string argument, string text) =>
            kind == Attribute && (argument == KernelArgument || System.Array.IndexOf(NamedArguments, argument) >= 0)
                ? Expression.Split(text, ",")
                : new List<Segment> { new(text, 0) };
    }

    /// <summary>
    /// <c>[Conv2d(out, kernel, Stride, Padding, Dilation, Groups, Bias)]</c>: nn.Conv2d over an image (channels, height,
    /// width). A string kernel (<c>"1, 7"</c>) and <see cref="Strides"/>, <see cref="Paddings"/>, <see cref="Dilations"/>
    /// give a size per dimension (<see cref="PerAxis"/>).
    /// </summary>
    internal sealed record Conv2dSpec(string? Name, int OutChannels, int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Bias,
        string? Strides = null, string? Paddings = null, string? Dilations = null, ConvolutionAxes? PerAxis = null)
        : ConvolutionSpec(Name, 2, OutChannels, Kernel, Stride, Padding, Dilation, Groups, Bias)
    {
        [Reads("Conv2dAttribute")]
        public static LayerSpec Read(AttributeReader a)
        {
            int stride = a.Named("Stride", 1), padding = a.Named("Padding", 0), dilation = a.Named("Dilation", 1);
            // A kernel written as a string ("1, 7") is read per dimension; a wrong one is the reader's error, and reads as 1.
            bool kernelText = a.Raw.Arguments.Count > 1 && a.Raw.Arguments[1].Value is string;
            var kernels = a.Axes(ConvolutionAxes.KernelArgument, 1, 2) ?? (kernelText ? new[] { 1, 1 } : null);
            var strides = a.Axes(ConvolutionAxes.NamedArguments[0], null, 2);
            var paddings = a.Axes(ConvolutionAxes.NamedArguments[1], null, 2);
            var dilations = a.Axes(ConvolutionAxes.NamedArguments[2], null, 2);
            int kernel = kernelText ? 0 : a.Int(1);
            ConvolutionAxes? axes = kernels is null && strides is null && paddings is null && dilations is null ? null : new ConvolutionAxes(
                (kernels ?? new[] { kernel, kernel }).ToEquatableArray(), (strides ?? new[] { stride, stride }).ToEquatableArray(),
                (paddings ?? new[] { padding, padding }).ToEquatableArray(), (dilations ?? new[] { dilation, dilation }).ToEquatableArray());
            return new Conv2dSpec(a.Name, a.Int(0), kernel, stride, padding, dilation, a.Named("Groups", 1), a.Named("Bias", true),
                a.Raw.NamedValue("Strides")?.Value as string, a.Raw.NamedValue("Paddings")?.Value as string, a.Raw.NamedValue("Dilations")?.Value as string, axes);
        }

        public override void Validate(Validation v)
        {
            if (PerAxis is null)
            {
                base.Validate(v);
                return;
            }
            // One argument says each size: the square one or the one per dimension.
            if (Strides is not null && Stride != 1) v.Invalid("Strides", "\"" + Strides + "\"", "left out when Stride is set (write one of them)");
            if (Paddings is not null && Padding != 0) v.Invalid("Paddings", "\"" + Paddings + "\"", "left out when Padding is set (write one of them)");
            if (Dilations is not null && Dilation != 1) v.Invalid("Dilations", "\"" + Dilations + "\"", "left out when Dilation is set (write one of them)");
            v.AtLeast("outChannels", OutChannels, 1); v.AtLeast("Groups", Groups, 1);
            foreach (var k in PerAxis.Kernel) v.AtLeast("kernel", k, 1);
            foreach (var s in PerAxis.Stride) v.AtLeast(Strides is null ? "Stride" : "Strides", s, 1);
            foreach (var p in PerAxis.Padding) v.AtLeast(Paddings is null ? "Padding" : "Paddings", p, 0);
            foreach (var d in PerAxis.Dilation) v.AtLeast(Dilations is null ? "Dilation" : "Dilations", d, 1);
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            if (PerAxis is null) return base.Build(b, name, x);
            Num[] Nums(EquatableArray<int> values) => values.Select(n => new Num(n)).ToArray();
            return AddConvolution(b, 2, name, x, x.Channels, OutChannels, Nums(PerAxis.Kernel), Nums(PerAxis.Stride), Nums(PerAxis.Padding), Nums(PerAxis.Dilation),
                Groups, Bias, arguments: new Arguments(Strides is null ? "Stride" : "Strides", Paddings is null ? "Padding" : "Paddings", Dilations is null ? "Dilation" : "Dilations"));
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

        public override Value Build(GraphBuilder b, string name, Value x) =>
            AddConvolution(b, Rank, name, x, x.Channels, OutChannels, Same(Kernel), Same(Stride), Same(Padding), Same(Dilation), Groups, Bias);

        private Num[] Same(long value) => Enumerable.Repeat(new Num(value), Rank).ToArray();

        /// <summary>The attribute arguments a problem with the stride, the padding or the dilation points at.</summary>
        protected sealed record Arguments(string Stride, string Padding, string Dilation)
        {
            public static readonly Arguments Square = new("Stride", "Padding", "Dilation");
        }

        /// <summary>The spatial dimensions' names in messages: "height", "width"; "length".</summary>
        private static string DimensionName(int rank, int axis) => rank == 1 ? "the length" : axis == 0 ? "the height" : "the width";

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
            long[] effective = new long[rank], padded = new long[rank], output = new long[rank];
            for (int i = 0; i < rank; i++)
            {
                long k = kernel[i].Value, d = dilation[i].Value, p = padding[i].Value, n = size[i];
                effective[i] = b.Checked(() => ShapeMath.EffectiveKernel(k, d), path, "kernel");
                padded[i] = b.Checked(() => n + 2 * p, path, arguments.Padding);
            }
            if (b.Failed) return x;
            string Sizes(long[] s) => rank == 2 ? Require.Size(s[0], s[1]) : Conv1dSpec.Length(s[0]);
            if (First(rank, i => effective[i] > padded[i]) is var tooLarge && tooLarge >= 0)
            {
                b.Report(ProblemCode.KernelLargerThanInput, "kernel", path, Sizes(effective),
                    (rank == 2 ? Require.Size(padded[0], padded[1]) : "of length " + padded[0]) + (rank == 2 && kernel[0].Value != kernel[1].Value ? " (" + DimensionName(rank, tooLarge).Substring(4) + " " + padded[tooLarge] + ")" : ""));
                return x;
            }
            for (int i = 0; i < rank; i++) output[i] = ShapeMath.ConvOutput(size[i], kernel[i].Value, stride[i].Value, padding[i].Value, dilation[i].Value);
            if (First(rank, i => output[i] < 1) is var belowOne && belowOne >= 0)
            {
                b.Report(ProblemCode.OutputBelowOne, "kernel", path,
                    rank == 2 ? Require.Size(size[0], size[1]) : Conv1dSpec.Length(size[0]),
                    rank == 2 ? Require.Size(output[0], output[1]) : "length " + output[0],
                    rank == 1 ? "the length" : Square(kernel) && Square(stride) && Square(padding) && Square(dilation) ? "height and width" : DimensionName(rank, belowOne).Substring(4));
                return x;
            }
            long window = 1, positions = 1;
            for (int i = 0; i < rank; i++)
            {
                long k = kernel[i].Value, o = output[i];
                window = b.Checked(() => window * k, path, "kernel");
                positions = b.Checked(() => positions * o, path, "kernel");
            }
            long perOutput = b.Checked(() => cin / g * window, path, "kernel");
            long parameters = b.Checked(() => cout * perOutput + (bias.Value ? cout : 0), path, "outChannels");
            long macs = b.Checked(() => cout * positions * perOutput, path, "outChannels");
            if (b.Failed) return x;
            bool square = Square(kernel) && Square(stride) && Square(padding) && Square(dilation);
            var args = new[]
            {
                Literal.Arg("in_channels", inChannels.Value == cin ? inChannels : cin),
                Literal.Arg("out_channels", outChannels),
                square ? Literal.Arg("kernel_size", kernel[0]) : Pair("kernel_size", kernel, null),
                square ? Literal.Arg("stride", stride[0], 1) : Pair("stride", stride, 1),
                // A literal 0 would also convert to TorchSharp's Padding enum (an ambiguous call): the default is left out.
                square ? Literal.Arg("padding", padding[0], 0) : Pair("padding", padding, 0),
                square ? Literal.Arg("dilation", dilation[0], 1) : Pair("dilation", dilation, 1),
                Literal.Arg("groups", groups, 1),
                Literal.Arg("bias", bias, true),
            };
            return b.Leaf(name, kind, x, GraphNode.Dims(new[] { cout }.Concat(output).ToArray()), parameters, macs, SizeRule.Follows, args, into, doc);
        }

        /// <summary>The first dimension where <paramref name="fails"/> holds, or -1.</summary>
        private static int First(int rank, System.Func<int, bool> fails)
        {
            for (int i = 0; i < rank; i++) if (fails(i)) return i;
            return -1;
        }

        private static bool Square(Num[] sizes) => sizes.All(s => s.Value == sizes[0].Value);

        /// <summary>
        /// A size per dimension: <c>[1,7]</c> in the graph (PyTorch's tuple, ONNX's per-axis attribute), <c>(1, 7)</c> in the
        /// C# call (TorchSharp's tuple overload); left out where every dimension has the default.
        /// </summary>
        private static LeafArg Pair(string name, Num[] sizes, long? torchDefault) =>
            new(name, "[" + string.Join(",", sizes.Select(s => Literal.Of(s.Value))) + "]", null, sizes.All(s => s.Value == torchDefault),
                "(" + string.Join(", ", sizes.Select(s => Literal.Of(s.Value))) + ")");
    }
}
