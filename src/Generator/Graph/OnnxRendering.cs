using static Dsl.Generator.Emit.GraphJson;

namespace Dsl.Generator.Graph
{
    /// <summary>
    /// A value an ONNX rendering reads: a constant, one of the leaf's arguments (as is, per spatial axis, as ONNX
    /// <c>pads</c>, or one minus it), a dimension of the leaf's input, or a list of such values. Held as its graph JSON.
    /// </summary>
    internal sealed record OnnxValue(string Json, bool IsList = false)
    {
        public static implicit operator OnnxValue(long value) => new(Literal.Of(value));
        public static implicit operator OnnxValue(double value) => new(Literal.Of(value));
        public static implicit operator OnnxValue(string value) => new(Str(value));
    }

    /// <summary>An input of an ONNX rendering's node (its graph JSON): the leaf's input, an earlier node's output, a weight, a constant, or none.</summary>
    internal sealed record OnnxInput(string Json);

    /// <summary>An attribute of an ONNX rendering's node: <c>"name":{"type":value}</c>.</summary>
    internal sealed record OnnxAttr(string Json);

    /// <summary>A condition on the leaf's arguments or input under which a case or a node of a rendering applies.</summary>
    internal sealed record OnnxCondition(string Json);

    /// <summary>
    /// One node of an ONNX rendering: an ONNX operator, or a function of the runtime's named <see cref="Function"/> (the
    /// few renderings that are code). A node with conditions that do not hold is left out and passes its first input on.
    /// </summary>
    internal sealed record OnnxNode(string Json, string? Function = null)
    {
        /// <summary>This node only where <paramref name="conditions"/> hold; otherwise its first input is its output.</summary>
        public OnnxNode If(params OnnxCondition[] conditions) =>
            new(Json.Substring(0, Json.Length - 1) + ",\"if\":[" + string.Join(",", conditions.Select(c => c.Json)) + "]}", Function);
    }

    /// <summary>The nodes of a rendering that apply where its conditions hold (none: always).</summary>
    internal sealed record OnnxCase(string Json, EquatableArray<string> Functions);

    /// <summary>
    /// How a leaf kind becomes ONNX (opset 17, eval mode), declared in the kind's own file and passed to
    /// <see cref="GraphBuilder.Leaf"/> as <c>onnx:</c>; the graph JSON carries it once per module kind (<c>onnx</c>,
    /// docs/graph-format.md) and the runtime renders it generically (docs/onnx.md). Like torch.onnx's symbolic functions,
    /// but data: the first of its cases whose conditions hold, a list of nodes whose last output is the leaf's output (no
    /// node: the leaf is an identity at inference). A rendering that is real code names a runtime function
    /// (<see cref="Onnx.Function"/>), registered beside that code; <see cref="Functions"/> lists the names it uses.
    /// </summary>
    internal sealed record OnnxRendering(string Json, EquatableArray<string> Functions);

    /// <summary>The vocabulary in which a kind file writes its <see cref="OnnxRendering"/>.</summary>
    internal static class Onnx
    {
        // ---- renderings ----

        /// <summary>Always these nodes.</summary>
        public static OnnxRendering Nodes(params OnnxNode[] nodes) => Cases(Otherwise(nodes));

        /// <summary>No node: the leaf passes its input on (Dropout, Identity in eval mode).</summary>
        public static OnnxRendering Identity { get; } = Nodes();

        /// <summary>The first case whose conditions hold; none holding is an export error that names the leaf's arguments.</summary>
        public static OnnxRendering Cases(params OnnxCase[] cases) =>
            new("{\"cases\":[" + string.Join(",", cases.Select(c => c.Json)) + "]}", cases.SelectMany(c => c.Functions).Distinct().ToEquatableArray());

        /// <summary>A rendering that is code: the runtime's function <paramref name="name"/> on the leaf's input.</summary>
        public static OnnxRendering Function(string name) => Nodes(Call(name));

        public static OnnxCase When(OnnxCondition condition, params OnnxNode[] nodes) => When(new[] { condition }, nodes);

        public static OnnxCase When(OnnxCondition[] conditions, params OnnxNode[] nodes) =>
            new("{\"if\":[" + string.Join(",", conditions.Select(c => c.Json)) + "]," + NodesJson(nodes) + "}", FunctionsOf(nodes));

        public static OnnxCase Otherwise(params OnnxNode[] nodes) => new("{" + NodesJson(nodes) + "}", FunctionsOf(nodes));

        private static string NodesJson(OnnxNode[] nodes) => "\"nodes\":[" + string.Join(",", nodes.Select(n => n.Json)) + "]";

        private static EquatableArray<string> FunctionsOf(OnnxNode[] nodes) => nodes.Where(n => n.Function is not null).Select(n => n.Function!).ToEquatableArray();

        // ---- conditions ----

        /// <summary>The leaf has argument <paramref name="arg"/> and it is not false.</summary>
        public static OnnxCondition Has(string arg) => new("{\"arg\":" + Str(arg) + "}");

        /// <summary>The leaf's text argument <paramref name="arg"/> is <paramref name="value"/>.</summary>
        public static OnnxCondition Is(string arg, string value) => new("{\"arg\":" + Str(arg) + ",\"is\":" + Str(value) + "}");

        /// <summary>On some spatial axis, the leaf's argument <paramref name="arg"/> is above its argument <paramref name="other"/>.</summary>
        public static OnnxCondition Above(string arg, string other) => new("{\"arg\":" + Str(arg) + ",\"above\":" + Str(other) + "}");

        /// <summary>The leaf's input has at least <paramref name="rank"/> dimensions besides the batch.</summary>
        public static OnnxCondition RankAtLeast(int rank) => new("{\"rank\":" + Literal.Of(rank) + "}");

        // ---- nodes ----

        public static OnnxInput[] In(params OnnxInput[] inputs) => inputs;

        /// <summary>The ONNX operator <paramref name="op"/> on <paramref name="inputs"/>.</summary>
        public static OnnxNode Node(string op, OnnxInput[] inputs, params OnnxAttr[] attributes) =>
            new("{\"op\":" + Str(op) + ",\"inputs\":[" + string.Join(",", inputs.Select(i => i.Json)) + "]"
                + (attributes.Length == 0 ? "" : ",\"attributes\":{" + string.Join(",", attributes.Select(a => a.Json)) + "}") + "}");

        /// <summary>The operator <paramref name="op"/> on one input, without attributes.</summary>
        public static OnnxNode Node(string op, OnnxInput input, params OnnxAttr[] attributes) => Node(op, new[] { input }, attributes);

        /// <summary>The runtime's function <paramref name="name"/> (an <c>[OnnxFunction]</c> method) on <paramref name="input"/> (default: the leaf's input).</summary>
        public static OnnxNode Call(string name, OnnxInput? input = null) =>
            new("{\"function\":" + Str(name) + ",\"inputs\":[" + (input ?? X).Json + "]}", name);

        // ---- inputs ----

        /// <summary>The leaf's input.</summary>
        public static OnnxInput X { get; } = new("\"x\"");

        /// <summary>ONNX's empty name for an optional input left out.</summary>
        public static OnnxInput None { get; } = new("\"\"");

        /// <summary>The output of node <paramref name="index"/> of this case (0: the first).</summary>
        public static OnnxInput Out(int index) => new("{\"node\":" + Literal.Of(index) + "}");

        /// <summary>The leaf's state_dict tensor <paramref name="name"/>; with <paramref name="ifArg"/>, only where that bool argument is true (left out otherwise).</summary>
        public static OnnxInput Weight(string name, string? ifArg = null) =>
            new("{\"weight\":" + Str(name) + (ifArg is null ? "" : ",\"if\":" + Str(ifArg)) + "}");

        /// <summary>A float scalar constant (a Constant node, <c>value_float</c>).</summary>
        public static OnnxInput FloatConstant(OnnxValue value) => new("{\"float\":" + value.Json + "}");

        /// <summary>A float vector constant (<c>value_floats</c>).</summary>
        public static OnnxInput FloatsConstant(params OnnxValue[] values) => new("{\"floats\":" + List(values) + "}");

        /// <summary>An int64 vector constant (<c>value_ints</c>).</summary>
        public static OnnxInput IntsConstant(params OnnxValue[] values) => new("{\"ints\":" + List(values) + "}");

        /// <summary>An int64 scalar tensor constant (Gather's index).</summary>
        public static OnnxInput Int64Constant(OnnxValue value) => new("{\"int64\":" + value.Json + "}");

        /// <summary>An int64 vector tensor constant (a shape, slice bounds).</summary>
        public static OnnxInput Int64sConstant(params OnnxValue[] values) => new("{\"int64s\":" + List(values) + "}");

        // ---- attributes ----

        public static OnnxAttr Int(string name, OnnxValue value) => Attr(name, "int", value.Json);
        public static OnnxAttr Float(string name, OnnxValue value) => Attr(name, "float", value.Json);
        public static OnnxAttr Ints(string name, params OnnxValue[] values) => Attr(name, "ints", List(values));
        public static OnnxAttr Text(string name, OnnxValue value) => Attr(name, "string", value.Json);

        private static OnnxAttr Attr(string name, string type, string value) => new(Str(name) + ":{" + Str(type) + ":" + value + "}");

        /// <summary>One list-valued expression as it is, otherwise the values as a list (a list-valued one spliced in).</summary>
        private static string List(OnnxValue[] values) =>
            values.Length == 1 && values[0].IsList ? values[0].Json : "[" + string.Join(",", values.Select(v => v.Json)) + "]";

        // ---- values ----

        /// <summary>The leaf's argument <paramref name="name"/> as the graph gives it (a bool reads as 1 or 0).</summary>
        public static OnnxValue Arg(string name) => new("{\"arg\":" + Str(name) + "}");

        /// <summary>The leaf's list argument <paramref name="name"/> (Permute's <c>dims</c>).</summary>
        public static OnnxValue ArgList(string name) => new("{\"arg\":" + Str(name) + "}", IsList: true);

        /// <summary>The argument per spatial axis: a single number repeated for each (a square kernel), a list as it is.</summary>
        public static OnnxValue Spatial(string name) => Derived(name, "spatial", list: true);

        /// <summary>
        /// ONNX <c>pads</c> from a <c>padding</c> argument: the per-axis values at the start, then at the end; with
        /// <paramref name="endMinus"/>, the end less that argument, at least 0 (a transposed convolution's output padding).
        /// </summary>
        public static OnnxValue Pads(string name, string? endMinus = null) => endMinus is null
            ? Derived(name, "pads", list: true)
            : new("{\"arg\":" + Str(name) + ",\"as\":\"pads\",\"end_minus\":" + Str(endMinus) + "}", IsList: true);

        /// <summary>1 minus the argument (ONNX's momentum weighs the old statistic, PyTorch's the new one).</summary>
        public static OnnxValue OneMinus(string name) => Derived(name, "one_minus", list: false);

        /// <summary>Dimension <paramref name="index"/> of the leaf's input, the batch not counted (0: channels).</summary>
        public static OnnxValue InputDim(int index) => new("{\"input\":" + Literal.Of(index) + "}");

        /// <summary>The leaf's input shape, the batch not counted.</summary>
        public static OnnxValue InputShape() => new("{\"input_shape\":true}", IsList: true);

        /// <summary><paramref name="value"/> once per spatial axis of the leaf's input (the dimensions after the channels).</summary>
        public static OnnxValue PerSpatialAxis(long value) => new("{\"per_spatial_axis\":" + Literal.Of(value) + "}", IsList: true);

        private static OnnxValue Derived(string name, string how, bool list) => new("{\"arg\":" + Str(name) + ",\"as\":" + Str(how) + "}", list);
    }
}
