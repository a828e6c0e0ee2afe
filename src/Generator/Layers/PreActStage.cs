
namespace Dsl.Generator.Model
{
    /// <summary><c>[PreActStage(blocks, planes, Stride, Bottleneck, Groups, BaseWidth, ...)]</c>: pre-activation blocks (He et al. 2016).</summary>
    internal sealed record PreActStageSpec(string? Name, int Blocks, int Planes, int Stride, bool Bottleneck, int Groups, int BaseWidth, BlockOptions Options) : LayerSpec(Name)
    {
        public override string NamePrefix => "stage";
        public override (string Prefix, bool Numbered) TorchVisionName => ("layer", true);

        [Reads]
        public static LayerSpec Read(AttributeReader a) =>
            new PreActStageSpec(a.Name, a.Int(0), a.Int(1), a.Named("Stride", 1), a.Named("Bottleneck", false), a.Named("Groups", 1),
                a.Named("BaseWidth", 64), BlockOptions.Read(a, bias: false, projectionBatchNorm: false));

        public override void Validate(Validation v)
        {
            int before = v.Count;
            v.AtLeast("blocks", Blocks, 1); v.AtLeast("planes", Planes, 1); v.AtLeast("Stride", Stride, 1);
            v.AtLeast("Groups", Groups, 1); v.AtLeast("BaseWidth", BaseWidth, 1);
            if (v.Count == before && Bottleneck) WidthAtLeastOne(v, Planes, BaseWidth);
            if (Options.ZeroInitLastBatchNorm)
                v.Invalid("ZeroInitLastBatchNorm", "true", "false: a pre-activation block ends with a convolution, not a BatchNorm");
            if (!Bottleneck && Groups != 1)
                v.Invalid("Groups", Groups, "1 unless Bottleneck = true");
        }

        /// <summary>torchvision's <c>int(planes * base_width / 64)</c> must be at least 1.</summary>
        internal static void WidthAtLeastOne(Validation v, long planes, long baseWidth)
        {
            if (planes * baseWidth / 64 < 1)
            {
                long min = (64 + planes - 1) / planes;
                v.Invalid("BaseWidth", baseWidth, "at least " + min + " so that int(planes * BaseWidth / 64) is at least 1");
            }
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            long width = Bottleneck ? b.Checked(() => (long)Planes * BaseWidth / 64 * Groups, b.ChildPath(name), "BaseWidth") : Planes;
            long output = Bottleneck ? (long)Planes * 4 : Planes;
            if (b.Failed) return x;
            var kind = Bottleneck ? BlockKind.PreActBottleneck : BlockKind.PreActBasic;
            return ResNetBlocks.Stage(b, name, Kind, x,
                inChannels => BlockDesign.Stage(kind, Blocks, inChannels, width, output, Stride, Bottleneck ? Groups : 1, false, Options, b.Naming), "Groups");
        }
    }
}
