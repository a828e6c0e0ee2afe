using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[PositionTable(maxLength, Sinusoidal, Std)]</c>: the first L rows of a table [maxLength, D] added to tokens [L, D];
    /// learned (a parameter <c>weight</c>, <c>nn.Embedding</c>'s key and layout: GPT-2's <c>wpe</c>) or the fixed sine and
    /// cosine table (no parameters). The declared length must fit the table (DSL041).
    /// </summary>
    internal sealed record PositionTableSpec(string? Name, int MaxLength, bool Sinusoidal, double Std) : LayerSpec(Name)
    {
        public override string NamePrefix => "positions";
        public override bool NumberedName => false;

        [Reads]
        public static LayerSpec Read(AttributeReader a) =>
            new PositionTableSpec(a.Name, a.Int(0), a.Named("Sinusoidal", false), a.Named("Std", 0.02));

        public override void Validate(Validation v)
        {
            v.AtLeast("maxLength", MaxLength, 1);
            if (!(Std >= 0)) v.Invalid("Std", Std, "at least 0");
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, MaxLength, Sinusoidal, Std);

        public static Value Add(GraphBuilder b, string name, Value x, long maxLength, bool sinusoidal = false, double std = 0.02, string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (b.Failed || !b.Reals(name, "PositionTable", x) || !Require.Tokens(b, path, x, "tokens [L, D] (put [Embedding] before it)")) return x;
            long length = x.Shape[0], dim = x.Shape[1];
            if (length > maxLength)
            {
                b.Report(ProblemCode.SequenceLongerThanTable, "maxLength", path, length, maxLength);
                return x;
            }
            long parameters = sinusoidal ? 0 : b.Checked(() => maxLength * dim, path, "maxLength");
            if (b.Failed) return x;
            var args = new[]
            {
                Literal.Arg("max_length", maxLength),
                Literal.Arg("dim", dim),
                Literal.Arg("sinusoidal", sinusoidal, false),
                Literal.Arg("std", std, 0.02),
            };
            return b.Leaf(name, "PositionTable", x, x.Shape, parameters, 0, SizeRule.Follows, args, into, doc, ownModule: true,
                // x + table[:L], L read from the input's shape at run time so the sequence length stays free.
                rendering: Rendering, onnx: Function("position_table"), saves: SavedForBackward.Sizes, // an add keeps nothing
                init: Init); // a learned table (a sine table has no parameters): by path
        }

        private static readonly LeafInit Init = LeafInit.ByPath(2);

        /// <summary>A class of the twin's helper files (a learned or sine table added to the tokens: add, in no autocast list).</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(
            PyTorchConstructor.Of("PositionTable", "max_length*", "dim*", "sinusoidal", "std"), AutocastRule.FallThrough("add")) with { Layout = ActivationLayout.Tokens };
    }
}
