
namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[ClassToken]</c>: a learned token [1, 1, D] (zeros at first) put before the tokens [L, D], giving [L + 1, D]. The
    /// tensor belongs to the module holding the layer (its key is that module's path and the layer's name,
    /// <c>class_token</c> by default), as torchvision's ViT holds <c>class_token</c> itself.
    /// </summary>
    internal sealed record ClassTokenSpec(string? Name) : LayerSpec(Name)
    {
        public override string NamePrefix => "class_token";
        public override bool NumberedName => false;

        [Reads(HoldsTensors = true)]
        public static LayerSpec Read(AttributeReader a) => new ClassTokenSpec(a.Name);

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x);

        public static Value Add(GraphBuilder b, string name, Value x)
        {
            string path = b.ChildPath(name);
            if (!Require.AtLeast(b, path, x, 2, "tokens [L, D] (put [Tokens] before it)")) return x;
            var rest = x.Shape.Skip(1).ToArray();
            long length = b.Checked(() => x.Shape[0] + 1, path, null);
            if (b.Failed) return x;
            if (!b.AddTensor("ClassToken", name, GraphNode.Dims(new long[] { 1, 1 }.Concat(rest).ToArray()), TensorInit.Zeros)) return x;
            return b.ParamPrepend(name, x, GraphNode.Dims(new[] { length }.Concat(rest).ToArray()));
        }
    }
}
