using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[Embedding(dim, PaddingIndex)]</c>: token ids [L] (the network's <c>[Input(length, Vocabulary = v)]</c>) to vectors
    /// [L, dim] with <c>nn.Embedding(v, dim, padding_idx)</c>; key <c>weight</c> [v, dim]. The only kind that takes token ids.
    /// </summary>
    internal sealed record EmbeddingSpec(string? Name, int Dim, int PaddingIndex) : LayerSpec(Name)
    {

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new EmbeddingSpec(a.Name, a.Int(0), a.Named("PaddingIndex", -1));

        public override void Validate(Validation v)
        {
            v.AtLeast("dim", Dim, 1);
            v.AtLeast("PaddingIndex", PaddingIndex, -1);
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, Dim, PaddingIndex);

        public static Value Add(GraphBuilder b, string name, Value x, long dim, long paddingIndex = -1, string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (b.Failed) return x;
            if (!x.IsTokens)
            {
                b.Report(ProblemCode.InvalidValue, null, path, "input", GraphBuilder.Format(x.Shape) + " of real numbers",
                    "token ids: declare [Input(length, Vocabulary = v)] and put the Embedding first");
                return x;
            }
            long vocabulary = x.Vocabulary;
            if (paddingIndex >= vocabulary)
            {
                b.Report(ProblemCode.InvalidValue, "PaddingIndex", path, "PaddingIndex", paddingIndex, "a token id below the vocabulary " + vocabulary + ", or -1 for none");
                return x;
            }
            long parameters = b.Checked(() => vocabulary * dim, path, "dim");
            if (b.Failed) return x;
            var args = new List<LeafArg> { Literal.Arg("num_embeddings", vocabulary), Literal.Arg("embedding_dims", dim) };
            if (paddingIndex >= 0) args.Add(Literal.Arg("padding_idx", paddingIndex));
            var output = new EquatableArray<long>(new[] { x.Shape[0], dim });
            return b.Leaf(name, "Embedding", x, output, parameters, 0, SizeRule.Follows, args, into, doc,
                // weight[ids]: Gather on the table's rows; the ids are remembered for a padding mask of a later attention.
                rendering: Rendering, onnx: Nodes(Call("token_ids"), Node("Gather", In(Weight("weight"), X), Int("axis", 0))), saves: new TokenIds(),
                // Rules reach the table by path ("**.weight"), not by kind.
                init: Init);
        }

        private static readonly LeafInit Init = LeafInit.ByPath(2);

        /// <summary>What embedding keeps: the token ids (int64); the table is a parameter.</summary>
        private sealed record TokenIds : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x)
            {
                tape.Indices += BackwardTape.Elements(x.Shape);
                return tape.Fresh(node.Output);
            }
        }

        /// <summary>nn.Embedding (TorchSharp's embedding_dims is PyTorch's embedding_dim); embedding is in no autocast list.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(
            PyTorchConstructor.Of("nn.Embedding", "num_embeddings*", "embedding_dims=embedding_dim*", "padding_idx"), AutocastRule.FallThrough("embedding")) with { Layout = ActivationLayout.TokenIds };
    }
}
