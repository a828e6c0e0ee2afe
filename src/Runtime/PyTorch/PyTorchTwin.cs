using System.Globalization;
using System.Text;
using Dsl.Names;
using Dsl.Runtime.Graph;

namespace Dsl.Runtime.PyTorch
{
    /// <summary>
    /// Writes the PyTorch twin of a generated network: a Python module with one <c>nn.Module</c> class per block
    /// kind and the network's class (same name, built without arguments), with the same submodule names, hence the
    /// same state_dict keys and shapes, and the same forward. It walks the network graph (docs/graph-format.md), the
    /// graph the C# module was emitted from, and specialises block classes the same way: the graph's <c>class</c>
    /// groups the uses of a block kind, parameters that differ between uses become <c>__init__</c> arguments, the
    /// others are written as values, and a submodule that only some uses have is created under its flag.
    /// </summary>
    public static class PyTorchTwin
    {
        /// <summary>The twin's Python source for <paramref name="network"/>.</summary>
        /// <exception cref="NotSupportedException">A layer kind has no PyTorch mapping (the message names the layer), or the network carries no graph.</exception>
        public static string Render(NetworkInfo network)
        {
            var graph = NetworkGraph.Of(network);
            return new Writer(graph, network).Write();
        }

        /// <summary>The twin's Python source for the network instance <paramref name="network"/>.</summary>
        public static string Render(IDeclaredNetwork network) => Render(network.Info);

        /// <summary>Whether the uses of a block class have a submodule: all of them, some (created under a flag), or none.</summary>
        private enum Presence { None, Some, All }

        /// <summary>One block class of the generator's plan (<see cref="GraphClass"/>), its uses, and its Python names.</summary>
        private sealed class BlockKind
        {
            private readonly Dictionary<string, GraphClassChild> _children;

            public BlockKind(GraphClass plan, string pythonName)
            {
                Plan = plan;
                PythonName = pythonName;
                _children = plan.Children.ToDictionary(c => c.Name, StringComparer.Ordinal);
            }

            /// <summary>The generator's plan of the class.</summary>
            public GraphClass Plan { get; }

            /// <summary>The Python class: the graph's name unless it would hide a name the twin uses (<see cref="PythonNames.Escape"/>).</summary>
            public string PythonName { get; }

            private Dictionary<string, string>? _arguments;

            /// <summary>
            /// The <c>__init__</c> argument of each varying parameter, by the graph's name: snake_case, with '_' appended
            /// until it is a free Python name (no keyword, nothing the twin's code reads) different from the others.
            /// </summary>
            public IReadOnlyDictionary<string, string> Arguments(ICollection<string> globals)
            {
                if (_arguments is not null) return _arguments;
                var taken = new HashSet<string>(globals, StringComparer.Ordinal) { "self" };
                _arguments = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var p in Varying)
                {
                    string name = PythonNames.Escape(PythonText.SnakeCase(p.Name), taken);
                    taken.Add(name);
                    _arguments[p.Name] = name;
                }
                return _arguments;
            }

            /// <summary>The uses, in the order a reader meets them (for the docstring).</summary>
            public List<GraphNode> Uses { get; } = new();

            public GraphNode First => Plan.Forward;

            /// <summary>The <c>__init__</c> arguments: the constructor arguments of the generator's plan (the graph's <c>classArgs</c>).</summary>
            public IReadOnlyList<GraphParam> Varying => First.ClassArgs;

            /// <summary>The class's forward, as the plan says.</summary>
            public IReadOnlyList<GraphStep> Body => Plan.Forward.Body;

            public Presence Has(string child) =>
                !_children.TryGetValue(child, out var c) ? Presence.None : c.Optional ? Presence.Some : Presence.All;
        }

        private sealed class Writer
        {
            private const string Indent = "    ";
            private const int MaxLine = 110; // torchvision's sources stay within 120 columns
            private readonly NetworkGraph _graph;
            private readonly NetworkInfo _info;
            private readonly List<BlockKind> _kinds = new();
            private readonly Dictionary<string, BlockKind> _byClass = new(StringComparer.Ordinal);
            private readonly StringBuilder _text = new();
            private bool _usesOrderedDict;
            private readonly string _className;
            private readonly HashSet<string> _globals = new(StringComparer.Ordinal);

            /// <summary>
            /// Refuses a graph whose module names Python cannot keep as they are (the generator reports such names, DSL013):
            /// a submodule of a block is an attribute (<c>self.name</c>), a Sequential's child a key of nn.Sequential.
            /// </summary>
            private static void CheckNames(GraphNode node)
            {
                foreach (var child in node.Children)
                {
                    string? why = node.Form == NodeForm.Sequential
                        ? (child.Name.Length == 0 || child.Name.Contains('.', StringComparison.Ordinal) || PythonNames.ModuleMembers.Contains(child.Name)
                            ? "nn.Sequential refuses it as a child's name (empty, with '.', or one of its attributes)" : null)
                        : IsIndex(child.Name) ? null : PythonNames.AttributeProblem(child.Name);
                    if (why is not null)
                        throw new NotSupportedException($"The PyTorch twin cannot name module '{child.Path}' '{child.Name}': {why}. Rename the layer in the declaration.");
                    CheckNames(child);
                }
            }

            public Writer(NetworkGraph graph, NetworkInfo info)
            {
                _graph = graph;
                _info = info;
                // Every name the twin defines at module level: the network's class and the block classes must differ
                // from each other and from what the twin imports and calls (PythonNames.TwinGlobals).
                CheckNames(graph.Root);
                _className = PythonNames.Escape(graph.Name);
                _globals.Add(_className);
                // The plan's order: the order a reader meets the classes, as in the C# module.
                foreach (var plan in graph.Classes)
                {
                    string python = PythonNames.Escape(plan.Name, _globals);
                    _globals.Add(python);
                    var kind = new BlockKind(plan, python);
                    _byClass[plan.Name] = kind;
                    _kinds.Add(kind);
                }
                foreach (var node in graph.Root.Descendants().Where(n => n.Form == NodeForm.Block))
                {
                    if (!_byClass.TryGetValue(node.Class ?? "", out var kind))
                        throw new NotSupportedException($"Block '{node.Path}' has no class in the network graph's plan: rebuild the network with this version of the Dsl generator.");
                    kind.Uses.Add(node);
                }
            }

            public string Write()
            {
                var body = new StringBuilder();
                foreach (var kind in _kinds) body.Append("\n\n").Append(BlockClass(kind));
                body.Append("\n\n").Append(NetworkClass());

                _text.Append(Header());
                _text.Append(body);
                return _text.ToString();
            }

            private string Header()
            {
                string name = _className;
                var sb = new StringBuilder();
                sb.Append("\"\"\"PyTorch twin of the Dsl network ").Append(name).Append(".\n\n");
                sb.Append(name).Append("() builds the declared network: ")
                  .Append(_graph.Inputs.Count > 1 ? "inputs " + string.Join(", ", _graph.Inputs.Select(i => i.Name + " " + Dims(i.Shape.ToArray()))) : "input " + Dims(_info.InputShape.ToArray()))
                  .Append(_graph.HasOutputs ? ", outputs (a dict) " + string.Join(", ", _graph.Outputs.Select(o => o.Name + " " + Dims(o.Shape.ToArray()) + (o.Auxiliary ? " (training only)" : "")))
                      : ", output " + Dims(_info.OutputShape.ToArray())).Append(", ")
                  .Append(_info.TotalParameters.ToString("N0", CultureInfo.InvariantCulture)).Append(" parameters.\n");
                sb.Append("Its modules, state_dict keys and forward are those of the .NET class ").Append(name).Append(", so weights\n");
                sb.Append("move between the two as safetensors files (train.py writes them; Dsl.Runtime's PyTorchCheckpoint\n");
                sb.Append("reads them). Written from the network's graph by Dsl.Runtime's ExportPyTorch: change the declaration\n");
                sb.Append("and export again rather than editing this file.\n\"\"\"\n\n");
                bool init = _graph.InitRules.Count > 0;
                var helperClasses = PyTorchLayers.Helpers(_graph).ToList();
                // The imports the helper classes need, read from their text rather than listed per kind.
                bool math = helperClasses.Any(h => h.Contains("math.", StringComparison.Ordinal));
                if (_usesOrderedDict) sb.Append("from collections import OrderedDict\n\n");
                if (init || math) sb.Append(init ? "import math\nimport re\n\n" : "import math\n\n");
                // Declared outputs: the forward returns a dict of them.
                if (_graph.HasOutputs) sb.Append("from typing import Dict\n\n");
                if (UsesTorch() || init || helperClasses.Any(h => h.Contains("torch.", StringComparison.Ordinal))) sb.Append("import torch\n");
                sb.Append("from torch import Tensor, nn\n");
                if (UsesFunctional()) sb.Append("from torch.nn import functional as F\n");
                sb.Append("\n__all__ = [").Append(PythonText.String(name)).Append("]\n");
                foreach (var helper in helperClasses)
                    sb.Append("\n\n").Append(helper);
                if (init) sb.Append("\n\n").Append(PyTorchInit.Helper);
                return sb.ToString();
            }

            /// <summary>Consecutive steps of the same mode (training only or not), in order.</summary>
            private static IEnumerable<List<GraphStep>> Runs(IReadOnlyList<GraphStep> steps)
            {
                for (int i = 0; i < steps.Count;)
                {
                    int end = i;
                    while (end < steps.Count && steps[end].Training == steps[i].Training) end++;
                    yield return steps.Skip(i).Take(end - i).ToList();
                    i = end;
                }
            }

            /// <summary>Whether the forward or the construction calls <c>torch.</c> (concatenation, learned tensors).</summary>
            private bool UsesTorch() =>
                Uses(GraphOp.Concat) || _graph.Root.Body.Concat(_kinds.SelectMany(k => k.Body)).Any(s => GraphOps.UsesOwnTensor(s.Op))
                || _graph.Root.Tensors.Count > 0 || _kinds.Any(k => k.First.Tensors.Count > 0);

            // The steps rendered as torch.nn.functional calls (F.relu, F.interpolate).
            private bool UsesFunctional() => Uses(GraphOp.Relu) || Uses(GraphOp.Interpolate);

            private bool Uses(GraphOp op) =>
                _graph.Root.Body.Concat(_kinds.SelectMany(k => k.Body)).Any(s => s.Op == op);

            private string BlockClass(BlockKind kind)
            {
                var first = kind.First;
                var varying = kind.Varying;
                var names = kind.Arguments(_globals);
                int uses = kind.Uses.Count;
                var plan = kind.Plan.Children.ToDictionary(c => c.Name, StringComparer.Ordinal);

                var w = new StringBuilder();
                w.Append("class ").Append(kind.PythonName).Append("(nn.Module):\n");
                string where = PythonText.DocText(string.Join(", ", kind.Uses.Take(4).Select(u => u.Path)) + (uses > 4 ? $" and {uses - 4} more" : ""));
                w.Append(Indent).Append("\"\"\"").Append(PythonText.DocText(first.Type)).Append(" of ").Append(_className).Append(", used at ").Append(where).Append('.');
                if (varying.Count > 0) w.Append("\n\n").Append(Indent).Append("The arguments are what differs between its uses.\n").Append(Indent);
                w.Append("\"\"\"\n\n");

                var parameters = varying.Select(p => $"{names[p.Name]}: {PythonText.TypeOf(p.Value)}").Prepend("self").ToList();
                w.Append(Indent).Append(Wrap("def __init__", parameters, Indent.Length, Indent)).Append(" -> None:\n");
                w.Append(Indent).Append(Indent).Append("super().__init__()\n");
                Func<string, string?> variable = param => names.TryGetValue(param, out var v) ? v : null;
                WriteTensors(w, first.Tensors, names);
                WriteConstruction(w, kind.Plan.Children.Select(c => c.Node).ToList(), n => !plan[n.Name].Optional, variable, module =>
                    plan[module].Flag is { } flag && names.TryGetValue(flag, out var v) ? v : null,
                    module => plan[module].Items);
                // A merge only some uses make: the forward reads the flag (torchvision's InvertedResidual keeps use_res_connect).
                foreach (var flag in kind.Body.Where(s => s.Op != GraphOp.OptionalCall && s.Flag is not null).Select(s => s.Flag!).Distinct())
                    if (names.TryGetValue(flag, out var v)) w.Append(Indent).Append(Indent).Append("self.").Append(v).Append(" = ").Append(v).Append('\n');
                w.Append('\n');
                w.Append(Indent).Append("def forward(self, x: Tensor) -> Tensor:\n");
                WriteSteps(w, kind.Body, kind.Has, flag => names.TryGetValue(flag, out var v) ? "self." + v : null);
                w.Append(Indent).Append(Indent).Append("return ").Append(first.Result).Append('\n');
                return w.ToString();
            }

            private string NetworkClass()
            {
                var root = _graph.Root;
                string name = _className;
                var w = new StringBuilder();
                w.Append("class ").Append(name).Append("(nn.Module):\n");
                w.Append(Indent).Append("\"\"\"").Append(name).Append(": ").Append(Dims(_info.InputShape.ToArray())).Append(" -> ")
                 .Append(Dims(_info.OutputShape.ToArray())).Append(", ")
                 .Append(_info.TotalParameters.ToString("N0", CultureInfo.InvariantCulture)).Append(" parameters.\"\"\"\n\n");
                w.Append(Indent).Append("# One sample's shape (batch excluded), as declared; train.py resizes images to it.\n");
                w.Append(Indent).Append("input_shape = ").Append(Tuple(_info.InputShape.ToArray())).Append('\n');
                w.Append(Indent).Append("output_shape = ").Append(Tuple(_info.OutputShape.ToArray())).Append('\n');
                // Token ids are in [0, vocabulary): the input's type and range (train.py checks its tokenizer against it).
                if (_graph.IsTokens) w.Append(Indent).Append("vocabulary = ").Append(_graph.Vocabulary.ToString(CultureInfo.InvariantCulture)).Append('\n');
                w.Append('\n');
                if (_graph.Inputs.Count > 1)
                {
                    w.Append(Indent).Append("# The forward's inputs, in order (train.py trains networks of one input).\n");
                    w.Append(Indent).Append("input_names = (").Append(string.Join(", ", _graph.Inputs.Select(i => PythonText.String(i.Name)))).Append(")\n\n");
                }
                if (_graph.HasOutputs)
                {
                    // What train.py (as the .NET trainer) trains: the main output, plus each weighted output's loss times its weight.
                    var main = _graph.Outputs.First(o => o.Var == root.Result);
                    w.Append(Indent).Append("# forward returns a dict of the outputs; train.py adds each weighted output's loss to the main one's.\n");
                    w.Append(Indent).Append("main_output = ").Append(PythonText.String(main.Name)).Append('\n');
                    w.Append(Indent).Append("loss_weights = {").Append(string.Join(", ", _graph.Outputs.Where(o => o != main && o.LossWeight != 0)
                        .Select(o => PythonText.String(o.Name) + ": " + PythonFloat(o.LossWeight)))).Append("}\n\n");
                }
                w.Append(Indent).Append("def __init__(self) -> None:\n");
                w.Append(Indent).Append(Indent).Append("super().__init__()\n");
                WriteTensors(w, root.Tensors);
                WriteConstruction(w, root.Children, _ => true, _ => null, _ => null);
                // A module connected to another once every layer exists (GPT-2's lm_head tied to the token embedding, an
                // attention to the Embedding whose padding it masks), as its kind declares.
                foreach (var hook in PyTorchLayers.AfterConstruction(_graph))
                    w.Append(Indent).Append(Indent).Append(hook).Append("(self)\n");
                PyTorchInit.WriteCall(w, _graph.InitRules, Indent + Indent);
                w.Append('\n');
                string two = Indent + Indent;
                bool outputs = _graph.HasOutputs;
                string returns = outputs ? "Dict[str, Tensor]" : "Tensor";
                if (_graph.Inputs.Count > 1)
                {
                    // Several inputs: each a named argument, checked against its declared shape.
                    w.Append(Indent).Append("def forward(self, ").Append(string.Join(", ", _graph.Inputs.Select(i => i.Var + ": Tensor"))).Append(") -> ").Append(returns).Append(":\n");
                    foreach (var i in _graph.Inputs)
                    {
                        // With anySize (a global pooling before any size-dependent layer) only the rank and the channels must match.
                        w.Append(two).Append("if ").Append(_graph.AnySize
                            ? $"{i.Var}.dim() != {i.Shape.Count + 1} or {i.Var}.shape[1] != {i.Shape[0]}"
                            : $"{i.Var}.shape[1:] != {Tuple(i.Shape.ToArray())}").Append(":\n");
                        w.Append(two).Append(Indent).Append("raise ValueError(f\"").Append(name).Append(" expects input '").Append(i.Name).Append("' of shape ")
                         .Append(Dims(i.Shape.ToArray())).Append(_graph.AnySize ? " (any spatial size)" : "").Append(", got {list(").Append(i.Var).Append(".shape)}\")\n");
                    }
                }
                else w.Append(Indent).Append("def forward(self, ").Append(root.InputVar).Append(": Tensor) -> ").Append(returns).Append(":\n");
                if (_graph.Inputs.Count > 1) { }
                else if (_graph.IsTokens)
                {
                    // Token ids [N, L]: L the declared length, or with anySize at most it.
                    long length = _info.InputShape[0];
                    string test = _graph.AnySize ? $"not 1 <= {root.InputVar}.shape[1] <= {length}" : $"{root.InputVar}.shape[1] != {length}";
                    w.Append(two).Append("if ").Append(root.InputVar).Append(".dim() != 2 or ").Append(test).Append(":\n");
                    w.Append(two).Append(Indent).Append("raise ValueError(f\"").Append(name).Append(" expects token ids of shape [N, ")
                     .Append(_graph.AnySize ? "L <= " : "").Append(length).Append("], got {list(").Append(root.InputVar).Append(".shape)}\")\n");
                }
                else if (_graph.AnySize)
                {
                    // The network pools globally before any size-dependent layer: only the rank and the channels must match.
                    w.Append(two).Append("if ").Append(root.InputVar).Append(".dim() != ").Append(_info.InputShape.Rank + 1).Append(" or ")
                     .Append(root.InputVar).Append(".shape[1] != self.input_shape[0]:\n");
                    w.Append(two).Append(Indent).Append("raise ValueError(f\"").Append(name).Append(" expects input of shape ")
                     .Append(Dims(_info.InputShape.ToArray())).Append(" (any spatial size), got {list(").Append(root.InputVar).Append(".shape)}\")\n");
                }
                else
                {
                    w.Append(two).Append("if ").Append(root.InputVar).Append(".shape[1:] != self.input_shape:\n");
                    w.Append(two).Append(Indent).Append("raise ValueError(f\"").Append(name).Append(" expects input of shape ")
                     .Append(Dims(_info.InputShape.ToArray())).Append(", got {list(").Append(root.InputVar).Append(".shape)}\")\n");
                }
                if (!outputs)
                {
                    WriteSteps(w, root.Body, _ => Presence.All);
                    w.Append(two).Append("return ").Append(root.Result).Append('\n');
                    return w.ToString();
                }
                // Declared outputs: a dict of them in declaration order (torchvision's IntermediateLayerGetter and segmentation
                // models); the steps only auxiliary outputs need run in training mode only, and those outputs are left out in eval.
                foreach (var run in Runs(root.Body))
                {
                    if (run[0].Training)
                    {
                        w.Append(two).Append("if self.training:\n");
                        WriteSteps(w, run, _ => Presence.All, indent: two + Indent);
                    }
                    else WriteSteps(w, run, _ => Presence.All);
                }
                w.Append(two).Append("result: Dict[str, Tensor] = {}\n");
                foreach (var o in _graph.Outputs)
                {
                    string line = $"result[{PythonText.String(o.Name)}] = {o.Var}";
                    if (o.Auxiliary) w.Append(two).Append("if self.training:\n").Append(two).Append(Indent).Append(line).Append('\n');
                    else w.Append(two).Append(line).Append('\n');
                }
                w.Append(two).Append("return result\n");
                return w.ToString();
            }

            /// <summary>The module's own learned tensors, first (PyTorch lists a module's own parameters before its submodules').</summary>
            /// <remarks>In a block class, a first dimension given by an <c>__init__</c> argument (<see cref="GraphTensor.Channels"/>) is that argument.</remarks>
            private static void WriteTensors(StringBuilder w, IReadOnlyList<GraphTensor> tensors, IReadOnlyDictionary<string, string>? variables = null)
            {
                foreach (var t in tensors)
                {
                    var shape = t.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)).ToList();
                    if (t.Channels is { } channels && variables is not null && variables.TryGetValue(channels, out var variable)) shape[0] = variable;
                    string dims = string.Join(", ", shape);
                    string value = t.Init switch
                    {
                        "zeros" => $"torch.zeros({dims})",
                        "full" => $"torch.full(({dims}{(shape.Count == 1 ? "," : "")}), {PythonFloat(t.Value)})",
                        _ => $"torch.empty({dims}).normal_(std={t.Std.ToString("R", CultureInfo.InvariantCulture)})",
                    };
                    w.Append(Indent).Append(Indent).Append("self.").Append(t.Name).Append(" = nn.Parameter(").Append(value).Append(")\n");
                }
            }

            /// <summary>A block's child keyed by an index (torchvision's ModuleList keys, <c>convs.0</c>), which is no Python attribute name.</summary>
            private static bool IsIndex(string name) => name.Length > 0 && name.All(char.IsAsciiDigit);

            /// <summary>The child <paramref name="name"/> of the module being written: <c>self.conv1</c>, or <c>getattr(self, "0")</c> for an index.</summary>
            // A dotted name is a path through Sequential children (the network's forward reading inside a Sequential use).
            private static string Self(string name) => name.Split('.').Aggregate("self", (o, n) => IsIndex(n) ? $"getattr({o}, \"{n}\")" : o + "." + n);

            /// <summary>A Python float literal: <c>1e-06</c>, <c>0.5</c>, <c>1.0</c>.</summary>
            private static string PythonFloat(double value)
            {
                string text = value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
                return text.IndexOfAny(new[] { '.', 'e', 'N', 'I' }) < 0 ? text + ".0" : text;
            }

            /// <summary>
            /// <c>self.name = ...</c> for each child in registration order (assignment order is PyTorch's registration
            /// order); a child only some uses have is created under its flag; then zero-initialised BatchNorm scales.
            /// </summary>
            private void WriteConstruction(StringBuilder w, IReadOnlyList<GraphNode> children, Func<GraphNode, bool> always,
                Func<string, string?> variable, Func<string, string?> flagOf, Func<string, IReadOnlyList<GraphNode>?>? itemsOf = null)
            {
                string two = Indent + Indent;
                foreach (var child in children)
                {
                    if (itemsOf?.Invoke(child.Name) is { } items)
                    {
                        WriteItems(w, child.Name, items, variable);
                        continue;
                    }
                    string expression = Create(child, variable, two, $"{two}self.{child.Name} = ".Length);
                    if (!always(child))
                    {
                        string flag = flagOf(child.Name)
                            ?? throw new NotSupportedException($"Block submodule '{child.Path}' exists in only some uses of its block but no block parameter decides it.");
                        expression = $"{expression} if {flag} else None";
                    }
                    w.Append(two).Append(IsIndex(child.Name) ? $"self.add_module(\"{child.Name}\", {expression})" : $"self.{child.Name} = {expression}").Append('\n');
                }
                foreach (var child in children.Where(c => c.ZeroInitWeight))
                {
                    w.Append(two).Append("# The block starts as the identity (torchvision's zero_init_residual).\n");
                    if (always(child)) w.Append(two).Append("nn.init.zeros_(").Append(Self(child.Name)).Append(".weight)\n");
                    else w.Append(two).Append("if ").Append(Self(child.Name)).Append(" is not None:\n")
                          .Append(two).Append(Indent).Append("nn.init.zeros_(").Append(Self(child.Name)).Append(".weight)\n");
                }
            }

            /// <summary>
            /// A Sequential of the class's plan built item by item, as torchvision's <c>layers.append</c>: an optional item
            /// under its flag; <c>append</c> keys each item by its position, as the uses' own keys are.
            /// </summary>
            private void WriteItems(StringBuilder w, string name, IReadOnlyList<GraphNode> items, Func<string, string?> variable)
            {
                string two = Indent + Indent;
                w.Append(two).Append("self.").Append(name).Append(" = nn.Sequential()\n");
                foreach (var item in items)
                {
                    string? flag = item.Flag is null ? null : variable(item.Flag);
                    string indent = flag is null ? two : two + Indent;
                    if (flag is not null) w.Append(two).Append("if ").Append(flag).Append(":\n");
                    string head = $"self.{name}.append(";
                    w.Append(indent).Append(head).Append(Create(item, variable, indent, indent.Length + head.Length)).Append(")\n");
                }
            }

            /// <summary>
            /// The expression that creates <paramref name="node"/>, starting at <paramref name="column"/> of a line
            /// indented by <paramref name="indent"/>.
            /// </summary>
            /// <remarks><paramref name="variable"/>: the <c>__init__</c> argument of a block parameter, or null where the value is written.</remarks>
            private string Create(GraphNode node, Func<string, string?> variable, string indent, int column)
            {
                switch (node.Form)
                {
                    case NodeForm.Leaf:
                        return PyTorchLayers.Create(node, a => a.Param is null ? null : variable(a.Param));
                    case NodeForm.Sequential:
                    {
                        bool numbered = node.Children.Select((c, i) => c.Name == i.ToString(CultureInfo.InvariantCulture)).All(ok => ok);
                        var items = node.Children.Select(c => Create(c, variable, indent + Indent, indent.Length + Indent.Length)).ToList();
                        if (numbered)
                        {
                            string inline = string.Join(", ", items);
                            if (node.Children.All(c => c.Form == NodeForm.Leaf) && indent.Length + inline.Length <= 80) return $"nn.Sequential({inline})";
                            return "nn.Sequential(\n" + string.Concat(items.Select(i => indent + Indent + i + ",\n")) + indent + ")";
                        }
                        // Named children: the names are the state_dict keys, so they must survive.
                        _usesOrderedDict = true;
                        var pairs = node.Children.Select((c, i) => $"({PythonText.String(c.Name)}, {items[i]})");
                        return "nn.Sequential(OrderedDict([\n" + string.Concat(pairs.Select(p => indent + Indent + p + ",\n")) + indent + "]))";
                    }
                    default:
                    {
                        var kind = _byClass[node.Class ?? node.Module];
                        var arguments = kind.Arguments(_globals);
                        // A value the enclosing class takes as its own argument is passed on.
                        var args = node.ClassArgs.Select(p => $"{arguments[p.Name]}="
                            + (node.ClassArgsFrom.TryGetValue(p.Name, out var from) && variable(from) is { } v ? v : PythonText.Literal(p.Value)));
                        return Wrap(kind.PythonName, args.ToList(), column, indent);
                    }
                }
            }

            /// <summary>
            /// The forward, one operation per line. <paramref name="presence"/> says which uses have a module: an optional
            /// call is a plain call (all), a test for None (some) or the pass-through (none).
            /// </summary>
            private static void WriteSteps(StringBuilder w, IEnumerable<GraphStep> steps, Func<string, Presence> presence, Func<string, string?>? flagOf = null, string? indent = null)
            {
                string two = indent ?? Indent + Indent;
                foreach (var step in steps)
                {
                    // A merge under a flag of the class's plan.
                    string? condition = step.Op != GraphOp.OptionalCall && step.Flag is not null ? flagOf?.Invoke(step.Flag) : null;
                    string line;
                    switch (step.Op)
                    {
                        case GraphOp.Call:
                            line = $"{step.Out} = {Self(step.Module!)}({step.In[0]})";
                            break;
                        case GraphOp.Relu:
                            line = $"{step.Out} = F.relu({step.In[0]}, inplace=True)";
                            break;
                        case GraphOp.Add:
                            // In place only on the value being written (a block's own output), never on its input.
                            line = step.Out == step.In[0] ? $"{step.Out} += {step.In[1]}" : $"{step.Out} = {step.In[0]} + {step.In[1]}";
                            break;
                        case GraphOp.Concat:
                            line = $"{step.Out} = torch.cat([{string.Join(", ", step.In)}], 1)";
                            break;
                        case GraphOp.Multiply:
                            line = $"{step.Out} = {step.In[0]} * {step.In[1]}";
                            break;
                        case GraphOp.ParamAdd:
                            line = $"{step.Out} = {step.In[0]} + self.{step.Param}";
                            break;
                        case GraphOp.ParamMul:
                            line = $"{step.Out} = {step.In[0]} * self.{step.Param}";
                            break;
                        case GraphOp.Interpolate:
                            line = $"{step.Out} = F.interpolate({step.In[0]}, size={step.In[1]}.shape[-2:], mode=\"bilinear\", align_corners=False)";
                            break;
                        case GraphOp.ParamPrepend:
                            // The tensor [1, 1, ...] repeated for every sample, then put before the tokens.
                            line = $"{step.Out} = torch.cat([self.{step.Param}.expand({step.In[0]}.shape[0], *self.{step.Param}.shape[1:]), {step.In[0]}], 1)";
                            break;
                        case GraphOp.OptionalCall:
                        {
                            var present = presence(step.Module!);
                            string module = step.Module!, from = step.In[0], passThrough = step.In[1];
                            if (present == Presence.All) line = $"{step.Out} = {Self(module)}({from})";
                            else if (present == Presence.Some) line = $"{step.Out} = {passThrough} if {Self(module)} is None else {Self(module)}({from})";
                            else if (passThrough != step.Out) line = $"{step.Out} = {passThrough}";
                            else continue;
                            break;
                        }
                        default:
                            throw new NotSupportedException($"The PyTorch twin cannot render the forward step '{GraphOps.Name(step.Op)}' (output '{step.Out}'): unknown operation.");
                    }
                    if (condition is not null) w.Append(two).Append("if ").Append(condition).Append(":\n").Append(Indent);
                    w.Append(two).Append(line).Append('\n');
                }
            }

            /// <summary>
            /// <c>head(a, b, c)</c> on one line when it fits in <see cref="MaxLine"/> from <paramref name="column"/>;
            /// otherwise one item per line below it, indented one level deeper than <paramref name="indent"/>.
            /// </summary>
            private static string Wrap(string head, IReadOnlyList<string> items, int column, string indent)
            {
                string inline = $"{head}({string.Join(", ", items)})";
                if (column + inline.Length <= MaxLine) return inline;
                return head + "(\n" + string.Concat(items.Select(i => indent + Indent + i + ",\n")) + indent + ")";
            }

            private static string Dims(long[] dims) => "[N, " + string.Join(", ", dims) + "]";

            private static string Tuple(long[] dims) => dims.Length == 1 ? $"({dims[0]},)" : "(" + string.Join(", ", dims) + ")";
        }
    }
}
