using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary><c>[BatchNorm2d(Eps, Momentum)]</c>: nn.BatchNorm2d over the incoming channels.</summary>
    internal sealed record BatchNorm2dSpec(string? Name, double Eps, double Momentum) : LayerSpec(Name)
    {
        public override string NamePrefix => "bn";
        public override (string Prefix, bool Numbered) TorchVisionName => ("bn", true);

        /// <summary>
        /// ONNX (BatchNorm1d's too): BatchNormalization with the running statistics, in eval mode. ONNX's momentum weighs
        /// the old statistic, PyTorch's the new one; it only matters in training and is written for completeness.
        /// </summary>
        internal static readonly OnnxRendering ToOnnx = Nodes(
            Node("BatchNormalization", In(X, Weight("weight"), Weight("bias"), Weight("running_mean"), Weight("running_var")),
                Float("epsilon", Arg("eps")), Float("momentum", OneMinus("momentum"))));

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new BatchNorm2dSpec(a.Name, a.Named("Eps", 1e-5), a.Named("Momentum", 0.1));

        public override void Validate(Validation v)
        {
            v.Positive("Eps", Eps);
            v.Fraction("Momentum", Momentum);
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, x.Channels, Eps, Momentum);

        /// <summary>Adds a BatchNorm2d; <paramref name="zeroInitWeight"/> starts its scale at zero (torchvision's zero_init_residual).</summary>
        public static Value Add(GraphBuilder b, string name, Value x, Num features, double eps = 1e-5, double momentum = 0.1, bool zeroInitWeight = false, string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (!Require.Image(b, path, "BatchNorm2d", x)) return x;
            long channels = x.Shape[0];
            long parameters = b.Checked(() => 2 * channels, path, null);
            var args = new[]
            {
                Literal.Arg("num_features", features.Value == channels ? features : channels),
                Literal.Arg("eps", eps, 1e-5),
                Literal.Arg("momentum", momentum, 0.1),
            };
            return b.Leaf(name, "BatchNorm2d", x, x.Shape, parameters, 0, SizeRule.Follows, args, into, doc, zeroInitWeight, rendering: Rendering, onnx: ToOnnx, saves: Saves, init: Init);
        }

        /// <summary>[Init] names BatchNorm2d; its weight and bias are per channel.</summary>
        private static readonly LeafInit Init = LeafInit.Named("BatchNorm2d", 1);

        /// <summary>What batch_norm keeps in training: the input, and the batch mean and 1/std per channel (float32, whatever the batch).</summary>
        internal static readonly SavedForBackward Saves = new BatchStatistics();

        private sealed record BatchStatistics : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x)
            {
                tape.FixedStatistics += 2 * node.Input[0];
                return Input.Record(tape, node, x);
            }
        }

        /// <summary>nn.BatchNorm2d; batch_norm is in none of autocast's lists (its kernel keeps float32 statistics).</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(
            PyTorchConstructor.Of("nn.BatchNorm2d", "num_features*", "eps", "momentum"), AutocastRule.FallThrough("batch_norm")) with { Family = LayerFamily.Normalization };
    }
}
