using System.Linq;
using System.Text;
using Dsl.Generator.Model;

namespace Dsl.Generator.Graph
{
    /// <summary>The type of an ONNX node attribute a <see cref="LeafRendering"/> writes.</summary>
    internal enum OnnxAttributeType { Float, Int }

    /// <summary>
    /// One attribute of a simple leaf's ONNX node: taken from the leaf's argument <see cref="Arg"/>, or the constant
    /// <see cref="Constant"/> when <see cref="Arg"/> is null.
    /// </summary>
    internal sealed record OnnxAttributeRule(string Name, OnnxAttributeType Type, string? Arg, double Constant = 0)
    {
        public static OnnxAttributeRule Float(string name, string arg) => new(name, OnnxAttributeType.Float, arg);
        public static OnnxAttributeRule Float(string name, double constant) => new(name, OnnxAttributeType.Float, null, constant);
        public static OnnxAttributeRule Int(string name, string arg) => new(name, OnnxAttributeType.Int, arg);
        public static OnnxAttributeRule Int(string name, long constant) => new(name, OnnxAttributeType.Int, null, constant);
    }

    /// <summary>What PyTorch's autocast does to an operation's inputs (the lists of <c>aten/src/ATen/autocast_mode.cpp</c>).</summary>
    internal enum AutocastPolicy
    {
        /// <summary>In no list: the operation runs in the type it receives (element-wise and view operations).</summary>
        FallThrough,

        /// <summary><c>lower_precision_fp</c>: inputs cast to the 16-bit type.</summary>
        LowerPrecision,

        /// <summary><c>fp32</c>: inputs cast to float32.</summary>
        Float32,
    }

    /// <summary>
    /// A simple leaf kind's autocast rule, declared with its rendering so mixed precision needs no row of its own for the
    /// kind: the ATen operations the module runs (as PyTorch's lists name them) and their policy on the CPU and on CUDA.
    /// </summary>
    internal sealed record AutocastRule(string Ops, AutocastPolicy Cpu, AutocastPolicy Cuda)
    {
        /// <summary>An operation in none of PyTorch's lists on either device: it runs in the type that arrives.</summary>
        public static AutocastRule FallThrough(string ops) => new(ops, AutocastPolicy.FallThrough, AutocastPolicy.FallThrough);

        /// <summary>The policy's name in the graph JSON (PyTorch's list names, and <c>fall_through</c> for none).</summary>
        public static string Name(AutocastPolicy policy) => policy switch
        {
            AutocastPolicy.LowerPrecision => "lower_precision_fp",
            AutocastPolicy.Float32 => "fp32",
            _ => "fall_through",
        };
    }

    /// <summary>
    /// How the exporters render a simple leaf kind, declared by the kind where it adds its leaf
    /// (<see cref="GraphBuilder.Leaf"/>): its PyTorch module (a <c>torch.nn</c> class whose keyword arguments are the
    /// leaf's, by the same names: arguments at TorchSharp's default are left out) and its ONNX rendering, one operator
    /// on the leaf's input with attributes from the leaf's arguments or constants; and its autocast rule, which mixed
    /// precision follows (the runtime's <c>AutocastLists</c> keeps rows only for kinds without a rendering). The graph JSON carries it once per
    /// module kind (<c>renderings</c>, docs/graph-format.md), and the runtime's exporters render it without an entry of
    /// their own; a kind whose rendering is more than that (a convolution's weights, attention) keeps its mapping in the
    /// runtime, keyed by its module name.
    /// </summary>
    internal sealed record LeafRendering(string PyTorch, string OnnxOperator, AutocastRule Autocast, EquatableArray<OnnxAttributeRule> OnnxAttributes)
    {
        /// <summary>A rendering; <paramref name="autocast"/> is required so that a new kind cannot leave mixed precision guessing.</summary>
        public static LeafRendering Of(string pyTorch, string onnxOperator, AutocastRule autocast, params OnnxAttributeRule[] attributes) =>
            new(pyTorch, onnxOperator, autocast, attributes.ToEquatableArray());

        /// <summary>This rendering as the value of its module's entry in the graph JSON's <c>renderings</c>.</summary>
        public string Json()
        {
            var json = new StringBuilder("{\"pytorch\":").Append(Emit.GraphJson.Str(PyTorch))
                .Append(",\"onnx\":").Append(Emit.GraphJson.Str(OnnxOperator));
            if (OnnxAttributes.Count > 0)
                json.Append(",\"attributes\":{").Append(string.Join(",", OnnxAttributes.Select(a =>
                    Emit.GraphJson.Str(a.Name) + ":{" + Emit.GraphJson.Str(a.Type == OnnxAttributeType.Float ? "float" : "int") + ":"
                    + (a.Arg is not null ? Emit.GraphJson.Str(a.Arg) : a.Type == OnnxAttributeType.Float ? Literal.Of(a.Constant) : Literal.Of((long)a.Constant)) + "}"))).Append('}');
            json.Append(",\"autocast\":{\"ops\":").Append(Emit.GraphJson.Str(Autocast.Ops))
                .Append(",\"cpu\":").Append(Emit.GraphJson.Str(AutocastRule.Name(Autocast.Cpu)))
                .Append(",\"cuda\":").Append(Emit.GraphJson.Str(AutocastRule.Name(Autocast.Cuda))).Append('}');
            return json.Append('}').ToString();
        }
    }
}
