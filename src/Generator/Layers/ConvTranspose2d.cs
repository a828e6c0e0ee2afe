using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[ConvTranspose2d(out, kernel, Stride, Padding, OutputPadding, Dilation, Groups, Bias)]</c>: nn.ConvTranspose2d,
    /// the learned upsampling of U-Net's decoder. A string kernel (<c>"2, 1"</c>) and <c>Strides</c>, <c>Paddings</c>,
    /// <c>OutputPaddings</c>, <c>Dilations</c> give a size per dimension (<see cref="Sizes"/>, as read; null in a spec built from the numbers).
    /// </summary>
    internal sealed record ConvTranspose2dSpec(string? Name, int OutChannels, int Kernel, int Stride, int Padding, int OutputPadding, int Dilation, int Groups, bool Bias,
        Window? Sizes = null)
        : LayerSpec(Name)
    {
        public override string NamePrefix => "upconv";
        public override (string Prefix, bool Numbered) TorchVisionName => ("upconv", true);

        /// <summary>The sizes, per dimension.</summary>
        private Window Window => Sizes ?? Window.Same(2, Kernel, Stride, Padding, Dilation, OutputPadding);

        /// <summary>
        /// ONNX: ConvTranspose, whose weight layout is PyTorch's ([in, out / groups, kH, kW]). The output padding is a
        /// smaller end padding (ONNX Runtime refuses an output_padding not below the stride, which PyTorch allows below
        /// the dilation); past the full transposed convolution (output_padding above padding) the extra rows and columns
        /// hold only the bias, which the runtime's <c>conv_transpose2d</c> writes.
        /// </summary>
        private static readonly OnnxRendering ToOnnx = Cases(
            When(Above("output_padding", "padding"), Call("conv_transpose2d")),
            Otherwise(Node("ConvTranspose", In(X, Weight("weight"), Weight("bias", ifArg: "bias")),
                Ints("kernel_shape", Spatial("kernel_size")), Ints("strides", Spatial("stride")), Ints("pads", Pads("padding", endMinus: "output_padding")),
                Ints("dilations", Spatial("dilation")), Int("group", Arg("groups")))));

        [Reads]
        public static LayerSpec Read(AttributeReader a)
        {
            var sizes = Window.Read(a, 1, 2, strideFallback: 1);
            int kernel = sizes.Kernel.Text is null ? sizes.Kernel.Values[0] : 0;
            return new ConvTranspose2dSpec(a.Name, a.Int(0), kernel, a.Named("Stride", 1), a.Named("Padding", 0), a.Named("OutputPadding", 0),
                a.Named("Dilation", 1), a.Named("Groups", 1), a.Named("Bias", true), sizes);
        }

        public override void Validate(Validation v)
        {
            var w = Window;
            v.AtLeast("outChannels", OutChannels, 1);
            w.Validate(v, strideMin: 1);
            v.AtLeast("Groups", Groups, 1);
            // libtorch (ConvUtils.h): "output padding must be smaller than either stride or dilation", in each dimension.
            var (s, d, op) = (w.Stride, w.Dilation, w.OutputPadding);
            // TorchSharp 0.107's ConvTranspose2d gives the height's output padding to the width too (its tuple overload and
            // its forward): a pair that differs would build another layer than PyTorch's, so it is refused, not rounded.
            if (op[0] != op[1])
            {
                v.Invalid(op.Argument, op.Shown, "the same in both dimensions (TorchSharp's ConvTranspose2d applies the first to both); " +
                    "write one OutputPadding and choose the padding or the kernel so that the output has the size you need");
                return;
            }
            if (Spatial.First(2, i => s[i] >= 1 && d[i] >= 1 && op[i] >= s[i] && op[i] >= d[i]) >= 0)
            {
                v.Invalid(op.Argument, op.Shown, w.PerAxis
                    ? "smaller than the stride (" + string.Join(", ", s.Values) + ") or the dilation (" + string.Join(", ", d.Values) + ") in each dimension"
                    : "smaller than Stride (" + s[0] + ") or Dilation (" + d[0] + ")");
            }
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, x.Channels, OutChannels, Window, Groups, Bias);

        /// <summary>Output size per side: (n - 1) * s - 2p + d * (k - 1) + op + 1 (PyTorch's ConvTranspose2d).</summary>
        public static long Output(long size, long kernel, long stride, long padding, long outputPadding, long dilation) =>
            (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1;

        /// <summary>Adds a transposed convolution (see <see cref="Conv2dSpec.Add"/> for <paramref name="inChannels"/>).</summary>
        public static Value Add(GraphBuilder b, string name, Value x, Num inChannels, Num outChannels, Window sizes, Num groups, Flag bias,
            string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (!Require.Image(b, path, "ConvTranspose2d", x)) return x;
            long cin = x.Shape[0], g = groups.Value, cout = outChannels.Value;
            long[] size = { x.Shape[1], x.Shape[2] };
            long[] Values(AxisSize a) => a.Values.Select(n => (long)n).ToArray();
            long[] k = Values(sizes.Kernel), s = Values(sizes.Stride), p = Values(sizes.Padding), op = Values(sizes.OutputPadding), d = Values(sizes.Dilation);
            if (cin % g != 0 || cout % g != 0)
            {
                b.Report(ProblemCode.GroupsDoNotDivide, "Groups", path, g, cin, cout);
                return x;
            }
            long[] output = new long[2];
            for (int i = 0; i < 2; i++)
            {
                long n = size[i], ki = k[i], si = s[i], pi = p[i], opi = op[i], di = d[i];
                output[i] = b.Checked(() => Output(n, ki, si, pi, opi, di), path, "kernel");
            }
            if (b.Failed) return x;
            if (output[0] < 1 || output[1] < 1)
            {
                // The padding crops the output; a transposed convolution never shrinks below 1 otherwise.
                long[] most = new long[2];
                for (int i = 0; i < 2; i++)
                {
                    long n = size[i], ki = k[i], si = s[i], opi = op[i], di = d[i];
                    most[i] = b.Checked(() => (n - 1) * si + di * (ki - 1) + opi, path, sizes.Padding.Argument) / 2;
                }
                if (b.Failed) return x;
                string allowed = sizes.Padding.Text is null ? most.Min().ToString() : "(" + string.Join(", ", most) + ") in each dimension";
                b.Report(ProblemCode.InvalidValue, sizes.Padding.Argument, path, sizes.Padding.Argument, sizes.Padding.Shown,
                    "at most " + allowed + ", so that its " + Spatial.Size(size) + " input gives an output of at least 1x1 (it gives " + Spatial.Size(output) + ")");
                return x;
            }
            long perInput = b.Checked(() => cout / g * k[0] * k[1], path, "kernel");
            long parameters = b.Checked(() => cin * perInput + (bias.Value ? cout : 0), path, "outChannels");
            // Every input element is multiplied by its group's kernels: the multiply-adds libtorch performs.
            long macs = b.Checked(() => cin * size[0] * size[1] * perInput, path, "outChannels");
            if (b.Failed) return x;
            bool square = Spatial.Square(k) && Spatial.Square(s) && Spatial.Square(p) && Spatial.Square(op) && Spatial.Square(d);
            var args = new[]
            {
                Literal.Arg("in_channels", inChannels.Value == cin ? inChannels : cin),
                Literal.Arg("out_channels", outChannels),
                Spatial.Arg("kernel_size", k, square, null),
                Spatial.Arg("stride", s, square, Spatial.Repeat(1, 2)),
                Spatial.Arg("padding", p, square, Spatial.Repeat(0, 2)),
                Spatial.Arg("output_padding", op, square, Spatial.Repeat(0, 2)),
                Spatial.Arg("dilation", d, square, Spatial.Repeat(1, 2)),
                Literal.Arg("groups", groups, 1),
                Literal.Arg("bias", bias, true),
            };
            return b.Leaf(name, "ConvTranspose2d", x, GraphNode.Dims(cout, output[0], output[1]), parameters, macs, SizeRule.Follows, args, into, doc, rendering: Rendering, onnx: ToOnnx,
                saves: SavedForBackward.Input, // the input (the weight is a parameter)
                init: Init);
        }

        /// <summary>[Init] names ConvTranspose2d; its weight is [in, out / groups, kH, kW].</summary>
        private static readonly LeafInit Init = LeafInit.Named("ConvTranspose2d", 4);

        /// <summary>nn.ConvTranspose2d (PyTorch's order: dilation after bias); conv_transpose2d is on autocast's lower-precision list.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(
            PyTorchConstructor.Of("nn.ConvTranspose2d", "in_channels*", "out_channels*", "kernel_size", "stride", "padding", "output_padding", "groups", "bias", "dilation"),
            AutocastRule.LowerPrecision("conv_transpose2d")) with { Family = LayerFamily.Convolution };
    }
}
