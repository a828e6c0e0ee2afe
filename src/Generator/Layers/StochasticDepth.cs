using Dsl.Generator.Blocks;
using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[StochasticDepth(probability, Mode)]</c>: torchvision's StochasticDepth (identity in evaluation; no parameters).
    /// A Dsl layer (<c>Dsl.Layers.StochasticDepth</c>). Inside a block class, a probability given as a block parameter
    /// (<c>With = "Probability = sd"</c>) becomes a constructor argument of the block, so blocks that differ only in it
    /// (ConvNeXt's, whose probability grows with depth) share one class.
    /// </summary>
    internal sealed record StochasticDepthSpec(string? Name, double Probability, int Mode, string? Parameter) : LayerSpec(Name)
    {
        public override string NamePrefix => "stochastic_depth";

        [Reads]
        public static LayerSpec Read(AttributeReader a)
        {
            string? expression = a.ExpressionOf("probability");
            string? parameter = expression is not null && Expression.IsName(expression) && a.Names.ContainsKey(expression.Trim()) && expression.Trim() is not ("in" or "last")
                ? expression.Trim() : null;
            return new StochasticDepthSpec(a.Name, a.Double(0, 0.0), a.Named("Mode", 0), parameter);
        }

        public override void Validate(Validation v)
        {
            v.Fraction("probability", Probability);
            if (Mode is not (0 or 1)) v.Invalid("Mode", Mode, "Row or Batch");
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, Probability, Mode == 1 ? "batch" : "row", Parameter);

        public static Value Add(GraphBuilder b, string name, Value x, double probability, string mode = "row", string? parameter = null, string? into = null, string? doc = null)
        {
            // Only a generated block class takes constructor arguments; elsewhere the probability is written as a value.
            string? param = parameter is not null && b.IsBlockClass ? parameter : null;
            if (param is not null) b.Param(param, probability);
            var args = new[]
            {
                new LeafArg("p", Literal.Of(probability), param, false),
                new LeafArg("mode", "\"" + mode + "\"", null, mode == "row"),
            };
            return b.Leaf(name, "StochasticDepth", x, x.Shape, 0, 0, SizeRule.Follows, args, into, doc, ownModule: true,
                // The identity in eval mode.
                rendering: Rendering, onnx: Identity, saves: new Noise());
        }

        /// <summary>In training, x * noise with one noise value per sample ("row") or per batch.</summary>
        private sealed record Noise : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x) =>
                Masked(tape, node, x, BackwardTape.Text(node, "mode") == "batch" ? new long[] { 0 } : new long[] { 1 });
        }

        /// <summary>torchvision.ops.StochasticDepth, a class of the twin's helper files; bernoulli and mul are in no autocast list.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(
            PyTorchConstructor.Of("StochasticDepth", "p*", "mode*"), AutocastRule.FallThrough("bernoulli, mul")) with { Family = LayerFamily.PassThrough };
    }
}
