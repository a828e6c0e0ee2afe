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

    /// <summary>
    /// How the exporters render a simple leaf kind, declared by the kind where it adds its leaf
    /// (<see cref="GraphBuilder.Leaf"/>): its PyTorch module (a <c>torch.nn</c> class whose keyword arguments are the
    /// leaf's, by the same names: arguments at TorchSharp's default are left out) and its ONNX rendering, one operator
    /// on the leaf's input with attributes from the leaf's arguments or constants. The graph JSON carries it once per
    /// module kind (<c>renderings</c>, docs/graph-format.md), and the runtime's exporters render it without an entry of
    /// their own; a kind whose rendering is more than that (a convolution's weights, attention) keeps its mapping in the
    /// runtime, keyed by its module name.
    /// </summary>
    internal sealed record LeafRendering(string PyTorch, string OnnxOperator, EquatableArray<OnnxAttributeRule> OnnxAttributes)
    {
        public static LeafRendering Of(string pyTorch, string onnxOperator, params OnnxAttributeRule[] attributes) =>
            new(pyTorch, onnxOperator, attributes.ToEquatableArray());

        /// <summary>This rendering as the value of its module's entry in the graph JSON's <c>renderings</c>.</summary>
        public string Json()
        {
            var json = new StringBuilder("{\"pytorch\":").Append(Emit.GraphJson.Str(PyTorch))
                .Append(",\"onnx\":").Append(Emit.GraphJson.Str(OnnxOperator));
            if (OnnxAttributes.Count > 0)
                json.Append(",\"attributes\":{").Append(string.Join(",", OnnxAttributes.Select(a =>
                    Emit.GraphJson.Str(a.Name) + ":{" + Emit.GraphJson.Str(a.Type == OnnxAttributeType.Float ? "float" : "int") + ":"
                    + (a.Arg is not null ? Emit.GraphJson.Str(a.Arg) : a.Type == OnnxAttributeType.Float ? Literal.Of(a.Constant) : Literal.Of((long)a.Constant)) + "}"))).Append('}');
            return json.Append('}').ToString();
        }
    }
}
