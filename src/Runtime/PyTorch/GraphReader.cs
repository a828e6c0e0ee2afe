using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace Dsl.Runtime.PyTorch
{
    /// <summary>How a graph node is realised (docs/graph-format.md, field <c>form</c>).</summary>
    internal enum NodeForm { Leaf, Block, Sequential }

    /// <summary>A leaf's constructor argument in TorchSharp's name; <see cref="Param"/> names the block parameter it comes from.</summary>
    internal sealed record GraphArg(string Name, JsonElement Value, string? Param, bool IsDefault);

    /// <summary>One operation of a block's forward: <c>op</c>, <c>out</c>, <c>module</c>, <c>in</c>, <c>flag</c>.</summary>
    /// <remarks><see cref="Param"/>: the module's own learned tensor a parameter step uses (<c>param_add</c>, <c>param_prepend</c>, <c>param_mul</c>).</remarks>
    internal sealed record GraphStep(string Op, string Out, string? Module, IReadOnlyList<string> In, string? Flag, string? Param = null);

    /// <summary>
    /// A learned tensor of a module itself (<c>tensors</c>): its name, shape and initialisation (<c>zeros</c>, <c>normal</c>
    /// with <see cref="Std"/>, or <c>full</c> with <see cref="Value"/>); <see cref="Channels"/> names the block parameter that
    /// gives the first dimension where uses of the block's class differ in it.
    /// </summary>
    internal sealed record GraphTensor(string Name, IReadOnlyList<long> Shape, string Init, double Std, double Value = 0, string? Channels = null);

    /// <summary>A block parameter and its value in one use of the block.</summary>
    internal sealed record GraphParam(string Name, JsonElement Value);

    /// <summary>One module of the network graph, as the generator wrote it.</summary>
    internal sealed record GraphNode(
        string Name,
        string Path,
        string Type,
        NodeForm Form,
        string Module,
        string? Class,
        IReadOnlyList<long> Output,
        long Parameters,
        IReadOnlyList<GraphArg> Args,
        bool ZeroInitWeight,
        IReadOnlyList<GraphParam> Params,
        IReadOnlyList<GraphNode> Children,
        IReadOnlyList<GraphStep> Body,
        string InputVar,
        string Result,
        IReadOnlyList<GraphTensor>? Tensors = null)
    {
        /// <summary>The module's own learned tensors (registered parameters, not submodules).</summary>
        public IReadOnlyList<GraphTensor> OwnTensors => Tensors ?? System.Array.Empty<GraphTensor>();

        /// <summary>This node's descendants in registration order (the order of <c>named_modules</c>).</summary>
        public IEnumerable<GraphNode> Descendants() => Children.SelectMany(c => c.Descendants().Prepend(c));
    }

    /// <summary>A parsed network graph: the network's class name and its root node.</summary>
    internal sealed record NetworkGraph(string Name, GraphNode Root, bool AnySize = false, IReadOnlyList<GraphInitRule>? Init = null)
    {
        /// <summary>The initialisation rules, in order (empty: PyTorch's defaults).</summary>
        public IReadOnlyList<GraphInitRule> InitRules => Init ?? System.Array.Empty<GraphInitRule>();

        /// <summary>The graph format this reader understands (the <c>format</c> field).</summary>
        public const int Format = 1;

        /// <summary>Parses the JSON of <see cref="NetworkInfo.Graph"/>.</summary>
        /// <exception cref="NotSupportedException">The network carries no graph, or one of a newer format.</exception>
        public static NetworkGraph Of(NetworkInfo info)
        {
            if (info.Graph is null)
                throw new NotSupportedException($"{info.Name} carries no network graph: rebuild it with the current Dsl generator.");
            using var document = JsonDocument.Parse(info.Graph);
            var root = document.RootElement;
            int format = root.GetProperty("format").GetInt32();
            if (format != Format)
                throw new NotSupportedException($"{info.Name}'s graph has format {format}; this runtime reads format {Format}. Use the runtime that matches the generator.");
            return new NetworkGraph(root.GetProperty("name").GetString()!, Node(root.GetProperty("root")),
                Optional(root, "anySize")?.GetBoolean() ?? false, PyTorchInit.Read(root));
        }

        private static GraphNode Node(JsonElement e) => new(
            Name: e.GetProperty("name").GetString()!,
            Path: e.GetProperty("path").GetString()!,
            Type: e.GetProperty("type").GetString()!,
            Form: Enum.Parse<NodeForm>(e.GetProperty("form").GetString()!, ignoreCase: true),
            Module: e.GetProperty("module").GetString()!,
            Class: Optional(e, "class")?.GetString(),
            Output: e.GetProperty("output").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
            Parameters: e.GetProperty("parameters").GetInt64(),
            Args: Array(e, "args").Select(a => new GraphArg(
                a.GetProperty("name").GetString()!,
                a.GetProperty("value").Clone(),
                Optional(a, "param")?.GetString(),
                a.GetProperty("default").GetBoolean())).ToArray(),
            ZeroInitWeight: Optional(e, "zeroInitWeight")?.GetBoolean() ?? false,
            Params: Optional(e, "params") is JsonElement p ? p.EnumerateObject().Select(x => new GraphParam(x.Name, x.Value.Clone())).ToArray() : System.Array.Empty<GraphParam>(),
            Children: Array(e, "children").Select(Node).ToArray(),
            Body: Array(e, "body").Select(s => new GraphStep(
                s.GetProperty("op").GetString()!,
                s.GetProperty("out").GetString()!,
                Optional(s, "module")?.GetString(),
                s.GetProperty("in").EnumerateArray().Select(i => i.GetString()!).ToArray(),
                Optional(s, "flag")?.GetString(),
                Optional(s, "param")?.GetString())).ToArray(),
            InputVar: Optional(e, "input_var")?.GetString() ?? "x",
            Result: Optional(e, "result")?.GetString() ?? "x",
            Tensors: Array(e, "tensors").Select(t => new GraphTensor(
                t.GetProperty("name").GetString()!,
                t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                t.GetProperty("init").GetString()!,
                Optional(t, "std")?.GetDouble() ?? 0,
                Optional(t, "value")?.GetDouble() ?? 0,
                Optional(t, "channels")?.GetString())).ToArray());

        private static JsonElement? Optional(JsonElement e, string name) => e.TryGetProperty(name, out var value) ? value : null;

        private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
            e.TryGetProperty(name, out var value) ? value.EnumerateArray() : Enumerable.Empty<JsonElement>();
    }
}
