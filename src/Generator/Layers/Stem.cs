
namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[Stem(channels, Kernel, Stride, MaxPool, Bias)]</c>, the ResNet stem (D2L <c>b1</c>): conv (padding kernel / 2)
    /// -> BatchNorm -> ReLU [-> 3x3 max-pool, stride 2, padding 1].
    /// </summary>
    internal sealed record StemSpec(string? Name, int Channels, int Kernel, int Stride, bool MaxPool, bool Bias) : LayerSpec(Name)
    {
        public override bool NumberedName => false;

        [Reads]
        public static LayerSpec Read(AttributeReader a) =>
            new StemSpec(a.Name, a.Int(0), a.Named("Kernel", 7), a.Named("Stride", 2), a.Named("MaxPool", true), a.Named("Bias", true));

        public override void Validate(Validation v)
        {
            v.AtLeast("channels", Channels, 1); v.AtLeast("Kernel", Kernel, 1); v.AtLeast("Stride", Stride, 1);
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            if (!Require.Image(b, b.ChildPath(name), "Stem", x)) return x;
            // Every problem inside the stem comes from its kernel (or, for the pool, from MaxPool).
            var stem = b.Block(name, x, blame: "Kernel");
            var channels = stem.Param("channels", Channels);
            var y = Conv2dSpec.Add(stem, "conv", stem.Input, stem.Param("inChannels", x.Channels), channels, stem.Param("kernel", Kernel),
                stem.Param("stride", Stride), Kernel / 2, 1, 1, stem.Param("bias", Bias), doc: "The stem convolution.");
            y = BatchNorm2dSpec.Add(stem, "bn", y, channels, doc: "Batch normalization after the convolution.");
            y = ActivationSpec.Add(stem, "relu", Activation.ReLU, y, inplace: true, doc: "In-place ReLU.");
            using (stem.Blaming("MaxPool"))
            {
                y = stem.Optional(stem.Param("maxPool", MaxPool), "pool", y, y, "y",
                    v => PoolSpec.Add(stem, "pool", PoolKind.Max, v, Window.Same(2, 3, 2, 1, 1, 0), false, doc: "The 3x3, stride 2 max-pool."));
            }
            return b.EndBlock(stem, "Stem", "StemBlock", x, y,
                doc: "ResNet stem (D2L <c>b1</c>): conv (padding kernel / 2) -> BatchNorm -> ReLU [-> 3x3 max-pool, stride 2, padding 1].");
        }
    }
}
