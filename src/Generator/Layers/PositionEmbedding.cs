
namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[PositionEmbedding(Std)]</c>: a learned tensor [1, ..shape] of the incoming shape (tokens [L, D]: [1, L, D]),
    /// normal with mean 0 and <see cref="Std"/> at first, added to the value. Held by the module holding the layer (key
    /// <c>pos_embedding</c> by default), as torchvision's ViT encoder holds <c>pos_embedding</c>.
    /// </summary>
    internal sealed record PositionEmbeddingSpec(string? Name, double Std) : LayerSpec(Name)
    {
        public override string NamePrefix => "pos_embedding";
        public override bool NumberedName => false;

        [Reads(HoldsTensors = true)]
        public static LayerSpec Read(AttributeReader a) => new PositionEmbeddingSpec(a.Name, a.Named("Std", 0.02));

        public override void Validate(Validation v)
        {
            if (!(Std >= 0)) v.Invalid("Std", Std, "at least 0");
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, Std);

        public static Value Add(GraphBuilder b, string name, Value x, double std = 0.02)
        {
            string path = b.ChildPath(name);
            if (!Require.AtLeast(b, path, x, 1, "a value with at least one dimension")) return x;
            if (!b.AddTensor("PositionEmbedding", name, GraphNode.Dims(new long[] { 1 }.Concat(x.Shape).ToArray()), TensorInit.Normal, std)) return x;
            return b.ParamAdd(name, x);
        }
    }
}
