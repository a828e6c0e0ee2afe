using Dsl.Generator.Graph;
using Dsl.Generator.Layers;

namespace Dsl.Generator.Model
{
    internal enum PoolKind { Max, Avg }

    /// <summary><c>[MaxPool2d(kernel, ...)]</c> and <c>[AvgPool2d(kernel, ...)]</c>. <see cref="Stride"/> 0 means "equal to the kernel".</summary>
    internal sealed record Pool2dSpec(string? Name, PoolKind Pool, int Kernel, int Stride, int Padding, int Dilation, bool CeilMode) : LayerSpec(Name)
    {
        public override string Kind => Pool == PoolKind.Max ? "MaxPool2d" : "AvgPool2d";
        public override string NamePrefix => Pool == PoolKind.Max ? "maxpool" : "avgpool";
        public int EffectiveStride => Stride == 0 ? Kernel : Stride;

        [Reads("MaxPool2dAttribute")]
        public static LayerSpec ReadMax(AttributeReader a) =>
            new Pool2dSpec(a.Name, PoolKind.Max, a.Int(0), a.Named("Stride", 0), a.Named("Padding", 0), a.Named("Dilation", 1), a.Named("CeilMode", false));

        [Reads("AvgPool2dAttribute")]
        public static LayerSpec ReadAvg(AttributeReader a) =>
            new Pool2dSpec(a.Name, PoolKind.Avg, a.Int(0), a.Named("Stride", 0), a.Named("Padding", 0), 1, a.Named("CeilMode", false));

        public override void Validate(Validation v)
        {
            v.AtLeast("kernel", Kernel, 1); v.AtLeast("Stride", Stride, 0); v.AtLeast("Padding", Padding, 0); v.AtLeast("Dilation", Dilation, 1);
            if (Kernel >= 1 && Dilation >= 1 && Padding >= 0)
            {
                // libtorch (pool2d_shape_check) limits padding by the kernel, not the dilated kernel.
                long limit = Kernel / 2;
                if (Padding > limit) v.Invalid("Padding", Padding, "at most half the kernel (" + limit + ")");
            }
        }

        public override Value Build(GraphBuilder b, string name, Value x) =>
            Add(b, name, Pool, x, Kernel, EffectiveStride, Padding, Dilation, CeilMode);

        public static Value Add(GraphBuilder b, string name, PoolKind pool, Value x, long kernel, long stride, long padding, long dilation, bool ceilMode, string? into = null, string? doc = null)
        {
            string type = pool == PoolKind.Max ? "MaxPool2d" : "AvgPool2d", path = b.ChildPath(name);
            if (!Require.Image(b, path, type, x)) return x;
            long h = x.Shape[1], w = x.Shape[2];
            long oh = b.Checked(() => ShapeMath.PoolOutput(h, kernel, stride, padding, dilation, ceilMode), path, "kernel");
            long ow = b.Checked(() => ShapeMath.PoolOutput(w, kernel, stride, padding, dilation, ceilMode), path, "kernel");
            if (b.Failed) return x;
            if (oh < 1 || ow < 1)
            {
                b.Report(ProblemCode.OutputBelowOne, "kernel", path, Require.Size(h, w), Require.Size(oh, ow), "height and width");
                return x;
            }
            var args = pool == PoolKind.Max
                ? new[]
                {
                    Literal.Arg("kernel_size", kernel), Literal.Arg("stride", stride, kernel), Literal.Arg("padding", padding, 0),
                    Literal.Arg("dilation", dilation, 1), Literal.Arg("ceil_mode", ceilMode, false),
                }
                : new[]
                {
                    Literal.Arg("kernel_size", kernel), Literal.Arg("stride", stride, kernel), Literal.Arg("padding", padding, 0),
                    Literal.Arg("ceil_mode", ceilMode, false),
                };
            return b.Leaf(name, type, x, GraphNode.Dims(x.Shape[0], oh, ow), 0, 0, SizeRule.Follows, args, into, doc);
        }
    }
}
