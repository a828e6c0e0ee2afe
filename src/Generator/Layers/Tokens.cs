using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[Tokens]</c>: an image [C, H, W] as a sequence of H*W tokens of C features, [H*W, C] (flatten the positions,
    /// then transpose: ViT's patch embedding after its strided convolution). No parameters.
    /// </summary>
    internal sealed record TokensSpec(string? Name) : LayerSpec(Name)
    {
        public override bool NumberedName => false;

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new TokensSpec(a.Name);

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x);

        public static Value Add(GraphBuilder b, string name, Value x, string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (!Layers.Require.Image(b, path, "Tokens", x)) return x;
            long c = x.Shape[0], h = x.Shape[1], w = x.Shape[2];
            long positions = b.Checked(() => h * w, path, null);
            if (b.Failed) return x;
            return b.Leaf(name, "Tokens", x, GraphNode.Dims(positions, c), 0, 0, SizeRule.Follows, System.Array.Empty<LeafArg>(), into, doc, ownModule: true, saves: SavedForBackward.View,
                // [N, C, H, W] to [N, H*W, C]: reshape to [N, C, H*W] (0 copies the batch), then swap the last two axes.
                rendering: Rendering, onnx: Nodes(Node("Reshape", In(X, Int64sConstant(0, InputDim(0), -1))), Node("Transpose", Out(0), Ints("perm", 0, 2, 1))));
        }

        /// <summary>A class of the twin's helper files (flatten, then transpose: views, in no autocast list).</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(PyTorchConstructor.Of("Tokens"), AutocastRule.FallThrough("flatten, transpose")) with { Family = LayerFamily.PassThrough, Layout = ActivationLayout.Tokens };
    }
}
