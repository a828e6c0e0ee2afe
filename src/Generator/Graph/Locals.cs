
namespace Dsl.Generator.Graph
{
    /// <summary>
    /// Keeps a forward's locals apart from its module's fields. The values a forward writes are named while the graph is
    /// built ("x", "y", "identity", an inlined block's "y_1"), before every field is known: an inlined block adds its
    /// layers to the module that uses it, and one of them may be named like a local. In C# a local with a field's name
    /// hides the field, so such a local is renamed here (<c>x_1</c> becomes <c>x_1_2</c>), once, in the finished graph
    /// that the C# module and the PyTorch twin are both written from.
    /// </summary>
    internal static class Locals
    {
        /// <summary>
        /// Renames every forward's colliding locals in <paramref name="root"/>; returns the renaming of the network's own
        /// forward (for its inputs, the first of them <paramref name="inputs"/>, and its outputs).
        /// </summary>
        public static System.Func<string, string> Separate(ref GraphNode root, string[] inputs)
        {
            var map = new Dictionary<string, string>(System.StringComparer.Ordinal);
            root = Separate(root, inputs, map);
            return v => map.TryGetValue(v, out var r) ? r : v;
        }

        private static GraphNode Separate(GraphNode node, string[] inputVars, Dictionary<string, string>? rootMap = null)
        {
            if (node.Form == NodeForm.Leaf) return node;
            var children = node.Children.Select(c => Separate(c, new[] { "x" })).ToEquatableArray();
            if (!children.SequenceEqual(node.Children)) node = node with { Children = children };
            if (node.Form != NodeForm.Block) return node;

            var fields = new HashSet<string>(node.Children.Select(c => c.Name), System.StringComparer.Ordinal);
            foreach (var t in node.Tensors) fields.Add(t.Name);
            var locals = new List<string>(inputVars);
            foreach (var step in node.Body)
            {
                locals.Add(step.Output);
                locals.AddRange(step.Inputs);
            }
            locals.Add(node.Result);
            if (!locals.Any(fields.Contains)) return node;

            var taken = new HashSet<string>(fields, System.StringComparer.Ordinal);
            taken.UnionWith(locals);
            var map = new Dictionary<string, string>(System.StringComparer.Ordinal);
            foreach (var local in locals.Distinct().Where(fields.Contains))
            {
                string fresh = NamePolicy.Unique(local, taken);
                taken.Add(fresh);
                map[local] = fresh;
            }
            string Rename(string v) => map.TryGetValue(v, out var r) ? r : v;
            if (rootMap is not null) foreach (var pair in map) rootMap[pair.Key] = pair.Value;
            var body = node.Body.Select(s => s with { Output = Rename(s.Output), Inputs = s.Inputs.Select(Rename).ToEquatableArray() }).ToEquatableArray();
            return node with { Body = body, Result = Rename(node.Result) };
        }
    }
}
