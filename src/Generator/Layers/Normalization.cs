using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary><c>[BatchNorm1d(Eps, Momentum)]</c>: nn.BatchNorm1d over the channels of flat (C) or sequence (C, L) input.</summary>
    internal sealed record BatchNorm1dSpec(string? Name, double Eps, double Momentum) : LayerSpec(Name)
    {
        public override string Kind => "BatchNorm1d";
        public override string NamePrefix => "bn";
        public override (string Prefix, bool Numbered) TorchVisionName => ("bn", true);

        [Reads("BatchNorm1dAttribute")]
        public static LayerSpec Read(AttributeReader a) => new BatchNorm1dSpec(a.Name, a.Named("Eps", 1e-5), a.Named("Momentum", 0.1));

        public override void Validate(Validation v)
        {
            v.Positive("Eps", Eps);
            v.Fraction("Momentum", Momentum);
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            string path = b.ChildPath(name);
            if (!Require.Rank(b, path, Kind, x, 1, 2)) return x;
            long channels = x.Shape[0];
            long parameters = b.Checked(() => 2 * channels, path, null);
            var args = new[]
            {
                Literal.Arg("num_features", channels),
                Literal.Arg("eps", Eps, 1e-5),
                Literal.Arg("momentum", Momentum, 0.1),
            };
            return b.Leaf(name, Kind, x, x.Shape, parameters, 0, SizeRule.Follows, args, rendering: Rendering, onnx: BatchNorm2dSpec.ToOnnx, saves: BatchNorm2dSpec.Saves, init: Init);
        }

        /// <summary>[Init] names BatchNorm1d; its weight and bias are per channel.</summary>
        private static readonly LeafInit Init = LeafInit.Named("BatchNorm1d", 1);

        /// <summary>nn.BatchNorm1d; batch_norm is in none of autocast's lists (its kernel keeps float32 statistics).</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(
            PyTorchConstructor.Of("nn.BatchNorm1d", "num_features*", "eps", "momentum"), AutocastRule.FallThrough("batch_norm")) with { Family = LayerFamily.Normalization };
    }

    /// <summary>
    /// <c>[GroupNorm(groups, Eps)]</c>: nn.GroupNorm over the channels (the first dimension) of a sequence or an image;
    /// <c>groups</c> must divide the channels (DSL006 at <c>groups</c>).
    /// </summary>
    internal sealed record GroupNormSpec(string? Name, int Groups, double Eps) : LayerSpec(Name)
    {
        public override string Kind => "GroupNorm";
        public override string NamePrefix => "gn";

        /// <summary>
        /// ONNX (opset 17 has no GroupNormalization): the sample reshaped to [N, G, rest], normalised over the last axis
        /// with the biased variance, as PyTorch, reshaped back, then scaled and shifted per channel ([C, 1, ...]).
        /// </summary>
        private static readonly OnnxRendering ToOnnx = Nodes(
            Node("Reshape", In(X, IntsConstant(0, Arg("num_groups"), -1))),                      // 0: grouped
            Node("ReduceMean", Out(0), Ints("axes", 2), Int("keepdims", 1)),                      // 1: mean
            Node("Sub", In(Out(0), Out(1))),                                                       // 2: centred
            Node("Mul", In(Out(2), Out(2))),
            Node("ReduceMean", Out(3), Ints("axes", 2), Int("keepdims", 1)),                      // 4: variance
            Node("Add", In(Out(4), FloatConstant(Arg("eps")))),
            Node("Sqrt", Out(5)),                                                                  // 6: std
            Node("Div", In(Out(2), Out(6))),
            Node("Reshape", In(Out(7), IntsConstant(0, InputShape()))),                           // 8: normalised
            Node("Constant", In(), Ints("value_ints", InputDim(0), PerSpatialAxis(1))),           // 9: [C, 1, ...]
            Node("Reshape", In(Weight("weight"), Out(9))),
            Node("Reshape", In(Weight("bias"), Out(9))),
            Node("Mul", In(Out(8), Out(10))),
            Node("Add", In(Out(12), Out(11))));

        [Reads("GroupNormAttribute")]
        public static LayerSpec Read(AttributeReader a) => new GroupNormSpec(a.Name, a.Int(0), a.Named("Eps", 1e-5));

        public override void Validate(Validation v)
        {
            v.AtLeast("groups", Groups, 1);
            v.Positive("Eps", Eps);
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            string path = b.ChildPath(name);
            // TorchSharp's GroupNorm takes (N, C, *) with at least one position: a sequence or an image.
            if (!Require.Rank(b, path, Kind, x, 2, 3)) return x;
            long channels = x.Channels;
            if (channels % Groups != 0)
            {
                b.Report(ProblemCode.GroupsDoNotDivide, "groups", path, Groups, channels, channels);
                return x;
            }
            long parameters = b.Checked(() => 2 * channels, path, null);
            var args = new[]
            {
                Literal.Arg("num_groups", (long)Groups),
                Literal.Arg("num_channels", channels),
                Literal.Arg("eps", Eps, 1e-5),
            };
            // TorchSharp 0.107's GroupNorm leaves its weight and bias uninitialised: created with PyTorch's initial values.
            return b.Leaf(name, Kind, x, x.Shape, parameters, 0, SizeRule.Follows, args, initialized: true, rendering: Rendering, onnx: ToOnnx, saves: Saves, init: Init);
        }

        /// <summary>[Init] names GroupNorm; its weight and bias are per channel.</summary>
        private static readonly LeafInit Init = LeafInit.Named("GroupNorm", 1);

        /// <summary>What group_norm keeps: the input, and the mean and 1/std of each group.</summary>
        private static readonly SavedForBackward Saves = new GroupStatistics();

        private sealed record GroupStatistics : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x)
            {
                tape.Statistics += 2 * BackwardTape.Int(node, "num_groups", 1);
                return Input.Record(tape, node, x);
            }
        }

        /// <summary>nn.GroupNorm; autocast: group_norm is fp32 on CUDA only, in no CPU list.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(
            PyTorchConstructor.Of("nn.GroupNorm", "num_groups*", "num_channels*", "eps"), AutocastRule.Float32OnCuda("group_norm")) with { Family = LayerFamily.Normalization };
    }

    /// <summary>
    /// <c>[Softmax(Dim = -1)]</c>: nn.Softmax(dim), shape-preserving. <see cref="Dim"/> counts as PyTorch's over the
    /// batched tensor: -1..-rank or 1..rank for a sample of rank <c>rank</c>; 0, the batch, is refused (DSL008 at Dim).
    /// </summary>
    internal sealed record SoftmaxSpec(string? Name, int Dim) : LayerSpec(Name)
    {
        public override string Kind => "Softmax";
        public override string NamePrefix => "softmax";

        [Reads("SoftmaxAttribute")]
        public static LayerSpec Read(AttributeReader a) => new SoftmaxSpec(a.Name, a.Named("Dim", -1));

        public override void Validate(Validation v)
        {
            if (Dim == 0) v.Invalid("Dim", Dim, "a dimension of the sample (1 to its rank, or -1 to minus its rank), not 0, the batch");
        }

        /// <summary>
        /// nn.Softmax(dim=...). Autocast: in no CPU list (its kernel accumulates in float32), fp32 on CUDA.
        /// </summary>
        private static readonly LeafRendering Rendering = LeafRendering.Of("nn.Softmax", AutocastRule.Float32OnCuda("softmax"));

        /// <summary>ONNX's Softmax (opset 13 on) normalises along one axis as PyTorch's, and the graph's dim counts the batch too.</summary>
        private static readonly OnnxRendering ToOnnx = Nodes(Node("Softmax", X, Int("axis", Arg("dim"))));

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            string path = b.ChildPath(name);
            if (b.Failed) return x;
            int rank = x.Shape.Count;
            if (Dim < -rank || Dim > rank)
            {
                b.Report(ProblemCode.InvalidValue, "Dim", path, "Dim", Dim,
                    "between -" + rank + " and " + rank + " (not 0) for its " + Require.RankName(rank) + " input " + GraphBuilder.Format(x.Shape));
                return x;
            }
            // Always written: TorchSharp's Softmax has no default dimension.
            return b.Leaf(name, Kind, x, x.Shape, 0, 0, SizeRule.Follows, new[] { new LeafArg("dim", Literal.Of(Dim), null, false) }, rendering: Rendering, onnx: ToOnnx, saves: SavedForBackward.Result);
        }
    }
}
