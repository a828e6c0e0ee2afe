
namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[LayerScale(InitialValue)]</c>: a learned weight per channel (shape [C, 1, ...]) that multiplies the value. Not
    /// a module: the weight is a parameter tensor of the enclosing block (<see cref="GraphBuilder.AddTensor"/>, a <see cref="TensorInit.Full"/>
    /// tensor, state_dict key <c>&lt;block&gt;.&lt;name&gt;</c>, torchvision's CNBlock <c>layer_scale</c>), applied by a
    /// <see cref="StepOp.ParamMul"/> step (<c>param_mul</c>) of the block's forward. Multiply-adds are not counted (only convolutions and linear layers are, as torchvision's).
    /// </summary>
    internal sealed record LayerScaleSpec(string? Name, double InitialValue) : LayerSpec(Name)
    {
        public override string NamePrefix => "layer_scale";

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new LayerScaleSpec(a.Name, a.Named("InitialValue", 1e-6));

        public override void Validate(Validation v) => v.Finite("InitialValue", InitialValue);

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, InitialValue);

        public static Value Add(GraphBuilder b, string name, Value x, double initialValue = 1e-6)
        {
            string path = b.ChildPath(name);
            if (b.Failed) return x;
            if (b.IsSequential)
            {
                b.ReportWhole(ProblemCode.InvalidBlock, path,
                    "[LayerScale] is a parameter of the block that holds it, and a Sequential block has no forward to apply it in; " +
                    "give that block a forward of its own (a Merge, a Body or a Shortcut)");
                return x;
            }
            if (x.Shape.Count == 0)
            {
                b.ReportWhole(ProblemCode.InvalidBlock, path, "[LayerScale] needs a value with channels");
                return x;
            }
            var shape = new EquatableArray<long>(new[] { x.Shape[0] }.Concat(Enumerable.Repeat(1L, x.Shape.Count - 1)));
            if (!b.AddTensor("LayerScale", name, shape, TensorInit.Full, fill: initialValue)) return x;
            return b.ParamMul(name, x);
        }
    }
}
