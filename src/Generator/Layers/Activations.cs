using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>The element-wise activations without arguments; the name is the attribute's and TorchSharp's module's.</summary>
    internal enum Activation { ReLU, Sigmoid, Tanh, ReLU6, SiLU, GELU, Hardswish, Hardsigmoid, Identity }

    /// <summary>
    /// <c>[ReLU]</c>, <c>[Sigmoid]</c>, <c>[Tanh]</c>, <c>[ReLU6]</c>, <c>[SiLU]</c>, <c>[GELU]</c>, <c>[Hardswish]</c>,
    /// <c>[Hardsigmoid]</c>, <c>[Identity]</c>: element-wise, shape-preserving, no parameters, any input rank.
    /// </summary>
    /// <remarks><see cref="Tanh"/>: GELU's tanh approximation (<c>approximate="tanh"</c>, GPT-2's).</remarks>
    internal sealed record ActivationSpec(string? Name, Activation Function, bool Tanh = false) : LayerSpec(Name)
    {
        public override string Kind => Function.ToString();
        public override string NamePrefix => Function.ToString().ToLowerInvariant();

        [Reads("ReLUAttribute")]
        public static LayerSpec ReadReLU(AttributeReader a) => new ActivationSpec(a.Name, Activation.ReLU);
        [Reads("SigmoidAttribute")]
        public static LayerSpec ReadSigmoid(AttributeReader a) => new ActivationSpec(a.Name, Activation.Sigmoid);
        [Reads("TanhAttribute")]
        public static LayerSpec ReadTanh(AttributeReader a) => new ActivationSpec(a.Name, Activation.Tanh);
        [Reads("ReLU6Attribute")]
        public static LayerSpec ReadReLU6(AttributeReader a) => new ActivationSpec(a.Name, Activation.ReLU6);
        [Reads("SiLUAttribute")]
        public static LayerSpec ReadSiLU(AttributeReader a) => new ActivationSpec(a.Name, Activation.SiLU);
        [Reads("GELUAttribute")]
        public static LayerSpec ReadGELU(AttributeReader a) => new ActivationSpec(a.Name, Activation.GELU, a.Named("Tanh", false));
        [Reads("HardswishAttribute")]
        public static LayerSpec ReadHardswish(AttributeReader a) => new ActivationSpec(a.Name, Activation.Hardswish);
        [Reads("HardsigmoidAttribute")]
        public static LayerSpec ReadHardsigmoid(AttributeReader a) => new ActivationSpec(a.Name, Activation.Hardsigmoid);
        [Reads("IdentityAttribute")]
        public static LayerSpec ReadIdentity(AttributeReader a) => new ActivationSpec(a.Name, Activation.Identity);

        public override Value Build(GraphBuilder b, string name, Value x) => Tanh
            ? b.Leaf(name, "GELU", x, x.Shape, 0, 0, SizeRule.Follows, new[] { new LeafArg("approximate", "\"tanh\"", null, false, "global::TorchSharp.Modules.GELU.Approximate.tanh") },
                saves: SavedForBackward.Input, rendering: Rendering(Activation.GELU), onnx: GeluToOnnx)
            : Add(b, name, Function, x);

        /// <summary>Adds an activation module; <paramref name="inplace"/> overwrites its input (ReLU only).</summary>
        public static Value Add(GraphBuilder b, string name, Activation function, Value x, bool inplace = false, string? into = null, string? doc = null) =>
            b.Leaf(name, function.ToString(), x, x.Shape, 0, 0, SizeRule.Follows,
                inplace ? new[] { Literal.Arg("inplace", true, false) } : Enumerable.Empty<LeafArg>(), into, doc, rendering: Rendering(function), saves: Saves(function),
                onnx: ToOnnx(function));

        /// <summary>
        /// ONNX of each activation: one operator of the same meaning in opset 17 where there is one; ReLU6 is
        /// relu(clip(x, max 6)), Clip's min left out (the Relu is the lower bound); SiLU x * sigmoid(x); GELU written out
        /// (<see cref="GeluToOnnx"/>); Identity no node at all.
        /// </summary>
        private static OnnxRendering ToOnnx(Activation function) => function switch
        {
            Activation.ReLU => Nodes(Node("Relu", X)),
            Activation.Sigmoid => Nodes(Node("Sigmoid", X)),
            Activation.Tanh => Nodes(Node("Tanh", X)),
            Activation.Hardswish => Nodes(Node("HardSwish", X)),
            // PyTorch's hardsigmoid is relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1).
            Activation.Hardsigmoid => Nodes(Node("HardSigmoid", X, Float("alpha", 1.0 / 6), Float("beta", 0.5))),
            Activation.ReLU6 => Nodes(Node("Clip", In(X, None, FloatConstant(6.0))), Node("Relu", Out(0))),
            Activation.SiLU => Nodes(Node("Sigmoid", X), Node("Mul", In(X, Out(0)))),
            Activation.GELU => GeluToOnnx,
            _ => Identity,
        };

        /// <summary>
        /// GELU, which opset 17 lacks: with <c>approximate</c>, the tanh form x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2;
        /// otherwise the exact x (1 + erf(x / sqrt 2)) / 2, PyTorch's default.
        /// </summary>
        private static readonly OnnxRendering GeluToOnnx = Cases(
            When(Has("approximate"),
                Node("Mul", In(X, X)), Node("Mul", In(Out(0), X)), Node("Mul", In(Out(1), FloatConstant(0.044715))),
                Node("Add", In(X, Out(2))), Node("Mul", In(Out(3), FloatConstant(System.Math.Sqrt(2 / System.Math.PI)))), Node("Tanh", Out(4)),
                Node("Add", In(Out(5), FloatConstant(1.0))), Node("Mul", In(X, Out(6))), Node("Mul", In(Out(7), FloatConstant(0.5)))),
            Otherwise(
                Node("Div", In(X, FloatConstant(System.Math.Sqrt(2)))), Node("Erf", Out(0)), Node("Add", In(Out(1), FloatConstant(1.0))),
                Node("Mul", In(X, Out(2))), Node("Mul", In(Out(3), FloatConstant(0.5)))));

        /// <summary>What autograd keeps for the backward (PyTorch's derivatives.yaml): relu, sigmoid, tanh their result; the others their input.</summary>
        private static SavedForBackward Saves(Activation function) => function switch
        {
            Activation.ReLU or Activation.Sigmoid or Activation.Tanh => SavedForBackward.Result,
            Activation.Identity => SavedForBackward.View,
            _ => SavedForBackward.Input,
        };

        /// <summary>Each activation's torch.nn class and autocast rule: element-wise operations in none of PyTorch's autocast lists.</summary>
        private static LeafRendering Rendering(Activation function) => function switch
        {
            Activation.ReLU => LeafRendering.Of("nn.ReLU", AutocastRule.FallThrough("relu")),
            Activation.Sigmoid => LeafRendering.Of("nn.Sigmoid", AutocastRule.FallThrough("sigmoid")),
            Activation.Tanh => LeafRendering.Of("nn.Tanh", AutocastRule.FallThrough("tanh")),
            Activation.Hardswish => LeafRendering.Of("nn.Hardswish", AutocastRule.FallThrough("hardswish")),
            Activation.Hardsigmoid => LeafRendering.Of("nn.Hardsigmoid", AutocastRule.FallThrough("hardsigmoid")),
            Activation.ReLU6 => LeafRendering.Module(PyTorchConstructor.Of("nn.ReLU6", "inplace"), AutocastRule.FallThrough("hardtanh")),
            Activation.SiLU => LeafRendering.Module(PyTorchConstructor.Of("nn.SiLU"), AutocastRule.FallThrough("silu")),
            // approximate is "tanh" (GPT-2's) when present, PyTorch's spelling.
            Activation.GELU => LeafRendering.Module(PyTorchConstructor.Of("nn.GELU", "approximate"), AutocastRule.FallThrough("gelu")),
            // Identity: no operation at all.
            _ => LeafRendering.Module(PyTorchConstructor.Of("nn.Identity"), AutocastRule.FallThrough("(none)")) with { Family = LayerFamily.PassThrough },
        };
    }
}
