using Dsl.Generator.Graph;
using Dsl.Generator.Layers;

namespace Dsl.Generator.Model
{
    /// <summary><c>[MaxPool1d(kernel, ...)]</c> and <c>[AvgPool1d(kernel, ...)]</c> over a sequence. <see cref="Stride"/> 0 means "equal to the kernel".</summary>
    internal sealed record Pool1dSpec(string? Name, PoolKind Pool, int Kernel, int Stride, int Padding, int Dilation, bool CeilMode) : LayerSpec(Name)
    {
        public override string Kind => Pool == PoolKind.Max ? "MaxPool1d" : "AvgPool1d";
        public override string NamePrefix => Pool == PoolKind.Max ? "maxpool" : "avgpool";
        public int EffectiveStride => Stride == 0 ? Kernel : Stride;

        [Reads("MaxPool1dAttribute")]
        public static LayerSpec ReadMax(AttributeReader a) =>
            new Pool1dSpec(a.Name, PoolKind.Max, a.Int(0), a.Named("Stride", 0), a.Named("Padding", 0), a.Named("Dilation", 1), a.Named("CeilMode", false));

        [Reads("AvgPool1dAttribute")]
        public static LayerSpec ReadAvg(AttributeReader a) =>
            new Pool1dSpec(a.Name, PoolKind.Avg, a.Int(0), a.Named("Stride", 0), a.Named("Padding", 0), 1, a.Named("CeilMode", false));

        public override void Validate(Validation v)
        {
            v.AtLeast("kernel", Kernel, 1); v.AtLeast("Stride", Stride, 0); v.AtLeast("Padding", Padding, 0); v.AtLeast("Dilation", Dilation, 1);
            // libtorch (pool1d_shape_check) limits padding by the kernel, as for 2-d pooling.
            if (Kernel >= 1 && Dilation >= 1 && Padding >= 0 && Padding > Kernel / 2) v.Invalid("Padding", Padding, "at most half the kernel (" + Kernel / 2 + ")");
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            string type = Kind, path = b.ChildPath(name);
            if (!Require.Sequence(b, path, type, x)) return x;
            long length = x.Shape[1], kernel = Kernel, stride = EffectiveStride, padding = Padding, dilation = Dilation;
            long output = b.Checked(() => ShapeMath.PoolOutput(length, kernel, stride, padding, dilation, CeilMode), path, "kernel");
            if (b.Failed) return x;
            if (output < 1)
            {
                b.Report(ProblemCode.OutputBelowOne, "kernel", path, Conv1dSpec.Length(length), "length " + output, "the length");
                return x;
            }
            var args = Pool == PoolKind.Max
                ? new[]
                {
                    Literal.Arg("kernel_size", kernel), Literal.Arg("stride", stride, kernel), Literal.Arg("padding", padding, 0),
                    Literal.Arg("dilation", dilation, 1), Literal.Arg("ceil_mode", CeilMode, false),
                }
                : new[]
                {
                    Literal.Arg("kernel_size", kernel), Literal.Arg("stride", stride, kernel), Literal.Arg("padding", padding, 0),
                    Literal.Arg("ceil_mode", CeilMode, false),
                };
            return b.Leaf(name, type, x, GraphNode.Dims(x.Shape[0], output), 0, 0, SizeRule.Follows, args);
        }
    }

    /// <summary><c>[AdaptiveAvgPool1d(outputSize = 1)]</c>: average pooling of a sequence to a fixed length.</summary>
    internal sealed record AdaptiveAvgPool1dSpec(string? Name, int OutputSize) : LayerSpec(Name)
    {
        public override string Kind => "AdaptiveAvgPool1d";
        public override string NamePrefix => "gap";
        public override (string Prefix, bool Numbered) TorchVisionName => ("avgpool", false);

        [Reads("AdaptiveAvgPool1dAttribute")]
        public static LayerSpec Read(AttributeReader a) => new AdaptiveAvgPool1dSpec(a.Name, a.Int(0, 1));

        public override void Validate(Validation v) => v.AtLeast("outputSize", OutputSize, 1);

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            if (!Require.Sequence(b, b.ChildPath(name), Kind, x)) return x;
            return b.Leaf(name, Kind, x, GraphNode.Dims(x.Shape[0], OutputSize), 0, 0, SizeRule.Fixed, new[] { Literal.Arg("output_size", (long)OutputSize) });
        }
    }
}
