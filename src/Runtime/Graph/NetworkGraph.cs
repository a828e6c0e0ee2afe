using System.Globalization;
using System.Text.Json;

namespace Dsl.Runtime.Graph
{
    /// <summary>
    /// A generated network's graph (<see cref="NetworkInfo.Graph"/>), read from its JSON: the format is described in
    /// docs/graph-format.md. Exporters walk <see cref="Root"/> instead of re-deriving any block's structure.
    /// </summary>
    public sealed class NetworkGraph
    {
        /// <summary>
        /// The graph format version this reader understands: the one the generator of the same release writes. Format 2
        /// carries every ONNX rendering in <c>onnx</c>; format 1 (earlier releases) had simple kinds' operators in
        /// <c>renderings</c>, which this reader no longer looks at.
        /// </summary>
        public const int SupportedFormat = 2;

        private NetworkGraph(string name, GraphNode root, bool anySize, IReadOnlyList<PyTorch.GraphInitRule> initRules, long vocabulary,
            IReadOnlyList<GraphInput> inputs, IReadOnlyList<GraphOutput> outputs, IReadOnlyList<GraphClass> classes)
        {
            Classes = classes;
            Inputs = inputs.Count > 0 ? inputs : new[] { new GraphInput("input", root.InputVar ?? "input", root.Input) };
            Outputs = outputs;
            Name = name;
            Root = root;
            AnySize = anySize;
            InitRules = initRules;
            Vocabulary = vocabulary;
        }

        /// <summary>
        /// Token input (<c>vocabulary</c>): the input is integer token ids [N, L] in [0, vocabulary), L the declared length or,
        /// with <see cref="AnySize"/>, at most it; 0 for real-valued input.
        /// </summary>
        public long Vocabulary { get; }

        /// <summary>Whether the input is integer token ids.</summary>
        public bool IsTokens => Vocabulary > 0;

        /// <summary>The network's class name.</summary>
        public string Name { get; }

        /// <summary>The inputs in the forward's order: one (named <c>input</c>) unless the network declares several.</summary>
        public IReadOnlyList<GraphInput> Inputs { get; }

        /// <summary>The declared outputs, the main one (the root's result) among them; empty: one output, the root's result.</summary>
        public IReadOnlyList<GraphOutput> Outputs { get; }

        /// <summary>Whether the network has declared outputs (then its forward's result is the main one of them).</summary>
        public bool HasOutputs => Outputs.Count > 0;

        /// <summary>The network itself (path <c>""</c>), a block whose body is the network's forward.</summary>
        public GraphNode Root { get; }

        /// <summary>
        /// The block classes as the generator planned them (<c>classes</c>), in the order the C# module declares them:
        /// exporters render each once from its plan rather than comparing the uses of a block kind again.
        /// </summary>
        public IReadOnlyList<GraphClass> Classes { get; }

        /// <summary>Whether the network accepts inputs of other spatial sizes than the declared one (<c>anySize</c>).</summary>
        public bool AnySize { get; }

        /// <summary>The declared initialisation rules, in order (empty: the libraries' defaults).</summary>
        internal IReadOnlyList<PyTorch.GraphInitRule> InitRules { get; }

        /// <summary>The graph of a generated network.</summary>
        /// <exception cref="NotSupportedException">The network carries no graph, or one this runtime cannot read.</exception>
        public static NetworkGraph Of(IDeclaredNetwork network) => Of(network.Info);

        /// <summary>The graph of the generated network <paramref name="info"/> describes.</summary>
        /// <exception cref="NotSupportedException">
        /// The network carries no graph (built by an older generator), or one of a format or with an operation this runtime
        /// does not read (a generator newer than the runtime): exporters cannot render it.
        /// </exception>
        public static NetworkGraph Of(NetworkInfo info)
        {
            string json = info.Graph ?? throw new NotSupportedException(
                $"{info.Name} carries no network graph: rebuild it with this version of the Dsl generator.");
            try
            {
                return Parse(json);
            }
            catch (FormatException e)
            {
                throw new NotSupportedException($"{info.Name}: {e.Message} Use the runtime that matches the generator.", e);
            }
        }

        /// <summary>Reads a graph from its JSON text.</summary>
        /// <exception cref="FormatException">The text is not a graph of a format this reader understands.</exception>
        public static NetworkGraph Parse(string json)
        {
            try
            {
                using var doc = JsonDocument.Parse(json);
                var top = doc.RootElement;
                int format = top.GetProperty("format").GetInt32();
                if (format != SupportedFormat)
                    throw new FormatException($"Network graph format {format} is not supported; this runtime reads format {SupportedFormat}. "
                        + "The network was built by another release of the Dsl package than this Dsl.Runtime: reference the same version of both and rebuild.");
                var root = GraphNode.Read(top.GetProperty("root"), ModuleRendering.ReadAll(top), OnnxRendering.ReadAll(top));
                return new NetworkGraph(top.GetProperty("name").GetString()!, root,
                    top.TryGetProperty("anySize", out var anySize) && anySize.GetBoolean(), PyTorch.PyTorchInit.Read(top),
                    top.TryGetProperty("vocabulary", out var vocabulary) ? vocabulary.GetInt64() : 0,
                    top.TryGetProperty("inputs", out var inputs) ? inputs.EnumerateArray().Select(GraphInput.Read).ToArray() : Array.Empty<GraphInput>(),
                    top.TryGetProperty("outputs", out var outputs) ? outputs.EnumerateArray().Select(GraphOutput.Read).ToArray() : Array.Empty<GraphOutput>(),
                    top.TryGetProperty("classes", out var classes) ? GraphClass.ReadAll(classes, root) : Array.Empty<GraphClass>());
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new FormatException($"Not a valid network graph: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// One block class of the generator's plan (<c>classes</c>): the nodes it is rendered from, so an exporter writes the
    /// class without comparing its uses. Its constructor arguments are its uses' <see cref="GraphNode.ClassArgs"/>.
    /// </summary>
    public sealed class GraphClass(string name, GraphNode forward, IReadOnlyList<GraphClassChild> children)
    {
        /// <summary>The class's name (the uses' <see cref="GraphNode.Class"/>).</summary>
        public string Name { get; } = name;

        /// <summary>The use whose forward (<see cref="GraphNode.Body"/>) is the class's: the other uses' differ at most in a flagged merge.</summary>
        public GraphNode Forward { get; } = forward;

        /// <summary>The submodules the class creates, in registration order.</summary>
        public IReadOnlyList<GraphClassChild> Children { get; } = children;

        internal static GraphClass[] ReadAll(JsonElement classes, GraphNode root)
        {
            var byPath = root.Descendants().ToDictionary(n => n.Path, StringComparer.Ordinal);
            GraphNode At(string className, JsonElement path) => byPath.TryGetValue(path.GetString()!, out var node) ? node
                : throw new FormatException($"Block class '{className}' names the module '{path.GetString()}', which the graph does not have.");
            return classes.EnumerateArray().Select(c =>
            {
                string name = c.GetProperty("name").GetString()!;
                var children = c.GetProperty("children").EnumerateArray().Select(child => new GraphClassChild(
                    child.GetProperty("name").GetString()!,
                    At(name, child.GetProperty("node")),
                    child.TryGetProperty("items", out var items) ? items.EnumerateArray().Select(i => At(name, i)).ToArray() : null,
                    child.TryGetProperty("flag", out var flag),
                    child.TryGetProperty("flag", out flag) && flag.ValueKind == JsonValueKind.String ? flag.GetString() : null)).ToArray();
                return new GraphClass(name, At(name, c.GetProperty("forward")), children);
            }).ToArray();
        }
    }

    /// <summary>A submodule of a <see cref="GraphClass"/>.</summary>
    public sealed class GraphClassChild(string name, GraphNode node, IReadOnlyList<GraphNode>? items, bool optional, string? flag)
    {
        /// <summary>The submodule's name.</summary>
        public string Name { get; } = name;

        /// <summary>The node of a use that the class builds it like.</summary>
        public GraphNode Node { get; } = node;

        /// <summary>
        /// A Sequential built item by item (some items under their <see cref="GraphNode.Flag"/>): every item any use has,
        /// in layer order; null for a submodule built whole.
        /// </summary>
        public IReadOnlyList<GraphNode>? Items { get; } = items;

        /// <summary>Whether only some uses have it: the class creates it under <see cref="Flag"/>.</summary>
        public bool Optional { get; } = optional;

        /// <summary>The bool constructor argument that decides an optional submodule; null when none does.</summary>
        public string? Flag { get; } = flag;
    }

    /// <summary>How a graph node is realised (<c>form</c>).</summary>
    public enum NodeForm
    {
        /// <summary>A library layer (a TorchSharp module, or one of <c>Dsl.Layers</c>).</summary>
        Leaf,
        /// <summary>A generated class with a forward (<see cref="GraphNode.Body"/>).</summary>
        Block,
        /// <summary>A <c>Sequential</c> of its children.</summary>
        Sequential,
    }

    /// <summary>One module of the network (what <c>named_modules()</c> lists): a leaf layer, a block or a sequential.</summary>
    public sealed class GraphNode
    {
        private readonly Dictionary<string, JsonElement> _args;

        private GraphNode(JsonElement e, IReadOnlyDictionary<string, ModuleRendering> renderings, IReadOnlyDictionary<string, OnnxRendering> onnx)
        {
            Name = e.GetProperty("name").GetString()!;
            Path = e.GetProperty("path").GetString()!;
            Type = e.GetProperty("type").GetString()!;
            string form = e.GetProperty("form").GetString()!;
            Form = Enum.TryParse<NodeForm>(form, ignoreCase: true, out var f) && !int.TryParse(form, out _) ? f
                : throw new FormatException($"module '{Path}' has form '{form}'; the forms are leaf, block and sequential.");
            Module = e.GetProperty("module").GetString()!;
            Declared = Form == NodeForm.Leaf && renderings.TryGetValue(Module, out var declared) ? declared : null;
            Onnx = Form == NodeForm.Leaf && onnx.TryGetValue(Module, out var onnxRendering) ? onnxRendering : null;
            Class = e.TryGetProperty("class", out var c) ? c.GetString() : null;
            Flag = e.TryGetProperty("flag", out var flag) ? flag.GetString() : null;
            Input = Dims(e, "input");
            Output = Dims(e, "output");
            Parameters = e.TryGetProperty("parameters", out var count) ? count.GetInt64() : 0;
            Args = e.TryGetProperty("args", out var args)
                ? args.EnumerateArray().Select(a => new GraphArg(
                    a.GetProperty("name").GetString()!,
                    a.GetProperty("value").Clone(),
                    a.TryGetProperty("param", out var param) ? param.GetString() : null,
                    a.TryGetProperty("default", out var isDefault) && isDefault.GetBoolean())).ToArray()
                : Array.Empty<GraphArg>();
            _args = Args.ToDictionary(a => a.Name, a => a.Value);
            ZeroInitWeight = e.TryGetProperty("zeroInitWeight", out var zero) && zero.GetBoolean();
            ClassArgs = e.TryGetProperty("classArgs", out var cas)
                ? cas.EnumerateObject().Select(p => new GraphParam(p.Name, p.Value.Clone())).ToArray()
                : Array.Empty<GraphParam>();
            ClassArgsFrom = e.TryGetProperty("classArgsFrom", out var from)
                ? from.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal);
            Params = e.TryGetProperty("params", out var ps)
                ? ps.EnumerateObject().Select(p => new GraphParam(p.Name, p.Value.Clone())).ToArray()
                : Array.Empty<GraphParam>();
            Children = e.TryGetProperty("children", out var children) ? children.EnumerateArray().Select(c => Read(c, renderings, onnx)).ToArray() : Array.Empty<GraphNode>();
            Tensors = e.TryGetProperty("tensors", out var tensors) ? tensors.EnumerateArray().Select(GraphTensor.Read).ToArray() : Array.Empty<GraphTensor>();
            Body = e.TryGetProperty("body", out var body) ? body.EnumerateArray().Select(GraphStep.Read).ToArray() : Array.Empty<GraphStep>();
            if (Form == NodeForm.Block)
            {
                InputVar = e.GetProperty("input_var").GetString();
                Result = e.GetProperty("result").GetString();
            }
        }

        internal static GraphNode Read(JsonElement e, IReadOnlyDictionary<string, ModuleRendering> renderings, IReadOnlyDictionary<string, OnnxRendering> onnx) => new(e, renderings, onnx);

        /// <summary>Submodule name (<c>conv1</c>, <c>0</c>).</summary>
        public string Name { get; }

        /// <summary>Dotted module path, the state_dict prefix (<c>layer2.0.downsample.0</c>); <c>""</c> for the network.</summary>
        public string Path { get; }

        /// <summary>The summary's type (<c>Conv2d</c>, <c>BasicStage</c>, ...).</summary>
        public string Type { get; }

        /// <summary>A leaf (a library layer), a block (a generated class with a forward) or a sequential.</summary>
        public NodeForm Form { get; }

        /// <summary>Leaf: the TorchSharp layer (<c>Conv2d</c>); block: the block kind; sequential: <c>Sequential</c>.</summary>
        public string Module { get; }

        /// <summary>Leaf: its PyTorch constructor and autocast rule, as its kind declares them (the graph's <c>renderings</c>); null when the graph has none (a custom layer).</summary>
        public ModuleRendering? Declared { get; }

        /// <summary>Leaf: how the ONNX exporter renders it, as its kind declares it (the graph's <c>onnx</c>); null when the kind declares none.</summary>
        public OnnxRendering? Onnx { get; }

        /// <summary>Block: the generated class this use shares with the others of its kind (<c>class</c>); null for the network.</summary>
        public string? Class { get; }

        /// <summary>
        /// Block: the constructor arguments this use passes to its <see cref="Class"/> (<c>classArgs</c>), by the block
        /// parameter's name: the generator's plan of what differs between the class's uses. Empty for a class without arguments.
        /// </summary>
        public IReadOnlyList<GraphParam> ClassArgs { get; }

        /// <summary>
        /// Block inside a block class: the <see cref="ClassArgs"/> the enclosing class passes on from its own constructor
        /// arguments (<c>classArgsFrom</c>), by this class's argument: the enclosing class's argument.
        /// </summary>
        public IReadOnlyDictionary<string, string> ClassArgsFrom { get; }

        /// <summary>An optional item of a block class's Sequential: the constructor argument under which it exists (<c>flag</c>).</summary>
        public string? Flag { get; }

        /// <summary>The parameters this module holds, its children's included.</summary>
        public long Parameters { get; }

        /// <summary>Leaf: its constructor arguments in TorchSharp's names, in order.</summary>
        public IReadOnlyList<GraphArg> Args { get; }

        /// <summary>Leaf: the weight starts at zero (a residual branch's last normalisation, <c>zero_init_residual</c>).</summary>
        public bool ZeroInitWeight { get; }

        /// <summary>Per-sample input shape (batch excluded).</summary>
        public IReadOnlyList<long> Input { get; }

        /// <summary>Per-sample output shape (batch excluded).</summary>
        public IReadOnlyList<long> Output { get; }

        /// <summary>Block: its parameters and their values in this use (<c>stride</c>, <c>projection</c>, ...), in declaration order.</summary>
        public IReadOnlyList<GraphParam> Params { get; }

        /// <summary>Submodules in registration (state_dict) order.</summary>
        public IReadOnlyList<GraphNode> Children { get; }

        /// <summary>Block: its own learned tensors (registered parameters such as ViT's <c>class_token</c>), keyed <see cref="Key"/>(name).</summary>
        public IReadOnlyList<GraphTensor> Tensors { get; }

        /// <summary>Block: the forward as steps over named values; empty for leaves and sequentials.</summary>
        public IReadOnlyList<GraphStep> Body { get; }

        /// <summary>Block: the value name the body reads its input from.</summary>
        public string? InputVar { get; }

        /// <summary>Block: the value name the body returns.</summary>
        public string? Result { get; }

        /// <summary>"'layer1.0.conv1' (Conv2d)", or the network's name for the root: how messages name this node.</summary>
        public string Describe() => Path.Length == 0 ? $"the network ({Module})" : $"'{Path}' ({Module})";

        /// <summary>The state_dict key of this node's tensor <paramref name="name"/> (<c>weight</c>, <c>running_mean</c>, ...).</summary>
        public string Key(string name) => Path.Length == 0 ? name : Path + "." + name;

        /// <summary>This node's descendants in registration order (the order of <c>named_modules</c>).</summary>
        public IEnumerable<GraphNode> Descendants() => Children.SelectMany(c => c.Descendants().Prepend(c));

        /// <summary>
        /// The child called <paramref name="name"/>, or null. A dotted name is a path through Sequential children: a network's
        /// forward that runs a Sequential use's children one by one (to read one of them) calls <c>backbone.layer3</c>.
        /// </summary>
        public GraphNode? Child(string name)
        {
            GraphNode? node = this;
            foreach (var segment in name.Split('.'))
            {
                node = node.Children.FirstOrDefault(c => c.Name == segment);
                if (node is null) return null;
            }
            return node;
        }

        /// <summary>Whether the leaf has the constructor argument <paramref name="name"/>.</summary>
        public bool HasArg(string name) => _args.ContainsKey(name);

        /// <summary>A whole-number constructor argument.</summary>
        public long Int(string name) => Arg(name, JsonValueKind.Number).GetInt64();

        /// <summary>A real-number constructor argument.</summary>
        public double Double(string name) => Arg(name, JsonValueKind.Number).GetDouble();

        /// <summary>A text constructor argument (Upsample's <c>mode</c>: <c>"nearest"</c>, <c>"bilinear"</c>; a custom layer's <c>module</c>).</summary>
        public string Text(string name) => Arg(name, JsonValueKind.String).GetString()!;

        /// <summary>A boolean constructor argument; <paramref name="fallback"/> when the leaf does not have it.</summary>
        public bool Bool(string name, bool? fallback = null)
        {
            if (!_args.TryGetValue(name, out var v) && fallback is bool f) return f;
            return Arg(name, JsonValueKind.True, JsonValueKind.False).GetBoolean();
        }

        /// <summary>A list-of-numbers argument (Permute's <c>dims</c>).</summary>
        public long[] Longs(string name) => Arg(name, JsonValueKind.Array).EnumerateArray().Select(i => i.GetInt64()).ToArray();

        /// <summary>A (height, width) argument written either as one number (square) or as a pair.</summary>
        public (long H, long W) Pair(string name)
        {
            var v = Arg(name, JsonValueKind.Number, JsonValueKind.Array);
            if (v.ValueKind == JsonValueKind.Number) return (v.GetInt64(), v.GetInt64());
            var items = v.EnumerateArray().Select(i => i.GetInt64()).ToArray();
            if (items.Length != 2) throw new FormatException($"Layer {Describe()}: argument '{name}' has {items.Length} values; expected 1 or 2.");
            return (items[0], items[1]);
        }

        private JsonElement Arg(string name, params JsonValueKind[] kinds)
        {
            if (!_args.TryGetValue(name, out var v))
                throw new FormatException($"Layer {Describe()} has no argument '{name}' in the network graph.");
            if (Array.IndexOf(kinds, v.ValueKind) < 0)
                throw new FormatException($"Layer {Describe()}: argument '{name}' is {v.GetRawText()}; expected {string.Join(" or ", kinds.Select(k => k.ToString().ToLowerInvariant()))}.");
            return v;
        }

        private static long[] Dims(JsonElement e, string name) =>
            e.TryGetProperty(name, out var dims) ? dims.EnumerateArray().Select(d => d.GetInt64()).ToArray() : Array.Empty<long>();

        /// <inheritdoc/>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Describe()} {Form}");
    }

    /// <summary>A leaf's constructor argument in TorchSharp's name; <see cref="Param"/> names the block parameter it comes from.</summary>
    /// <param name="Name">The argument's name (<c>kernel_size</c>).</param>
    /// <param name="Value">Its value in this use.</param>
    /// <param name="Param">The block parameter the value comes from, or null for a written value.</param>
    /// <param name="IsDefault">Whether the value is TorchSharp's (and PyTorch's) default, so calls may leave it out.</param>
    public sealed record GraphArg(string Name, JsonElement Value, string? Param, bool IsDefault);

    /// <summary>A block parameter and its value in one use of the block.</summary>
    public sealed record GraphParam(string Name, JsonElement Value);

    /// <summary>The operations of a forward step (<c>op</c>); <see cref="GraphOps"/> holds their names in the graph.</summary>
    public enum GraphOp
    {
        /// <summary><c>call</c>: <c>out = module(in)</c>.</summary>
        Call,
        /// <summary><c>optional_call</c>: <c>out = module(in)</c> where this use has the module (its flag), else <c>out = in</c>.</summary>
        OptionalCall,
        /// <summary><c>relu</c>: the functional in-place ReLU.</summary>
        Relu,
        /// <summary><c>add</c>: <c>out = in0 + in1</c>, the residual merge.</summary>
        Add,
        /// <summary><c>mul</c>: <c>out = in0 * in1</c>, broadcasting one weight per channel (gating).</summary>
        Multiply,
        /// <summary><c>concat</c>: <c>out = cat([in...], 1)</c>.</summary>
        Concat,
        /// <summary><c>param_add</c>: <c>out = in0 + param</c> (a position embedding).</summary>
        ParamAdd,
        /// <summary><c>param_prepend</c>: <c>out = cat([param.expand(batch, ...), in0], 1)</c> (a class token).</summary>
        ParamPrepend,
        /// <summary><c>param_mul</c>: <c>out = in0 * param</c> (a layer scale).</summary>
        ParamMul,
        /// <summary><c>interpolate</c>: <c>out = interpolate(in0, size=in1.shape[-2:], mode="bilinear", align_corners=False)</c>.</summary>
        Interpolate,
    }

    /// <summary>The graph's name of each <see cref="GraphOp"/>: the one table the reader and the documentation test use.</summary>
    public static class GraphOps
    {
        private static readonly Dictionary<string, GraphOp> ByName = new(StringComparer.Ordinal)
        {
            ["call"] = GraphOp.Call,
            ["optional_call"] = GraphOp.OptionalCall,
            ["relu"] = GraphOp.Relu,
            ["add"] = GraphOp.Add,
            ["mul"] = GraphOp.Multiply,
            ["concat"] = GraphOp.Concat,
            ["param_add"] = GraphOp.ParamAdd,
            ["param_prepend"] = GraphOp.ParamPrepend,
            ["param_mul"] = GraphOp.ParamMul,
            ["interpolate"] = GraphOp.Interpolate,
        };

        /// <summary>Every operation's name in the graph, in the order of <see cref="GraphOp"/>.</summary>
        public static IReadOnlyList<string> Names { get; } = ByName.OrderBy(p => p.Value).Select(p => p.Key).ToArray();

        /// <summary>The graph's name of <paramref name="op"/>.</summary>
        public static string Name(GraphOp op) => ByName.First(p => p.Value == op).Key;

        /// <summary>The operation called <paramref name="name"/> in the graph.</summary>
        /// <exception cref="FormatException">No operation has that name.</exception>
        public static GraphOp Parse(string name) => ByName.TryGetValue(name, out var op) ? op
            : throw new FormatException($"forward step '{name}' is not an operation this runtime knows ({string.Join(", ", ByName.Keys)}).");

        /// <summary>Whether <paramref name="op"/> uses a learned tensor of the block itself (<see cref="GraphStep.Param"/>).</summary>
        public static bool UsesOwnTensor(GraphOp op) => op is GraphOp.ParamAdd or GraphOp.ParamPrepend or GraphOp.ParamMul;
    }

    /// <summary>One step of a block's forward: <c>{op, out, module?, in, flag?}</c> (docs/graph-format.md).</summary>
    /// <remarks><see cref="Param"/>: the block's own tensor that a <c>param_add</c>, <c>param_prepend</c> or <c>param_mul</c> step uses.</remarks>
    /// <remarks><see cref="Training"/>: a step of the network's own forward that only auxiliary outputs need; it runs in training mode only.</remarks>
    public sealed record GraphStep(GraphOp Op, string Out, string? Module, IReadOnlyList<string> In, string? Flag, string? Param = null, bool Training = false)
    {
        internal static GraphStep Read(JsonElement e) => new(
            GraphOps.Parse(e.GetProperty("op").GetString()!),
            e.GetProperty("out").GetString()!,
            e.TryGetProperty("module", out var m) ? m.GetString() : null,
            e.GetProperty("in").EnumerateArray().Select(i => i.GetString()!).ToArray(),
            e.TryGetProperty("flag", out var f) ? f.GetString() : null,
            e.TryGetProperty("param", out var p) ? p.GetString() : null,
            e.TryGetProperty("training", out var t) && t.GetBoolean());
    }

    /// <summary>One input of a network with several (<c>inputs</c>): its name, the root's variable holding it and its per-sample shape.</summary>
    public sealed record GraphInput(string Name, string Var, IReadOnlyList<long> Shape)
    {
        internal static GraphInput Read(JsonElement e) => new(
            e.GetProperty("name").GetString()!,
            e.GetProperty("var").GetString()!,
            e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray());
    }

    /// <summary>
    /// One declared output (<c>outputs</c>): its name, the root's value it returns, its per-sample shape, whether it is
    /// computed in training mode only and the weight of its loss (0: not trained against the target; the main output's is 1).
    /// </summary>
    public sealed record GraphOutput(string Name, string Var, IReadOnlyList<long> Shape, bool Auxiliary, double LossWeight)
    {
        internal static GraphOutput Read(JsonElement e) => new(
            e.GetProperty("name").GetString()!,
            e.GetProperty("var").GetString()!,
            e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
            e.TryGetProperty("auxiliary", out var a) && a.GetBoolean(),
            e.TryGetProperty("lossWeight", out var w) ? w.GetDouble() : 0);
    }

    /// <summary>A learned tensor of a module itself: <c>{name, shape, init, std?, value?, channels?}</c> (docs/graph-format.md).</summary>
    /// <remarks>
    /// <see cref="Init"/> is <c>zeros</c>, <c>normal</c> (mean 0, <see cref="Std"/>) or <c>full</c> (every value <see cref="Value"/>, a layer scale).
    /// <see cref="Channels"/> names the block parameter that gives the first dimension, where uses of the block's class differ in it.
    /// </remarks>
    public sealed record GraphTensor(string Name, IReadOnlyList<long> Shape, string Init, double Std, double Value = 0, string? Channels = null)
    {
        internal static GraphTensor Read(JsonElement e) => new(
            e.GetProperty("name").GetString()!,
            e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
            e.GetProperty("init").GetString()!,
            e.TryGetProperty("std", out var std) ? std.GetDouble() : 0,
            e.TryGetProperty("value", out var value) ? value.GetDouble() : 0,
            e.TryGetProperty("channels", out var c) ? c.GetString() : null);
    }
}
