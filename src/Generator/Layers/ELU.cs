using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary><c>[ELU(Alpha = 1.0)]</c>: element-wise, shape-preserving, no parameters, any input rank.</summary>
    internal sealed record ELUSpec(string? Name, double Alpha) : LayerSpec(Name)
    {
        /// <summary>nn.ELU(alpha=...); elu is in no autocast list.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Of("nn.ELU", AutocastRule.FallThrough("elu"));

        /// <summary>ONNX's Elu takes the same alpha.</summary>
        private static readonly OnnxRendering ToOnnx = Nodes(Node("Elu", X, Float("alpha", Arg("alpha"))));

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new ELUSpec(a.Name, a.Named("Alpha", 1.0));

        public override void Validate(Validation v) => v.Finite("Alpha", Alpha);

        public override Value Build(GraphBuilder b, string name, Value x) =>
            b.Leaf(name, Kind, x, x.Shape, 0, 0, SizeRule.Follows, new[] { Literal.Arg("alpha", Alpha, 1.0) }, rendering: Rendering, onnx: ToOnnx, saves: SavedForBackward.Input);
    }
}
