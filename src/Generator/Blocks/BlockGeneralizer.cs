using System.Globalization;

namespace Dsl.Generator.Blocks
{
    /// <summary>
    /// Lets uses of a user block that differ only in numbers share one generated class. A block's layers are read with
    /// each use's values, so its modules carry literals; this pass groups the uses with the same structure and marks each
    /// module argument whose value differs between them with the block parameter that has the same values in every use
    /// (<c>inChannels</c>, <c>outChannels</c>, <c>hidden</c>, ...), or a parameter of its own when none does. The block
    /// classes (<see cref="Emit.BlockClasses"/>) and the PyTorch twin then take those as constructor arguments, so
    /// DenseNet's 58 dense layers are one class with an <c>inChannels</c> argument rather than 58 classes.
    /// </summary>
    internal static class BlockGeneralizer
    {
        /// <summary>The name of the parameter that carries a user block's incoming channels.</summary>
        public const string InChannels = "inChannels";

        /// <summary>The generated class of a user block is "&lt;Block&gt;Module" (<see cref="BlockBuilder"/>).</summary>
        public static bool IsUserBlock(GraphNode node) => node.Form == NodeForm.Block && node.ModuleType == node.Type + "Module";

        public static GraphNode Apply(GraphNode root)
        {
            // Innermost kinds first: a block inside a class takes the arguments its own class is planned to take, which the
            // enclosing class passes on where its uses differ in them. Every use of a kind is planned at once, at the height
            // of its highest use (a use with a block inside and one without may share a class: MobileNetV3's SE).
            var heights = new Dictionary<string, int>(System.StringComparer.Ordinal);
            Height(root, heights);
            var uses = Walk(root).Where(n => n.Path.Length > 0 && IsUserBlock(n)).ToList();
            var level = uses.GroupBy(n => n.ModuleType).ToDictionary(g => g.Key, g => g.Max(n => heights[n.Path]), System.StringComparer.Ordinal);
            foreach (int height in level.Values.Distinct().OrderBy(h => h).ToList())
                root = Plan(root, Walk(root).Where(n => n.Path.Length > 0 && IsUserBlock(n) && level[n.ModuleType] == height).ToList());
            return root;
        }

        /// <summary>How many user blocks deep the user blocks inside <paramref name="node"/> go (0: none), by path.</summary>
        private static int Height(GraphNode node, Dictionary<string, int> heights)
        {
            int inside = node.Children.Select(c => Height(c, heights)).DefaultIfEmpty(-1).Max();
            if (!IsUserBlock(node)) return inside;
            heights[node.Path] = inside + 1;
            return inside + 1;
        }

        private static GraphNode Plan(GraphNode root, List<GraphNode> blocks)
        {
            var args = new Dictionary<(string Path, string Arg), string>();
            var added = new Dictionary<string, List<BlockParam>>(System.StringComparer.Ordinal);
            var tensorChannels = new Dictionary<(string Path, string Tensor), string>();
            var mergeFlags = new Dictionary<string, string>(System.StringComparer.Ordinal);
            var itemFlags = new Dictionary<string, string>(System.StringComparer.Ordinal);
            var bodies = new Dictionary<string, EquatableArray<Step>>(System.StringComparer.Ordinal);
            foreach (var uses in blocks.GroupBy(Structure).SelectMany(Agreeing).Where(g => g.Count > 1))
            {
                // The argument positions inside the block (not inside the blocks it contains, which are classes of their own),
                // by place: an item some uses lack shifts the keys of the items after it, so items are placed by their layer.
                // Arguments written as C# of their own (Upsample's double[] scale, its mode) stay literals: uses that differ there get classes of their own.
                var places = uses.Select(u => Places(u).ToList()).ToList();
                var at = places.Select(p => p.ToDictionary(x => x.Place, x => x.Node, System.StringComparer.Ordinal)).ToList();
                var positions = places.SelectMany(p => p).SelectMany(x => x.Node.Args.Where(a => a.Param is null && a.Code is null).Select(a => (x.Place, a.Name))
                    // A user block inside: its parameters, which its own class may take as arguments.
                    .Concat(IsUserBlock(x.Node) ? x.Node.Params.Select(q => (x.Place, Passed + q.Name)) : Enumerable.Empty<(string, string)>())).Distinct().ToList();
                var synthetic = new List<(string Param, string Type, string Place, string Arg)>();
                foreach (var (place, arg) in positions)
                {
                    // The uses that have the module: an optional item's values are compared where it exists.
                    var present = Enumerable.Range(0, uses.Count).Where(u => at[u].ContainsKey(place)).ToList();
                    var values = present.Select(u => ArgValue(at[u][place], arg)).ToList();
                    if (values.Distinct().Count() == 1 || values.Any(v => v is null)) continue;
                    string? param = uses[0].Params.Select(p => p.Name)
                        .FirstOrDefault(p => present.Select(u => uses[u].Params.First(q => q.Name == p).Value).SequenceEqual(values))
                        ?? synthetic.Where(x => present.Select(u => at[u].TryGetValue(x.Place, out var n) ? ArgValue(n, x.Arg) : null).SequenceEqual(values)).Select(x => x.Param).FirstOrDefault();
                    if (param is null)
                    {
                        param = ParamName(place, arg, uses[0], synthetic.Select(x => x.Param).ToList());
                        synthetic.Add((param, values.Select(v => Type(v!)).Contains("double") ? "double" : Type(values[0]!), place, arg));
                    }
                    foreach (int u in present) args[(at[u][place].Path, arg)] = param;
                }
                // A tensor whose first dimension differs takes it from the parameter with the same values (a layer scale's channels).
                foreach (var tensor in uses[0].Tensors)
                {
                    var sizes = uses.Select(u => u.Tensors.FirstOrDefault(t => t.Name == tensor.Name)?.Shape[0].ToString(CultureInfo.InvariantCulture)).ToList();
                    if (sizes.Distinct().Count() == 1 || sizes.Any(v => v is null)) continue;
                    string? param = uses[0].Params.Select(p => p.Name)
                        .FirstOrDefault(p => uses.Select(u => u.Params.First(q => q.Name == p).Value).SequenceEqual(sizes));
                    if (param is null) continue; // no parameter carries it: the uses get classes of their own
                    foreach (var use in uses) tensorChannels[(use.Path, tensor.Name)] = param;
                }
                var extra = new Dictionary<string, List<BlockParam>>(System.StringComparer.Ordinal);
                // A value of a module some uses lack: those uses pass the value of the first use that has it (the class ignores it).
                for (int u = 0; u < uses.Count; u++)
                {
                    var own = at[u];
                    extra[uses[u].Path] = synthetic.Select(p => new BlockParam(p.Param, p.Type,
                        ArgValue(own.TryGetValue(p.Place, out var n) ? n : at.First(a => a.ContainsKey(p.Place))[p.Place], p.Arg)!)).ToList();
                }
                var taken = synthetic.Select(p => p.Param).ToList();
                // Items of a Sequential that only some uses have (a layer with When): one class that adds them under a flag,
                // as torchvision's InvertedResidual appends the expansion only when expand_ratio != 1.
                foreach (var item in places.SelectMany(p => p).Where(x => x.Node.Conditional && IsItemPlace(x.Place)).Select(x => x.Place).Distinct().ToList())
                {
                    var present = at.Select(a => a.ContainsKey(item)).ToList();
                    if (present.All(p => p)) continue;
                    string flag = Unique(Dsl.Names.PythonNames.Sanitize("has_" + item.Replace(".@", "_")), uses[0], taken);
                    taken.Add(flag);
                    for (int u = 0; u < uses.Count; u++)
                    {
                        extra[uses[u].Path].Add(new BlockParam(flag, "bool", present[u] ? "true" : "false"));
                        if (present[u]) itemFlags[at[u][item].Path] = flag;
                    }
                }
                // Uses whose merge holds and uses whose merge does not (MergeWhen): one class that merges under a flag, as
                // torchvision's InvertedResidual keeps use_res_connect.
                var merging = uses.Select(u => MergeStep(u) is not null).ToList();
                string? mergeFlag = null;
                if (merging.Distinct().Count() > 1)
                {
                    string flag = mergeFlag = Unique(MergeFlag, uses[0], taken);
                    taken.Add(flag);
                    for (int u = 0; u < uses.Count; u++)
                    {
                        extra[uses[u].Path].Add(new BlockParam(flag, "bool", merging[u] ? "true" : "false"));
                        if (merging[u]) mergeFlags[uses[u].Path] = flag;
                    }
                }
                // A module of a layer with When that only some uses have (stochastic depth): one class that creates it under
                // a flag and calls it where it exists; the merge's flag when exactly the merging uses have it, as torchvision's
                // MBConv applies its stochastic depth under use_res_connect.
                if (Optionals(uses) is { } optionals)
                {
                    for (int u = 0; u < uses.Count; u++) bodies[uses[u].Path] = optionals.Bodies[u];
                    foreach (var (module, present) in optionals.Modules)
                    {
                        string flag = mergeFlag is not null && present.SequenceEqual(merging) ? mergeFlag
                            : Unique(Dsl.Names.PythonNames.Sanitize("has_" + module), uses[0], taken);
                        if (flag != mergeFlag)
                        {
                            taken.Add(flag);
                            for (int u = 0; u < uses.Count; u++) extra[uses[u].Path].Add(new BlockParam(flag, "bool", present[u] ? "true" : "false"));
                        }
                        for (int u = 0; u < uses.Count; u++)
                        {
                            bodies[uses[u].Path] = bodies[uses[u].Path].Select(s => s.Op == StepOp.OptionalCall && s.Module == module ? s with { Flag = flag } : s).ToEquatableArray();
                        }
                    }
                }
                foreach (var pair in extra.Where(e => e.Value.Count > 0)) added[pair.Key] = pair.Value;
            }
            return args.Count == 0 && tensorChannels.Count == 0 && added.Count == 0 ? root : Rewrite(root, args, added, tensorChannels, mergeFlags, itemFlags, bodies);
        }

        private static IEnumerable<GraphNode> Walk(GraphNode node)
        {
            yield return node;
            foreach (var d in node.Descendants()) yield return d;
        }

        /// <summary>
        /// The modules a block builds itself (its children and the Sequentials' contents, not the contents of blocks inside
        /// it), each with its place in the block: its path below the block, where the items of an aligned Sequential are
        /// named by the layer they come from (<c>conv.@1.0</c>: the first module of the item that layer 1 built).
        /// </summary>
        private static IEnumerable<(string Place, GraphNode Node)> Places(GraphNode block)
        {
            foreach (var child in block.Children)
            {
                if (!Aligned(child))
                {
                    foreach (var p in Within(child.Name, child)) yield return p;
                    continue;
                }
                yield return (child.Name, child);
                foreach (var item in child.Children)
                    foreach (var p in Within(child.Name + ".@" + item.Declared.ToString(CultureInfo.InvariantCulture), item)) yield return p;
            }
        }

        private static IEnumerable<(string Place, GraphNode Node)> Within(string place, GraphNode node)
        {
            yield return (place, node);
            if (node.Form != NodeForm.Sequential) yield break;
            foreach (var child in node.Children)
                foreach (var p in Within(place + "." + child.Name, child)) yield return p;
        }

        /// <summary>An item of an aligned Sequential (<c>conv.@0</c>), not a module inside one.</summary>
        private static bool IsItemPlace(string place) => place.IndexOf(".@", System.StringComparison.Ordinal) is int i && i > 0 && place.IndexOf('.', i + 2) < 0;

        /// <summary>
        /// A block's Sequential (its Body) whose items are keyed 0, 1, ... by position and come from distinct layers of the
        /// block: uses whose items differ in a layer with When can share a class that builds the items in order, each
        /// optional one under a flag, and numbers them as it goes (nn.Sequential's keys, as torchvision's layers.append).
        /// </summary>
        /// <remarks>
        /// An empty one (a shortcut whose one layer has a When that does not hold: nothing, the input itself) is aligned
        /// too, so it shares a class with the uses whose item exists (BlockNet's ResidualSE, torchvision's downsample).
        /// </remarks>
        public static bool Aligned(GraphNode node) =>
            node.Form == NodeForm.Sequential
            && node.Children.Select((c, i) => c.Declared >= 0 && c.Name == i.ToString(CultureInfo.InvariantCulture)).All(ok => ok)
            && node.Children.Select(c => c.Declared).Distinct().Count() == node.Children.Count;

        /// <summary>Marks a position that is a parameter of a block inside, not a module's argument.</summary>
        private const string Passed = "#";

        private static string? ArgValue(GraphNode node, string arg) => arg.StartsWith(Passed, System.StringComparison.Ordinal)
            ? node.Params.FirstOrDefault(p => p.Name == arg.Substring(Passed.Length))?.Value
            : node.Args.FirstOrDefault(a => a.Name == arg)?.Value;

        /// <summary>The name of the flag a class takes when some of its uses merge and others do not (torchvision's <c>use_res_connect</c>).</summary>
        public const string MergeFlag = "merge";

        /// <summary>
        /// A user block's merge with its input, the last step <c>y = merge(x, y)</c> (Add, Concat or Multiply), or null
        /// where the block does not merge in this use (MergeWhen false). Leaving it out leaves the body's result as it is.
        /// </summary>
        public static Step? MergeStep(GraphNode block) =>
            block.Body.Count > 0 && block.Body[block.Body.Count - 1] is { Op: StepOp.Add or StepOp.Concat or StepOp.Multiply } last
                && last.Inputs.Count == 2 && last.Inputs[0] == "x" && last.Output == last.Inputs[1] && last.Output == block.Result ? last : null;

        /// <summary>What two uses must share to share a class: the forward but for the merge, and every module's kind and argument names (values may differ).</summary>
        private static string Structure(GraphNode block)
        {
            var skipped = Skippable(block);
            return block.ModuleType + "|" + string.Join(";", block.Body.Where(s => s != MergeStep(block) && !(s.Module is { } m && skipped.Contains(m)))
                .Select(s => s.Output + "=" + s.Op + ":" + s.Module + "(" + string.Join(",", s.Inputs) + ")"))
            + "|" + string.Join(",", block.Params.Select(p => p.Name))
            // A module of a layer with When that some uses lack (Skippable) is compared among the uses that have it (Agreeing).
            + "|" + string.Join(";", block.Children.Where(c => !skipped.Contains(c.Name)).Select(c => Aligned(c)
                // Matched by layer; the items of a layer with When are compared among the uses that have them (Agreeing).
                ? c.Name + ":A[" + string.Join(";", c.Children.Where(i => !i.Conditional).Select(ItemStructure)) + "]"
                : ChildStructure(c)))
            // The block's own tensors (a layer scale, a position embedding): name, rank and initialisation; the sizes may differ.
            + "|" + string.Join(";", block.Tensors.Select(t => t.Name + "/" + t.Shape.Count + "/" + t.InitName + "/" + Literal.Of(t.Std) + "/" + Literal.Of(t.Fill)));
        }

        /// <summary>
        /// The block's own modules that a use may lack and still share a class with uses that have them: a leaf, the one
        /// module of a layer with When, called once as <c>y = m(y)</c>, so leaving the call out leaves the value as it is.
        /// Anything else some uses lack (a block used under When, several modules of one layer) keeps its uses in classes of their own.
        /// </summary>
        private static HashSet<string> Skippable(GraphNode block)
        {
            var names = new HashSet<string>(System.StringComparer.Ordinal);
            foreach (var child in block.Children)
            {
                if (child.Form != NodeForm.Leaf || !child.Conditional || child.Declared < 0 || child.CustomType is not null) continue;
                if (block.Children.Count(c => c.Declared == child.Declared) != 1) continue;
                var calls = block.Body.Where(s => s.Module == child.Name).ToList();
                if (calls.Count == 1 && calls[0] is { Op: StepOp.Call } call && call.Inputs.Count == 1 && call.Inputs[0] == call.Output) names.Add(child.Name);
            }
            return names;
        }

        /// <summary>
        /// For uses of one structure that differ in which <see cref="Skippable"/> modules they have: each such module with
        /// the uses that have it, every use's call of it made an optional call (its input passed on where the module is
        /// absent) at the place it has in the uses that have it. Null where the uses differ in nothing of the kind, or
        /// where the calls cannot be placed alike in every use (the uses then get classes of their own, as before).
        /// </summary>
        private static (List<(string Module, List<bool> Present)> Modules, List<EquatableArray<Step>> Bodies)? Optionals(List<GraphNode> uses)
        {
            var skipped = uses.Select(Skippable).ToList();
            var modules = skipped.SelectMany(x => x).Distinct().ToList();
            var result = modules.Select(m => (Module: m, Present: skipped.Select(x => x.Contains(m)).ToList())).Where(m => m.Present.Contains(false)).ToList();
            if (result.Count == 0) return null;
            // The use with the most of them gives the order; every use's modules must be among its.
            int full = Enumerable.Range(0, uses.Count).OrderByDescending(u => skipped[u].Count).First();
            if (skipped.Any(x => !x.IsSubsetOf(skipped[full]))) return null;
            var flagged = new HashSet<string>(result.Select(r => r.Module), System.StringComparer.Ordinal);
            var bodies = new List<EquatableArray<Step>>();
            foreach (var use in uses)
            {
                var body = Placed(uses[full], use, flagged);
                if (body is null) return null;
                bodies.Add(body.Value);
            }
            return (result, bodies);
        }

        /// <summary>
        /// <paramref name="use"/>'s forward with the calls of <paramref name="flagged"/> modules made optional calls where
        /// <paramref name="full"/> has them, or null where the rest of the two forwards differ (the merge aside).
        /// </summary>
        private static EquatableArray<Step>? Placed(GraphNode full, GraphNode use, HashSet<string> flagged)
        {
            var own = use.Body.Where(s => s != MergeStep(use)).ToList();
            var placed = new List<Step>();
            int j = 0;
            foreach (var step in full.Body.Where(s => s != MergeStep(full)))
            {
                if (step.Module is { } module && flagged.Contains(module))
                {
                    if (j < own.Count && own[j].Module == module) j++;
                    placed.Add(new Step(step.Output, StepOp.OptionalCall, module, new EquatableArray<string>(new[] { step.Inputs[0], step.Inputs[0] })));
                    continue;
                }
                if (j >= own.Count || own[j] != step) return null;
                placed.Add(own[j++]);
            }
            if (j != own.Count) return null;
            if (MergeStep(use) is { } merge) placed.Add(merge);
            return placed.ToEquatableArray();
        }

        private static string ItemStructure(GraphNode item) => "@" + item.Declared.ToString(CultureInfo.InvariantCulture) + ":" + Shape(item);

        /// <summary>
        /// Splits a group of uses with the same structure where the items of a layer with When differ between uses that
        /// have them: uses that share a class agree on every optional item either has.
        /// </summary>
        private static IEnumerable<List<GraphNode>> Agreeing(IEnumerable<GraphNode> group)
        {
            var parts = new List<(Dictionary<string, string> Items, List<GraphNode> Uses)>();
            foreach (var use in group)
            {
                var skippable = Skippable(use);
                var items = use.Children.Where(Aligned)
                    .SelectMany(c => c.Children.Where(i => i.Conditional).Select(i => (Key: c.Name + ItemStructure(i).Split(':')[0], Value: ItemStructure(i))))
                    // A module some uses lack (Skippable): the same name and construction for its layer, and its name for no other layer.
                    .Concat(use.Children.Where(c => skippable.Contains(c.Name)).SelectMany(c => new[]
                    {
                        (Key: "?@" + c.Declared.ToString(CultureInfo.InvariantCulture), Value: ChildStructure(c)),
                        (Key: "?#" + c.Name, Value: c.Declared.ToString(CultureInfo.InvariantCulture)),
                    }))
                    .ToList();
                int index = parts.FindIndex(p => items.All(i => !p.Items.TryGetValue(i.Key, out var known) || known == i.Value));
                if (index < 0)
                {
                    parts.Add((new Dictionary<string, string>(System.StringComparer.Ordinal), new List<GraphNode>()));
                    index = parts.Count - 1;
                }
                parts[index].Uses.Add(use);
                foreach (var (key, value) in items) parts[index].Items[key] = value;
            }
            return parts.Select(p => p.Uses);
        }

        private static string ChildStructure(GraphNode node) => node.Name + ":" + Shape(node);

        /// <summary>A module's kind and construction as far as uses sharing a class must agree on it (not its name).</summary>
        private static string Shape(GraphNode node) => node.Form switch
        {
            // Argument names only: a value that is the layer's default in some uses (stride 1) and not in others (stride 2)
            // is a value that differs, hence a constructor argument, as torchvision's InvertedResidual takes its stride.
            NodeForm.Leaf => node.ModuleType + "(" + string.Join(",", node.Args.Select(a => a.Name)) + ")",
            NodeForm.Sequential => "[" + string.Join(";", node.Children.Select(ChildStructure)) + "]",
            // A block inside is built by its own class: the same class with the same values.
            // A user block inside is planned first: uses of its class differ in what the class takes as arguments, which
            // this block passes on (BlockParam.From); any other difference is in its class (BlockClasses compares it).
            _ when IsUserBlock(node) => "B{" + Structure(node) + "}",
            _ => Values(node),
        };

        private static string Values(GraphNode node) =>
            node.ModuleType + "{" + string.Join(",", node.Params.Select(p => p.Name + "=" + p.Value)) + "}"
            + "(" + string.Join(",", node.Args.Select(a => a.Name + "=" + a.Value)) + ")"
            + "[" + string.Join(";", node.Children.Select(Values)) + "]"
            + string.Join(";", node.Body.Select(s => s.Output + "=" + s.Op + ":" + s.Module + "(" + string.Join(",", s.Inputs) + ")"));

        /// <summary>
        /// The constructor parameter for argument <paramref name="arg"/> of the module at <paramref name="place"/>, named as a
        /// reader of the class would: block.1.0 + in_channels -> block_in_channels (the child's name without the indices of
        /// the Sequentials inside it, conv.@0 an aligned item of layer conv); where a block parameter or a name already given
        /// has it, the whole place, block_1_0_in_channels; then '_' appended until unique. A C# and Python identifier: a
        /// child's name, any text, has its other characters replaced by '_' and the argument's name ends it (never a keyword).
        /// </summary>
        private static string ParamName(string place, string arg, GraphNode block, IReadOnlyCollection<string> taken)
        {
            string argument = arg.StartsWith(Passed, System.StringComparison.Ordinal) ? arg.Substring(Passed.Length) : arg;
            var segments = place.Split('.');
            string Named(IEnumerable<string> kept) => Dsl.Names.PythonNames.Sanitize(string.Join("_", kept.Select(x => x.TrimStart('@')).Concat(new[] { argument })));
            string readable = Named(segments.Where(x => !x.TrimStart('@').All(char.IsDigit)));
            string whole = Named(segments);
            return Unique(readable, block, taken) == readable ? readable : Unique(whole, block, taken);
        }

        /// <summary><paramref name="name"/>, with '_' appended until no block parameter and no name already given has it.</summary>
        private static string Unique(string name, GraphNode block, IEnumerable<string> taken)
        {
            var names = new HashSet<string>(block.Params.Select(p => p.Name).Concat(taken), System.StringComparer.Ordinal);
            while (names.Contains(name)) name += "_";
            return name;
        }

        private static string Type(string literal) =>
            literal is "true" or "false" ? "bool"
            : long.TryParse(literal, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? "long"
            : "double";

        private static GraphNode Rewrite(GraphNode node, Dictionary<(string Path, string Arg), string> args, Dictionary<string, List<BlockParam>> added,
            Dictionary<(string Path, string Tensor), string> tensorChannels, Dictionary<string, string> mergeFlags, Dictionary<string, string> itemFlags,
            Dictionary<string, EquatableArray<Step>> bodies)
        {
            var body = bodies.TryGetValue(node.Path, out var shared) ? shared : node.Body;
            body = mergeFlags.TryGetValue(node.Path, out var flag) && MergeStep(node) is { } merge
                ? body.Select(s => s == merge ? s with { Flag = flag } : s).ToEquatableArray() : body;
            var tensors = node.Tensors.Select(t => tensorChannels.TryGetValue((node.Path, t.Name), out var c) ? t with { Channels = c } : t).ToEquatableArray();
            var newArgs = node.Args.Select(a => args.TryGetValue((node.Path, a.Name), out var p) ? a with { Param = p } : a).ToEquatableArray();
            var newParams = (added.TryGetValue(node.Path, out var extra) ? node.Params.Concat(extra) : node.Params)
                .Select(q => args.TryGetValue((node.Path, Passed + q.Name), out var from) ? q with { From = from } : q).ToEquatableArray();
            var children = node.Children.Select(c => Rewrite(c, args, added, tensorChannels, mergeFlags, itemFlags, bodies)).ToEquatableArray();
            return node with { Args = newArgs, Params = newParams, Children = children, Tensors = tensors, Body = body, Flag = itemFlags.TryGetValue(node.Path, out var item) ? item : node.Flag };
        }
    }
}
