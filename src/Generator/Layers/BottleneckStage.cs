
namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[BottleneckStage(blocks, planes, Stride, Groups, BaseWidth, Expansion, StrideOnFirst1x1, Dilation, FirstDilation, ...)]</c>: a stage of
    /// torchvision Bottleneck blocks (ResNet-50+, ResNeXt, Wide ResNet); width = int(planes * BaseWidth / 64) * Groups.
    /// </summary>
    internal sealed record BottleneckStageSpec(string? Name, int Blocks, int Planes, int Stride, int Groups, int BaseWidth, int Expansion, bool StrideOnFirst1x1, BlockOptions Options,
        int Dilation = 1, int FirstDilation = 0) : LayerSpec(Name)
    {
        public override string NamePrefix => "stage";
        public override (string Prefix, bool Numbered) TorchVisionName => ("layer", true);

        [Reads]
        public static LayerSpec Read(AttributeReader a) =>
            new BottleneckStageSpec(a.Name, a.Int(0), a.Int(1), a.Named("Stride", 1), a.Named("Groups", 1), a.Named("BaseWidth", 64),
                a.Named("Expansion", 4), a.Named("StrideOnFirst1x1", false), BlockOptions.Read(a, bias: false, projectionBatchNorm: true),
                a.Named("Dilation", 1), a.Named("FirstDilation", 0));

        public override void Validate(Validation v)
        {
            int before = v.Count;
            v.AtLeast("blocks", Blocks, 1); v.AtLeast("planes", Planes, 1); v.AtLeast("Stride", Stride, 1);
            v.AtLeast("Groups", Groups, 1); v.AtLeast("BaseWidth", BaseWidth, 1); v.AtLeast("Expansion", Expansion, 1);
            v.AtLeast("Dilation", Dilation, 1); v.AtLeast("FirstDilation", FirstDilation, 0);
            if (v.Count == before) PreActStageSpec.WidthAtLeastOne(v, Planes, BaseWidth);
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            long width = b.Checked(() => (long)Planes * BaseWidth / 64 * Groups, b.ChildPath(name), "BaseWidth");
            long output = b.Checked(() => (long)Planes * Expansion, b.ChildPath(name), "Expansion");
            if (b.Failed) return x;
            return ResNetBlocks.Stage(b, name, Kind, x,
                inChannels => BlockDesign.Stage(BlockKind.Bottleneck, Blocks, inChannels, width, output, Stride, Groups, StrideOnFirst1x1, Options, b.Naming,
                    Dilation, FirstDilation == 0 ? Dilation : FirstDilation), "Groups");
        }
    }
}
