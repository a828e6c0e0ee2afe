
namespace Dsl.Generator.Blocks
{
    /// <summary>
    /// What can be known of a block without a use, checked where the block is declared (used or not) and reported once
    /// there: every expression's syntax and names (parameters, <c>in</c>, <c>last</c>), every function it calls, every
    /// With entry's argument, and how each nested <c>[Use&lt;...&gt;]</c> binds its arguments. A use of a block with such
    /// a problem reports nothing more (<see cref="ArgumentSite.Reported"/>): the mistake is in one place.
    /// </summary>
    internal static class BlockChecker
    {
        /// <summary>
        /// The names every expression in a block may read besides its parameters: <c>in</c> and <c>block_in</c> (the channels
        /// entering the block; <c>in</c> is refused in a layer after one that changed them), <c>layer_in</c> (the channels
        /// arriving at the layer) and <c>last</c> (the last dimension entering the block).
        /// </summary>
        public static readonly string[] BuiltInNames = { BlockIn.In, "last", BlockIn.Block, BlockIn.Layer };

        /// <param name="decl">The block.</param>
        /// <param name="blocks">The blocks it may use, by key (a nested use's binding is checked against its block).</param>
        public static List<Problem> Check(BlockDecl decl, IReadOnlyDictionary<string, BlockDecl> blocks)
        {
            var problems = new List<Problem>();
            void Add(ArgumentSite site, string why) =>
                problems.Add(Problem.At(ProblemCode.InvalidBlock, Problem.ClassName, site.Encode(), decl.Name, why));
            var layers = decl.Parameters.Where(p => p.IsLayer).ToDictionary(p => p.Name, p => p.Default!.Trim(), System.StringComparer.Ordinal);
            void Expression(string what, Segment text, ArgumentSite site, IReadOnlyCollection<string> known, bool takesLayer = false)
            {
                // A whole argument may be a layer kind or a layer parameter (passed on to a nested use's layer parameter).
                if (takesLayer && Blocks.Expression.IsName(text.Text) && (layers.ContainsKey(text.Text) || LayerKindSpec.IsKind(text.Text))) return;
                var node = Blocks.Expression.Parse(text.Text, out var error);
                error ??= node!.DescendantsAndSelf().OfType<Language.NameNode>().Where(n => layers.ContainsKey(n.Name))
                    .Select(n => new Language.ExpressionError(text.Text, n.Start, n.Length, Language.NameNode.LayerNotNumber(n.Name, layers[n.Name]))).FirstOrDefault();
                error ??= Blocks.Expression.Check(text.Text, known);
                if (error is not null) Add(site.Within(text.Start + error.Start, error.Length), what + error.Message);
            }

            var all = BuiltInNames.Concat(decl.Parameters.Select(p => p.Name)).ToList();
            for (int k = 0; k < decl.Parameters.Count; k++)
            {
                // A default reads in, last and the parameters before it (they are bound in order).
                if (decl.Parameters[k].Default is not { } fallback || decl.Parameters[k].IsLayer) continue;
                var earlier = BuiltInNames.Concat(decl.Parameters.Take(k).Select(p => p.Name)).ToList();
                Expression($"the default of '{decl.Parameters[k].Name}': ", new Segment(fallback, decl.Parameters[k].DefaultStart), new ArgumentSite(decl.Key, ArgumentSite.BlockAttribute, "#" + k), earlier);
            }
            if (decl.MergeWhen is { } mergeWhen) Expression("MergeWhen: ", new Segment(mergeWhen, 0), new ArgumentSite(decl.Key, ArgumentSite.BlockAttribute, "MergeWhen"), all);

            for (int i = 0; i < decl.Layers.Count; i++)
            {
                var raw = decl.Layers[i];
                string prefix = "[" + raw.Display + "] ";
                if (raw.When is { } when) Expression(prefix + "When: ", new Segment(when, 0), new ArgumentSite(decl.Key, i, "When"), all);
                // Outputs, merges of named values and backbones name values of a network's forward: not a block's (their readers' mark).
                if (Layers.LayerRegistry.TopLevelOnly.Contains(raw.Kind))
                {
                    Add(new ArgumentSite(decl.Key, i, null), $"[{raw.Display}] belongs to a network's top level, where it names values of the network's forward; a block merges with Merge or Parallel");
                    continue;
                }
                // A block's layers read the value before them (or the block's input); named values are the network's top level.
                if (raw.NamedValue("From") is not null)
                    Add(new ArgumentSite(decl.Key, i, "From"), prefix + "From names a value of a network's top level; inside a block each layer reads the one before it (use Parallel or Merge for branches)");
                if (raw.With is { } with)
                {
                    var entries = AttributeReader.WithEntries(raw, with, out var withProblems);
                    foreach (var p in withProblems)
                        problems.Add(Problem.At(ProblemCode.InvalidBlock, Problem.ClassName, new ArgumentSite(decl.Key, i, p.Argument, p.Start, p.Length).Encode(), decl.Name, prefix + p.Message)
                            with { Fix = p.Replacement });
                    foreach (var entry in entries)
                        Expression(prefix + entry.Name.Text + " = ", entry.Expression, new ArgumentSite(decl.Key, i, "With"), all);
                }
                if (raw.Kind == RawAttribute.Use)
                {
                    var arguments = UseSpec.ReadArguments(raw);
                    // A repeated use's arguments also read its index and the network's running count; its Name, the index.
                    bool repeated = raw.NamedValue("Repeat") is not null || (raw.With?.Contains("Repeat") ?? false);
                    var known = repeated ? all.Concat(new[] { RepeatCounter.Index, RepeatCounter.Id, RepeatCounter.Count }).ToList() : all;
                    for (int a = 0; a < arguments.Count; a++)
                    {
                        if (arguments[a].Expression is { } e) Expression(prefix + "argument ", e, new ArgumentSite(decl.Key, i, "#" + a), known, takesLayer: true);
                    }
                    if (repeated && raw.Name is { } pattern && pattern.IndexOf('{') >= 0)
                    {
                        var names = all.Concat(new[] { RepeatCounter.Index }).ToDictionary(n => n, _ => Language.Number.Integer(1), System.StringComparer.Ordinal);
                        BlockBuilder.Interpolate(pattern, names, out var bad0);
                        // Only what needs no value: a syntax error or an unknown name (a division by zero shows in the use).
                        if (bad0 is not null && !bad0.What.Contains("division by zero") && !bad0.What.Contains("not a finite"))
                            Add(new ArgumentSite(decl.Key, i, "Name", bad0.Start, bad0.Length), prefix + "Name: " + bad0.Message);
                    }
                    if (raw.Block is { } key && blocks.TryGetValue(key, out var used) && Binding.Check(used, arguments) is { } bad)
                        problems.Add(Problem.At(ProblemCode.InvalidBlock, Problem.ClassName, new ArgumentSite(decl.Key, i, bad.Position < 0 ? null : "#" + bad.Position, bad.Start, bad.Length).Encode(), used.Name, bad.Message)
                            with { Fix = bad.Replacement });
                    continue;
                }
                if (raw.Kind == LayerKindSpec.AttributeName)
                {
                    string parameter = raw.Arguments.Count > 0 && raw.Arguments[0].Value is string p ? p.Trim() : "";
                    if (!layers.ContainsKey(parameter))
                        Add(new ArgumentSite(decl.Key, i, "parameter"), prefix + (decl.Parameters.Any(q => q.Name == parameter)
                            ? $"'{parameter}' is a number parameter; a layer parameter has a layer kind as its default, such as \"{parameter} = ReLU\""
                            : $"the block has no layer parameter '{parameter}'; declare one with a layer kind as its default, such as \"{(Blocks.Expression.IsName(parameter) ? parameter : "act")} = ReLU\""));
                    continue;
                }
                // A per-dimension argument ("kernel, kw", Paddings = "0, pw") is one expression per dimension.
                for (int a = 0; a < raw.Arguments.Count && a < raw.ParameterNames.Count; a++)
                {
                    if (raw.Arguments[a].Value is not string text) continue;
                    foreach (var part in Window.Parts(raw.ParameterNames[a], text))
                        Expression(prefix + raw.ParameterNames[a] + " = ", part, new ArgumentSite(decl.Key, i, raw.ParameterNames[a]), all);
                }
                foreach (var name in Window.PerAxisArguments)
                {
                    if (raw.NamedValue(name)?.Value is not string text) continue;
                    foreach (var part in Window.Parts(name, text))
                        Expression(prefix + name + " = ", part, new ArgumentSite(decl.Key, i, name), all);
                }
            }
            return problems;
        }
    }
}
