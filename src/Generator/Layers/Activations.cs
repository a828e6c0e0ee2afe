using System.Linq;
using Dsl.Generator.Graph;
using Dsl.Generator.Layers;

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
                saves: SavedForBackward.Input, rendering: Rendering(Activation.GELU))
            : Add(b, name, Function, x);

        /// <summary>Adds an activation module; <paramref name="inplace"/> overwrites its input (ReLU only).</summary>
        public static Value Add(GraphBuilder b, string name, Activation function, Value x, bool inplace = false, string? into = null, string? doc = null) =>
            b.Leaf(name, function.ToString(), x, x.Shape, 0, 0, SizeRule.Follows,
                inplace ? new[] { Literal.Arg("inplace", true, false) } : Enumerable.Empty<LeafArg>(), into, doc, rendering: Rendering(function), saves: Saves(function));

        /// <summary>What autograd keeps for the backward (PyTorch's derivatives.yaml): relu, sigmoid, tanh their result; the others their input.</summary>
        private static SavedForBackward Saves(Activation function) => function switch
        {
            Activation.ReLU or Activation.Sigmoid or Activation.Tanh => SavedForBackward.Result,
            Activation.Identity => SavedForBackward.View,
            _ => SavedForBackward.Input,
        };

        /// <summary>
        /// Each activation's torch.nn class and autocast rule: element-wise operations in none of PyTorch's autocast lists.
        /// Those that are one ONNX operator of the same meaning (opset 17) declare it; ReLU6 (a Clip), SiLU and GELU (no
        /// operator in opset 17) and Identity (no node at all) keep their ONNX mappings in the runtime.
        /// </summary>
        private static LeafRendering Rendering(Activation function) => function switch
        {
            Activation.ReLU => LeafRendering.Of("nn.ReLU", "Relu", AutocastRule.FallThrough("relu")),
            Activation.Sigmoid => LeafRendering.Of("nn.Sigmoid", "Sigmoid", AutocastRule.FallThrough("sigmoid")),
            Activation.Tanh => LeafRendering.Of("nn.Tanh", "Tanh", AutocastRule.FallThrough("tanh")),
            Activation.Hardswish => LeafRendering.Of("nn.Hardswish", "HardSwish", AutocastRule.FallThrough("hardswish")),
            // PyTorch's hardsigmoid is relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1).
            Activation.Hardsigmoid => LeafRendering.Of("nn.Hardsigmoid", "HardSigmoid", AutocastRule.FallThrough("hardsigmoid"), OnnxAttributeRule.Float("alpha", 1.0 / 6), OnnxAttributeRule.Float("beta", 0.5)),
            Activation.ReLU6 => LeafRendering.Module(PyTorchConstructor.Of("nn.ReLU6", "inplace"), AutocastRule.FallThrough("hardtanh")),
            Activation.SiLU => LeafRendering.Module(PyTorchConstructor.Of("nn.SiLU"), AutocastRule.FallThrough("silu")),
            // approximate is "tanh" (GPT-2's) when present, PyTorch's spelling.
            Activation.GELU => LeafRendering.Module(PyTorchConstructor.Of("nn.GELU", "approximate"), AutocastRule.FallThrough("gelu")),
            // Identity: no operation at all.
            _ => LeafRendering.Module(PyTorchConstructor.Of("nn.Identity"), AutocastRule.FallThrough("(none)")),
        };
    }
}
