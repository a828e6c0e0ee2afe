using System.Text.Json;

namespace Dsl.Runtime.Graph
{
    /// <summary>
    /// How a leaf kind becomes ONNX, as the kind declares it in the generator and the graph carries it once per module kind
    /// (<c>onnx</c>, docs/graph-format.md): the first <see cref="Cases"/> entry whose conditions hold, a list of nodes whose
    /// last output is the leaf's output. The runtime's <c>OnnxRenderer</c> writes it; the values and inputs stay JSON until
    /// then, since they are read against a leaf's arguments.
    /// </summary>
    public sealed class OnnxRendering
    {
        private OnnxRendering(IReadOnlyList<OnnxCase> cases) => Cases = cases;

        public IReadOnlyList<OnnxCase> Cases { get; }

        /// <summary>The runtime functions the rendering calls (each an <c>[OnnxFunction]</c> method).</summary>
        public IEnumerable<string> Functions => Cases.SelectMany(c => c.Nodes).Select(n => n.Function).OfType<string>().Distinct();

        /// <summary>The graph's <c>onnx</c>, by module kind (empty when it has none).</summary>
        internal static IReadOnlyDictionary<string, OnnxRendering> ReadAll(JsonElement top) =>
            top.TryGetProperty("onnx", out var all)
                ? all.EnumerateObject().ToDictionary(p => p.Name, p => Read(p.Name, p.Value), StringComparer.Ordinal)
                : new Dictionary<string, OnnxRendering>(StringComparer.Ordinal);

        private static OnnxRendering Read(string kind, JsonElement e) =>
            new(e.GetProperty("cases").EnumerateArray().Select(c => new OnnxCase(
                Conditions(c),
                c.GetProperty("nodes").EnumerateArray().Select(n => OnnxRenderingNode.Read(kind, n)).ToArray())).ToArray());

        internal static IReadOnlyList<JsonElement> Conditions(JsonElement e) =>
            e.TryGetProperty("if", out var conditions) ? conditions.EnumerateArray().Select(c => c.Clone()).ToArray() : Array.Empty<JsonElement>();
    }

    /// <summary>The nodes of a rendering that apply where all of <see cref="Conditions"/> hold (none: always).</summary>
    public sealed record OnnxCase(IReadOnlyList<JsonElement> Conditions, IReadOnlyList<OnnxRenderingNode> Nodes);

    /// <summary>
    /// One node of a rendering: the ONNX operator <see cref="Op"/> or the runtime function <see cref="Function"/>, its
    /// inputs and attributes (as the graph gives them), and the conditions under which it applies (otherwise its first
    /// input is its output).
    /// </summary>
    public sealed record OnnxRenderingNode(string? Op, string? Function, IReadOnlyList<JsonElement> Inputs,
        IReadOnlyList<(string Name, string Type, JsonElement Value)> Attributes, IReadOnlyList<JsonElement> Conditions)
    {
        /// <summary>The attribute types a rendering may write.</summary>
        public static readonly IReadOnlyList<string> AttributeTypes = new[] { "int", "float", "ints", "floats", "string" };

        internal static OnnxRenderingNode Read(string kind, JsonElement e)
        {
            string? op = e.TryGetProperty("op", out var o) ? o.GetString() : null;
            string? function = e.TryGetProperty("function", out var f) ? f.GetString() : null;
            if ((op is null) == (function is null))
                throw new FormatException($"a node of the ONNX rendering of '{kind}' has {(op is null ? "neither" : "both")} an 'op' and a 'function'.");
            var attributes = e.TryGetProperty("attributes", out var a)
                ? a.EnumerateObject().Select(p =>
                {
                    var (type, value) = p.Value.EnumerateObject().Select(t => (t.Name, t.Value.Clone())).Single();
                    if (!AttributeTypes.Contains(type))
                        throw new FormatException($"the ONNX attribute '{p.Name}' of '{kind}' has type '{type}'; the types are {string.Join(", ", AttributeTypes)}.");
                    return (p.Name, type, value);
                }).ToArray()
                : Array.Empty<(string, string, JsonElement)>();
            var inputs = e.TryGetProperty("inputs", out var i) ? i.EnumerateArray().Select(x => x.Clone()).ToArray() : Array.Empty<JsonElement>();
            return new OnnxRenderingNode(op, function, inputs, attributes, OnnxRendering.Conditions(e));
        }
    }
}
