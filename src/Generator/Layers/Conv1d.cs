using Dsl.Generator.Graph;
using Dsl.Generator.Layers;

namespace Dsl.Generator.Model
{
    /// <summary><c>[Conv1d(out, kernel, Stride, Padding, Dilation, Groups, Bias)]</c>: nn.Conv1d over a sequence (channels, length).</summary>
    internal sealed record Conv1dSpec(string? Name, int OutChannels, int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Bias) : LayerSpec(Name)
    {
        public override string Kind => "Conv1d";
        public override string NamePrefix => "conv";
        public override (string Prefix, bool Numbered) TorchVisionName => ("conv", true);

        public static LayerSpec Read(AttributeReader a) =>
            new Conv1dSpec(a.Name, a.Int(0), a.Int(1), a.Named("Stride", 1), a.Named("Padding", 0), a.Named("Dilation", 1), a.Named("Groups", 1), a.Named("Bias", true));

        public override void Validate(Validation v)
        {
            v.AtLeast("outChannels", OutChannels, 1); v.AtLeast("kernel", Kernel, 1); v.AtLeast("Stride", Stride, 1);
            v.AtLeast("Padding", Padding, 0); v.AtLeast("Dilation", Dilation, 1); v.AtLeast("Groups", Groups, 1);
        }

        public override Value Build(GraphBuilder b, string name, Value x) =>
            Add(b, name, x, x.Channels, OutChannels, Kernel, Stride, Padding, Dilation, Groups, Bias);

        /// <summary>"length-7" (a kernel), as the messages of DSL001 and DSL002 show a 1-d size.</summary>
        internal static string Length(long n) => "length-" + n;

        /// <summary>Adds a 1-d convolution; <paramref name="inChannels"/> may name a block parameter (see <see cref="Conv2dSpec.Add"/>).</summary>
        public static Value Add(GraphBuilder b, string name, Value x, Num inChannels, Num outChannels, Num kernel, Num stride, Num padding,
            long dilation, Num groups, Flag bias, string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (!Require.Sequence(b, path, "Conv1d", x)) return x;
            long cin = x.Shape[0], length = x.Shape[1];
            long k = kernel.Value, s = stride.Value, p = padding.Value, g = groups.Value, cout = outChannels.Value;
            if (cin % g != 0 || cout % g != 0)
            {
                b.Report(ProblemCode.GroupsDoNotDivide, "Groups", path, g, cin, cout);
                return x;
            }
            long effective = b.Checked(() => ShapeMath.EffectiveKernel(k, dilation), path, "kernel");
            long padded = b.Checked(() => length + 2 * p, path, "Padding");
            if (b.Failed) return x;
            if (effective > padded)
            {
                b.Report(ProblemCode.KernelLargerThanInput, "kernel", path, Length(effective), "of length " + padded);
                return x;
            }
            long output = ShapeMath.ConvOutput(length, k, s, p, dilation);
            if (output < 1)
            {
                b.Report(ProblemCode.OutputBelowOne, "kernel", path, Length(length), "length " + output, "the length");
                return x;
            }
            long perOutput = b.Checked(() => cin / g * k, path, "kernel");
            long parameters = b.Checked(() => cout * perOutput + (bias.Value ? cout : 0), path, "outChannels");
            long macs = b.Checked(() => cout * output * perOutput, path, "outChannels");
            if (b.Failed) return x;
            var args = new[]
            {
                Literal.Arg("in_channels", inChannels.Value == cin ? inChannels : cin),
                Literal.Arg("out_channels", outChannels),
                Literal.Arg("kernel_size", kernel),
                Literal.Arg("stride", stride, 1),
                // As for Conv2d: a literal 0 would also convert to TorchSharp's Padding enum, so the default is left out.
                Literal.Arg("padding", padding, 0),
                Literal.Arg("dilation", dilation, 1),
                Literal.Arg("groups", groups, 1),
                Literal.Arg("bias", bias, true),
            };
            return b.Leaf(name, "Conv1d", x, GraphNode.Dims(cout, output), parameters, macs, SizeRule.Follows, args, into, doc);
        }
    }
}
