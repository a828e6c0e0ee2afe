using System.Text;

namespace Dsl.Generator.Graph
{
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
    /// A module kind's autocast rule, declared with its rendering so mixed precision needs no row of its own for the
    /// kind: the ATen operations the module runs (as PyTorch's lists name them) and their policy on the CPU and on CUDA.
    /// </summary>
    internal sealed record AutocastRule(string Ops, AutocastPolicy Cpu, AutocastPolicy Cuda)
    {
        /// <summary>An operation in none of PyTorch's lists on either device: it runs in the type that arrives.</summary>
        public static AutocastRule FallThrough(string ops) => new(ops, AutocastPolicy.FallThrough, AutocastPolicy.FallThrough);

        /// <summary>An operation on the <c>lower_precision_fp</c> list of both devices (matrix products, convolutions).</summary>
        public static AutocastRule LowerPrecision(string ops) => new(ops, AutocastPolicy.LowerPrecision, AutocastPolicy.LowerPrecision);

        /// <summary>An operation on CUDA's <c>fp32</c> list and in no CPU list (normalisations, softmax).</summary>
        public static AutocastRule Float32OnCuda(string ops) => new(ops, AutocastPolicy.FallThrough, AutocastPolicy.Float32);

        /// <summary>The policy's name in the graph JSON (PyTorch's list names, and <c>fall_through</c> for none).</summary>
        public static string Name(AutocastPolicy policy) => policy switch
        {
            AutocastPolicy.LowerPrecision => "lower_precision_fp",
            AutocastPolicy.Float32 => "fp32",
            _ => "fall_through",
        };
    }

    /// <summary>
    /// How a module reads the activations it is given, where that matters beyond their shape: channels-last training
    /// suits a network with an <see cref="Image"/> convolution and none that reads <see cref="Tokens"/>; only a
    /// <see cref="TokenIds"/> module takes the network's token input (DSL043 elsewhere).
    /// </summary>
    internal enum ActivationLayout
    {
        /// <summary>Whatever arrives, in any memory layout (element-wise, pooling, norms over channels, Linear...).</summary>
        Any,
        /// <summary>An image convolution (<c>Conv2d</c>), which channels-last speeds up on a 4-d activation.</summary>
        Image,
        /// <summary>Reads activations as a sequence of tokens or normalises them through permutes: its network stays contiguous.</summary>
        Tokens,
        /// <summary>Reads the network's integer token ids (an Embedding); a sequence reader as well.</summary>
        TokenIds,
    }

    /// <summary>A layer's family, for the eye: what a network diagram colours it by (the graph's <c>family</c>).</summary>
    internal enum LayerFamily
    {
        /// <summary>Activations and everything not below (the default, not written in the graph).</summary>
        Other,
        Convolution,
        Normalization,
        Pooling,
        /// <summary>Learned matrix products over features: Linear, attention, recurrent layers.</summary>
        Dense,
        /// <summary>Passes values on reshaped, reordered or (in training) randomly dropped: Flatten, Permute, Dropout, Identity...</summary>
        PassThrough,
    }

    /// <summary>
    /// A call the network's constructor makes once every layer exists, for a kind whose module must be connected to
    /// another (a Linear tied to an Embedding's weight): the static method of <c>Dsl.Layers</c> the generated C# calls
    /// with the network, and the twin helper's function its <c>__init__</c> calls with <c>self</c>.
    /// </summary>
    internal sealed record ConstructionHook(string CSharp, string Python)
    {
        /// <summary>
        /// The leaf argument that calls for the hook (an attention's <c>padding_of</c>: only one that masks padding is
        /// connected), or null when every leaf of the kind does; a network none of whose leaves calls for it makes no call.
        /// </summary>
        public string? OnlyWith { get; init; }

        /// <summary>Whether <paramref name="leaf"/>, of a kind declaring this hook, calls for it.</summary>
        public bool CalledFor(GraphNode leaf) => OnlyWith is null || leaf.Args.Any(a => a.Name == OnlyWith);
    }

    /// <summary>
    /// One argument of a leaf's PyTorch constructor: its name in the graph (TorchSharp's), its name in PyTorch, and
    /// whether PyTorch users pass it by position (<c>nn.Conv2d(64, 128, kernel_size=3)</c>, as torchvision writes it).
    /// </summary>
    internal sealed record PyTorchArgument(string Graph, string PyTorch, bool Positional);

    /// <summary>
    /// A module kind's PyTorch constructor: its class (<c>nn.Conv2d</c>, or a class of the twin's helper files such as
    /// <c>PositionTable</c>) and its arguments in PyTorch's order. Without <see cref="Arguments"/> the leaf's own
    /// arguments are passed by keyword under their own names (a simple kind whose arguments are PyTorch's).
    /// </summary>
    internal sealed record PyTorchConstructor(string Class, EquatableArray<PyTorchArgument>? Arguments)
    {
        /// <summary>
        /// A constructor from its argument list in PyTorch's order: <c>"name"</c> (by keyword), <c>"name*"</c> (by
        /// position), and <c>"graphName=pytorchName"</c> where TorchSharp's name differs from PyTorch's.
        /// </summary>
        public static PyTorchConstructor Of(string @class, params string[] arguments) =>
            new(@class, arguments.Select(a =>
            {
                bool positional = a.EndsWith("*", System.StringComparison.Ordinal);
                string names = a.TrimEnd('*');
                int eq = names.IndexOf('=');
                return eq < 0 ? new PyTorchArgument(names, names, positional) : new PyTorchArgument(names.Substring(0, eq), names.Substring(eq + 1), positional);
            }).ToEquatableArray());

        /// <summary>A constructor taking the leaf's own arguments by keyword, under the same names.</summary>
        public static PyTorchConstructor Keywords(string @class) => new(@class, null);

        /// <summary>This constructor's fields of a <c>renderings</c> entry: <c>"pytorch"</c> and, when listed, <c>"arguments"</c>.</summary>
        public string Json()
        {
            var json = new StringBuilder("\"pytorch\":").Append(Emit.GraphJson.Str(Class));
            if (Arguments is { } arguments)
                json.Append(",\"arguments\":[").Append(string.Join(",", arguments.Select(a =>
                    "{\"name\":" + Emit.GraphJson.Str(a.Graph) + (a.PyTorch != a.Graph ? ",\"pytorch\":" + Emit.GraphJson.Str(a.PyTorch) : "")
                    + (a.Positional ? ",\"positional\":true" : "") + "}"))).Append(']');
            return json.ToString();
        }
    }

    /// <summary>
    /// How a module kind is rendered outside TorchSharp besides ONNX, declared by the kind where it adds its leaf
    /// (<see cref="GraphBuilder.Leaf"/>, argument <c>rendering</c>): its PyTorch constructor, which the twin writes, and
    /// its autocast rule, which mixed precision follows. Its ONNX rendering is declared beside it (<c>onnx:</c>, an
    /// <see cref="OnnxRendering"/>). The graph JSON carries it once per module kind (<c>renderings</c>,
    /// docs/graph-format.md), and the runtime renders it without an entry of its own. Every module the generator can emit
    /// declares one (ExporterCoverageTests, AutocastCoverageTests); a kind that builds the same module as another (a
    /// stem's convolution) builds it through that kind, so the declaration stays in one file.
    /// </summary>
    internal sealed record LeafRendering(PyTorchConstructor PyTorch, AutocastRule Autocast)
    {
        /// <summary>How the module reads its activations (the graph's <c>layout</c>, omitted for <see cref="ActivationLayout.Any"/>).</summary>
        public ActivationLayout Layout { get; init; }

        /// <summary>The layer's family (the graph's <c>family</c>, omitted for <see cref="LayerFamily.Other"/>).</summary>
        public LayerFamily Family { get; init; }

        /// <summary>The call the network makes once every layer exists (the graph's <c>after_construction</c>, the twin's), or null.</summary>
        public ConstructionHook? AfterConstruction { get; init; }

        /// <summary>
        /// A simple kind: a <c>torch.nn</c> class taking the leaf's arguments by keyword under the same names;
        /// <paramref name="autocast"/> is required so that a new kind cannot leave mixed precision guessing.
        /// </summary>
        public static LeafRendering Of(string pyTorch, AutocastRule autocast) => new(PyTorchConstructor.Keywords(pyTorch), autocast);

        /// <summary>A module with its PyTorch constructor (arguments renamed or reordered) and its autocast rule.</summary>
        public static LeafRendering Module(PyTorchConstructor pyTorch, AutocastRule autocast) => new(pyTorch, autocast);

        /// <summary>This rendering as the value of its module's entry in the graph JSON's <c>renderings</c>.</summary>
        public string Json()
        {
            var json = new StringBuilder("{").Append(PyTorch.Json());
            json.Append(",\"autocast\":{\"ops\":").Append(Emit.GraphJson.Str(Autocast.Ops))
                .Append(",\"cpu\":").Append(Emit.GraphJson.Str(AutocastRule.Name(Autocast.Cpu)))
                .Append(",\"cuda\":").Append(Emit.GraphJson.Str(AutocastRule.Name(Autocast.Cuda))).Append('}');
            if (Layout != ActivationLayout.Any) json.Append(",\"layout\":").Append(Emit.GraphJson.Str(Layout switch
            {
                ActivationLayout.Image => "image",
                ActivationLayout.Tokens => "tokens",
                _ => "token_ids",
            }));
            if (Family != LayerFamily.Other) json.Append(",\"family\":").Append(Emit.GraphJson.Str(Family switch
            {
                LayerFamily.PassThrough => "pass_through",
                var family => family.ToString().ToLowerInvariant(),
            }));
            if (AfterConstruction is { } hook)
            {
                json.Append(",\"after_construction\":").Append(Emit.GraphJson.Str(hook.Python));
                if (hook.OnlyWith is { } argument) json.Append(",\"after_construction_with\":").Append(Emit.GraphJson.Str(argument));
            }
            return json.Append('}').ToString();
        }
    }
}
