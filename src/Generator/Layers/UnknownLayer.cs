
namespace Dsl.Generator.Model
{
    /// <summary>
    /// A layer attribute the registry does not know (a user's own subclass of <c>LayerAttribute</c>): it keeps its place
    /// in the declaration and is reported (DSL017), so the network gets a stub instead of silently disappearing.
    /// </summary>
    internal sealed record UnknownLayerSpec(string? Name, string Attribute, string ClassName) : LayerSpec(Name)
    {
        public override string Kind => Attribute;
        public override string NamePrefix => "layer";

        public override void Validate(Validation v) => v.Report(ProblemCode.UnknownLayer, null, Attribute, ClassName);

        public override Value Build(GraphBuilder b, string name, Value x) => x;
    }
}
