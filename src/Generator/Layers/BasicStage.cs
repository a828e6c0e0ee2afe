
namespace Dsl.Generator.Model
{
    /// <summary><c>[BasicStage(blocks, channels, Stride, ...)]</c>: a stage of torchvision BasicBlocks (ResNet-18/34).</summary>
    internal sealed record BasicStageSpec(string? Name, int Blocks, int Channels, int Stride, BlockOptions Options) : LayerSpec(Name)
    {
        public override string NamePrefix => "stage";
        public override (string Prefix, bool Numbered) TorchVisionName => ("layer", true);

        [Reads]
        public static LayerSpec Read(AttributeReader a) =>
            new BasicStageSpec(a.Name, a.Int(0), a.Int(1), a.Named("Stride", 1), BlockOptions.Read(a, bias: false, projectionBatchNorm: true));

        public override void Validate(Validation v)
        {
            v.AtLeast("blocks", Blocks, 1); v.AtLeast("channels", Channels, 1); v.AtLeast("Stride", Stride, 1);
        }

        public override Value Build(GraphBuilder b, string name, Value x) =>
            ResNetBlocks.Stage(b, name, Kind, x, inChannels => BlockDesign.Stage(BlockKind.Basic, Blocks, inChannels, Channels, Channels, Stride, 1, false, Options, b.Naming), "Groups");
    }
}
