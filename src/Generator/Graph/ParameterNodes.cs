
namespace Dsl.Generator.Graph
{
    /// <summary>How a learned tensor starts: zeros, normal with mean 0 and <see cref="TensorParam.Std"/>, or every value <see cref="TensorParam.Fill"/>.</summary>
    internal enum TensorInit { Zeros, Normal, Full }

    /// <summary>
    /// A learned tensor that belongs to a module itself rather than to a submodule: ViT's <c>class_token</c> and
    /// <c>pos_embedding</c>, ConvNeXt's layer scale. The module registers it with <c>register_parameter</c>, so its
    /// state_dict key is the module's path and <see cref="Name"/>; forward steps use it by name
    /// (<see cref="StepOp.ParamAdd"/>, <see cref="StepOp.ParamPrepend"/>). The exporters write it as an ONNX initializer
    /// and as an <c>nn.Parameter</c> of the PyTorch twin.
    /// </summary>
    /// <remarks>
    /// <see cref="Fill"/> is the constant a <see cref="TensorInit.Full"/> tensor starts at (a layer scale's 1e-6).
    /// <see cref="Channels"/> names the block parameter that gives the first dimension when uses of one block class
    /// differ in it (set by <see cref="Blocks.BlockGeneralizer"/>), so the class creates it from its constructor argument.
    /// </remarks>
    internal sealed record TensorParam(string Name, EquatableArray<long> Shape, TensorInit Init, double Std, double Fill = 0, string? Channels = null)
    {
        /// <summary>Elements of the tensor (its parameters).</summary>
        public long Count => Shape.Aggregate(1L, (a, d) => checked(a * d));

        /// <summary>The initialisation as the graph JSON and the exporters name it: zeros, normal or full.</summary>
        public string InitName => Init switch { TensorInit.Zeros => "zeros", TensorInit.Normal => "normal", _ => "full" };

        /// <summary>What uses of one class must share: the name, initialisation and shape, the first dimension by its parameter when it has one.</summary>
        public string Signature => Name + "=" + InitName + "/" + Literal.Of(Std) + "/" + Literal.Of(Fill) + "[" + (Channels is null ? Literal.Of(Shape[0]) : "$" + Channels)
            + string.Concat(Shape.Skip(1).Select(d => "," + Literal.Of(d))) + "]";
    }

    /// <summary>The parameter nodes of a module (<see cref="TensorParam"/>) and inlined blocks.</summary>
    internal sealed partial class GraphBuilder
    {
        private readonly GraphBuilder _owner;
        private readonly HashSet<string> _inlinedNames = new(System.StringComparer.Ordinal);
        private int _inlined;

        /// <summary>Whether name <paramref name="name"/> is still free in this module (submodules and tensors share one namespace); reports otherwise.</summary>
        private bool Claim(string name)
        {
            // An inlined block's layer is a field of the network class: a member may not have its class's name (CS0542).
            // The network's own layers are checked when their names are resolved.
            if (Composite && name == _owner.ClassName)
            {
                ReportWhole(ProblemCode.InvalidLayerName, name, "it is the network's class name; choose another name, such as '"
                    + NamePolicy.Suggest(name, NamePolicy.FieldProblem, n => !_names.Contains(n) && n != _owner.ClassName && (_owner.Reserved is null || !_owner.Reserved.Contains(n))) + "'");
                return false;
            }
            if (_names.Add(name))
            {
                if (IsInlined) _owner._inlinedNames.Add(name);
                return true;
            }
            // The network's own layer names are checked (and reported) when they are resolved; one an inlined block's
            // layer took is reported at this layer, never a network that silently ends here.
            if (!Composite && !_inlinedNames.Contains(name))
            {
                Abort();
                return false;
            }
            if (!Composite)
            {
                ReportAt(ProblemCode.InvalidLayerName, "Name", name, "an inlined block's layer of the network already has it; choose another name, such as '"
                    + NamePolicy.Suggest(name, NamePolicy.FieldProblem, n => !_names.Contains(n) && (Reserved is null || !Reserved.Contains(n))) + "'");
                return false;
            }
            ReportWhole(ProblemCode.InvalidLayerName, name, "another layer or parameter of '" + (Path.Length == 0 ? "the network" : Path) + "' already has it; choose another name, such as '"
                + NamePolicy.Suggest(name, NamePolicy.FieldProblem, n => !_names.Contains(n)) + "'");
            return false;
        }

        private long TensorCount(List<TensorParam> tensors, string path)
        {
            long total = 0;
            foreach (var t in tensors) total = Checked(() => total + t.Count, path, null);
            return total;
        }

        /// <summary>
        /// Declares a learned tensor of this module (registered with register_parameter). A Sequential has no tensors of
        /// its own, so there it is a problem naming <paramref name="kind"/>; returns whether it was added.
        /// </summary>
        public bool AddTensor(string kind, string name, EquatableArray<long> shape, TensorInit init, double std = 0, double fill = 0)
        {
            if (Failed) return false;
            if (IsSequential)
            {
                ReportWhole(ProblemCode.InvalidBlock, Path, $"[{kind}] is a learned tensor of the module that holds it, and a Sequential holds none: " +
                    "declare it in a block with a merge or a Body (a generated class), or in the network itself");
                return false;
            }
            long count = Checked(() => shape.Aggregate(1L, (a, d) => checked(a * d)), ChildPath(name), null);
            if (Failed || !Claim(name)) return false;
            _tensors.Add(new TensorParam(name, shape, init, std, fill));
            return count >= 0;
        }

        /// <summary><c>out = x + param</c>; the caller has checked that the tensor broadcasts to <paramref name="x"/>.</summary>
        public Value ParamAdd(string param, Value x, string? into = null) =>
            Failed ? x : AddStep(StepOp.ParamAdd, null, into, x.Shape, param, x);

        /// <summary><c>out = x * param</c>; the caller has checked that the tensor broadcasts to <paramref name="x"/>.</summary>
        public Value ParamMul(string param, Value x, string? into = null) =>
            Failed ? x : AddStep(StepOp.ParamMul, null, into, x.Shape, param, x);

        /// <summary><c>out = cat([param.expand(batch, ...), x], 1)</c> with output shape <paramref name="output"/>.</summary>
        public Value ParamPrepend(string param, Value x, EquatableArray<long> output, string? into = null) =>
            Failed ? x : AddStep(StepOp.ParamPrepend, null, into, output, param, x);

        /// <summary>
        /// The module's layer names resolved before they are built (the network's own and its class name; a block's and an
        /// inlined block's, see <see cref="Reserve"/>): an inlined block's automatic names avoid them.
        /// </summary>
        public ISet<string>? Reserved { get; set; }

        /// <summary>
        /// Names the module gives layers not built yet (a block's layers after an inlined one, an inlined block's own):
        /// the automatic names of inlined blocks built before them avoid them too.
        /// </summary>
        public void Reserve(IEnumerable<string> names) => (_owner.Reserved ??= new HashSet<string>(System.StringComparer.Ordinal)).UnionWith(names);

        /// <summary>The network's class name, set on its top-level builder: no field of the class may have it.</summary>
        public string? ClassName { get; set; }

        /// <summary>Whether this builder writes into another's module (an inlined block).</summary>
        public bool IsInlined => _owner != this;

        /// <summary>Whether the module already has <paramref name="name"/> or will have it (its claimed and reserved names).</summary>
        public bool IsTaken(string name) => _names.Contains(name) || (_owner.Reserved?.Contains(name) ?? false);

        /// <summary>The last number given to each automatic name prefix among the module's inlined layers (see <see cref="NetworkGraph.ResolveNames"/>).</summary>
        public Dictionary<string, int> AutomaticCounters => _owner._automaticCounters;

        private readonly Dictionary<string, int> _automaticCounters = new(System.StringComparer.Ordinal);

        /// <summary>
        /// A builder whose modules, tensors and steps go into this module itself (an inlined block: its layers become
        /// children of this module, as torchvision's EncoderBlock holds ln_1 ... mlp directly). Its forward writes a
        /// fresh variable (or <paramref name="into"/>) so merges can still read <paramref name="x"/>.
        /// </summary>
        public GraphBuilder Inline(Value x, string? into = null)
        {
            string var = into ?? DefaultVar + "_" + (++_owner._inlined).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new GraphBuilder(_problems, this, _work, Index, Naming, Path, Depth, composite: true, Composite ? Blame : null, var, share: this)
            {
                Input = x,
                NetworkInput = NetworkInput,
                Blocks = Blocks,
                BlockNesting = BlockNesting,
                Repeats = Repeats,
            };
        }
    }
}
