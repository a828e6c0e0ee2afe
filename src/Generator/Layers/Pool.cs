using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    internal enum PoolKind { Max, Avg }

    /// <summary>
    /// <c>[MaxPool1d]</c>, <c>[AvgPool1d]</c> over a sequence and <c>[MaxPool2d]</c>, <c>[AvgPool2d]</c> over an image:
    /// nn.MaxPool1d/2d and nn.AvgPool1d/2d, their checks, shapes and arguments written once, per dimension. A 2-d pool's
    /// kernel may be a string (<c>"1, 3"</c>) and <c>Strides</c>, <c>Paddings</c>, <c>Dilations</c> give a size per
    /// dimension. A stride of 0 means "equal to the kernel", PyTorch's default.
    /// </summary>
    internal sealed record PoolSpec(string? Name, PoolKind Pool, Window Sizes, bool CeilMode) : LayerSpec(Name)
    {
        public override string Kind => KindOf(Pool, Sizes.Rank);
        public override string NamePrefix => Pool == PoolKind.Max ? "maxpool" : "avgpool";

        /// <summary>
        /// ONNX: MaxPool or AveragePool with the layer's sizes per spatial axis (AveragePool counts the zero padding in the
        /// divisor, as PyTorch does by default and ONNX only when asked); with ceil_mode, the runtime's
        /// <c>ceil_windows</c> cuts a last window that PyTorch leaves out.
        /// </summary>
        private static readonly OnnxRendering MaxToOnnx = Nodes(
            Node("MaxPool", X, Ints("kernel_shape", Spatial("kernel_size")), Ints("strides", Spatial("stride")), Ints("pads", Pads("padding")),
                Ints("dilations", Spatial("dilation")), Int("ceil_mode", Arg("ceil_mode"))),
            Call("ceil_windows", Out(0)).If(Has("ceil_mode")));

        private static readonly OnnxRendering AvgToOnnx = Nodes(
            Node("AveragePool", X, Ints("kernel_shape", Spatial("kernel_size")), Ints("strides", Spatial("stride")), Ints("pads", Pads("padding")),
                Int("ceil_mode", Arg("ceil_mode")), Int("count_include_pad", 1)),
            Call("ceil_windows", Out(0)).If(Has("ceil_mode")));

        private static string KindOf(PoolKind pool, int rank) => (pool == PoolKind.Max ? "MaxPool" : "AvgPool") + rank + "d";

        [Reads("MaxPool1dAttribute")]
        public static LayerSpec ReadMax1d(AttributeReader a) => Read(a, PoolKind.Max, 1);

        [Reads("AvgPool1dAttribute")]
        public static LayerSpec ReadAvg1d(AttributeReader a) => Read(a, PoolKind.Avg, 1);

        [Reads("MaxPool2dAttribute")]
        public static LayerSpec ReadMax2d(AttributeReader a) => Read(a, PoolKind.Max, 2);

        [Reads("AvgPool2dAttribute")]
        public static LayerSpec ReadAvg2d(AttributeReader a) => Read(a, PoolKind.Avg, 2);

        // Average pools have no dilation: the window reads its default, 1.
        private static LayerSpec Read(AttributeReader a, PoolKind pool, int rank) =>
            new PoolSpec(a.Name, pool, Window.Read(a, 0, rank, strideFallback: 0), a.Named("CeilMode", false));

        public override void Validate(Validation v)
        {
            Sizes.Validate(v, strideMin: 0);
            var kernel = Sizes.Kernel;
            var padding = Sizes.Padding;
            // libtorch (pool1d_shape_check, pool2d_shape_check) limits the padding by half the kernel, not the dilated kernel.
            if (Spatial.First(Sizes.Rank, i => kernel[i] >= 1 && Sizes.Dilation[i] >= 1 && padding[i] >= 0 && padding[i] > kernel[i] / 2) >= 0)
            {
                var halves = Enumerable.Range(0, Sizes.Rank).Select(i => kernel[i] / 2).ToArray();
                v.Invalid(padding.Argument, padding.Shown, "at most half the kernel (" + (Spatial.Square(halves) ? halves[0].ToString() : string.Join(", ", halves)) + ")");
            }
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, Pool, x, Sizes, CeilMode);

        /// <summary>Adds a pool over <paramref name="sizes"/>' spatial dimensions (a stride of 0: the kernel).</summary>
        public static Value Add(GraphBuilder b, string name, PoolKind pool, Value x, Window sizes, bool ceilMode, string? into = null, string? doc = null)
        {
            int rank = sizes.Rank;
            string type = KindOf(pool, rank), path = b.ChildPath(name);
            if (!(rank == 2 ? Require.Image(b, path, type, x) : Require.Sequence(b, path, type, x))) return x;
            long[] size = x.Shape.Skip(1).ToArray();
            long[] k = sizes.Kernel.Values.Select(n => (long)n).ToArray(), p = sizes.Padding.Values.Select(n => (long)n).ToArray();
            long[] d = sizes.Dilation.Values.Select(n => (long)n).ToArray();
            long[] s = Enumerable.Range(0, rank).Select(i => sizes.Stride[i] == 0 ? k[i] : sizes.Stride[i]).ToArray();
            long[] output = new long[rank];
            for (int i = 0; i < rank; i++)
            {
                long n = size[i], ki = k[i], si = s[i], pi = p[i], di = d[i];
                output[i] = b.Checked(() => ShapeMath.PoolOutput(n, ki, si, pi, di, ceilMode), path, "kernel");
            }
            if (b.Failed) return x;
            bool square = Spatial.Square(k) && Spatial.Square(s) && Spatial.Square(p) && Spatial.Square(d);
            if (Spatial.First(rank, i => output[i] < 1) is var belowOne && belowOne >= 0)
            {
                b.Report(ProblemCode.OutputBelowOne, "kernel", path, Spatial.Size(size), Spatial.Output(output), Spatial.Dimension(rank, belowOne, square));
                return x;
            }
            var args = new[]
            {
                Spatial.Arg("kernel_size", k, square, null),
                Spatial.Arg("stride", s, square, k),
                Spatial.Arg("padding", p, square, Spatial.Repeat(0, rank)),
                pool == PoolKind.Max ? Spatial.Arg("dilation", d, square, Spatial.Repeat(1, rank)) : null,
                Literal.Arg("ceil_mode", ceilMode, false),
            }.Where(a => a is not null).Select(a => a!).ToArray();
            return b.Leaf(name, type, x, GraphNode.Dims(new[] { x.Shape[0] }.Concat(output).ToArray()), 0, 0, SizeRule.Follows, args, into, doc,
                rendering: Rendering(pool, rank), onnx: pool == PoolKind.Max ? MaxToOnnx : AvgToOnnx, saves: pool == PoolKind.Max ? MaxSaves : SavedForBackward.Input);
        }

        /// <summary>What max pooling keeps: the input and the argmax of every output (int64).</summary>
        private static readonly SavedForBackward MaxSaves = new Argmax();

        private sealed record Argmax : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x)
            {
                tape.Indices += BackwardTape.Elements(node.Output.ToArray());
                return Input.Record(tape, node, x);
            }
        }

        /// <summary>
        /// nn.MaxPool1d/2d and nn.AvgPool1d/2d (an average pool has no dilation): PyTorch's stride also defaults to the
        /// kernel. Pools are in none of autocast's lists: they run in the type they receive.
        /// </summary>
        private static LeafRendering Rendering(PoolKind pool, int rank) => LeafRendering.Module(
            pool == PoolKind.Max
                ? PyTorchConstructor.Of("nn." + KindOf(pool, rank), "kernel_size*", "stride", "padding", "dilation", "ceil_mode")
                : PyTorchConstructor.Of("nn." + KindOf(pool, rank), "kernel_size*", "stride", "padding", "ceil_mode"),
            AutocastRule.FallThrough((pool == PoolKind.Max ? "max_pool" : "avg_pool") + rank + "d")) with { Family = LayerFamily.Pooling };
    }
}
