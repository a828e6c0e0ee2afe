using Dsl.Generator.Blocks;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// One size of a layer that slides a window over spatial dimensions (convolution, transposed convolution, pooling):
    /// its kernel, stride, padding, dilation or output padding, one value per dimension. Written either as one number
    /// for every dimension (<c>Stride = 2</c>) or, on a 2-d layer, as a string per dimension (<c>Strides = "2, 1"</c>, a
    /// kernel <c>"1, 7"</c>). <see cref="Argument"/> is what problems point at; <see cref="Conflict"/> names the
    /// one-number property when both forms are written.
    /// </summary>
    internal sealed record AxisSize(string Argument, string? Text, EquatableArray<int> Values, string? Conflict = null)
    {
        /// <summary>The value as messages show it: the number, or the per-dimension string in quotes.</summary>
        public object Shown => Text is null ? Values[0] : "\"" + Text + "\"";

        public long this[int axis] => Values[axis];

        /// <summary>The same <paramref name="value"/> in each of <paramref name="rank"/> dimensions, written as one number.</summary>
        public static AxisSize Same(string argument, int value, int rank) => new(argument, null, Enumerable.Repeat(value, rank).ToEquatableArray());

        /// <summary>
        /// The property <paramref name="name"/> (one number, <paramref name="fallback"/> when left out) or, on a 2-d layer,
        /// <c>name + "s"</c> (one per dimension). A wrong per-dimension string is the reader's error and reads as the number.
        /// </summary>
        public static AxisSize Read(AttributeReader a, string name, int fallback, int rank)
        {
            int value = a.Named(name, fallback);
            string perAxis = name + "s";
            string? text = rank > 1 ? a.Raw.NamedValue(perAxis)?.Value as string : null;
            if (text is null) return Same(name, value, rank);
            var values = a.Axes(perAxis, null, rank) ?? Enumerable.Repeat(value, rank).ToArray();
            return new AxisSize(perAxis, text, values.ToEquatableArray(), value != fallback ? name : null);
        }

        /// <summary>The kernel, constructor argument <paramref name="index"/>: a number, or on a 2-d layer a string per dimension (a wrong one reads as 1).</summary>
        public static AxisSize Kernel(AttributeReader a, int index, int rank)
        {
            string? text = rank > 1 && a.Raw.Arguments.Count > index ? a.Raw.Arguments[index].Value as string : null;
            if (text is null) return Same(KernelArgument, a.Int(index), rank);
            var values = a.Axes(KernelArgument, index, rank) ?? Enumerable.Repeat(1, rank).ToArray();
            return new AxisSize(KernelArgument, text, values.ToEquatableArray());
        }

        /// <summary>The kernel's constructor parameter name in every window attribute.</summary>
        public const string KernelArgument = "kernel";

        /// <summary>Refuses both forms at once and a value below <paramref name="min"/> (once for one number, per dimension for a string).</summary>
        public void Validate(Validation v, long min)
        {
            if (Conflict is not null) v.Invalid(Argument, Shown, "left out when " + Conflict + " is set (write one of them)");
            if (Text is null) v.AtLeast(Argument, Values[0], min);
            else foreach (var n in Values) v.AtLeast(Argument, n, min);
        }
    }

    /// <summary>
    /// The window sizes of a layer over <see cref="Rank"/> spatial dimensions, read the same way for every such kind
    /// (kinds without a dilation or an output padding read their PyTorch default).
    /// </summary>
    internal sealed record Window(int Rank, AxisSize Kernel, AxisSize Stride, AxisSize Padding, AxisSize Dilation, AxisSize OutputPadding)
    {
        /// <summary>Whether any size is written per dimension (else every size is one number).</summary>
        public bool PerAxis => Kernel.Text is not null || Stride.Text is not null || Padding.Text is not null || Dilation.Text is not null || OutputPadding.Text is not null;

        /// <summary>The sizes of an attribute whose kernel is constructor argument <paramref name="kernelIndex"/>; <paramref name="strideFallback"/>: the stride left out (pools: 0, "the kernel").</summary>
        public static Window Read(AttributeReader a, int kernelIndex, int rank, int strideFallback) => new(rank,
            AxisSize.Kernel(a, kernelIndex, rank), AxisSize.Read(a, Sizes[0], strideFallback, rank), AxisSize.Read(a, Sizes[1], 0, rank),
            AxisSize.Read(a, Sizes[2], 1, rank), AxisSize.Read(a, Sizes[3], 0, rank));

        /// <summary>The one-number size properties; each has a per-dimension twin named with an "s" (<c>Strides</c>).</summary>
        private static readonly string[] Sizes = { "Stride", "Padding", "Dilation", "OutputPadding" };

        /// <summary>The arguments a block checks once per dimension when they are written as a string: the kernel and the per-dimension properties.</summary>
        public static readonly string[] PerAxisArguments = new[] { AxisSize.KernelArgument }.Concat(Sizes.Select(s => s + "s")).ToArray();

        /// <summary>
        /// The text of each dimension of <paramref name="argument"/> (its comma-separated parts, which a block checks as
        /// expressions: <c>"kernel, kw"</c>); the whole text for any other argument.
        /// </summary>
        public static List<Segment> Parts(string argument, string text) =>
            System.Array.IndexOf(PerAxisArguments, argument) >= 0 ? Expression.Split(text, ",") : new List<Segment> { new(text, 0) };

        /// <summary>Sizes written as one number each.</summary>
        public static Window Same(int rank, int kernel, int stride, int padding, int dilation, int outputPadding) => new(rank,
            AxisSize.Same("kernel", kernel, rank), AxisSize.Same("Stride", stride, rank), AxisSize.Same("Padding", padding, rank),
            AxisSize.Same("Dilation", dilation, rank), AxisSize.Same("OutputPadding", outputPadding, rank));

        public void Validate(Validation v, long strideMin)
        {
            Kernel.Validate(v, 1); Stride.Validate(v, strideMin); Padding.Validate(v, 0); Dilation.Validate(v, 1); OutputPadding.Validate(v, 0);
        }
    }

    /// <summary>What every windowed kind says the same way about spatial dimensions: their names, sizes and arguments.</summary>
    internal static class Spatial
    {
        /// <summary>"9x12" (height x width) or "length-7", as the messages of DSL001 and DSL002 show a size.</summary>
        public static string Size(long[] sizes) => sizes.Length == 2 ? Require.Size(sizes[0], sizes[1]) : Conv1dSpec.Length(sizes[0]);

        /// <summary>An output size as messages show it: "5x10", "length 3".</summary>
        public static string Output(long[] sizes) => sizes.Length == 2 ? Require.Size(sizes[0], sizes[1]) : "length " + sizes[0];

        /// <summary>The dimension a problem is in: "the length"; "height and width" when the layer is the same in both; else "height" or "width".</summary>
        public static string Dimension(int rank, int axis, bool square) =>
            rank == 1 ? "the length" : square ? "height and width" : axis == 0 ? "height" : "width";

        /// <summary>The first dimension where <paramref name="fails"/> holds, or -1.</summary>
        public static int First(int rank, System.Func<int, bool> fails)
        {
            for (int i = 0; i < rank; i++) if (fails(i)) return i;
            return -1;
        }

        public static bool Square(long[] sizes) => sizes.All(s => s == sizes[0]);

        /// <summary>
        /// A size per dimension: <c>[1,7]</c> in the graph (PyTorch's tuple, ONNX's per-axis attribute), <c>(1, 7)</c> in the
        /// C# call (TorchSharp's tuple overload); left out where every dimension has its default (<paramref name="torchDefault"/>,
        /// per dimension; null: none).
        /// </summary>
        public static LeafArg Pair(string name, long[] sizes, long[]? torchDefault) =>
            new(name, "[" + string.Join(",", sizes.Select(s => Literal.Of(s))) + "]", null, torchDefault is not null && sizes.SequenceEqual(torchDefault),
                "(" + string.Join(", ", sizes.Select(s => Literal.Of(s))) + ")");

        /// <summary>
        /// A size argument: one number where the layer's sizes are the same in every dimension (TorchSharp's scalar
        /// overload), else a pair; TorchSharp's tuple overload takes every size as a pair, so <paramref name="square"/>
        /// is the whole layer's.
        /// </summary>
        public static LeafArg Arg(string name, long[] sizes, bool square, long[]? torchDefault) =>
            square ? new LeafArg(name, Literal.Of(sizes[0]), null, torchDefault is not null && torchDefault[0] == sizes[0]) : Pair(name, sizes, torchDefault);

        public static long[] Repeat(long value, int rank) => Enumerable.Repeat(value, rank).ToArray();
    }
}
