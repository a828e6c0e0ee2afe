
namespace Dsl.Generator.Graph
{
    /// <summary>A value flowing through a forward: the variable that holds it and its per-sample shape.</summary>
    internal readonly struct Value
    {
        public Value(string var, EquatableArray<long> shape, long vocabulary = 0) { Var = var; Shape = shape; Vocabulary = vocabulary; }

        public string Var { get; }
        public EquatableArray<long> Shape { get; }

        /// <summary>Token ids in [0, vocabulary) (the network's token input), or 0 for real numbers.</summary>
        public long Vocabulary { get; }

        /// <summary>Whether the value is integer token ids (only an Embedding takes them).</summary>
        public bool IsTokens => Vocabulary > 0;

        /// <summary>Channels of an image or sequence value (the first dimension).</summary>
        public long Channels => Shape.Count > 0 ? Shape[0] : 0;
    }

    /// <summary>
    /// A number used to build a layer: its value and, inside a block, the block parameter it comes from, so the
    /// emitted block class can take it in its constructor when it differs between the block's uses.
    /// </summary>
    internal readonly struct Num
    {
        public Num(long value, string? param = null) { Value = value; Param = param; }

        public long Value { get; }
        public string? Param { get; }

        public static implicit operator Num(long value) => new(value);
    }

    /// <summary>A yes/no option of a block, possibly a block parameter (see <see cref="Num"/>).</summary>
    internal readonly struct Flag
    {
        public Flag(bool value, string? param = null) { Value = value; Param = param; }

        public bool Value { get; }
        public string? Param { get; }

        public static implicit operator Flag(bool value) => new(value);
    }

    /// <summary>
    /// Builds the network graph while inferring shapes: layer kinds and block templates call it in forward order,
    /// and it records each submodule, each forward step, parameters and multiply-adds, and each problem at the
    /// declared attribute (and argument) responsible. After the first problem in a block it stops recording
    /// (values become unknown), as a failing forward would.
    /// </summary>
    internal sealed partial class GraphBuilder
    {
        /// <summary>
        /// The work one declaration may expand to (a bound on compile time, the only one): every module created, every
        /// block use (inlined ones create no module) and every expression a block use evaluates costs one step
        /// (<see cref="Spend"/>). A declaration that needs more is reported at the layer attribute that goes over it (DSL029).
        /// </summary>
        public const int WorkBudget = 100_000;

        private readonly List<Problem> _problems;
        private readonly List<GraphNode> _children;
        private readonly List<Step> _body;
        private readonly List<BlockParam> _params;
        private readonly List<TensorParam> _tensors;
        private readonly HashSet<string> _names;
        private readonly GraphBuilder? _parent;
        private readonly Counter _work;

        /// <param name="share">An inlined block's builder writes into the module of <paramref name="share"/> (see <see cref="Inline"/>).</param>
        private GraphBuilder(List<Problem> problems, GraphBuilder? parent, Counter modules, int index, Naming naming, string path, int depth, bool composite, string? blame, string defaultVar, GraphBuilder? share = null)
        {
            _problems = problems; _parent = parent; _work = modules;
            Index = index; Naming = naming; Path = path; Depth = depth; Composite = composite; Blame = blame; DefaultVar = defaultVar;
            _children = share?._children ?? new();
            _body = share?._body ?? new();
            _params = share?._params ?? new();
            _tensors = share?._tensors ?? new();
            _names = share?._names ?? new(StringComparer.Ordinal);
            _owner = share?._owner ?? this;
        }

        /// <summary>The builder of a network's top level; its forward writes <paramref name="flowVar"/> ("x" unless a layer has that name).</summary>
        public static GraphBuilder ForNetwork(List<Problem> problems, Naming naming, string flowVar = "x", IReadOnlyDictionary<string, Blocks.BlockDecl>? blocks = null) =>
            new(problems, null, new Counter(), -1, naming, "", -1, composite: false, blame: null, defaultVar: flowVar)
            {
                Blocks = blocks ?? new Dictionary<string, Blocks.BlockDecl>(),
            };

        /// <summary>The user-declared blocks the network may use, by key (<see cref="Blocks.RawAttribute.BlockName"/>).</summary>
        public IReadOnlyDictionary<string, Blocks.BlockDecl> Blocks { get; private set; } = new Dictionary<string, Blocks.BlockDecl>();

        /// <summary>How many user blocks enclose this builder (a bound on recursive blocks).</summary>
        public int BlockNesting { get; set; }

        /// <summary>
        /// Inside a user block: where the value of the block's parameter of that name is written in the declared
        /// attribute (<c>"#i"</c>, the use's i-th argument), or null when it is not written there (a default, an
        /// expression). Null at a network's top level.
        /// </summary>
        public Func<string, string?>? ParameterArgument { get; set; }

        /// <summary>Inside a user block: the use being built (its block, values and where it is written); null at a network's top level.</summary>
        public Blocks.BlockScope? Scope { get; set; }

        /// <summary>The repeated uses built so far in the whole network (<c>block_id</c>), shared by every builder of one build.</summary>
        public Blocks.RepeatCounter Repeats { get; set; } = new();

        /// <summary>Problems recorded so far (a block reports what it finds in the layers it reads).</summary>
        public List<Problem> Problems => _problems;

        private sealed class Counter { public int Count; }

        /// <summary>The declared attribute being built (its index among the layer attributes).</summary>
        public int Index { get; private set; }
        public Naming Naming { get; }
        public string Path { get; }
        public int Depth { get; }

        /// <summary>Inside a composite attribute, problems point at <see cref="Blame"/> (or the whole attribute).</summary>
        public bool Composite { get; }
        public string? Blame { get; private set; }

        /// <summary>The variable an operation writes unless told otherwise ("x" at the top level, "y" in a block).</summary>
        public string DefaultVar { get; }

        public bool Failed { get; private set; }

        /// <summary>Starts the next declared attribute at the top level.</summary>
        public void BeginAttribute(int index) => Index = index;

        public string ChildPath(string name) => Path.Length == 0 ? name : Path + "." + name;

        // ---- problems ------------------------------------------------------------------------------

        /// <summary>Reports a problem at <paramref name="argument"/> (or, inside a composite, at its blamed argument).</summary>
        public void Report(ProblemCode code, string? argument, params object[] args)
        {
            _problems.Add(Problem.At(code, Index, Composite ? Blame ?? ArgumentMap?.Invoke(argument) : argument, args));
            Fail();
        }

        /// <summary>
        /// Inside a user block: maps an argument of the layer being built to the argument of the top-level attribute that
        /// sets it (<c>"#i"</c>, the use's i-th argument), or null for the whole attribute. Set by the block builder.
        /// </summary>
        public Func<string?, string?>? ArgumentMap { get; set; }

        /// <summary>Reports a problem at the whole attribute (or, inside a composite, at its blamed argument).</summary>
        public void ReportWhole(ProblemCode code, params object[] args) => Report(code, null, args);

        /// <summary>Reports at an explicit argument, even inside a composite (a block's own fix, e.g. Use1x1Conv).</summary>
        public void ReportAt(ProblemCode code, string? argument, params object[] args)
        {
            _problems.Add(Problem.At(code, Index, argument, args));
            Fail();
        }

        /// <summary>Stops recording after a problem someone else reported (a block layer's argument check).</summary>
        public void Abort() => Fail();

        private void Fail()
        {
            for (var b = this; b is not null; b = b._parent) b.Failed = true;
        }

        /// <summary>Inside a composite, points the problems of the next operations at <paramref name="argument"/>.</summary>
        public IDisposable Blaming(string? argument)
        {
            var previous = Blame;
            if (Composite && argument is not null) Blame = argument;
            return new Restore(() => Blame = previous);
        }

        private sealed class Restore : IDisposable
        {
            private readonly Action _action;
            public Restore(Action action) => _action = action;
            public void Dispose() => _action();
        }

        /// <summary>
        /// Checked arithmetic for shapes, parameters and multiply-adds: a figure beyond <see cref="long"/> is a
        /// problem at the argument responsible, never an exception or a silently negative count.
        /// </summary>
        public long Checked(Func<long> figure, string path, string? argument)
        {
            try
            {
                return checked(figure());
            }
            catch (OverflowException)
            {
                Report(ProblemCode.InvalidValue, argument, path, argument ?? "size", "too large", "small enough that shapes, parameters and multiply-adds fit in 64 bits");
                return 0;
            }
        }

        // ---- block parameters ----------------------------------------------------------------------

        /// <summary>Declares a numeric parameter of this block (a constructor argument when it differs between uses).</summary>
        public Num Param(string name, long value)
        {
            AddParam(name, "long", value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return new Num(value, name);
        }

        /// <summary>Declares a yes/no parameter of this block.</summary>
        public Flag Param(string name, bool value)
        {
            AddParam(name, "bool", value ? "true" : "false");
            return new Flag(value, name);
        }

        /// <summary>
        /// Declares a real-valued parameter of this block (a drop probability). A user block's parameter already declared
        /// as a whole number (its value in this use is 0) becomes real, so every use declares it with the same type.
        /// </summary>
        public double Param(string name, double value)
        {
            int i = _params.FindIndex(p => p.Name == name);
            if (i >= 0 && _params[i].Type == "long") _params[i] = new BlockParam(name, "double", Literal.Of(value));
            else AddParam(name, "double", Literal.Of(value));
            return value;
        }

        /// <summary>Whether this builder is a generated block class (not the network, not a Sequential): its parameters become constructor arguments.</summary>
        public bool IsBlockClass => _parent is not null && !IsSequential;

        private void AddParam(string name, string type, string value)
        {
            if (_params.All(p => p.Name != name)) _params.Add(new BlockParam(name, type, value));
        }

        // ---- modules and steps ---------------------------------------------------------------------

        /// <summary>Whether a module may still be added (no failure so far, within the <see cref="WorkBudget"/>).</summary>
        private bool Admit() => Spend(1);

        /// <summary>
        /// Spends <paramref name="steps"/> of the declaration's <see cref="WorkBudget"/>; past it, reports DSL029 at the layer
        /// attribute being built (a use inside a block reports at the top-level use) and stops the build.
        /// </summary>
        public bool Spend(int steps)
        {
            if (Failed) return false;
            _work.Count += steps;
            if (_work.Count <= WorkBudget) return true;
            ReportAt(ProblemCode.WorkBudgetExceeded, null, Path.Length == 0 ? "network" : Path, WorkBudget.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return false;
        }

        /// <summary>Adds a TorchSharp layer and the step that calls it; returns its output (unchanged after a failure).</summary>
        public Value Leaf(string name, string type, Value x, EquatableArray<long> output, long parameters, long multiplyAdds, SizeRule size,
            IEnumerable<LeafArg> args, string? into = null, string? doc = null, bool zeroInitWeight = false, string? customType = null, bool ownModule = false, string? customAccess = null,
            LeafRendering? rendering = null, bool initialized = false, SavedForBackward? saves = null, OnnxRendering? onnx = null, LeafInit? init = null)
        {
            // Only a kind that declares it reads token ids (an Embedding) takes the network's token input.
            if (rendering?.Layout != ActivationLayout.TokenIds && !Reals(name, type, x)) return x;
            if (!Admit() || !Claim(name)) return x;
            _children.Add(new GraphNode(name, ChildPath(name), type, Depth + 1, x.Shape, output, parameters, multiplyAdds,
                NodeForm.Leaf, type, args.ToEquatableArray(), EquatableArray<BlockParam>.Empty, EquatableArray<GraphNode>.Empty,
                EquatableArray<Step>.Empty, "", doc, zeroInitWeight, CustomType: customType, Size: size, OwnModule: ownModule, CustomAccess: customAccess,
                Rendering: rendering, Initialized: initialized, Saves: saves, Onnx: onnx, Init: init));
            return AddStep(StepOp.Call, name, into, output, x);
        }

        /// <summary>
        /// Whether <paramref name="x"/> is real numbers; token ids (the network's token input) are reported at the layer
        /// (DSL043): only a kind whose rendering reads token ids (<see cref="ActivationLayout.TokenIds"/>, an Embedding) takes them.
        /// </summary>
        public bool Reals(string name, string kind, Value x)
        {
            if (Failed) return false;
            if (!x.IsTokens) return true;
            Report(ProblemCode.TokensNeedEmbedding, null, ChildPath(name), kind, Format(x.Shape));
            return false;
        }

        /// <summary>
        /// The module at state_dict path <paramref name="path"/> among those built so far (in this network, including the
        /// finished parts of the blocks still being built), or null.
        /// </summary>
        public GraphNode? Find(string path)
        {
            for (var b = this; b is not null; b = b._parent)
            {
                foreach (var child in b._children)
                {
                    if (child.Path == path) return child;
                    foreach (var d in child.Descendants()) if (d.Path == path) return d;
                }
            }
            return null;
        }

        /// <summary>Every module built so far in this network (the finished parts of the blocks still being built included).</summary>
        public System.Collections.Generic.IEnumerable<GraphNode> Built()
        {
            for (var b = this; b is not null; b = b._parent)
                foreach (var child in b._children)
                {
                    yield return child;
                    foreach (var d in child.Descendants()) yield return d;
                }
        }

        /// <summary>The functional in-place ReLU (no module): <c>y = y.relu_()</c>.</summary>
        public Value ReluInPlace(Value x, string? into = null) =>
            Failed ? x : AddStep(StepOp.ReluInPlace, null, into ?? x.Var, x.Shape, x);

        /// <summary>A merge of values (<see cref="StepOp.Add"/>, <see cref="StepOp.Concat"/>, <see cref="StepOp.Multiply"/>) whose shapes the caller has checked.</summary>
        public Value Merge(StepOp op, EquatableArray<long> output, params Value[] inputs) =>
            Failed ? inputs[0] : AddStep(op, null, null, output, inputs);

        /// <summary>The residual merge <c>y = y.add_(identity)</c>; the caller has checked that the shapes agree.</summary>
        public Value AddInPlace(Value y, Value identity) =>
            Failed ? y : AddStep(StepOp.AddInPlace, null, y.Var, y.Shape, y, identity);

        private string? _writeTo;

        /// <summary>Until disposed, operations write <paramref name="var"/> instead of <see cref="DefaultVar"/> (a block's parallel branches).</summary>
        public IDisposable WritingTo(string var)
        {
            var previous = _writeTo;
            _writeTo = var;
            return new Restore(() => _writeTo = previous);
        }

        private Value AddStep(StepOp op, string? module, string? into, EquatableArray<long> output, params Value[] inputs) =>
            AddStep(op, module, into, output, null, inputs);

        private Value AddStep(StepOp op, string? module, string? into, EquatableArray<long> output, string? param, params Value[] inputs)
        {
            // A module call checks its own input (Leaf); every other operation computes with real numbers.
            if (op is not (StepOp.Call or StepOp.OptionalCall) && inputs.FirstOrDefault(v => v.IsTokens) is { Var: not null } tokens)
            {
                Report(ProblemCode.TokensNeedEmbedding, null, ChildPath(param ?? module ?? Path), op.ToString(), Format(tokens.Shape));
                return inputs[0];
            }
            string var = into ?? _writeTo ?? DefaultVar;
            _body.Add(new Step(var, op, module, inputs.Select(v => v.Var).ToEquatableArray(), null, param));
            return new Value(var, output);
        }

        /// <summary>
        /// A submodule that exists only when <paramref name="present"/> (a projection shortcut, a stem's pool):
        /// <paramref name="build"/> adds it, applied to <paramref name="input"/>; without it the result is
        /// <paramref name="passThrough"/>. The emitted block class creates the module only where the flag is true.
        /// </summary>
        public Value Optional(Flag present, string module, Value input, Value passThrough, string into, Func<Value, Value> build)
        {
            if (Failed) return passThrough;
            var inputs = new EquatableArray<string>(new[] { input.Var, passThrough.Var });
            if (!present.Value)
            {
                _body.Add(new Step(into, StepOp.OptionalCall, module, inputs, present.Param));
                return new Value(into, passThrough.Shape);
            }
            int before = _body.Count;
            var result = build(input);
            if (Failed) return passThrough;
            // The module's own call becomes the optional call (one step: the module applied to the input).
            _body[before] = new Step(into, StepOp.OptionalCall, module, inputs, present.Param);
            return new Value(into, result.Shape);
        }

        /// <summary>Starts a generated block class (a submodule with its own forward); finish with <see cref="EndBlock"/>.</summary>
        public GraphBuilder Block(string name, Value x, string? blame = null) => Child(name, x, blame, "y");

        /// <summary>Starts a Sequential container; finish with <see cref="EndSequential"/>.</summary>
        public GraphBuilder Sequential(string name, Value x, string? blame = null) => Child(name, x, blame, "x");

        private GraphBuilder Child(string name, Value x, string? blame, string defaultVar) =>
            new(_problems, this, _work, Index, Naming, ChildPath(name), Depth + 1, composite: true, blame ?? (Composite ? Blame : null), defaultVar)
            {
                Input = new Value("x", x.Shape, x.Vocabulary),
                Blocks = Blocks,
                BlockNesting = BlockNesting,
                ArgumentMap = ArgumentMap,
                ParameterArgument = ParameterArgument,
                Scope = Scope,
                Repeats = Repeats,
            };

        /// <summary>Whether this builder is a Sequential container (its children run in order, named 0, 1, ... by default).</summary>
        public bool IsSequential => DefaultVar == "x" && _parent is not null;

        /// <summary>The block's input inside its forward ("x").</summary>
        public Value Input { get; private set; }

        /// <summary>
        /// The network's input where this builder's forward can read it (the network's own forward and blocks inlined into
        /// it); no value (a null <see cref="Value.Var"/>) inside a block class, whose forward sees only its own input.
        /// </summary>
        public Value NetworkInput { get; set; }

        /// <summary>Bilinear resizing of <paramref name="x"/> to the height and width of <paramref name="reference"/>, read at run time.</summary>
        public Value Interpolate(Value x, Value reference) =>
            Failed ? x : AddStep(StepOp.Interpolate, null, null, GraphNode.Dims(x.Shape[0], reference.Shape[1], reference.Shape[2]), x, reference);

        /// <summary>Adds the finished block <paramref name="block"/> as a submodule and calls it on <paramref name="x"/>.</summary>
        public Value EndBlock(GraphBuilder block, string type, string moduleType, Value x, Value result, string? doc = null, string? into = null)
        {
            if (block.Failed || !Admit()) return x;
            if (!Claim(block.Path.Substring(block.Path.LastIndexOf('.') + 1))) return x;
            return AddComposite(block, NodeForm.Block, type, moduleType, x, result, doc, into);
        }

        /// <summary>How many children this module has so far.</summary>
        public int ChildCount => _children.Count;

        /// <summary>Marks the children added since <paramref name="from"/> as built from the block's layer <paramref name="layer"/>.</summary>
        public void Declare(int from, int layer, bool conditional)
        {
            for (int i = from; i < _children.Count; i++) _children[i] = _children[i] with { Declared = layer, Conditional = conditional };
        }

        /// <summary>Adds the finished Sequential <paramref name="sequential"/> (children run in order) and calls it.</summary>
        public Value EndSequential(GraphBuilder sequential, string type, Value x, Value result, string? doc = null, string? into = null)
        {
            if (sequential.Failed || !Admit()) return x;
            if (!Claim(sequential.Path.Substring(sequential.Path.LastIndexOf('.') + 1))) return x;
            return AddComposite(sequential, NodeForm.Sequential, type, "Sequential", x, result, doc, into);
        }

        private Value AddComposite(GraphBuilder inner, NodeForm form, string type, string moduleType, Value x, Value result, string? doc, string? into)
        {
            string name = inner.Path.Substring(inner.Path.LastIndexOf('.') + 1);
            long parameters = TensorCount(inner._tensors, inner.Path), multiplyAdds = 0;
            foreach (var child in inner._children)
            {
                parameters = Checked(() => parameters + child.Parameters, inner.Path, null);
                multiplyAdds = Checked(() => multiplyAdds + child.MultiplyAdds, inner.Path, null);
            }
            if (Failed) return x;
            _children.Add(new GraphNode(name, inner.Path, type, inner.Depth, x.Shape, result.Shape, parameters, multiplyAdds, form, moduleType,
                EquatableArray<LeafArg>.Empty, inner._params.ToEquatableArray(), inner._children.ToEquatableArray(), inner._body.ToEquatableArray(),
                result.Var, doc, false, inner._tensors.ToEquatableArray()));
            return AddStep(StepOp.Call, name, into, result.Shape, x);
        }

        /// <summary>The network's root node: the declared layers and their forward.</summary>
        public GraphNode Root(string className, EquatableArray<long> input, Value result)
        {
            long parameters = TensorCount(_tensors, className), multiplyAdds = 0;
            foreach (var child in _children)
            {
                parameters = Checked(() => parameters + child.Parameters, className, null);
                multiplyAdds = Checked(() => multiplyAdds + child.MultiplyAdds, className, null);
            }
            return new GraphNode(className, "", className, -1, input, result.Shape, parameters, multiplyAdds, NodeForm.Block, className,
                EquatableArray<LeafArg>.Empty, EquatableArray<BlockParam>.Empty, _children.ToEquatableArray(), _body.ToEquatableArray(), result.Var, null, false, _tensors.ToEquatableArray());
        }

        /// <summary>Formats a shape as the diagnostics show it: [64, 28, 28].</summary>
        public static string Format(EquatableArray<long> dims) => "[" + string.Join(", ", dims) + "]";
    }
}
