using Dsl.Generator.Graph;
using Dsl.Generator.Layers;

namespace Dsl.Generator.Model
{
    /// <summary><c>[AdaptiveAvgPool1d(outputSize = 1)]</c>: average pooling of a sequence to a fixed length.</summary>
    internal sealed record AdaptiveAvgPool1dSpec(string? Name, int OutputSize) : LayerSpec(Name)
    {
        public override string Kind => "AdaptiveAvgPool1d";
        public override string NamePrefix => "gap";
        public override (string Prefix, bool Numbered) TorchVisionName => ("avgpool", false);

        [Reads("AdaptiveAvgPool1dAttribute")]
        public static LayerSpec Read(AttributeReader a) => new AdaptiveAvgPool1dSpec(a.Name, a.Int(0, 1));

        public override void Validate(Validation v) => v.AtLeast("outputSize", OutputSize, 1);

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            if (!Require.Sequence(b, b.ChildPath(name), Kind, x)) return x;
            return b.Leaf(name, Kind, x, GraphNode.Dims(x.Shape[0], OutputSize), 0, 0, SizeRule.Fixed, new[] { Literal.Arg("output_size", (long)OutputSize) });
        }
    }
}
