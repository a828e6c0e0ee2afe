using Dsl.Generator.Graph;
using Dsl.Generator.Layers;

namespace Dsl.Generator.Model
{
    /// <summary><c>[AdaptiveAvgPool2d(outputSize = 1)]</c>: average pooling to a fixed square size.</summary>
    internal sealed record AdaptiveAvgPool2dSpec(string? Name, int OutputSize) : LayerSpec(Name)
    {
        public override string Kind => "AdaptiveAvgPool2d";
        public override string NamePrefix => "gap";
        public override (string Prefix, bool Numbered) TorchVisionName => ("avgpool", false);

        [Reads("AdaptiveAvgPool2dAttribute")]
        public static LayerSpec Read(AttributeReader a) => new AdaptiveAvgPool2dSpec(a.Name, a.Int(0, 1));

        public override void Validate(Validation v) => v.AtLeast("outputSize", OutputSize, 1);

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, OutputSize);

        public static Value Add(GraphBuilder b, string name, Value x, long outputSize, string? into = null, string? doc = null)
        {
            if (!Require.Image(b, b.ChildPath(name), "AdaptiveAvgPool2d", x)) return x;
            return b.Leaf(name, "AdaptiveAvgPool2d", x, GraphNode.Dims(x.Shape[0], outputSize, outputSize), 0, 0, SizeRule.Fixed,
                new[] { Literal.Arg("output_size", outputSize) }, into, doc);
        }
    }
}
