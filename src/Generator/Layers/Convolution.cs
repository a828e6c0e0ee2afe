using System.Linq;
using Dsl.Generator.Graph;
using Dsl.Generator.Layers;

namespace Dsl.Generator.Model
{
    /// <summary><c>[Conv2d(out, kernel, Stride, Padding, Dilation, Groups, Bias)]</c>: nn.Conv2d with square kernels over an image (channels, height, width).</summary>
    internal sealed record Conv2dSpec(string? Name, int OutChannels, int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Bias)
        : ConvolutionSpec(Name, 2, OutChannels, Kernel, Stride, Padding, Dilation, Groups, Bias)
    {
        [Reads("Conv2dAttribute")]
        public static LayerSpec Read(AttributeReader a) =>
            new Conv2dSpec(a.Name, a.Int(0), a.Int(1), a.Named("Stride", 1), a.Named("Padding", 0), a.Named("Dilation", 1), a.Named("Groups", 1), a.Named("Bias", true));

        /// <summary>
        /// Adds a 2-d convolution. <paramref name="inChannels"/> names the block parameter that carries the incoming channels
        /// (its value must be the input's channels; otherwise the input's channels are written as a literal).
        /// </summary>
        public static Value Add(GraphBuilder b, string name, Value x, Num inChannels, Num outChannels, Num kernel, Num stride, Num padding,
            Num dilation, Num groups, Flag bias, string? into = null, string? doc = null) =>
            AddConvolution(b, 2, name, x, inChannels, outChannels, kernel, stride, padding, dilation, groups, bias, into, doc);
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
    /// A convolution over <see cref="Rank"/> spatial dimensions (1: a sequence, 2: an image) with the same kernel, stride,
    /// padding and dilation in each: the checks, shapes, counts and arguments of nn.Conv1d and nn.Conv2d, written once.
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
            AddConvolution(b, Rank, name, x, x.Channels, OutChannels, Kernel, Stride, Padding, Dilation, Groups, Bias);

        /// <summary>Adds a convolution over <paramref name="rank"/> spatial dimensions; see <see cref="Conv2dSpec.Add"/> for <paramref name="inChannels"/>.</summary>
        protected static Value AddConvolution(GraphBuilder b, int rank, string name, Value x, Num inChannels, Num outChannels, Num kernel, Num stride,
            Num padding, Num dilation, Num groups, Flag bias, string? into = null, string? doc = null)
        {
            string kind = "Conv" + rank + "d", path = b.ChildPath(name);
            if (!(rank == 2 ? Require.Image(b, path, kind, x) : Require.Sequence(b, path, kind, x))) return x;
            long cin = x.Shape[0];
            long[] size = x.Shape.Skip(1).ToArray();
            long k = kernel.Value, s = stride.Value, p = padding.Value, g = groups.Value, cout = outChannels.Value;
            if (cin % g != 0 || cout % g != 0)
            {
                b.Report(ProblemCode.GroupsDoNotDivide, "Groups", path, g, cin, cout);
                return x;
            }
            long effective = b.Checked(() => ShapeMath.EffectiveKernel(k, dilation.Value), path, "kernel");
            long[] padded = size.Select(n => b.Checked(() => n + 2 * p, path, "Padding")).ToArray();
            if (b.Failed) return x;
            if (padded.Any(n => effective > n))
            {
                b.Report(ProblemCode.KernelLargerThanInput, "kernel", path,
                    rank == 2 ? Require.Size(effective, effective) : Conv1dSpec.Length(effective),
                    rank == 2 ? Require.Size(padded[0], padded[1]) : "of length " + padded[0]);
                return x;
            }
            long[] output = size.Select(n => ShapeMath.ConvOutput(n, k, s, p, dilation.Value)).ToArray();
            if (output.Any(n => n < 1))
            {
                b.Report(ProblemCode.OutputBelowOne, "kernel", path,
                    rank == 2 ? Require.Size(size[0], size[1]) : Conv1dSpec.Length(size[0]),
                    rank == 2 ? Require.Size(output[0], output[1]) : "length " + output[0],
                    rank == 2 ? "height and width" : "the length");
                return x;
            }
            long window = 1, positions = 1;
            for (int i = 0; i < rank; i++)
            {
                window = b.Checked(() => window * k, path, "kernel");
                positions = b.Checked(() => positions * output[i], path, "kernel");
            }
            long perOutput = b.Checked(() => cin / g * window, path, "kernel");
            long parameters = b.Checked(() => cout * perOutput + (bias.Value ? cout : 0), path, "outChannels");
            long macs = b.Checked(() => cout * positions * perOutput, path, "outChannels");
            if (b.Failed) return x;
            var args = new[]
            {
                Literal.Arg("in_channels", inChannels.Value == cin ? inChannels : cin),
                Literal.Arg("out_channels", outChannels),
                Literal.Arg("kernel_size", kernel),
                Literal.Arg("stride", stride, 1),
                // A literal 0 would also convert to TorchSharp's Padding enum (an ambiguous call): the default is left out.
                Literal.Arg("padding", padding, 0),
                Literal.Arg("dilation", dilation, 1),
                Literal.Arg("groups", groups, 1),
                Literal.Arg("bias", bias, true),
            };
            return b.Leaf(name, kind, x, GraphNode.Dims(new[] { cout }.Concat(output).ToArray()), parameters, macs, SizeRule.Follows, args, into, doc);
        }
    }
}
