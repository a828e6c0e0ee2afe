using System.Globalization;
using Dsl.Generator.Blocks.Language;

namespace Dsl.Generator.Blocks
{
    /// <summary>
    /// Builds one use of a user-declared block into the graph: binds the use's arguments to the block's parameters,
    /// reads the block's layers with those values (so <c>With</c>, <c>When</c> and nested uses see them), builds them,
    /// and merges the body's output with the input (or the shortcut). A block without merge, shortcut or body name is a
    /// Sequential (children 0, 1, ...); otherwise it becomes a generated class of its own. Every problem found inside is
    /// reported at the use, naming the block's layer.
    /// </summary>
    internal static class BlockBuilder
    {
        /// <summary>Blocks nested deeper than this are reported (a block that uses itself needs a When that ends).</summary>
        public const int MaxNesting = 16;

        public static Value Use(GraphBuilder b, string name, Value x, UseSpec use, string? into = null)
        {
            string path = b.ChildPath(name);
            var enclosing = b.Scope;
            int useLayer = enclosing?.Layer ?? -1;
            if (use.Repeated && enclosing is null)
            {
                b.ReportAt(ProblemCode.InvalidBlock, "Repeat", use.BlockName,
                    "Repeat repeats a use inside a block: declare a stage block that holds this use (its repetitions are the stage's children, torchvision's features.1.0, features.1.1, ...) and use the stage");
                return x;
            }
            use = use.Evaluate(b.Repeats, out int evaluations);
            if (!b.Spend(evaluations)) return x;
            if (use.Problem is { } bad)
                return FailAt(b, x, use.BlockName, bad.Message, BlockScope.SiteOfUse(enclosing, useLayer, bad.Position, bad.Start, bad.Length), enclosing, path);
            if (!b.Blocks.TryGetValue(use.Block, out var decl))
                return Fail(b, x, use.BlockName, $"{use.BlockName} is not a block: mark it [Block(...)] (a partial class with layer attributes and no [Input])", path);
            if (decl.Problem is not null)
            {
                // Reported once, at the block's declaration: here the use only stops (the network gets a stub that quotes it).
                b.ReportAt(ProblemCode.InvalidBlock, ArgumentSite.Reported, decl.Name, decl.Problem);
                return x;
            }
            // Every use costs work, inlined ones too (they create no module): recursion with fan-out ends at the budget.
            if (!b.Spend(1 + decl.Parameters.Count)) return x;
            if (b.BlockNesting >= MaxNesting)
                return Fail(b, x, decl.Name, $"blocks are nested more than {MaxNesting} deep at '{path}'; a block that uses itself needs a When condition that ends the recursion", path);
            var bindingError = Binding.Bind(decl, use.Arguments.Select(a => (a.Position, a.Parameter, a.ParameterStart)).ToList(), out var bound);
            if (bindingError is not null)
                return FailAt(b, x, decl.Name, bindingError.Message, BlockScope.SiteOfUse(enclosing, useLayer, bindingError.Position, bindingError.Start, bindingError.Length), enclosing, path, bindingError.Replacement);
            var names = new Dictionary<string, Number>(System.StringComparer.Ordinal)
            {
                ["last"] = Number.Integer(x.Shape.Count > 0 ? x.Shape[x.Shape.Count - 1] : 0),
            };
            BlockIn.Enter(names, x.Shape.Count > 0 ? x.Shape[0] : 0);
            var scope = new BlockScope(enclosing, decl, use, path, names, bound);
            if (!Bind(b, x, scope, names, bound)) return x;

            if (use.Inline && b.IsSequential)
                return Fail(b, x, decl.Name, $"Inline puts the block's layers into the module that uses it, but '{b.Path}' is a Sequential, which runs its children in order and nothing else; use it without Inline, or inline it into a block with a merge or a Body", path);
            // A block holding learned tensors of its own (a class token) or inlined blocks needs a class with a forward.
            bool sequential = !use.Inline && decl.Merge == BlockDecl.MergeNone && decl.Shortcut is null && decl.Body is null
                && decl.Parallel == BlockDecl.MergeNone && !NeedsClass(decl);
            if (!sequential && !use.Inline && MemberNameProblem(decl) is { } why) return Fail(b, x, decl.Name, why, path);
            var inner = use.Inline ? b.Inline(x, into) : sequential ? b.Sequential(name, x) : b.Block(name, x);
            inner.BlockNesting = b.BlockNesting + 1;
            inner.Scope = scope;
            inner.ParameterArgument = scope.ParameterSite;
            if (!sequential && !use.Inline)
            {
                // The values a generated class may take as constructor arguments (BlockGeneralizer links them to the modules).
                inner.Param(BlockGeneralizer.InChannels, (long)names["in"].Value);
                foreach (var parameter in decl.Parameters)
                {
                    var v = names[parameter.Name];
                    if (parameter.Name == BlockGeneralizer.InChannels || double.IsNaN(v.Value) || double.IsInfinity(v.Value)) continue;
                    // A whole number is a long; a fraction (a drop probability) a double, so uses with and without a
                    // fraction there have the same parameters (the class's argument is a double where any use's is).
                    if (v.Value == System.Math.Floor(v.Value) && System.Math.Abs(v.Value) < 1e15) inner.Param(parameter.Name, (long)v.Value);
                    else inner.Param(parameter.Name, v.Value);
                }
            }
            Value y;
            if (decl.Body is { } bodyName)
            {
                var body = inner.Sequential(bodyName, inner.Input);
                body.BlockNesting = inner.BlockNesting;
                var z = Layers(body, decl, names, body.Input, scope);
                y = inner.EndSequential(body, "Sequential", inner.Input, z);
            }
            else
            {
                y = Layers(inner, decl, names, inner.Input, scope);
            }
            if (inner.Failed) return x;
            // The doc names the merge only in the uses where it applies (MergeWhen may leave it out).
            bool merges = !sequential && Merges(b, decl, names, scope);
            if (b.Failed) return x;
            string doc = "Block " + decl.Name + (merges ? " (" + BlockDecl.MergeName(decl.Merge) + " merge)" : "") + ".";
            if (sequential) return b.EndSequential(inner, decl.Name, x, y, doc, into);

            if (merges)
            {
                var other = inner.Input;
                if (decl.Shortcut is { } shortcutKey)
                {
                    if (!b.Blocks.TryGetValue(shortcutKey, out var shortcut))
                        return Fail(b, x, decl.Name, "its Shortcut is not a block: mark the shortcut class [Block(...)]");
                    // The shortcut gets this block's parameters of the same names.
                    var arguments = shortcut.Parameters.Where(p => names.ContainsKey(p.Name)).Select((p, i) => new BlockArgument(i, p.Name, names[p.Name], p.Name));
                    var shortcutUse = new UseSpec(null, shortcutKey, shortcut.Name, arguments.ToEquatableArray(), null);
                    scope.Layer = ArgumentSite.BlockAttribute;
                    other = Use(inner, decl.ShortcutName, inner.Input, shortcutUse, into: "identity");
                    if (inner.Failed) return x;
                }
                y = MergeValues(inner, decl, path, other, y);
                if (inner.Failed) return x;
            }
            // Inlined: the layers and steps are already the enclosing module's.
            if (use.Inline) return inner.Failed ? x : y;
            // The generated class is "<Block>Module": a nested class named like the block would capture the name in the
            // network's own [Use<Block>] attributes (attributes on a class see its nested types).
            return b.EndBlock(inner, decl.Name, decl.Name + "Module", x, y, doc, into);
        }

        /// <summary>Whether the block declares learned tensors of its own or steps without a module, or inlines blocks (which may): then it is a class, not a Sequential.</summary>
        private static bool NeedsClass(BlockDecl decl) =>
            decl.Layers.Any(l => LayerRegistry.NeedsForward.Contains(l.Kind) || (l.Kind == RawAttribute.Use && l.NamedValue("Inline")?.Value is true));

        private static Value Fail(GraphBuilder b, Value x, string block, string why, string? path = null)
        {
            // At an attribute inside a block, the same for every use of it: the message names the chain of uses.
            string? where = b.Composite ? b.Blame ?? b.ArgumentMap?.Invoke(null) : null;
            if (ArgumentSite.Decode(where) is { Block: not null } && b.Scope is { } scope) why += " (in " + scope.Chain + (path is null ? "" : " > " + path) + ")";
            b.ReportWhole(ProblemCode.InvalidBlock, block, why);
            return x;
        }

        /// <summary>
        /// Reports at <paramref name="site"/> (<see cref="BlockScope"/>'s answer). A site inside a block's declaration is
        /// the same for every use, so the message names the chain of uses that led there (<paramref name="scope"/>'s, then
        /// <paramref name="path"/> when the problem is with a use written in that block).
        /// </summary>
        private static Value FailAt(GraphBuilder b, Value x, string block, string why, string? site, BlockScope? scope, string? path = null, string? fix = null)
        {
            if (ArgumentSite.Decode(site) is { Block: not null } && scope is not null)
                why += " (in " + scope.Chain + (path is null ? "" : " > " + path) + ")";
            b.ReportAt(ProblemCode.InvalidBlock, site, block, why);
            if (fix is not null) b.Problems[b.Problems.Count - 1] = b.Problems[b.Problems.Count - 1] with { Fix = fix };
            return x;
        }

        /// <summary>Adds every parameter's value to <paramref name="names"/>: the use's argument, else its default evaluated; false after a problem.</summary>
        private static bool Bind(GraphBuilder b, Value x, BlockScope scope, Dictionary<string, Number> names, string[] bound)
        {
            var decl = scope.Decl;
            var given = new Dictionary<string, Number>(System.StringComparer.Ordinal);
            for (int i = 0; i < bound.Length; i++) given[bound[i]] = scope.Use.Arguments[i].Value;
            for (int i = 0; i < bound.Length; i++)
            {
                // A layer parameter takes a layer kind, any other a number: checked here, at the argument.
                var parameter = decl.Parameters.First(p => p.Name == bound[i]);
                var argument = scope.Use.Arguments[i];
                if (parameter.IsLayer == argument.Value.IsLayer) continue;
                string why = parameter.IsLayer
                    ? $"parameter '{parameter.Name}' is a layer parameter (default {parameter.Default}): it takes a layer kind such as ReLU, Hardswish or BatchNorm2d, not {argument.Value}"
                    : $"parameter '{parameter.Name}' takes a number, not the layer kind {argument.Value}";
                FailAt(b, x, decl.Name, why + ": " + Binding.Signature(decl), scope.UseSite(argument.Position), scope.Parent, scope.Path);
                return false;
            }
            for (int k = 0; k < decl.Parameters.Count; k++)
            {
                var parameter = decl.Parameters[k];
                if (given.TryGetValue(parameter.Name, out var value)) names[parameter.Name] = value;
                else if (parameter.IsLayer) names[parameter.Name] = Number.Kind(parameter.Default!.Trim());
                else if (parameter.Default is { } expression)
                {
                    var v = Expression.Evaluate(expression, names, out var error);
                    if (error is not null)
                    {
                        FailAt(b, x, decl.Name, $"the default of '{parameter.Name}': {error.Message}",
                            scope.BlockSite("#" + k.ToString(CultureInfo.InvariantCulture), parameter.DefaultStart + error.Start, error.Length), scope);
                        return false;
                    }
                    names[parameter.Name] = v!.Value;
                }
            }
            return true;
        }

        /// <summary>Reads the block's layers with this use's values and builds the present ones in order.</summary>
        private static Value Layers(GraphBuilder b, BlockDecl decl, Dictionary<string, Number> names, Value x, BlockScope scope)
        {
            var specs = new List<(LayerSpec Spec, AttributeReader Reader, int Layer)>();
            // Which layers are present is decided before any is built: a When reads the block's values, not what arrives at its layer.
            var whenNames = BlockIn.ForBlock(names, "When");
            for (int layer = 0; layer < decl.Layers.Count; layer++)
            {
                var raw = decl.Layers[layer];
                scope.Layer = layer;
                var reader = new AttributeReader(raw, names);
                if (raw.When is { } when)
                {
                    var holds = Expression.Evaluate(when, whenNames, out var error);
                    if (error is not null) return FailAt(b, x, decl.Name, $"[{raw.Display}] When: {error.Message}", scope.Site("When", error.Start, error.Length), scope);
                    if (!holds!.Value.IsTrue) continue;
                }
                if (!LayerRegistry.Readers.TryGetValue(raw.Kind, out var read))
                {
                    b.ReportAt(ProblemCode.UnknownLayer, ArgumentSite.Reported, raw.Display, decl.Name);
                    return x;
                }
                var spec = read(reader);
                if (!b.Spend(1 + reader.Evaluations + (raw.When is null ? 0 : 1))) return x;
                if (reader.Errors.Count > 0)
                {
                    var error = reader.Errors[0];
                    return FailAt(b, x, decl.Name, $"[{raw.Display}] {error.Message}", scope.Site(error.Argument, error.Start, error.Length), scope, fix: error.Replacement);
                }
                if (spec is UseSpec { Repeated: true } repeated)
                {
                    // One layer per repetition, each with its index (and its Name's {expressions} evaluated with it).
                    if (repeated.Repeat < 0)
                        return FailAt(b, x, decl.Name, $"[{raw.Display}] Repeat is {repeated.Repeat}; it must be at least 0", scope.LayerSite(reader, "Repeat"), scope);
                    for (int r = 0; r < repeated.Repeat; r++)
                    {
                        if (!b.Spend(1)) return x;
                        string? name = repeated.Name;
                        if (name is not null && name.IndexOf('{') >= 0)
                        {
                            var indexed = new Dictionary<string, Number>(names, System.StringComparer.Ordinal) { [RepeatCounter.Index] = Number.Integer(r) };
                            name = Interpolate(name, indexed, out var error);
                            if (error is not null) return FailAt(b, x, decl.Name, $"[{raw.Display}] Name: {error.Message}", scope.Site("Name", error.Start, error.Length), scope);
                        }
                        specs.Add((repeated with { Name = name, Index = r }, reader, layer));
                    }
                    continue;
                }
                specs.Add((spec, reader, layer));
            }

            var layerNames = Names(b, decl, specs.Select(s => s.Spec).ToList());
            if (layerNames is null) return x;
            // Inlined blocks built before a later layer of this module take automatic names that avoid it.
            if (!b.IsSequential) b.Reserve(layerNames);
            bool parallel = decl.Parallel != BlockDecl.MergeNone && !b.IsSequential;
            var input = x;
            var branches = new List<Value>();
            for (int i = 0; i < specs.Count && !b.Failed; i++)
            {
                var (spec, reader, layer) = specs[i];
                scope.Layer = layer;
                // After a layer that changed the channels, the layer is read again with 'layer_in' as they arrive and 'in' refused.
                if (!parallel && x.Shape.Count > 0 && BlockIn.AtLayer(names, decl.Name, x.Shape[0]) is { } here)
                {
                    var raw = decl.Layers[layer];
                    reader = new AttributeReader(raw, here);
                    var reread = LayerRegistry.Readers[raw.Kind](reader);
                    if (!b.Spend(reader.Evaluations)) return x;
                    if (reader.Errors.Count > 0)
                    {
                        var error = reader.Errors[0];
                        return FailAt(b, x, decl.Name, $"[{raw.Display}] {error.Message}", scope.Site(error.Argument, error.Start, error.Length), scope, fix: error.Replacement);
                    }
                    // A repetition keeps its index and evaluated Name.
                    spec = reread is UseSpec { Repeated: true } again && spec is UseSpec repetition ? again with { Name = repetition.Name, Index = repetition.Index } : reread;
                }
                int before = b.Problems.Count;
                string? AtUse(string? argument) => scope.LayerSite(reader, argument);
                spec.Validate(new Validation(b.Problems, b.Index, b.ChildPath(layerNames[i]), AtUse));
                if (b.Problems.Count > before)
                {
                    b.Abort();
                    return x;
                }
                // While this layer builds, its shape problems point through its arguments to where they are written, as its checks do.
                var savedMap = b.ArgumentMap;
                b.ArgumentMap = AtUse;
                try
                {
                    if (!parallel)
                    {
                        int first = b.ChildCount;
                        x = spec.Build(b, layerNames[i], x);
                        // A Sequential's items are matched between uses by the layer they come from (BlockGeneralizer).
                        // A block's own child, likewise: one only some uses have (stochastic depth with When) may be
                        // created under a flag. An inlined block's children are the enclosing module's, marked by its layer.
                        if (b.IsSequential || (b.IsBlockClass && !b.IsInlined)) b.Declare(first, layer, decl.Layers[layer].When is not null);
                        continue;
                    }
                    // A parallel branch: applied to the block's input, its output kept in a value of its own. An inlined
                    // block's branches share the enclosing module's forward: their values take the inlined block's own
                    // prefix, so a parallel block inlined into a branch does not overwrite the enclosing block's branches.
                    string branch = (b.IsInlined ? b.DefaultVar + "_y" : "y") + i.ToString(CultureInfo.InvariantCulture);
                    using (b.WritingTo(branch)) branches.Add(spec.Build(b, layerNames[i], input));
                }
                finally
                {
                    b.ArgumentMap = savedMap;
                }
            }
            return parallel && !b.Failed ? JoinBranches(b, decl, branches) : x;
        }

        /// <summary>
        /// A repeated use's Name with each <c>{expression}</c> replaced by its value (<c>"denselayer{i + 1}"</c>); the error's
        /// place is in the whole Name.
        /// </summary>
        internal static string? Interpolate(string pattern, IReadOnlyDictionary<string, Number> names, out ExpressionError? error)
        {
            var text = new System.Text.StringBuilder();
            error = null;
            for (int at = 0; at < pattern.Length; at++)
            {
                if (pattern[at] == '}') { error = new ExpressionError(pattern, at, 1, "'}' without '{'; a Name holds {expression} parts"); return null; }
                if (pattern[at] != '{') { text.Append(pattern[at]); continue; }
                int close = pattern.IndexOf('}', at + 1);
                if (close < 0) { error = new ExpressionError(pattern, at, 1, "'{' is not closed: '}' expected"); return null; }
                string inner = pattern.Substring(at + 1, close - at - 1);
                var value = Expression.Evaluate(inner, names, out var e);
                if (e is not null) { error = new ExpressionError(pattern, at + 1 + e.Start, e.Length, "'" + inner + "': " + e.What); return null; }
                text.Append(value!.Value.ToString());
                at = close;
            }
            return text.ToString();
        }

        /// <summary>The parallel branches' outputs concatenated along the channels (Inception) or summed.</summary>
        private static Value JoinBranches(GraphBuilder b, BlockDecl decl, List<Value> branches)
        {
            if (branches.Count == 0) return Fail(b, b.Input, decl.Name, "no branch is present in this use (every When is false); a parallel block needs at least one");
            if (branches.Count == 1) return branches[0];
            var first = branches[0].Shape;
            foreach (var branch in branches.Skip(1))
            {
                var shape = branch.Shape;
                bool fits = decl.Parallel == BlockDecl.MergeAdd
                    ? shape == first
                    : shape.Count == first.Count && shape.Count > 0 && Enumerable.Range(1, shape.Count - 1).All(i => shape[i] == first[i]);
                if (fits) continue;
                Mismatch(b, b.Path, decl.Parallel == BlockDecl.MergeAdd ? "Parallel = Add" : "Parallel = Concat", shape, first,
                    decl.Parallel == BlockDecl.MergeAdd ? "summed branches must give the same shape" : "concatenated branches must keep the same size in every dimension but the channels");
                return branches[0];
            }
            if (decl.Parallel == BlockDecl.MergeConcat)
            {
                var dims = first.ToArray();
                dims[0] = b.Checked(() => branches.Sum(v => v.Shape[0]), b.Path, null);
                return b.Merge(StepOp.Concat, new EquatableArray<long>(dims), branches.ToArray());
            }
            var sum = b.Merge(StepOp.Add, first, branches[0], branches[1]);
            foreach (var branch in branches.Skip(2)) sum = b.Merge(StepOp.Add, first, sum, branch);
            return sum;
        }

        /// <summary>
        /// Body and ShortcutName become fields of the block's generated class, so they must be identifiers that are
        /// not the class's own members, its forward's values or each other; null when they are fine.
        /// </summary>
        private static string? MemberNameProblem(BlockDecl decl)
        {
            string? body = decl.Body, shortcut = decl.Shortcut is null ? null : decl.ShortcutName;
            foreach (var (what, name) in new[] { ("Body", body), ("ShortcutName", shortcut) })
            {
                if (name is null) continue;
                if (FieldNameProblem(decl, name) is { } why) return $"{what} '{name}' is not allowed: {why}";
            }
            return body is not null && body == shortcut ? $"Body and ShortcutName are both '{body}'; choose two names" : null;
        }

        /// <summary>Why <paramref name="name"/> cannot be a field of the block's generated class; null when it can.</summary>
        private static string? FieldNameProblem(BlockDecl decl, string name)
        {
            if (NamePolicy.FieldProblem(name) is { } why) return NamePolicy.WithSuggestion(why, name, NamePolicy.FieldProblem, n => !IsForwardValue(n) && n != decl.Name + "Module");
            if (name == decl.Name + "Module") return "it is the name of the block's generated class";
            if (IsForwardValue(name)) return "it is the name of a value in the block's forward";
            return null;
        }

        private static bool IsForwardValue(string n) => n is "x" or "y" or "identity" || (n.Length > 1 && n[0] == 'y' && n.Skip(1).All(char.IsDigit));

        /// <summary>Children of a Sequential are 0, 1, ... (as nn.Sequential); a block class's get conv1, bn1, ... Explicit names win.</summary>
        private static string[]? Names(GraphBuilder b, BlockDecl decl, List<LayerSpec> specs)
        {
            var names = new string[specs.Count];
            if (b.IsSequential)
            {
                var seen = new HashSet<string>(System.StringComparer.Ordinal);
                for (int i = 0; i < specs.Count; i++)
                {
                    names[i] = specs[i].Name ?? i.ToString(CultureInfo.InvariantCulture);
                    // nn.Sequential's keys: TorchSharp refuses an empty name and one with a '.' (it separates state_dict keys),
                    // PyTorch also one that is an attribute of the Sequential. Any other text is a key, written as a string literal.
                    if (NamePolicy.SequentialKeyProblem(names[i]) is { } why)
                    {
                        Fail(b, default, decl.Name, $"layer name '{names[i]}' is not allowed: {why}");
                        return null;
                    }
                    if (!seen.Add(names[i]))
                    {
                        Fail(b, default, decl.Name, $"two layers are named '{names[i]}'");
                        return null;
                    }
                }
                return names;
            }
            var problems = new List<Problem>();
            // The layers are fields of the generated class "<Block>Module": a field may not have its class's name.
            // An inlined block's layers join the module that uses it instead: their automatic names avoid that module's
            // names (a network's include its class name; a block class's name is chosen to avoid its fields).
            string? className = b.IsInlined ? null : decl.Name + "Module";
            names = b.IsInlined
                ? NetworkGraph.ResolveNames(specs.ToEquatableArray(), problems, Naming.D2L, null, b.IsTaken, b.AutomaticCounters)
                : NetworkGraph.ResolveNames(specs.ToEquatableArray(), problems, Naming.D2L, className, indices: true);
            if (problems.Count > 0)
            {
                string name = (string)problems[0].Args[0];
                Fail(b, default, decl.Name, $"layer name '{name}' is not allowed: " + (name == className ? "it is the name of the block's generated class" : problems[0].Args[1]));
                return null;
            }
            // A child keyed by index is the field _0: no other layer may have that name.
            if (names.FirstOrDefault(n => NamePolicy.IsIndex(n) && names.Contains(NamePolicy.IndexField(n))) is { } index)
            {
                Fail(b, default, decl.Name, $"layer name '{NamePolicy.IndexField(index)}' is the field of the layer keyed '{index}'; choose another name");
                return null;
            }
            string? shortcutField = decl.Shortcut is not null && decl.Body is null ? decl.ShortcutName : null;
            foreach (var n in names)
            {
                if (IsForwardValue(n))
                {
                    Fail(b, default, decl.Name, $"layer name '{n}' is the name of a value in the block's forward; choose another name, such as '{NamePolicy.Suggest(n, NamePolicy.FieldProblem, c => !IsForwardValue(c) && !names.Contains(c))}'");
                    return null;
                }
                if (n == shortcutField)
                {
                    Fail(b, default, decl.Name, $"layer name '{n}' is also the ShortcutName; choose another");
                    return null;
                }
            }
            return names;
        }

        private static bool Merges(GraphBuilder b, BlockDecl decl, Dictionary<string, Number> names, BlockScope scope)
        {
            if (decl.Merge == BlockDecl.MergeNone) return false;
            if (decl.MergeWhen is not { } when) return true;
            var holds = Expression.Evaluate(when, BlockIn.ForBlock(names, "MergeWhen"), out var error);
            if (error is not null)
            {
                FailAt(b, default, decl.Name, "MergeWhen: " + error.Message, scope.BlockSite("MergeWhen", error.Start, error.Length), scope);
                return false;
            }
            return holds!.Value.IsTrue;
        }

        /// <summary>Checks the two shapes the merge combines and adds the merge step (the input first, as torch.cat([x, y])).</summary>
        private static Value MergeValues(GraphBuilder b, BlockDecl decl, string path, Value input, Value y)
        {
            var a = input.Shape;
            var f = y.Shape;
            bool sameRest = a.Count == f.Count && Enumerable.Range(1, a.Count - 1).All(i => a[i] == f[i]);
            switch (decl.Merge)
            {
                case BlockDecl.MergeAdd:
                    if (a == f) return b.Merge(StepOp.Add, a, input, y);
                    Mismatch(b, path, "Add", f, a, $"the body must end with {Channels(a)} and keep the size, or declare a Shortcut block that projects the input");
                    return y;
                case BlockDecl.MergeConcat:
                    if (sameRest && a.Count > 0)
                    {
                        var dims = a.ToArray();
                        dims[0] = b.Checked(() => a[0] + f[0], path, null);
                        return b.Merge(StepOp.Concat, new EquatableArray<long>(dims), input, y);
                    }
                    Mismatch(b, path, "Concat", f, a, "Concat joins channels, so every other dimension must agree: keep the size inside the body (stride 1, padding kernel / 2)");
                    return y;
                default:
                    bool perChannel = f.Count == a.Count && f.Count > 0 && f[0] == a[0] && Enumerable.Range(1, f.Count - 1).All(i => f[i] == 1);
                    if (a == f || perChannel) return b.Merge(StepOp.Multiply, a, input, y);
                    Mismatch(b, path, "Multiply", f, a, $"the body must give one weight per channel ([{a[0]}, 1, ...]) or the input's shape");
                    return y;
            }
        }

        private static string Channels(EquatableArray<long> shape) => shape.Count > 0 ? shape[0] + " channels" : "the input's shape";

        private static void Mismatch(GraphBuilder b, string path, string merge, EquatableArray<long> body, EquatableArray<long> input, string hint) =>
            b.ReportWhole(ProblemCode.MergeShapeMismatch, path, merge, GraphBuilder.Format(body), GraphBuilder.Format(input), hint);
    }
}
