using Dsl.Generator.Graph;
using Dsl.Generator.Layers;

namespace Dsl.Generator.Model
{
    /// <summary><c>[Conv2d(out, kernel, Stride, Padding, Dilation, Groups, Bias)]</c>: nn.Conv2d with square kernels.</summary>
    internal sealed record Conv2dSpec(string? Name, int OutChannels, int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Bias) : LayerSpec(Name)
    {
        public override string Kind => "Conv2d";
        public override string NamePrefix => "conv";
        public override (string Prefix, bool Numbered) TorchVisionName => ("conv", true);

        public static LayerSpec Read(AttributeReader a) =>
            new Conv2dSpec(a.Name, a.Int(0), a.Int(1), a.Named("Stride", 1), a.Named("Padding", 0), a.Named("Dilation", 1), a.Named("Groups", 1), a.Named("Bias", true));

        public override void Validate(Validation v)
        {
            v.AtLeast("outChannels", OutChannels, 1); v.AtLeast("kernel", Kernel, 1); v.AtLeast("Stride", Stride, 1);
            v.AtLeast("Padding", Padding, 0); v.AtLeast("Dilation", Dilation, 1); v.AtLeast("Groups", Groups, 1);
        }

        public override Value Build(GraphBuilder b, string name, Value x) =>
            Add(b, name, x, x.Channels, OutChannels, Kernel, Stride, Padding, Dilation, Groups, Bias);

        /// <summary>
        /// Adds a convolution. <paramref name="inChannels"/> names the block parameter that carries the incoming channels
        /// (its value must be the input's channels; otherwise the input's channels are written as a literal).
        /// </summary>
        public static Value Add(GraphBuilder b, string name, Value x, Num inChannels, Num outChannels, Num kernel, Num stride, Num padding,
            long dilation, Num groups, Flag bias, string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (!Require.Image(b, path, "Conv2d", x)) return x;
            long cin = x.Shape[0], h = x.Shape[1], w = x.Shape[2];
            long k = kernel.Value, s = stride.Value, p = padding.Value, g = groups.Value, cout = outChannels.Value;
            if (cin % g != 0 || cout % g != 0)
            {
                b.Report(ProblemCode.GroupsDoNotDivide, "Groups", path, g, cin, cout);
                return x;
            }
            long effective = b.Checked(() => ShapeMath.EffectiveKernel(k, dilation), path, "kernel");
            long paddedH = b.Checked(() => h + 2 * p, path, "Padding"), paddedW = b.Checked(() => w + 2 * p, path, "Padding");
            if (b.Failed) return x;
            if (effective > paddedH || effective > paddedW)
            {
                b.Report(ProblemCode.KernelLargerThanInput, "kernel", path, Require.Size(effective, effective), Require.Size(paddedH, paddedW));
                return x;
            }
            long oh = ShapeMath.ConvOutput(h, k, s, p, dilation), ow = ShapeMath.ConvOutput(w, k, s, p, dilation);
            if (oh < 1 || ow < 1)
            {
                b.Report(ProblemCode.OutputBelowOne, "kernel", path, Require.Size(h, w), Require.Size(oh, ow), "height and width");
                return x;
            }
            long perOutput = b.Checked(() => cin / g * k * k, path, "kernel");
            long parameters = b.Checked(() => cout * perOutput + (bias.Value ? cout : 0), path, "outChannels");
            long macs = b.Checked(() => cout * oh * ow * perOutput, path, "outChannels");
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
            return b.Leaf(name, "Conv2d", x, GraphNode.Dims(cout, oh, ow), parameters, macs, SizeRule.Follows, args, into, doc);
        }
    }
}
