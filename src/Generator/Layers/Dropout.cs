using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary><c>[Dropout(probability = 0.5)]</c>.</summary>
    internal sealed record DropoutSpec(string? Name, double Probability) : LayerSpec(Name)
    {

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new DropoutSpec(a.Name, a.Double(0, 0.5));

        public override void Validate(Validation v)
        {
            if (!(Probability >= 0 && Probability < 1)) v.Invalid("probability", Probability, "in [0, 1)");
        }

        public override Value Build(GraphBuilder b, string name, Value x) =>
            b.Leaf(name, "Dropout", x, x.Shape, 0, 0, SizeRule.Follows, new[] { Literal.Arg("p", Probability, 0.5) },
                // Dropout does nothing in eval mode.
                rendering: Rendering, onnx: Identity, saves: new RandomMask());

        /// <summary>On the CPU, dropout multiplies by a scaled random mask of the input's size and type, which it saves.</summary>
        private sealed record RandomMask : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x) => Masked(tape, node, x, x.Shape);
        }

        /// <summary>nn.Dropout; dropout is in no autocast list.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(PyTorchConstructor.Of("nn.Dropout", "p"), AutocastRule.FallThrough("dropout")) with { Family = LayerFamily.PassThrough };
    }
}
