
namespace Dsl.Generator.Model
{
    /// <summary><c>[ClassifierHead(classes)]</c> (D2L <c>last</c>): global average pooling -> flatten -> linear. Ends the network.</summary>
    internal sealed record ClassifierHeadSpec(string? Name, int Classes) : LayerSpec(Name)
    {
        public override string NamePrefix => "head";
        public override bool NumberedName => false;
        public override bool IsHead => true;

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new ClassifierHeadSpec(a.Name, a.Int(0));

        public override void Validate(Validation v) => v.AtLeast("classes", Classes, 1);

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            if (!Require.Image(b, b.ChildPath(name), "ClassifierHead", x)) return x;
            var head = b.Block(name, x);
            var y = AdaptiveAvgPoolSpec.Add(head, "pool", 2, head.Input, 1, doc: "Global average pooling to 1x1.");
            y = FlattenSpec.Add(head, "flatten", y, doc: "Flattens (channels, 1, 1) to channels.");
            y = LinearSpec.Add(head, "fc", y, Classes, 0, true, doc: "The classifier.");
            return b.EndBlock(head, "ClassifierHead", "ClassifierHeadBlock", x, y,
                doc: "Classifier head (D2L <c>last</c>): global average pooling -> flatten -> linear.");
        }
    }
}
