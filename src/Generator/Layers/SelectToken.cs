using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary><c>[SelectToken(index = 0)]</c>: one token of [L, D], <c>x[:, index]</c>, giving [D] (ViT's class token before the head).</summary>
    internal sealed record SelectTokenSpec(string? Name, int Index) : LayerSpec(Name)
    {
        public override string NamePrefix => "token";
        public override bool NumberedName => false;

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new SelectTokenSpec(a.Name, a.Int(0, 0));

        public override void Validate(Validation v) => v.AtLeast("index", Index, 0);

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, Index);

        public static Value Add(GraphBuilder b, string name, Value x, long index = 0, string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (!Require.AtLeast(b, path, x, 2, "tokens [L, D]")) return x;
            if (index >= x.Shape[0])
            {
                b.Report(ProblemCode.InvalidValue, "index", path, "index", index, "less than the number of tokens " + x.Shape[0]);
                return x;
            }
            return b.Leaf(name, "SelectToken", x, GraphNode.Dims(x.Shape.Skip(1).ToArray()), 0, 0, SizeRule.Fixed, new[] { Literal.Arg("index", index, 0) }, into, doc, ownModule: true, saves: SavedForBackward.View,
                // x[:, index]: Gather with a scalar index drops the token axis.
                rendering: Rendering, onnx: Nodes(Node("Gather", In(X, Int64Constant(Arg("index"))), Int("axis", 1))));
        }

        /// <summary>A class of the twin's helper files (x[:, index]); select is a view, in no autocast list.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(PyTorchConstructor.Of("SelectToken", "index"), AutocastRule.FallThrough("select")) with { Family = LayerFamily.PassThrough, Layout = ActivationLayout.Tokens };
    }
}
