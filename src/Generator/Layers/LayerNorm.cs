using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[LayerNorm(Eps)]</c>: nn.LayerNorm over the last dimension (features of a flat value, the model dimension of
    /// tokens [L, D], the channels of a channels-last image), with a learned scale and shift per element of it.
    /// </summary>
    internal sealed record LayerNormSpec(string? Name, double Eps) : LayerSpec(Name)
    {
        public override string NamePrefix => "ln";

        /// <summary>ONNX: opset 17's LayerNormalization over the last axis, with the layer's scale and shift.</summary>
        private static readonly OnnxRendering ToOnnx = Nodes(
            Node("LayerNormalization", In(X, Weight("weight"), Weight("bias")), Int("axis", -1), Float("epsilon", Arg("eps"))));

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new LayerNormSpec(a.Name, a.Named("Eps", 1e-5));

        public override void Validate(Validation v) => v.Positive("Eps", Eps);

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, Eps);

        public static Value Add(GraphBuilder b, string name, Value x, double eps = 1e-5, string? into = null, string? doc = null) =>
            b.Failed ? x : Leaf(b, name, "LayerNorm", x, x.Shape[x.Shape.Count - 1], eps, into, doc, Rendering, ToOnnx, Saves, Init);

        /// <summary>
        /// A layer normalization leaf over <paramref name="features"/> values (LayerNorm's last dimension, LayerNorm2d's
        /// channels): a learned scale and shift per value, its arguments <c>normalized_shape</c> and <c>eps</c>.
        /// </summary>
        internal static Value Leaf(GraphBuilder b, string name, string module, Value x, long features, double eps, string? into, string? doc,
            LeafRendering rendering, OnnxRendering onnx, SavedForBackward saves, LeafInit init, bool ownModule = false)
        {
            long parameters = b.Checked(() => 2 * features, b.ChildPath(name), null);
            var args = new[] { Literal.Arg("normalized_shape", features), Literal.Arg("eps", eps, 1e-5) };
            return b.Leaf(name, module, x, x.Shape, parameters, 0, SizeRule.Follows, args, into, doc, ownModule: ownModule, rendering: rendering, onnx: onnx, saves: saves, init: init);
        }

        /// <summary>[Init] names LayerNorm; its weight and bias are per feature.</summary>
        private static readonly LeafInit Init = LeafInit.Named("LayerNorm", 1);

        /// <summary>
        /// What layer_norm keeps: the input, and the mean and 1/std of every normalised row (<c>normalized_shape</c>
        /// elements); LayerNorm2d's layer norm of a permuted view keeps the same, its input's storage.
        /// </summary>
        internal static readonly SavedForBackward Saves = new RowStatistics();

        private sealed record RowStatistics : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x)
            {
                tape.Statistics += 2 * BackwardTape.Elements(x.Shape) / System.Math.Max(1, BackwardTape.Int(node, "normalized_shape", 1));
                return Input.Record(tape, node, x);
            }
        }

        /// <summary>nn.LayerNorm; autocast: layer_norm is fp32 on CUDA only, in no CPU list (its kernel accumulates in float32).</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(
            PyTorchConstructor.Of("nn.LayerNorm", "normalized_shape*", "eps"), AutocastRule.Float32OnCuda("layer_norm")) with { Family = LayerFamily.Normalization };
    }
}
