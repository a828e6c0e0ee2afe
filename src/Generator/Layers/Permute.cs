using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[Permute(dims...)]</c>: torchvision's Permute, the dimensions counted with the batch (which stays first), so
    /// the declaration reads as torchvision's <c>Permute([0, 2, 3, 1])</c>. The graph records the same full order.
    /// </summary>
    internal sealed record PermuteSpec(string? Name, EquatableArray<int> Dims) : LayerSpec(Name)
    {

        [Reads]
        public static LayerSpec Read(AttributeReader a) =>
            new PermuteSpec(a.Name, a.Raw.Arguments.Select(v => v.Value is int i ? i : -1).ToEquatableArray());

        public override void Validate(Validation v)
        {
            var dims = Dims.ToList();
            if (dims.Count < 2 || dims[0] != 0 || !dims.OrderBy(d => d).SequenceEqual(Enumerable.Range(0, dims.Count)))
                v.Invalid("dims", Text(Dims), "a permutation of 0 .. rank with 0 (the batch) first, e.g. (0, 2, 3, 1)");
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, Dims);

        public static Value Add(GraphBuilder b, string name, Value x, IReadOnlyList<int> dims, string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (b.Failed) return x;
            if (dims.Count != x.Shape.Count + 1)
            {
                b.Report(ProblemCode.InvalidValue, "dims", path, "dims", Text(dims),
                    $"{x.Shape.Count + 1} dimensions (the batch and the {x.Shape.Count} of the incoming {GraphBuilder.Format(x.Shape)})");
                return x;
            }
            // Per sample: output dimension i (after the batch) is input dimension dims[i + 1] - 1.
            var output = new EquatableArray<long>(dims.Skip(1).Select(d => x.Shape[d - 1]));
            // The graph's value is a JSON list, the C# call an array.
            var args = new[] { new LeafArg("dims", "[" + string.Join(", ", dims) + "]", null, false, "new long[] { " + string.Join(", ", dims) + " }") };
            return b.Leaf(name, "Permute", x, output, 0, 0, SizeRule.Follows, args, into, doc, ownModule: true, saves: SavedForBackward.View,
                // torchvision's Permute: the dims count the batch, as ONNX's perm does.
                rendering: Rendering, onnx: Nodes(Node("Transpose", X, Ints("perm", ArgList("dims")))));
        }

        /// <summary>torchvision.ops.Permute, a class of the twin's helper files; permute is a view, in no autocast list.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(PyTorchConstructor.Of("Permute", "dims*"), AutocastRule.FallThrough("permute")) with { Family = LayerFamily.PassThrough, Layout = ActivationLayout.Tokens };

        private static string Text(IEnumerable<int> dims) => "(" + string.Join(", ", dims) + ")";
    }
}
