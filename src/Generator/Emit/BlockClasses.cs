
namespace Dsl.Generator.Emit
{
    /// <summary>
    /// One generated class for a block kind, specialised to this network: parameters that are the same in every use
    /// are baked in as literals, modules that no use has are left out, and only what differs between uses becomes a
    /// constructor parameter (a module some uses lack becomes nullable, created under its flag).
    /// </summary>
    internal sealed class BlockClass
    {
        public BlockClass(string name, GraphNode first)
        {
            Name = name;
            Instances.Add(first);
            Children.AddRange(first.Children.Select(c => c.Name));
        }

        public string Name { get; }
        public List<GraphNode> Instances { get; } = new();

        /// <summary>Every submodule name any use has, in registration order.</summary>
        public List<string> Children { get; } = new();

        /// <summary>How each submodule is built (its signature), by name: every use that has it builds it the same way.</summary>
        public Dictionary<string, string> ChildSignatures { get; } = new(StringComparer.Ordinal);

        public GraphNode First => Instances[0];

        /// <summary>
        /// The class's forward: the longest of its uses' bodies, which differ at most in a merge under a flag
        /// (<see cref="Blocks.BlockGeneralizer.MergeStep"/>); the uses without it pass the flag false.
        /// </summary>
        public EquatableArray<Step> Body => BodyUse.Body;

        /// <summary>The use whose forward is the class's (<see cref="Body"/>): the first of the longest.</summary>
        public GraphNode BodyUse => Instances.OrderByDescending(i => i.Body.Count).First();

        /// <summary>Whether some uses lack the submodule <paramref name="name"/>: the class creates it under <see cref="FlagOf"/>.</summary>
        private bool IsOptional(string name) => Presence(name) < Instances.Count;

        /// <summary>The block parameter whose optional call decides the submodule <paramref name="name"/> (null: none does).</summary>
        private string? FlagOf(string name) => First.Body.FirstOrDefault(s => s.Op == StepOp.OptionalCall && s.Module == name)?.Flag;

        /// <summary>The varying parameters the forward reads (a merge's flag): kept in fields, since the forward runs after the constructor.</summary>
        public IEnumerable<BlockParam> ForwardFlags => Varying.Where(p => Body.Any(s => s.Op != StepOp.OptionalCall && s.Flag == p.Name));

        private IReadOnlyList<BlockParam>? _varying;
        private Dictionary<string, int>? _presence;

        /// <summary>Parameters whose value differs between uses, in declaration order: the constructor's parameters.</summary>
        public IReadOnlyList<BlockParam> Varying => _varying ??=
            First.Params.Where(p => Instances.Any(i => Value(i, p.Name) != p.Value) && IsReferenced(p.Name))
                // A whole number in some uses and a fraction in others (a drop probability of 0): a double.
                .Select(p => Instances.Any(i => i.Params.Any(q => q.Name == p.Name && q.Type == "double")) ? p with { Type = "double" } : p).ToList();

        /// <summary>The value <paramref name="node"/>, one of the uses, passes for the constructor parameter <paramref name="param"/>, as its type writes it.</summary>
        public string? Argument(GraphNode node, BlockParam param) =>
            Value(node, param.Name) is { } value && param.Type == "double" && long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long whole)
                ? Literal.Of((double)whole) : Value(node, param.Name);

        private Dictionary<string, string>? _arguments;

        /// <summary>
        /// The constructor's parameter for each varying block parameter, by the block parameter's name: the same name
        /// unless the constructor's body would read something else by it (a field of the class, register_module, nameof,
        /// the class itself), then <c>name_2</c>. The network's own uses write these names as named arguments.
        /// </summary>
        public IReadOnlyDictionary<string, string> Arguments
        {
            get
            {
                if (_arguments is not null) return _arguments;
                var taken = new HashSet<string>(Children, StringComparer.Ordinal) { Name, "register_module", "register_parameter", "nameof", "global", "var" };
                taken.UnionWith(First.Tensors.Select(t => t.Name));
                _arguments = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var p in Varying)
                {
                    string name = Model.NamePolicy.IsCSharpIdentifier(p.Name) ? p.Name : "@" + p.Name;
                    if (taken.Contains(name)) name = Model.NamePolicy.Unique(name, taken);
                    taken.Add(name);
                    _arguments[p.Name] = name;
                }
                return _arguments;
            }
        }

        /// <summary>How many uses have submodule <paramref name="name"/>.</summary>
        public int Presence(string name)
        {
            _presence ??= Instances.SelectMany(i => i.Children).GroupBy(c => c.Name).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            return _presence.TryGetValue(name, out int n) ? n : 0;
        }

        private readonly Dictionary<string, GraphNode> _child = new(StringComparer.Ordinal);

        /// <summary>
        /// The submodule <paramref name="name"/> of the first use that has it; a Sequential with optional items has every
        /// item any use has, in layer order (each optional one with its flag).
        /// </summary>
        public GraphNode Child(string name)
        {
            if (_child.TryGetValue(name, out var known)) return known;
            var all = Instances.SelectMany(i => i.Children).Where(c => c.Name == name).ToList();
            var child = all[0];
            if (all.Any(c => c.Form == NodeForm.Sequential && c.Children.Any(i => i.Flag is not null)))
                child = child with { Children = all.SelectMany(c => c.Children).GroupBy(i => i.Declared).OrderBy(g => g.Key).Select(g => g.First()).ToEquatableArray() };
            return _child[name] = child;
        }

        /// <summary>Whether the submodule <paramref name="name"/> is a Sequential whose items are built one by one, some under a flag.</summary>
        private bool HasOptionalItems(string name) => PlannedChild.BuiltItemByItem(Child(name));

        private IReadOnlyList<PlannedChild>? _planned;

        /// <summary>
        /// The class's submodules as it builds them, in registration order: what the C# class (<see cref="ModuleEmitter"/>)
        /// constructs and the graph's plan (<see cref="GraphJson"/>) tells the exporters. Read once every use is assigned.
        /// </summary>
        public IReadOnlyList<PlannedChild> Planned => _planned ??= Children.Where(n => Presence(n) > 0)
            .Select(n => new PlannedChild(n, Child(n), IsOptional(n), IsOptional(n) ? FlagOf(n) : null, HasOptionalItems(n))).ToList();

        /// <summary>The planned submodule <paramref name="name"/>.</summary>
        public PlannedChild PlannedOf(string name) => Planned.First(p => p.Name == name);

        /// <summary>A submodule's type, with its output shape when every use has the same.</summary>
        public string DescribeChild(string name)
        {
            var shapes = Instances.SelectMany(i => i.Children).Where(c => c.Name == name).Select(c => c.Output).Distinct().ToList();
            var child = Child(name);
            return shapes.Count == 1 ? $"{child.Type}, output {ModuleEmitter.Dims(shapes[0])}." : child.Type + ".";
        }

        /// <summary>A child and the Sequentials' contents: what this class constructs itself (a block inside has its own parameters).</summary>
        private static IEnumerable<GraphNode> Owned(GraphNode child)
        {
            yield return child;
            if (child.Form != NodeForm.Sequential) yield break;
            foreach (var grandchild in child.Children)
                foreach (var n in Owned(grandchild)) yield return n;
        }

        public static string? Value(GraphNode node, string param) => node.Params.FirstOrDefault(p => p.Name == param)?.Value;

        /// <summary>For a block inside a block class: the enclosing class's parameter that passes on <paramref name="param"/>, if any.</summary>
        public static string? From(GraphNode node, string param) => node.Params.FirstOrDefault(p => p.Name == param)?.From;

        // A parameter is referenced by the structure, which every use shares: looking at the first use that has each
        // submodule is enough (and keeps networks with thousands of blocks fast).
        private bool IsReferenced(string param) =>
            Children.Select(Child).SelectMany(Owned).Any(n => n.Args.Any(a => a.Param == param) || n.Flag == param || n.Params.Any(p => p.From == param))
            || Instances.Any(i => i.Body.Any(s => s.Flag == param))
            || First.Tensors.Any(t => t.Channels == param);
    }

    /// <summary>
    /// One submodule of a block class: its name, the node it is built like (a Sequential built item by item has every
    /// item any use has), whether only some uses have it, the block parameter that decides it (null: none, the module is
    /// created whenever the class is), and whether it is a Sequential built one item at a time, each optional item under its flag.
    /// </summary>
    internal sealed record PlannedChild(string Name, GraphNode Node, bool Optional, string? Flag, bool ItemByItem)
    {
        /// <summary>A submodule every use has, as the network's own children are.</summary>
        public static PlannedChild Always(GraphNode node) => new(node.Name, node, false, null, BuiltItemByItem(node));

        /// <summary>A Sequential with an optional item (<see cref="GraphNode.Flag"/>) is built one item at a time.</summary>
        public static bool BuiltItemByItem(GraphNode node) => node.Form == NodeForm.Sequential && node.Children.Any(i => i.Flag is not null);
    }

    /// <summary>Groups a network's blocks into <see cref="BlockClass"/>es (the nested classes of the generated module).</summary>
    internal sealed class BlockClasses
    {
        private readonly Dictionary<string, BlockClass> _byPath = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _signatures = new(StringComparer.Ordinal);

        public List<BlockClass> Classes { get; } = new();

        /// <summary>
        /// The block classes of a network. Their names avoid the network's own name, its layer fields and the user's
        /// members (a layer or nested class called "BasicBlock" makes the generated class "BasicBlock2").
        /// </summary>
        public static BlockClasses For(NetworkModel model)
        {
            var reserved = new HashSet<string>(StringComparer.Ordinal) { model.Spec.ClassName };
            reserved.UnionWith(model.Layers.Select(l => l.Name));
            reserved.UnionWith(model.Spec.UserMembers);
            reserved.UnionWith(Model.NamePolicy.GeneratedMembers);
            // The blocks the network uses by name: a nested class with such a name would capture [Use<Name>].
            reserved.UnionWith(model.Spec.Blocks.Select(b => b.Name));
            return new BlockClasses(model.Root, reserved);
        }

        public BlockClasses(GraphNode root, ISet<string> reservedTypeNames)
        {
            // Children first: a block's signature names the classes of the blocks inside it.
            foreach (var node in PostOrder(root).Where(n => n.Form == NodeForm.Block && n != root)) Assign(node, reservedTypeNames);
            // Emit in the order a reader meets the blocks.
            var order = PreOrder(root).Where(n => _byPath.ContainsKey(n.Path)).Select(n => _byPath[n.Path]).Distinct().ToList();
            Classes.Sort((a, b) => order.IndexOf(a).CompareTo(order.IndexOf(b)));
        }

        /// <summary>The class of the block at <paramref name="path"/>.</summary>
        public BlockClass Of(GraphNode node) => _byPath[node.Path];

        private void Assign(GraphNode node, ISet<string> reserved)
        {
            foreach (var candidate in Classes.Where(c => c.First.ModuleType == node.ModuleType))
            {
                if (!Compatible(candidate, node)) continue;
                candidate.Instances.Add(node);
                Merge(candidate.Children, node.Children.Select(c => c.Name).ToList());
                foreach (var (key, signature) in Signatures(node)) candidate.ChildSignatures[key] = signature;
                _byPath[node.Path] = candidate;
                return;
            }
            // A member may not have its class's name (CS0542): the class's name avoids its fields (an inlined block's layer
            // may be called "XModule").
            string name = node.ModuleType;
            for (int n = 2; reserved.Contains(name) || IsMember(node, name) || Classes.Any(c => c.Name == name); n++) name = node.ModuleType + n;
            var created = new BlockClass(name, node);
            foreach (var (key, signature) in Signatures(node)) created.ChildSignatures[key] = signature;
            Classes.Add(created);
            _byPath[node.Path] = created;
        }

        private static bool IsMember(GraphNode node, string name) => node.Children.Any(c => c.Name == name) || node.Tensors.Any(t => t.Name == name);

        /// <summary>Same forward, same parameters, and every submodule both have is built the same way.</summary>
        private bool Compatible(BlockClass c, GraphNode node)
        {
            var first = c.First;
            if (IsMember(node, c.Name)) return false;
            if (Core(first.Body) != Core(node.Body) || first.Result != node.Result) return false;
            // The same tensors; a first dimension given by a block parameter (BlockGeneralizer) may differ between uses.
            if (!first.Tensors.Select(t => t.Signature).SequenceEqual(node.Tensors.Select(t => t.Signature))) return false;
            if (!first.Params.Select(p => p.Name).SequenceEqual(node.Params.Select(p => p.Name))) return false;
            foreach (var (key, signature) in Signatures(node))
            {
                if (c.ChildSignatures.TryGetValue(key, out var known) && known != signature) return false;
            }
            // A module that some uses lack needs the flag that decides it.
            foreach (var step in first.Body.Where(s => s.Op == StepOp.OptionalCall && s.Flag is null))
            {
                bool inNode = node.Children.Any(x => x.Name == step.Module), inFirst = first.Children.Any(x => x.Name == step.Module);
                if (inNode != inFirst) return false;
            }
            return true;
        }

        /// <summary>A body without its flagged merge: uses that differ only there share a class that merges under the flag.</summary>
        private static EquatableArray<Step> Core(EquatableArray<Step> body) =>
            body.Any(s => s.Flag is not null && s.Op != StepOp.OptionalCall) ? body.Where(s => s.Flag is null || s.Op == StepOp.OptionalCall).ToEquatableArray() : body;

        /// <summary>Inserts the names of <paramref name="names"/> missing from <paramref name="union"/> after their predecessor.</summary>
        private static void Merge(List<string> union, List<string> names)
        {
            for (int i = 0; i < names.Count; i++)
            {
                if (union.Contains(names[i])) continue;
                int at = i == 0 ? 0 : union.IndexOf(names[i - 1]) + 1;
                union.Insert(at, names[i]);
            }
        }

        /// <summary>
        /// The signature of each submodule, by name; a block's Sequential whose items are numbered by position
        /// (<see cref="Blocks.BlockGeneralizer.Aligned"/>) is its items by layer, each optional one (<see cref="GraphNode.Flag"/>)
        /// apart (<c>conv/@0</c>), so uses that lack one share the class with uses that have it.
        /// </summary>
        private IEnumerable<(string Key, string Signature)> Signatures(GraphNode node)
        {
            foreach (var child in node.Children)
            {
                if (!Blocks.BlockGeneralizer.Aligned(child))
                {
                    yield return (child.Name, Signature(child));
                    continue;
                }
                string Item(GraphNode i) => "@" + i.Declared.ToString(System.Globalization.CultureInfo.InvariantCulture);
                yield return (child.Name, "S:" + child.Type + "[" + string.Join(";", child.Children.Where(i => i.Flag is null).Select(i => Item(i) + ":" + Signature(i))) + "]");
                foreach (var item in child.Children.Where(i => i.Flag is not null))
                    yield return (child.Name + "/" + Item(item), "?" + item.Flag + ":" + Signature(item));
            }
        }

        /// <summary>What a submodule's construction depends on, apart from the parameter values of its block.</summary>
        private string Signature(GraphNode node)
        {
            if (_signatures.TryGetValue(node.Path, out var known)) return known;
            string signature = node.Form switch
            {
                NodeForm.Leaf => "L:" + node.ModuleType + "(" + string.Join(",", node.Args.Select(a => a.Name + "=" + (a.Param is null ? a.Value : "$" + a.Param))) + ")" + (node.ZeroInitWeight ? "z" : "")
                    + (node.CustomType is null ? "" : "->" + string.Join("x", node.Output)),
                NodeForm.Sequential => "S:" + node.Type + "[" + string.Join(";", node.Children.Select(c => c.Name + ":" + Signature(c))) + "]",
                _ => "B:" + Of(node).Name + "(" + string.Join(",", node.Params.Select(p => p.Name + "=" + (p.From is null ? p.Value : "$" + p.From))) + ")",
            };
            _signatures[node.Path] = signature;
            return signature;
        }

        private static IEnumerable<GraphNode> PostOrder(GraphNode node)
        {
            foreach (var child in node.Children)
                foreach (var n in PostOrder(child)) yield return n;
            yield return node;
        }

        private static IEnumerable<GraphNode> PreOrder(GraphNode node)
        {
            yield return node;
            foreach (var n in node.Descendants()) yield return n;
        }
    }
}
