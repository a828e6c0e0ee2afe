
namespace Dsl.Generator.Model
{
    /// <summary><c>[ResNeXtBlock(channels, groupWidth, bottleneckMultiplier, Use1x1Conv, Stride, ...)]</c>: D2L's ResNeXtBlock; GroupWidth is channels per group.</summary>
    internal sealed record ResNeXtBlockSpec(string? Name, int Channels, int GroupWidth, double BottleneckMultiplier, bool Use1x1Conv, int Stride, BlockOptions Options) : LayerSpec(Name)
    {
        public override string NamePrefix => "block";
        public override (string Prefix, bool Numbered) TorchVisionName => ("block", true);

        [Reads]
        public static LayerSpec Read(AttributeReader a) =>
            new ResNeXtBlockSpec(a.Name, a.Int(0), a.Int(1), a.Double(2, 1.0), a.Named("Use1x1Conv", false), a.Named("Stride", 1),
                BlockOptions.Read(a, bias: true, projectionBatchNorm: true));

        /// <summary>D2L's <c>int(round(num_channels * bot_mul))</c> (Python rounds half to even, as Math.Round).</summary>
        internal long BottleneckChannels()
        {
            double b = Math.Round(Channels * BottleneckMultiplier, MidpointRounding.ToEven);
            return b >= long.MaxValue ? long.MaxValue : (long)b;
        }

        public override void Validate(Validation v)
        {
            int before = v.Count;
            v.AtLeast("channels", Channels, 1); v.AtLeast("groupWidth", GroupWidth, 1); v.AtLeast("Stride", Stride, 1);
            if (!(BottleneckMultiplier > 0) || double.IsInfinity(BottleneckMultiplier))
                v.Invalid("bottleneckMultiplier", BottleneckMultiplier, "greater than 0");
            if (v.Count != before) return;
            long b = BottleneckChannels();
            if (b < 1)
                v.Invalid("bottleneckMultiplier", BottleneckMultiplier, "large enough that round(channels * bottleneckMultiplier) is at least 1");
            else if (GroupWidth > b)
                v.Invalid("groupWidth", GroupWidth, "at most the bottleneck channels (" + b + "): it is the number of channels per group");
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            long width = BottleneckChannels();
            long groups = Math.Max(1, width / Math.Max(1, GroupWidth));
            var design = new BlockDesign(BlockKind.Bottleneck, x.Channels, width, Channels, Stride, groups, false, Use1x1Conv, Options, b.Naming == Naming.TorchVision);
            return ResNetBlocks.Block(b, name, x, design, "groupWidth", "Use1x1Conv");
        }
    }
}
