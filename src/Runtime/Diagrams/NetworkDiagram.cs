using System.Globalization;
using System.Text;
using Dsl.Runtime.Graph;

namespace Dsl.Runtime.Diagrams
{
    /// <summary>
    /// A network's architecture diagram, taken from its compile-time graph (docs/diagrams.md): one node per module at the
    /// chosen depth (expanded blocks become boxes around their parts), one node per merge or functional step of an
    /// expanded forward (<c>+</c>, <c>concat</c>, <c>×</c>, <c>relu</c>, a block's own tensor), and one edge per value
    /// passed, labelled with its per-sample shape. <see cref="ToDot"/> writes it for Graphviz, which lays it out.
    /// </summary>
    public sealed class NetworkDiagram
    {
        /// <summary>The node id of the network's input.</summary>
        public const string InputId = "input";

        /// <summary>The node id of the network's output.</summary>
        public const string OutputId = "output";

        private readonly List<DiagramNode> _nodes = new();
        private readonly List<DiagramEdge> _edges = new();
        private readonly List<DiagramCluster> _clusters = new();
        private readonly Dictionary<string, int> _calls = new();
        private int _ops;

        private NetworkDiagram(NetworkGraph graph, int depth)
        {
            Name = graph.Name;
            Depth = depth;
            TotalParameters = graph.Root.Parameters;
        }

        /// <summary>The network's class name.</summary>
        public string Name { get; }

        /// <summary>The network's trainable parameters.</summary>
        public long TotalParameters { get; }

        /// <summary>How deep modules are shown: 1 = the parts declared on the network, 2 = their children, ...</summary>
        public int Depth { get; }

        /// <summary>Every node: the input, modules, steps and the output.</summary>
        public IReadOnlyList<DiagramNode> Nodes => _nodes;

        /// <summary>Every edge, one per value a node passes to another.</summary>
        public IReadOnlyList<DiagramEdge> Edges => _edges;

        /// <summary>The expanded blocks and sequentials, drawn as boxes around their parts.</summary>
        public IReadOnlyList<DiagramCluster> Clusters => _clusters;

        /// <summary>The diagram of <paramref name="info"/>'s graph at <paramref name="depth"/>.</summary>
        /// <exception cref="NotSupportedException">The network carries no graph, or one this runtime cannot read.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="depth"/> is below 1.</exception>
        public static NetworkDiagram Of(NetworkInfo info, int depth = 1) => Of(NetworkGraph.Of(info), depth);

        /// <summary>The diagram of <paramref name="graph"/> at <paramref name="depth"/>.</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="depth"/> is below 1.</exception>
        public static NetworkDiagram Of(NetworkGraph graph, int depth = 1)
        {
            if (depth < 1)
                throw new ArgumentOutOfRangeException(nameof(depth), depth, "The depth is 1 (the parts declared on the network) or more (their children, ...).");
            var d = new NetworkDiagram(graph, depth);
            var root = graph.Root;
            // Several inputs and declared outputs: one node each, labelled with its name.
            var seeds = new Dictionary<string, Value>(StringComparer.Ordinal);
            if (graph.Inputs.Count > 1)
                foreach (var input in graph.Inputs)
                {
                    d._nodes.Add(new DiagramNode(InputId + ":" + input.Name, DiagramNodeKind.Input, input.Name, null, 0, null));
                    seeds[input.Var] = new Value(InputId + ":" + input.Name, input.Shape);
                }
            else
            {
                d._nodes.Add(new DiagramNode(InputId, DiagramNodeKind.Input, "input", null, 0, null));
                seeds[root.InputVar!] = new Value(InputId, root.Input);
            }
            var values = d.Forward(root, seeds, 0, null);
            Value Result(string var) => values.TryGetValue(var, out var v) ? v
                : throw new FormatException($"Network graph of {root.Describe()}: the network returns '{var}', which no step writes.");
            if (!graph.HasOutputs)
            {
                d._nodes.Add(new DiagramNode(OutputId, DiagramNodeKind.Output, "output", null, 0, null));
                d.Connect(Result(root.Result!), OutputId);
            }
            else foreach (var output in graph.Outputs)
            {
                d._nodes.Add(new DiagramNode(OutputId + ":" + output.Name, DiagramNodeKind.Output, output.Name + (output.Auxiliary ? " (training)" : ""), null, 0, null));
                d.Connect(Result(output.Var), OutputId + ":" + output.Name);
            }
            return d;
        }

        // A module is shown as one node when it is at the chosen depth or has nothing inside; otherwise its parts are.
        private Value Place(GraphNode module, Value input, int level, string? cluster)
        {
            if (level >= Depth || module.Children.Count == 0)
            {
                _calls[module.Path] = _calls.TryGetValue(module.Path, out var n) ? n + 1 : 1;
                string id = _calls[module.Path] == 1 ? module.Path : module.Path + "#" + _calls[module.Path].ToString(CultureInfo.InvariantCulture);
                var kind = module.Children.Count == 0 ? DiagramNodeKind.Layer : DiagramNodeKind.Block;
                _nodes.Add(new DiagramNode(id, kind, module.Name, module.Type, module.Parameters, cluster, module.Declared?.Family));
                Connect(input, id);
                return new Value(id, module.Output);
            }
            string clusterId = "cluster_" + _clusters.Count.ToString(CultureInfo.InvariantCulture);
            _clusters.Add(new DiagramCluster(clusterId, module.Path, module.Type, module.Parameters, cluster));
            return Expand(module, input, level, clusterId);
        }

        // The parts of a block (its forward's steps) or a sequential (its children in order).
        private Value Expand(GraphNode module, Value input, int level, string? cluster)
        {
            if (module.Form != NodeForm.Block)
            {
                var x = input;
                foreach (var child in module.Children) x = Place(child, x, level + 1, cluster);
                return x;
            }
            var values = Forward(module, new Dictionary<string, Value> { [module.InputVar!] = input }, level, cluster);
            return values.TryGetValue(module.Result!, out var result) ? result
                : throw new FormatException($"Network graph of {module.Describe()}: a step reads '{module.Result}' before any step writes it.");
        }

        // A block's forward from the values it starts with; every value it writes, by name.
        private Dictionary<string, Value> Forward(GraphNode module, Dictionary<string, Value> values, int level, string? cluster)
        {
            Value Get(string name) => values.TryGetValue(name, out var v) ? v
                : throw new FormatException($"Network graph of {module.Describe()}: a step reads '{name}' before any step writes it.");
            foreach (var step in module.Body)
            {
                switch (step.Op)
                {
                    case GraphOp.Call:
                        values[step.Out] = Place(Child(module, step.Module!), Get(step.In[0]), level + 1, cluster);
                        break;
                    case GraphOp.OptionalCall:
                        values[step.Out] = module.Child(step.Module!) is GraphNode present
                            ? Place(present, Get(step.In[0]), level + 1, cluster)
                            : Get(step.In[1]);
                        break;
                    default:
                        values[step.Out] = Op(step, step.In.Select(Get).ToArray(), module, cluster);
                        break;
                }
            }
            return values;
        }

        private Value Op(GraphStep step, Value[] inputs, GraphNode block, string? cluster)
        {
            var first = inputs[0].Shape;
            (string label, IReadOnlyList<long> shape) = step.Op switch
            {
                GraphOp.Relu => ("relu", first),
                GraphOp.Add => ("+", first),
                GraphOp.Multiply => ("×", first),
                GraphOp.Concat => ("concat", new[] { inputs.Sum(i => i.Shape[0]) }.Concat(first.Skip(1)).ToArray()),
                GraphOp.ParamAdd => ("+ " + step.Param, first),
                GraphOp.ParamMul => ("× " + step.Param, first),
                // Resized to the second input's height and width.
                GraphOp.Interpolate => ("interpolate", new[] { first[0] }.Concat(inputs[1].Shape.Skip(1)).ToArray()),
                GraphOp.ParamPrepend => ("prepend " + step.Param, new[] { first[0] + 1 }.Concat(first.Skip(1)).ToArray()),
                _ => throw new FormatException($"Network graph of {block.Describe()}: unknown step '{GraphOps.Name(step.Op)}'."),
            };
            string id = "op" + (++_ops).ToString(CultureInfo.InvariantCulture);
            var kind = inputs.Length > 1 ? DiagramNodeKind.Merge : DiagramNodeKind.Step;
            long parameters = step.Param is null ? 0 : block.Tensors.Where(t => t.Name == step.Param).Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
            _nodes.Add(new DiagramNode(id, kind, label, null, parameters, cluster));
            foreach (var input in inputs) Connect(input, id);
            return new Value(id, shape);
        }

        private static GraphNode Child(GraphNode block, string name) =>
            block.Child(name) ?? throw new FormatException($"Network graph of {block.Describe()}: a step calls '{name}', which is not one of its modules.");

        private void Connect(Value from, string to) => _edges.Add(new DiagramEdge(from.Node, to, Shape.Format(from.Shape.ToArray())));

        /// <summary>The diagram in Graphviz's DOT language: top to bottom, clusters for expanded blocks, shapes on the edges.</summary>
        public string ToDot()
        {
            var sb = new StringBuilder();
            sb.Append("digraph ").Append(Quote(Name)).Append(" {\n");
            sb.Append("  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, nodesep=0.3, ranksep=0.35, labelloc=t, label=")
              .Append(Quote($"{Name} ({Parameters(TotalParameters)}, depth {Depth})")).Append("];\n");
            sb.Append("  node [fontname=\"Helvetica\", fontsize=11, shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\"];\n");
            sb.Append("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\", fontcolor=\"#333333\"];\n");
            WriteCluster(sb, null, "  ");
            foreach (var e in _edges)
                sb.Append("  ").Append(Quote(e.From)).Append(" -> ").Append(Quote(e.To)).Append(" [label=").Append(Quote(e.Label)).Append("];\n");
            sb.Append("}\n");
            return sb.ToString();
        }

        private void WriteCluster(StringBuilder sb, string? cluster, string indent)
        {
            foreach (var n in _nodes.Where(n => n.Cluster == cluster))
                sb.Append(indent).Append(Quote(n.Id)).Append(' ').Append(Attributes(n)).Append(";\n");
            foreach (var c in _clusters.Where(c => c.Parent == cluster))
            {
                sb.Append(indent).Append("subgraph ").Append(c.Id).Append(" {\n");
                sb.Append(indent).Append("  label=").Append(Quote($"{c.Path} ({c.Type}, {Parameters(c.Parameters)})"))
                  .Append("; style=\"rounded,dashed\"; color=\"#888888\"; fontsize=10;\n");
                WriteCluster(sb, c.Id, indent + "  ");
                sb.Append(indent).Append("}\n");
            }
        }

        private static string Attributes(DiagramNode n) => n.Kind switch
        {
            DiagramNodeKind.Input or DiagramNodeKind.Output =>
                $"[label={Quote(n.Label)}, shape=oval, style=filled, fillcolor=\"#eeeeee\"]",
            DiagramNodeKind.Merge =>
                $"[label={Quote(n.Label)}, shape=circle, style=filled, fillcolor=\"#fde0c5\", fontsize=10, width=0.3, margin=0.02]",
            DiagramNodeKind.Step =>
                $"[label={Quote(n.Parameters > 0 ? $"{n.Label}\n{Parameters(n.Parameters)}" : n.Label)}, shape=ellipse, style=filled, fillcolor=\"#f2f2f2\", fontsize=9, height=0.25, margin=0.02]",
            DiagramNodeKind.Block =>
                $"[label={Quote($"{n.Label}\n{n.Type}\n{Parameters(n.Parameters)}")}, style=\"rounded,filled,bold\", fillcolor=\"#dce9f7\", peripheries=2]",
            _ => $"[label={Quote($"{n.Label}\n{n.Type}" + (n.Parameters > 0 ? $"\n{Parameters(n.Parameters)}" : ""))}, fillcolor={Quote(Fill(n.Family))}]",
        };

        // One colour per family of layer, as the layer's kind declares it (the graph's family), so the eye finds the
        // convolutions, norms and activations.
        private static string Fill(string? family) => family switch
        {
            "convolution" => "#cfe2f3",
            "normalization" => "#fff2cc",
            "pooling" => "#ead1dc",
            "dense" => "#d9d2e9",
            "pass_through" => "#f3f3f3",
            _ => "#d9ead3",
        };

        private static string Parameters(long n) => n.ToString("N0", CultureInfo.InvariantCulture) + " params";

        // DOT's quoted string: a backslash and a quote are escaped; a newline becomes a centred line break.
        private static string Quote(string text) =>
            "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

        private readonly record struct Value(string Node, IReadOnlyList<long> Shape);
    }

    /// <summary>What a diagram node stands for.</summary>
    public enum DiagramNodeKind
    {
        /// <summary>The network's input.</summary>
        Input,
        /// <summary>The network's output.</summary>
        Output,
        /// <summary>A leaf module (a layer).</summary>
        Layer,
        /// <summary>A block or sequential shown collapsed, as one node.</summary>
        Block,
        /// <summary>A step joining two or more values: <c>+</c>, <c>concat</c>, <c>×</c>.</summary>
        Merge,
        /// <summary>A functional step of one value: <c>relu</c>, or a block's own tensor added, multiplied or prepended.</summary>
        Step,
    }

    /// <summary>
    /// One node of a diagram: <see cref="Id"/> is the module's path (a later call of the same module adds <c>#2</c>, ...),
    /// <c>opN</c> for a step. <see cref="Family"/>: a layer's family as its kind declares it (its colour), null for others.
    /// </summary>
    public sealed record DiagramNode(string Id, DiagramNodeKind Kind, string Label, string? Type, long Parameters, string? Cluster, string? Family = null);

    /// <summary>One value passed from node <see cref="From"/> to node <see cref="To"/>; <see cref="Label"/> is its per-sample shape.</summary>
    public sealed record DiagramEdge(string From, string To, string Label);

    /// <summary>An expanded block or sequential: the box drawn around its parts.</summary>
    public sealed record DiagramCluster(string Id, string Path, string Type, long Parameters, string? Parent);
}
