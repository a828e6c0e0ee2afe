using Dsl.Generator.Graph;
using Dsl.Generator.Layers;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[ConvTranspose2d(out, kernel, Stride, Padding, OutputPadding, Dilation, Groups, Bias)]</c>: nn.ConvTranspose2d
    /// with square kernels, the learned upsampling of U-Net's decoder.
    /// </summary>
    internal sealed record ConvTranspose2dSpec(string? Name, int OutChannels, int Kernel, int Stride, int Padding, int OutputPadding, int Dilation, int Groups, bool Bias)
        : LayerSpec(Name)
    {
        public override string Kind => "ConvTranspose2d";
        public override string NamePrefix => "upconv";
        public override (string Prefix, bool Numbered) TorchVisionName => ("upconv", true);

        [Reads("ConvTranspose2dAttribute")]
        public static LayerSpec Read(AttributeReader a) =>
            new ConvTranspose2dSpec(a.Name, a.Int(0), a.Int(1), a.Named("Stride", 1), a.Named("Padding", 0), a.Named("OutputPadding", 0),
                a.Named("Dilation", 1), a.Named("Groups", 1), a.Named("Bias", true));

        public override void Validate(Validation v)
        {
            v.AtLeast("outChannels", OutChannels, 1); v.AtLeast("kernel", Kernel, 1); v.AtLeast("Stride", Stride, 1);
            v.AtLeast("Padding", Padding, 0); v.AtLeast("OutputPadding", OutputPadding, 0); v.AtLeast("Dilation", Dilation, 1);
            v.AtLeast("Groups", Groups, 1);
            // libtorch (ConvUtils.h): "output padding must be smaller than either stride or dilation".
            if (Stride >= 1 && Dilation >= 1 && OutputPadding >= Stride && OutputPadding >= Dilation)
                v.Invalid("OutputPadding", OutputPadding, "smaller than Stride (" + Stride + ") or Dilation (" + Dilation + ")");
        }

        public override Value Build(GraphBuilder b, string name, Value x) =>
            Add(b, name, x, x.Channels, OutChannels, Kernel, Stride, Padding, OutputPadding, Dilation, Groups, Bias);

        /// <summary>Output size per side: (n - 1) * s - 2p + d * (k - 1) + op + 1 (PyTorch's ConvTranspose2d).</summary>
        public static long Output(long size, long kernel, long stride, long padding, long outputPadding, long dilation) =>
            (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1;

        /// <summary>Adds a transposed convolution (see <see cref="Conv2dSpec.Add"/> for <paramref name="inChannels"/>).</summary>
        public static Value Add(GraphBuilder b, string name, Value x, Num inChannels, Num outChannels, Num kernel, Num stride, Num padding,
            Num outputPadding, long dilation, Num groups, Flag bias, string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (!Require.Image(b, path, "ConvTranspose2d", x)) return x;
            long cin = x.Shape[0], h = x.Shape[1], w = x.Shape[2];
            long k = kernel.Value, s = stride.Value, p = padding.Value, op = outputPadding.Value, g = groups.Value, cout = outChannels.Value;
            if (cin % g != 0 || cout % g != 0)
            {
                b.Report(ProblemCode.GroupsDoNotDivide, "Groups", path, g, cin, cout);
                return x;
            }
            long oh = b.Checked(() => Output(h, k, s, p, op, dilation), path, "kernel");
            long ow = b.Checked(() => Output(w, k, s, p, op, dilation), path, "kernel");
            if (b.Failed) return x;
            if (oh < 1 || ow < 1)
            {
                // The padding crops the output; a transposed convolution never shrinks below 1 otherwise.
                long most = b.Checked(() => (System.Math.Min(h, w) - 1) * s + dilation * (k - 1) + op, path, "Padding") / 2;
                if (b.Failed) return x;
                b.Report(ProblemCode.InvalidValue, "Padding", path, "Padding", p,
                    "at most " + most + ", so that its " + Require.Size(h, w) + " input gives an output of at least 1x1 (it gives " + Require.Size(oh, ow) + ")");
                return x;
            }
            long perInput = b.Checked(() => cout / g * k * k, path, "kernel");
            long parameters = b.Checked(() => cin * perInput + (bias.Value ? cout : 0), path, "outChannels");
            // Every input element is multiplied by its group's kernels: the multiply-adds libtorch performs.
            long macs = b.Checked(() => cin * h * w * perInput, path, "outChannels");
            if (b.Failed) return x;
            var args = new[]
            {
                Literal.Arg("in_channels", inChannels.Value == cin ? inChannels : cin),
                Literal.Arg("out_channels", outChannels),
                Literal.Arg("kernel_size", kernel),
                Literal.Arg("stride", stride, 1),
                Literal.Arg("padding", padding, 0),
                Literal.Arg("output_padding", outputPadding, 0),
                Literal.Arg("dilation", dilation, 1),
                Literal.Arg("groups", groups, 1),
                Literal.Arg("bias", bias, true),
            };
            return b.Leaf(name, "ConvTranspose2d", x, GraphNode.Dims(cout, oh, ow), parameters, macs, SizeRule.Follows, args, into, doc);
        }
    }
}
