
namespace Dsl.Generator.Model
{
    /// <summary>The size <c>[Interpolate]</c> resizes to; the values are those of Dsl.InterpolateTarget.</summary>
    internal enum InterpolateTarget { NetworkInput = 0, BlockInput = 1 }

    /// <summary>
    /// <c>[Interpolate(To)]</c>: bilinear resizing (align_corners false) to the height and width of the network's input or
    /// of the enclosing block's input, taken at run time. A forward step (<see cref="StepOp.Interpolate"/>) reading the value
    /// and the input whose size it takes; no module.
    /// </summary>
    internal sealed record InterpolateSpec(string? Name, InterpolateTarget To) : LayerSpec(Name)
    {

        [Reads(NeedsForward = true)]
        public static LayerSpec Read(AttributeReader a) => new InterpolateSpec(a.Name, (InterpolateTarget)a.Named("To", 0));

        public override void Validate(Validation v)
        {
            if (To is not (InterpolateTarget.NetworkInput or InterpolateTarget.BlockInput))
                v.Invalid("To", (int)To, "InterpolateTarget.NetworkInput or InterpolateTarget.BlockInput");
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            string path = b.ChildPath(name);
            if (!Require.Image(b, path, Kind, x)) return x;
            if (b.IsSequential)
            {
                b.ReportWhole(ProblemCode.InvalidBlock, path,
                    "[Interpolate] is a step of a forward, and a Sequential block has none; give that block a forward of its own (a Merge, a Body or a Shortcut)");
                return x;
            }
            // At the top level the network's input is the block input too.
            Value reference = To == InterpolateTarget.BlockInput || b.NetworkInput.Var is null ? b.Input : b.NetworkInput;
            if (To == InterpolateTarget.NetworkInput && b.NetworkInput.Var is null)
            {
                b.Report(ProblemCode.InvalidValue, "To", path, "To", "InterpolateTarget.NetworkInput",
                    "InterpolateTarget.BlockInput inside a block (a block's forward sees its own input, not the network's); or put [Interpolate] in the network after the block");
                return x;
            }
            if (reference.Shape.Count != 3)
            {
                b.Report(ProblemCode.InvalidValue, "To", path, "To", To == InterpolateTarget.NetworkInput ? "InterpolateTarget.NetworkInput" : "InterpolateTarget.BlockInput",
                    "an input that is an image (channels, height, width); it is " + GraphBuilder.Format(reference.Shape));
                return x;
            }
            return b.Interpolate(x, reference);
        }
    }
}
