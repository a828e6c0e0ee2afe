using Dsl.Generator.Graph;
using Dsl.Generator.Layers;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[MultiheadSelfAttention(heads, Dropout)]</c>: self-attention over tokens [L, E] with <see cref="Heads"/> heads,
    /// as <c>nn.MultiheadAttention(E, heads, dropout, batch_first=True)(x, x, x, need_weights=False)[0]</c>: the same
    /// parameters and keys (<c>in_proj_weight</c> [3E, E], <c>in_proj_bias</c>, <c>out_proj.weight</c>, <c>out_proj.bias</c>).
    /// </summary>
    internal sealed record MultiheadSelfAttentionSpec(string? Name, int Heads, double Dropout) : LayerSpec(Name)
    {
        public override string Kind => "MultiheadSelfAttention";
        public override string NamePrefix => "attention";
        public override bool NumberedName => false;

        [Reads("MultiheadSelfAttentionAttribute")]
        public static LayerSpec Read(AttributeReader a) => new MultiheadSelfAttentionSpec(a.Name, a.Int(0), a.Named("Dropout", 0.0));

        public override void Validate(Validation v)
        {
            v.AtLeast("heads", Heads, 1);
            if (!(Dropout >= 0 && Dropout < 1)) v.Invalid("Dropout", Dropout, "in [0, 1)");
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, Heads, Dropout);

        public static Value Add(GraphBuilder b, string name, Value x, long heads, double dropout = 0, string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (b.Failed) return x;
            if (x.Shape.Count != 2)
            {
                b.Report(ProblemCode.InvalidValue, null, path, "input", GraphBuilder.Format(x.Shape), "tokens [L, E] (put [Tokens] before it)");
                return x;
            }
            long length = x.Shape[0], embed = x.Shape[1];
            if (embed % heads != 0)
            {
                b.Report(ProblemCode.InvalidValue, "heads", path, "heads", heads, "a divisor of the embedding dimension " + embed);
                return x;
            }
            // in_proj (3E x E + 3E) and out_proj (E x E + E).
            long parameters = b.Checked(() => 4 * embed * embed + 4 * embed, path, null);
            // Projections 4 L E^2; scores and weighted sum 2 L^2 E.
            long multiplyAdds = b.Checked(() => 4 * length * embed * embed + 2 * length * length * embed, path, null);
            if (b.Failed) return x;
            var args = new[]
            {
                Literal.Arg("embed_dim", embed),
                Literal.Arg("num_heads", heads),
                Literal.Arg("dropout", dropout, 0.0),
            };
            return b.Leaf(name, "MultiheadSelfAttention", x, x.Shape, parameters, multiplyAdds, SizeRule.Follows, args, into, doc, ownModule: true);
        }
    }
}
