using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary><c>[Flatten]</c>: every dimension after the batch into one.</summary>
    internal sealed record FlattenSpec(string? Name) : LayerSpec(Name)
    {

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new FlattenSpec(a.Name);

        /// <summary>nn.Flatten's defaults (start_dim 1); a view, in no autocast list.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Of("nn.Flatten", AutocastRule.FallThrough("flatten")) with { Family = LayerFamily.PassThrough };

        /// <summary>ONNX's Flatten with axis 1 keeps the batch and flattens the rest, as TorchSharp's.</summary>
        private static readonly OnnxRendering ToOnnx = Nodes(Node("Flatten", X, Int("axis", 1L)));

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x);

        public static Value Add(GraphBuilder b, string name, Value x, string? into = null, string? doc = null)
        {
            long features = 1;
            foreach (var dim in x.Shape) features = b.Checked(() => features * dim, b.ChildPath(name), null);
            if (b.Failed) return x;
            return b.Leaf(name, "Flatten", x, GraphNode.Dims(features), 0, 0, SizeRule.Dependent, Enumerable.Empty<LeafArg>(), into, doc, rendering: Rendering, onnx: ToOnnx, saves: SavedForBackward.View);
        }
    }
}
