using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>The attribute's <c>AttentionLayout</c>, in the same order: the parameters' keys.</summary>
    internal enum AttentionLayout { PyTorch, Gpt2 }

    /// <summary>
    /// <c>[MultiheadSelfAttention(heads, Dropout)]</c>: self-attention over tokens [L, E] with <see cref="Heads"/> heads,
    /// as <c>nn.MultiheadAttention(E, heads, dropout, batch_first=True)(x, x, x, need_weights=False)[0]</c>: the same
    /// parameters and keys (<c>in_proj_weight</c> [3E, E], <c>in_proj_bias</c>, <c>out_proj.weight</c>, <c>out_proj.bias</c>).
    /// </summary>
    /// <remarks>
    /// <see cref="Causal"/> masks later tokens; <see cref="AttentionLayout.Gpt2"/> is GPT-2's layout (nanoGPT's
    /// <c>CausalSelfAttention</c>: <c>c_attn</c>, a Linear E to 3E, and <c>c_proj</c>, a Linear E to E; module <c>FusedSelfAttention</c>).
    /// </remarks>
    internal sealed record MultiheadSelfAttentionSpec(string? Name, int Heads, double Dropout, bool Causal = false, AttentionLayout Layout = AttentionLayout.PyTorch, bool PaddingMask = false) : LayerSpec(Name)
    {
        public override string NamePrefix => "attention";
        public override bool NumberedName => false;

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new MultiheadSelfAttentionSpec(a.Name, a.Int(0), a.Named("Dropout", 0.0), a.Named("Causal", false), (AttentionLayout)a.Named("Layout", 0), a.Named("PaddingMask", false));

        public override void Validate(Validation v)
        {
            v.AtLeast("heads", Heads, 1);
            if (!(Dropout >= 0 && Dropout < 1)) v.Invalid("Dropout", Dropout, "in [0, 1)");
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, Heads, Dropout, causal: Causal, gpt2: Layout == AttentionLayout.Gpt2, paddingMask: PaddingMask);

        public static Value Add(GraphBuilder b, string name, Value x, long heads, double dropout = 0, string? into = null, string? doc = null, bool causal = false, bool gpt2 = false, bool paddingMask = false)
        {
            string path = b.ChildPath(name);
            if (b.Failed || !b.Reals(name, "MultiheadSelfAttention", x) || !Require.Tokens(b, path, x, "tokens [L, E] (put [Tokens] before it)")) return x;
            long length = x.Shape[0], embed = x.Shape[1];
            if (embed % heads != 0)
            {
                b.Report(ProblemCode.HeadsDoNotDivide, "heads", path, heads, embed, Divisors(embed));
                return x;
            }
            // in_proj (3E x E + 3E) and out_proj (E x E + E); c_attn and c_proj hold the same numbers.
            long parameters = b.Checked(() => 4 * embed * embed + 4 * embed, path, null);
            // Projections 4 L E^2; scores and weighted sum 2 L^2 E.
            long multiplyAdds = b.Checked(() => 4 * length * embed * embed + 2 * length * length * embed, path, null);
            if (b.Failed) return x;
            var args = new List<LeafArg>
            {
                Literal.Arg("embed_dim", embed),
                Literal.Arg("num_heads", heads),
                Literal.Arg("dropout", dropout, 0.0),
                Literal.Arg("causal", causal, false),
            };
            if (paddingMask)
            {
                if (PaddingEmbedding(b, path) is not { } embedding) return x;
                args.Add(new LeafArg(PaddingOf, Emit.Identifier.String(embedding.Path), null, false));
                args.Add(new LeafArg("padding_idx", embedding.Args.First(a => a.Name == "padding_idx").Value, null, false));
            }
            return b.Leaf(name, gpt2 ? "FusedSelfAttention" : "MultiheadSelfAttention", x, x.Shape, parameters, multiplyAdds, SizeRule.Follows, args, into, doc, ownModule: true,
                // ONNX: opset 17 has no fused attention; the runtime decomposes it (projections, heads, masks).
                rendering: gpt2 ? FusedRendering : Rendering, onnx: Function(gpt2 ? "fused_self_attention" : "multihead_self_attention"),
                saves: gpt2 ? FusedSaved : TorchSaved, init: gpt2 ? FusedInit : Init);
        }

        /// <summary>
        /// [Init] names MultiheadSelfAttention (a scheme fills its in-projection), and reaches nn.MultiheadAttention's
        /// parameters and its out_proj, a Linear, by path.
        /// </summary>
        private static readonly LeafInit Init = new TorchLayout();

        private sealed record TorchLayout() : LeafInit("MultiheadSelfAttention")
        {
            public override IEnumerable<InitTarget> Targets(GraphNode node) => new[]
            {
                new InitTarget(node.Path, node.ModuleType, 2, false),
                new InitTarget(node.Path + ".in_proj_weight", null, 2, true),
                new InitTarget(node.Path + ".in_proj_bias", null, 1, true),
                new InitTarget(node.Path + ".out_proj", "Linear", 2, false),
                new InitTarget(node.Path + ".out_proj.weight", null, 2, true),
                new InitTarget(node.Path + ".out_proj.bias", null, 1, true),
            };
        }

        /// <summary>GPT-2's layout: two Linear modules inside the attention, as named_modules lists them.</summary>
        private static readonly LeafInit FusedInit = new Gpt2Layout();

        private sealed record Gpt2Layout() : LeafInit((string?)null)
        {
            public override IEnumerable<InitTarget> Targets(GraphNode node) =>
                new[] { ".c_attn", ".c_proj" }.SelectMany(linear => new[]
                {
                    new InitTarget(node.Path + linear, "Linear", 2, false),
                    new InitTarget(node.Path + linear + ".weight", null, 2, true),
                    new InitTarget(node.Path + linear + ".bias", null, 1, true),
                });
        }

        /// <summary>What each attention's backward keeps (the rules below).</summary>
        private static readonly SavedForBackward TorchSaved = new TorchSaves(), FusedSaved = new FusedSaves();

        /// <summary>
        /// nn.MultiheadAttention in training (measured with torch 1.13): the in-projection's input (a contiguous copy of the
        /// transposed tokens, L x E), the scaled queries, the keys and the values (each L x E, copies), the attention
        /// weights after softmax (H x L x L, and their dropout mask when dropout > 0) and the out-projection's input (L x E).
        /// </summary>
        private sealed record TorchSaves : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x)
            {
                long length = x.Shape[0], embed = x.Shape[x.Shape.Length - 1], heads = BackwardTape.Int(node, "num_heads", 1);
                tape.Save(tape.Fresh(new[] { 5 * length, embed }));
                tape.Save(tape.Fresh(new[] { heads, length, length }));
                if (BackwardTape.Double(node, "dropout") > 0) tape.Save(tape.Fresh(new[] { heads, length, length }));
                return tape.Fresh(node.Output);
            }
        }

        /// <summary>
        /// The twin's GPT-2 attention in training (torch 1.13): c_attn's input; the copies matmul makes of the queries, keys
        /// and values split into heads and c_proj's input (each L x E); the softmax weights (H x L x L) and, with dropout,
        /// their dropout mask and result and the mask of the output's dropout. The causal mask is one bool [L, L] whatever
        /// the batch, left out.
        /// </summary>
        private sealed record FusedSaves : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x)
            {
                long length = x.Shape[0], embed = x.Shape[x.Shape.Length - 1], heads = BackwardTape.Int(node, "num_heads", 1);
                tape.Save(x);
                tape.Save(tape.Fresh(new[] { 4 * length, embed }));
                tape.Save(tape.Fresh(new[] { heads, length, length }));
                if (BackwardTape.Double(node, "dropout") > 0)
                {
                    tape.Save(tape.Fresh(new[] { 2 * heads, length, length }));
                    tape.Save(tape.Fresh(new[] { length, embed }));
                }
                return tape.Fresh(node.Output);
            }
        }

        /// <summary>
        /// The attention's class of the twin's helper files (nn.MultiheadAttention's keys, or GPT-2's c_attn and c_proj);
        /// its projections and scaled_dot_product_attention are on autocast's lower-precision list.
        /// </summary>
        private static readonly LeafRendering Rendering = Attention("MultiheadSelfAttention"), FusedRendering = Attention("FusedSelfAttention");

        /// <summary>The argument of an attention that masks padding: the path of the Embedding whose ids it reads.</summary>
        private const string PaddingOf = "padding_of";

        private static LeafRendering Attention(string @class) => LeafRendering.Module(
            PyTorchConstructor.Of(@class, "embed_dim*", "num_heads*", "dropout", "causal", PaddingOf, "padding_idx"),
            AutocastRule.LowerPrecision("linear, scaled_dot_product_attention")) with
            {
                Family = LayerFamily.Dense,
                Layout = ActivationLayout.Tokens,
                // An attention that masks padding reads the ids entering its Embedding, connected once every layer exists.
                AfterConstruction = new ConstructionHook("KeyPadding.ConnectAll", "KeyPadding.connect_all") { OnlyWith = PaddingOf },
            };

        /// <summary>
        /// The path of the one Embedding with a padding index built before this layer, whose ids the padding mask reads;
        /// reports DSL008 at PaddingMask when there is none or more than one.
        /// </summary>
        private static GraphNode? PaddingEmbedding(GraphBuilder b, string path)
        {
            var found = b.Built().Where(n => n.Rendering?.Layout == ActivationLayout.TokenIds && n.Args.Any(a => a.Name == "padding_idx")).ToList();
            if (found.Count == 1) return found[0];
            b.Report(ProblemCode.InvalidValue, "PaddingMask", path, "PaddingMask", "true",
                found.Count == 0
                    ? "false unless an Embedding with a PaddingIndex comes before it (declare [Embedding(dim, PaddingIndex = 0)] first), whose padding ids it masks"
                    : "false when several Embeddings have a PaddingIndex (" + string.Join(", ", found.Select(n => n.Path)) + "): the mask reads the ids of exactly one");
            return null;
        }

        /// <summary>The divisors of <paramref name="n"/> near the usual head counts, as the message suggests them: "1, 2, 3, 4, 6, 8, 12".</summary>
        private static string Divisors(long n)
        {
            var found = new List<long>();
            for (long d = 1; d <= n && found.Count < 8; d++) if (n % d == 0) found.Add(d);
            return string.Join(", ", found);
        }
    }
}
