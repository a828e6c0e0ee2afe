
namespace Dsl.Generator.Graph
{
    // The network graph: the one structure that shape inference builds and every emitter walks.
    // A network is a tree of modules (the submodules a PyTorch reader sees in named_modules);
    // every block's forward is a short dataflow program over its children (Step), so branches,
    // shortcuts and merges are explicit edges between named values.

    /// <summary>How a module is realised: a TorchSharp layer, a generated block class, or a Sequential container.</summary>
    internal enum NodeForm { Leaf, Block, Sequential }

    /// <summary>
    /// One constructor argument of a TorchSharp layer: the C# parameter name, the value as a C# literal, the block
    /// parameter it comes from (null: a literal of this block's structure) and whether it equals TorchSharp's default
    /// (then it is left out of the call unless it comes from a parameter). <see cref="Value"/> is also the graph JSON's
    /// value; <see cref="Code"/>, when set, is the C# the call writes instead (an enum member, an array).
    /// </summary>
    internal sealed record LeafArg(string Name, string Value, string? Param, bool IsDefault, string? Code = null);

    /// <summary>
    /// A named value a block class may take in its constructor (channels, stride, projection, ...). <see cref="From"/>:
    /// for a block inside a block class, the enclosing class's parameter that passes this value on (the uses of the
    /// enclosing class differ in it).
    /// </summary>
    internal sealed record BlockParam(string Name, string Type, string Value, string? From = null);

    /// <summary>The operations of a block's forward.</summary>
    internal enum StepOp
    {
        /// <summary><c>out = module.call(in)</c>.</summary>
        Call,
        /// <summary><c>out = module.call(in)</c> when the module exists in this block, else <c>out = in</c>.</summary>
        OptionalCall,
        /// <summary><c>out = in.relu_()</c>: the functional in-place ReLU (no module, as torchvision's shared relu).</summary>
        ReluInPlace,
        /// <summary><c>out = in0.add_(in1)</c>: the residual merge.</summary>
        AddInPlace,
        /// <summary><c>out = in0 + in1</c>: a block's residual merge (out of place: the body may return its input).</summary>
        Add,
        /// <summary><c>out = cat([in0, in1, ...], channels)</c>: dense connections, parallel branches, U-Net skips.</summary>
        Concat,
        /// <summary><c>out = in0 * in1</c>, broadcasting one weight per channel: gating (squeeze-and-excitation).</summary>
        Multiply,
        /// <summary><c>out = in0 + param</c>: a learned tensor of the module added, broadcasting over the batch (ViT's position embedding).</summary>
        ParamAdd,
        /// <summary><c>out = cat([param.expand(batch, ...), in0], 1)</c>: a learned tensor prepended along the first dimension after the batch (ViT's class token).</summary>
        ParamPrepend,
        /// <summary><c>out = in0 * param</c>: the value multiplied by a learned tensor of the module, broadcasting (ConvNeXt's layer scale).</summary>
        ParamMul,
        /// <summary><c>out = interpolate(in0, size of in1's height and width, bilinear, align_corners false)</c>: resizing to an input's size at run time.</summary>
        Interpolate,
    }

    /// <summary>
    /// How a leaf's output relates to the spatial size of its input: what lets a network accept other input sizes than
    /// the declared one. Each kind states it where it adds its leaf (<see cref="GraphBuilder.Leaf"/>); the claim is
    /// checked by building the network again at other sizes (<see cref="NetworkGraph.Build"/>), so a kind that claims
    /// too much costs nothing but that check, and one that claims too little only keeps its networks at one size.
    /// </summary>
    internal enum SizeRule
    {
        /// <summary>Works at any size, and its output's size follows the input's (convolutions, pools, norms, activations...).</summary>
        Follows,
        /// <summary>Gives the same output size whatever the input's (adaptive pooling, selecting one token).</summary>
        Fixed,
        /// <summary>Its parameters or output depend on the input's size (Flatten, a Linear over flat features, a custom layer).</summary>
        Dependent,
    }

    /// <summary>
    /// One operation of a forward: its output value, the submodule it calls (if any), its input edges and, for an
    /// <see cref="StepOp.OptionalCall"/>, the block parameter that says whether the module exists.
    /// </summary>
    /// <remarks><see cref="Param"/> names the module's own learned tensor (<see cref="TensorParam"/>) a parameter step uses.</remarks>
    /// <remarks><see cref="Training"/>: at a network's top level, the step only an auxiliary output needs (it runs in training mode only).</remarks>
    internal sealed record Step(string Output, StepOp Op, string? Module, EquatableArray<string> Inputs, string? Flag = null, string? Param = null, bool Training = false);

    /// <summary>
    /// One module of the network with its compile-time facts. <see cref="ModuleType"/> is the TorchSharp layer
    /// (Leaf: "Conv2d") or the generated class's base name (Block: "BasicBlock"); <see cref="Type"/> is the name
    /// the summary shows ("Stem", "ResidualStage"). A block's <see cref="Body"/> reads its input as "x" and
    /// returns <see cref="Result"/>. <see cref="Tensors"/> are the block's own learned tensors (registered with
    /// register_parameter, not submodules), counted in <see cref="Parameters"/>. A leaf with a <see cref="CustomType"/> is a hand-written module (<c>[Custom&lt;T&gt;]</c>):
    /// the field has that type (and <see cref="CustomAccess"/>, which the type's own accessibility bounds) and is created
    /// with <c>new T()</c>; its output is the declared contract. <see cref="Size"/>: how a leaf's output follows its input's
    /// spatial size. <see cref="OwnModule"/>: the leaf's module is one of this library's (namespace <c>Dsl.Layers</c>,
    /// created with <c>new</c>) where TorchSharp has none with the same keys.
    /// A Sequential item built from a user block's layer knows that layer (<see cref="Declared"/>, its index among the
    /// block's attributes) and whether the layer has a <c>When</c> (<see cref="Conditional"/>): uses of the block whose
    /// Sequential lacks an item that others have are matched item by item through it, so the keys (0, 1, ... by
    /// position) may shift. <see cref="Flag"/>: the bool constructor argument of the block class under which such an
    /// item exists (<see cref="Blocks.BlockGeneralizer"/>).
    /// <see cref="Rendering"/>: how the leaf's module is rendered outside TorchSharp, as its kind declares it (its PyTorch
    /// constructor and its autocast rule; null only for a custom layer). <see cref="Initialized"/>: a TorchSharp layer whose constructor leaves its
    /// parameters uninitialised (GroupNorm in TorchSharp 0.107), created through <c>Dsl.Layers.Initialized</c>, which sets
    /// PyTorch's initial values. <see cref="Saves"/>: what the leaf's backward keeps, as its kind states it.
    /// <see cref="Init"/>: what <c>[Init]</c> rules select in a leaf with parameters, as its kind declares it.
    /// <see cref="Onnx"/>: how the ONNX exporter renders the leaf, as its kind declares it (<see cref="OnnxRendering"/>).
    /// </summary>
    internal sealed record GraphNode(
        string Name,
        string Path,
        string Type,
        int Depth,
        EquatableArray<long> Input,
        EquatableArray<long> Output,
        long Parameters,
        long MultiplyAdds,
        NodeForm Form,
        string ModuleType,
        EquatableArray<LeafArg> Args,
        EquatableArray<BlockParam> Params,
        EquatableArray<GraphNode> Children,
        EquatableArray<Step> Body,
        string Result,
        string? Doc,
        bool ZeroInitWeight,
        EquatableArray<TensorParam> Tensors = default,
        string? CustomType = null,
        SizeRule Size = SizeRule.Dependent,
        bool OwnModule = false,
        string? CustomAccess = null,
        int Declared = -1,
        bool Conditional = false,
        string? Flag = null,
        LeafRendering? Rendering = null,
        bool Initialized = false,
        SavedForBackward? Saves = null,
        LeafInit? Init = null,
        OnnxRendering? Onnx = null)
    {
        public static EquatableArray<long> Dims(params long[] dims) => new(dims);

        /// <summary>
        /// The module a step calls: a child's name, or a dotted path through Sequential children (<c>backbone.layer3</c>, a
        /// network's forward running a Sequential use's children one by one so that a later layer can read one of them with
        /// <c>From</c>). Null when there is no such module (an optional module this use lacks).
        /// </summary>
        public GraphNode? Find(string? path)
        {
            if (path is null) return null;
            GraphNode? node = this;
            foreach (var segment in path.Split('.'))
            {
                node = node is null ? null : System.Linq.Enumerable.FirstOrDefault(node.Children, c => c.Name == segment);
                if (node is null) return null;
            }
            return node;
        }

        /// <summary>This node and every node below it, in registration order (the order of named_modules).</summary>
        public System.Collections.Generic.IEnumerable<GraphNode> Descendants()
        {
            foreach (var child in Children)
            {
                yield return child;
                foreach (var grandchild in child.Descendants()) yield return grandchild;
            }
        }
    }

    /// <summary>A network declaration, its graph (the root is the network itself) and the problems found.</summary>
    internal sealed record NetworkModel(NetworkSpec Spec, GraphNode Root, EquatableArray<Problem> Problems, string InputVar = "input", bool AnySize = false,
        EquatableArray<Init.InitRuleModel> Init = default)
    {
        /// <summary>The inputs, in the forward's order (one for most networks).</summary>
        public EquatableArray<InputModel> Inputs { get; init; } = EquatableArray<InputModel>.Empty;

        /// <summary>
        /// With <see cref="AnySize"/>: the spatial sizes are free because every output is resized to the input's
        /// (<c>[Interpolate]</c>, a segmentation network), so the outputs' sizes follow the input's; false when it pools globally.
        /// </summary>
        public bool OutputsFollowInput { get; init; }

        /// <summary>The outputs of a network with <c>[Output]</c>s, the main output among them; empty: one output, the forward's result.</summary>
        public EquatableArray<OutputModel> Outputs { get; init; } = EquatableArray<OutputModel>.Empty;

        /// <summary>Whether generated code can be added to the class: a full module without problems, a stub otherwise.</summary>
        public bool CanEmit => System.Linq.Enumerable.All(Problems, p => p.AllowsStub);

        public bool HasErrors => Problems.Count > 0;

        /// <summary>The declared layers, in order.</summary>
        public EquatableArray<GraphNode> Layers => Root.Children;

        public EquatableArray<long> InputShape => Root.Input;

        public EquatableArray<long> OutputShape => Root.Output;

        public long Parameters => Root.Parameters;

        public long MultiplyAdds => Root.MultiplyAdds;
    }
}
