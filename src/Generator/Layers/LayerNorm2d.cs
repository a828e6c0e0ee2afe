using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[LayerNorm2d(Eps)]</c>: torchvision's LayerNorm2d, layer normalization over the channels of an image at every
    /// position, with a learned scale and shift per channel (keys <c>weight</c>, <c>bias</c>). A Dsl layer
    /// (<c>Dsl.Layers.LayerNorm2d</c>): TorchSharp has none.
    /// </summary>
    internal sealed record LayerNorm2dSpec(string? Name, double Eps) : LayerSpec(Name)
    {
        public override string NamePrefix => "norm";

        /// <summary>ONNX: channels-last, LayerNormalization over the last axis, and back.</summary>
        private static readonly OnnxRendering ToOnnx = Nodes(
            Node("Transpose", X, Ints("perm", 0, 2, 3, 1)),
            Node("LayerNormalization", In(Out(0), Weight("weight"), Weight("bias")), Int("axis", -1), Float("epsilon", Arg("eps"))),
            Node("Transpose", Out(1), Ints("perm", 0, 3, 1, 2)));

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new LayerNorm2dSpec(a.Name, a.Named("Eps", 1e-5));

        public override void Validate(Validation v) => v.Positive("Eps", Eps);

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, Eps);

        /// <summary>LayerNorm's leaf over the channels, as a module of its own (<c>Dsl.Layers.LayerNorm2d</c>).</summary>
        public static Value Add(GraphBuilder b, string name, Value x, double eps = 1e-5, string? into = null, string? doc = null) =>
            Require.Image(b, b.ChildPath(name), "LayerNorm2d", x)
                ? LayerNormSpec.Leaf(b, name, "LayerNorm2d", x, x.Shape[0], eps, into, doc, Rendering, ToOnnx, LayerNormSpec.Saves, Init, ownModule: true)
                : x;

        /// <summary>[Init] names LayerNorm2d; its weight and bias are per channel.</summary>
        private static readonly LeafInit Init = LeafInit.Named("LayerNorm2d", 1);

        /// <summary>torchvision's LayerNorm2d, a class of the twin's helper files; autocast: layer_norm, fp32 on CUDA only.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(
            PyTorchConstructor.Of("LayerNorm2d", "normalized_shape*", "eps"), AutocastRule.Float32OnCuda("layer_norm")) with { Family = LayerFamily.Normalization, Layout = ActivationLayout.Tokens };
    }
}
