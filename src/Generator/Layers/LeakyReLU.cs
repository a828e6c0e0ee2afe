using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary><c>[LeakyReLU(NegativeSlope = 0.01)]</c>: element-wise, shape-preserving, no parameters.</summary>
    internal sealed record LeakyReLUSpec(string? Name, double NegativeSlope) : LayerSpec(Name)
    {

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new LeakyReLUSpec(a.Name, a.Named("NegativeSlope", 0.01));

        public override void Validate(Validation v) => v.Finite("NegativeSlope", NegativeSlope);

        /// <summary>nn.LeakyReLU(negative_slope=...); leaky_relu is in no autocast list.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Of("nn.LeakyReLU", AutocastRule.FallThrough("leaky_relu"));

        /// <summary>ONNX's LeakyRelu calls the slope alpha.</summary>
        private static readonly OnnxRendering ToOnnx = Nodes(Node("LeakyRelu", X, Float("alpha", Arg("negative_slope"))));

        public override Value Build(GraphBuilder b, string name, Value x) =>
            b.Leaf(name, "LeakyReLU", x, x.Shape, 0, 0, SizeRule.Follows, new[] { Literal.Arg("negative_slope", NegativeSlope, 0.01) }, rendering: Rendering, onnx: ToOnnx, saves: SavedForBackward.Input);
    }
}
