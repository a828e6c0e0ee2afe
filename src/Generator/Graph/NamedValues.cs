
namespace Dsl.Generator.Graph
{
    /// <summary>
    /// One output of a network (<c>[Output]</c>): its name, the forward's value it returns, its shape, whether it is computed
    /// in training mode only, its loss weight, and the attribute that declares it (-1: the main output nobody declared).
    /// </summary>
    internal sealed record OutputModel(string Name, string Var, EquatableArray<long> Shape, bool Auxiliary, double LossWeight, int Index);

    /// <summary>One input of a network: its name (the forward's argument), the forward's variable and its per-sample shape.</summary>
    internal sealed record InputModel(string Name, string Var, EquatableArray<long> Shape, long Vocabulary);

    // The network's top level as a dataflow of named values: inputs and layers are looked up by name (From, [Merge],
    // [Output]); when the network uses names, each layer writes a variable of its own so a value stays readable later.
    internal sealed partial class GraphBuilder
    {
        /// <summary>The top level's named values (inputs, then every layer built so far); null in blocks.</summary>
        public Dictionary<string, Value>? Named { get; set; }

        /// <summary>The outputs declared so far (<c>[Output]</c>), in declaration order.</summary>
        public List<OutputModel> Outputs { get; } = new();

        /// <summary>Whether each top-level layer writes a variable of its own (<c>x_conv1</c>): the network reads values by name.</summary>
        public bool OwnVariables { get; set; }

        /// <summary>The forward built so far.</summary>
        public IReadOnlyList<Step> Body => _body;

        /// <summary>Marks the top-level steps only auxiliary outputs need (<see cref="Step.Training"/>): they run in training mode only.</summary>
        public void MarkTraining(EquatableArray<OutputModel> outputs)
        {
            if (!outputs.Any(o => o.Auxiliary)) return;
            var main = Liveness.Needed(_body, outputs.Where(o => !o.Auxiliary).Select(o => o.Var), out _);
            for (int i = 0; i < _body.Count; i++)
                if (!main[i]) _body[i] = _body[i] with { Training = true };
        }

        /// <summary>Whether this builder is the network's top level; otherwise reports that <paramref name="kind"/> belongs there.</summary>
        public bool AtTopLevel(string kind)
        {
            if (Failed) return false;
            if (_parent is null && Scope is null && Named is not null) return true;
            ReportWhole(ProblemCode.InvalidValue, Path.Length == 0 ? kind : Path, kind, "[" + kind + "]", "a network's top level only: it names values of the network's forward");
            return false;
        }

        /// <summary>The named value <paramref name="name"/>, or a problem (DSL050) at <paramref name="argument"/> naming the values there are.</summary>
        /// <param name="what">How the message names the argument (default: the argument's own name).</param>
        public Value? Lookup(string name, string argument, string? what = null)
        {
            if (Named is not null && Named.TryGetValue(name, out var value)) return value;
            int dot = name.LastIndexOf('.');
            if (Named is not null && dot > 0 && dot < name.Length - 1 && Named.ContainsKey(name.Substring(0, name.IndexOf('.'))))
                return Inside(name.Substring(0, dot), name.Substring(dot + 1), name, argument, what);
            var known = Named?.Where(n => n.Key.IndexOf('.') < 0).Select(n => n.Key).ToList() ?? new List<string>();
            string hint = known.Count == 0 ? "nothing is named before it" : "the names before it, nearest first: " + string.Join(", ", Nearest.Order(name, known).Take(6));
            ReportAt(ProblemCode.UnknownValue, argument, what ?? argument, name, hint);
            return null;
        }

        /// <summary>
        /// A value inside a top-level Sequential use (<c>backbone.layer3</c>: the output of child <c>layer3</c> of the use
        /// <c>backbone</c>; deeper paths through Sequential children too). The forward then runs that use's children one by one
        /// instead of calling the Sequential (the same modules, so the same state_dict keys), and each child's output becomes a
        /// named value. A block with a forward of its own (a merge, a Body) keeps its values to itself: reported (DSL050), as is
        /// a child it does not have.
        /// </summary>
        private Value? Inside(string parent, string child, string name, string argument, string? what)
        {
            if (Lookup(parent, argument, what) is not { } outer) return null;
            var segments = parent.Split('.');
            var node = _children.FirstOrDefault(c => c.Name == segments[0]);
            for (int k = 1; k < segments.Length; k++) node = node?.Children.FirstOrDefault(c => c.Name == segments[k]);
            int at = -1;
            for (int i = 0; i < _body.Count; i++)
                if (_body[i].Op == StepOp.Call && _body[i].Module == parent && _body[i].Output == outer.Var) at = i;
            string? why = node is null || at < 0 ? $"'{parent}' is no layer's output (From reads inside a Sequential use of a block only)"
                : node.Form == NodeForm.Block ? $"'{parent}' is a {node.Type} block with a forward of its own (a merge, a shortcut or a Body), whose inner values only it sees; read '{parent}' itself, or read inside a block without a merge, which is a Sequential of its layers"
                : node.Form == NodeForm.Leaf ? $"'{parent}' is a {node.Type} layer, which has no layers inside it"
                : node.Children.All(c => c.Name != child) ? $"{node.Type} '{parent}' has the layers, nearest first: " + string.Join(", ", Nearest.Order(child, node.Children.Select(c => c.Name).ToList()).Take(6))
                : null;
            if (why is not null)
            {
                ReportAt(ProblemCode.UnknownValue, argument, what ?? argument, name, why);
                return null;
            }
            // The Sequential's call becomes one call per child, the last writing the Sequential's own variable.
            var taken = new HashSet<string>(_body.Select(s => s.Output).Concat(Named!.Values.Select(v => v.Var)), StringComparer.Ordinal);
            var steps = new List<Step>();
            string input = _body[at].Inputs[0];
            for (int k = 0; k < node!.Children.Count; k++)
            {
                var c = node.Children[k];
                string var = k == node.Children.Count - 1 ? outer.Var : NamePolicy.Unique(outer.Var + "_" + c.Name, taken);
                taken.Add(var);
                steps.Add(new Step(var, StepOp.Call, parent + "." + c.Name, new EquatableArray<string>(new[] { input })));
                Named[parent + "." + c.Name] = new Value(var, c.Output);
                input = var;
            }
            _body.RemoveAt(at);
            _body.InsertRange(at, steps);
            return Named[name];
        }

        /// <summary>
        /// Builds a top-level layer: on the value its <c>From</c> names (else <paramref name="x"/>), into a variable of its own
        /// when the network reads values by name, and remembers its result under <paramref name="name"/>.
        /// </summary>
        public Value BuildNamed(LayerSpec layer, string name, Value x)
        {
            var flow = x;
            if (layer.From is { } from)
            {
                if (Lookup(from, "From") is not { } source) return x;
                x = source;
            }
            // An output names a value; the layers after it go on from the previous layer's.
            if (layer is OutputSpec)
            {
                layer.Build(this, name, x);
                return flow;
            }
            Value result;
            if (OwnVariables && layer is not OutputSpec)
                using (WritingTo("x_" + name)) result = layer.Build(this, name, x);
            else result = layer.Build(this, name, x);
            if (Named is not null && layer is not OutputSpec && !Failed) Named[name] = result;
            return result;
        }
    }
}
