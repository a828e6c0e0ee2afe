
namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[Residual(channels, Use1x1Conv, Stride, Bias)]</c>, D2L's residual block: conv1 3x3 (stride) -> bn1 -> ReLU
    /// -> conv2 3x3 -> bn2, plus the input or conv3 (1x1, stride) on the shortcut, then ReLU.
    /// </summary>
    internal sealed record ResidualSpec(string? Name, int Channels, bool Use1x1Conv, int Stride, bool Bias) : LayerSpec(Name)
    {
        public override string Kind => "Residual";
        public override string NamePrefix => "block";
        public override (string Prefix, bool Numbered) TorchVisionName => ("block", true);

        [Reads("ResidualAttribute")]
        public static LayerSpec Read(AttributeReader a) =>
            new ResidualSpec(a.Name, a.Int(0), a.Named("Use1x1Conv", false), a.Named("Stride", 1), a.Named("Bias", true));

        public override void Validate(Validation v)
        {
            v.AtLeast("channels", Channels, 1); v.AtLeast("Stride", Stride, 1);
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, Channels, Use1x1Conv, Stride, Bias, inStage: false);

        /// <summary>The block, written once: used alone and by <see cref="ResidualStageSpec"/>.</summary>
        public static Value Add(GraphBuilder b, string name, Value x, long channels, bool use1x1Conv, long stride, bool bias, bool inStage)
        {
            if (!Require.Image(b, b.ChildPath(name), "Residual", x)) return x;
            var r = b.Block(name, x);
            var inChannels = r.Param("inChannels", x.Channels);
            var c = r.Param("channels", channels);
            var s = r.Param("stride", stride);
            var useBias = r.Param("bias", bias);
            var y = Conv2dSpec.Add(r, "conv1", r.Input, inChannels, c, 3, s, 1, 1, 1, useBias, doc: "First 3x3 convolution (carries the stride).");
            y = BatchNorm2dSpec.Add(r, "bn1", y, c, doc: "Batch normalization after conv1.");
            y = r.ReluInPlace(y);
            y = Conv2dSpec.Add(r, "conv2", y, c, c, 3, 1, 1, 1, 1, useBias, doc: "Second 3x3 convolution.");
            y = BatchNorm2dSpec.Add(r, "bn2", y, c, doc: "Batch normalization after conv2.");
            var identity = r.Optional(r.Param("use1x1Conv", use1x1Conv), "conv3", r.Input, r.Input, "identity",
                v => Conv2dSpec.Add(r, "conv3", v, inChannels, c, 1, s, 0, 1, 1, useBias, doc: "The 1x1 projection on the shortcut."));
            if (!r.Failed && y.Shape != identity.Shape)
            {
                string hint = inStage
                    ? "set Downsample = true on the stage, or give the previous layer " + channels + " output channels"
                    : "set Use1x1Conv = true, or give the previous layer " + channels + " output channels and use Stride = 1";
                r.ReportAt(ProblemCode.ResidualShapeMismatch, r.Blame ?? "Use1x1Conv", r.Path, GraphBuilder.Format(y.Shape), GraphBuilder.Format(identity.Shape), hint);
            }
            y = r.AddInPlace(y, identity);
            y = r.ReluInPlace(y);
            return b.EndBlock(r, "ResidualBlock", "ResidualBlock", x, y,
                doc: "D2L residual block: conv1 3x3 (stride) -> bn1 -> ReLU -> conv2 3x3 -> bn2, plus the input or conv3 (1x1, stride) on the shortcut, then ReLU.");
        }
    }

    /// <summary>
    /// <c>[ResidualStage(blocks, channels, Downsample, Bias)]</c>: D2L's <c>resnet_block</c>, blocks named 0, 1, ...;
    /// with Downsample the first block halves height and width through a 1x1-projected shortcut.
    /// </summary>
    internal sealed record ResidualStageSpec(string? Name, int Blocks, int Channels, bool Downsample, bool Bias) : LayerSpec(Name)
    {
        public override string Kind => "ResidualStage";
        public override string NamePrefix => "stage";
        public override (string Prefix, bool Numbered) TorchVisionName => ("layer", true);

        [Reads("ResidualStageAttribute")]
        public static LayerSpec Read(AttributeReader a) =>
            new ResidualStageSpec(a.Name, a.Int(0), a.Int(1), a.Named("Downsample", false), a.Named("Bias", true));

        public override void Validate(Validation v)
        {
            v.AtLeast("blocks", Blocks, 1); v.AtLeast("channels", Channels, 1);
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            if (!Require.Image(b, b.ChildPath(name), "ResidualStage", x)) return x;
            var stage = b.Sequential(name, x, blame: "Downsample");
            var v = stage.Input;
            for (int i = 0; i < Blocks && !stage.Failed; i++)
            {
                bool first = i == 0;
                v = ResidualSpec.Add(stage, i.ToString(System.Globalization.CultureInfo.InvariantCulture), v, Channels,
                    first && Downsample, first && Downsample ? 2 : 1, Bias, inStage: true);
            }
            return b.EndSequential(stage, "ResidualStage", x, v);
        }
    }
}
