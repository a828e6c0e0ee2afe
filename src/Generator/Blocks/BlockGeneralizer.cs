using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Dsl.Generator.Graph;
using Dsl.Generator.Model;

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
            var blocks = Walk(root).Where(n => n.Path.Length > 0 && IsUserBlock(n)).ToList();
            var args = new Dictionary<(string Path, string Arg), string>();
            var added = new Dictionary<string, List<BlockParam>>(System.StringComparer.Ordinal);
            var tensorChannels = new Dictionary<(string Path, string Tensor), string>();
            var mergeFlags = new Dictionary<string, string>(System.StringComparer.Ordinal);
            foreach (var group in blocks.GroupBy(Structure).Where(g => g.Count() > 1))
            {
                var uses = group.ToList();
                // The argument positions inside the block (not inside the blocks it contains, which are classes of their own).
                // Arguments written as C# of their own (Upsample's double[] scale, its mode) stay literals: uses that differ there get classes of their own.
                var positions = Owned(uses[0]).SelectMany(n => n.Args.Where(a => a.Param is null && a.Code is null).Select(a => (Relative: Relative(uses[0], n), a.Name))).ToList();
                var synthetic = new List<(string Param, string Type, string Relative, string Arg)>();
                foreach (var (relative, arg) in positions)
                {
                    var values = uses.Select(u => ArgValue(u, relative, arg)).ToList();
                    if (values.Distinct().Count() == 1 || values.Any(v => v is null)) continue;
                    string? param = uses[0].Params.Select(p => p.Name)
                        .FirstOrDefault(p => uses.Select(u => u.Params.First(q => q.Name == p).Value).SequenceEqual(values))
                        ?? synthetic.Where(x => uses.Select(u => ArgValue(u, x.Relative, x.Arg)).SequenceEqual(values)).Select(x => x.Param).FirstOrDefault();
                    if (param is null)
                    {
                        param = ParamName(relative, arg, uses[0]);
                        synthetic.Add((param, Type(values[0]!), relative, arg));
                    }
                    foreach (var use in uses) args[(Join(use.Path, relative), arg)] = param;
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
                foreach (var use in uses)
                    extra[use.Path] = synthetic.Select(p => new BlockParam(p.Param, p.Type, ArgValue(use, p.Relative, p.Arg)!)).ToList();
                // Uses whose merge holds and uses whose merge does not (MergeWhen): one class that merges under a flag, as
                // torchvision's InvertedResidual keeps use_res_connect.
                var merging = uses.Select(u => MergeStep(u) is not null).ToList();
                if (merging.Distinct().Count() > 1)
                {
                    string flag = MergeFlag;
                    while (uses[0].Params.Any(p => p.Name == flag) || synthetic.Any(p => p.Param == flag)) flag += "_";
                    for (int u = 0; u < uses.Count; u++)
                    {
                        extra[uses[u].Path].Add(new BlockParam(flag, "bool", merging[u] ? "true" : "false"));
                        if (merging[u]) mergeFlags[uses[u].Path] = flag;
                    }
                }
                foreach (var pair in extra.Where(e => e.Value.Count > 0)) added[pair.Key] = pair.Value;
            }
            return args.Count == 0 && tensorChannels.Count == 0 && added.Count == 0 ? root : Rewrite(root, args, added, tensorChannels, mergeFlags);
        }

        private static IEnumerable<GraphNode> Walk(GraphNode node)
        {
            yield return node;
            foreach (var d in node.Descendants()) yield return d;
        }

        /// <summary>The modules a block builds itself: its children and the Sequentials' contents, not the contents of blocks inside it.</summary>
        private static IEnumerable<GraphNode> Owned(GraphNode block)
        {
            foreach (var child in block.Children)
            {
                yield return child;
                if (child.Form == NodeForm.Sequential)
                    foreach (var n in Owned(child)) yield return n;
            }
        }

        private static string Relative(GraphNode block, GraphNode node) => node.Path.Substring(block.Path.Length + 1);

        private static string Join(string path, string relative) => path + "." + relative;

        private static string? ArgValue(GraphNode block, string relative, string arg) =>
            Owned(block).FirstOrDefault(n => Relative(block, n) == relative)?.Args.FirstOrDefault(a => a.Name == arg)?.Value;

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
        private static string Structure(GraphNode block) =>
            block.ModuleType + "|" + string.Join(";", block.Body.Where(s => s != MergeStep(block)).Select(s => s.Output + "=" + s.Op + ":" + s.Module + "(" + string.Join(",", s.Inputs) + ")"))
            + "|" + string.Join(",", block.Params.Select(p => p.Name))
            + "|" + string.Join(";", block.Children.Select(ChildStructure))
            // The block's own tensors (a layer scale, a position embedding): name, rank and initialisation; the sizes may differ.
            + "|" + string.Join(";", block.Tensors.Select(t => t.Name + "/" + t.Shape.Count + "/" + t.InitName + "/" + Literal.Of(t.Std) + "/" + Literal.Of(t.Fill)));

        private static string ChildStructure(GraphNode node) => node.Form switch
        {
            // Argument names only: a value that is the layer's default in some uses (stride 1) and not in others (stride 2)
            // is a value that differs, hence a constructor argument, as torchvision's InvertedResidual takes its stride.
            NodeForm.Leaf => node.Name + ":" + node.ModuleType + "(" + string.Join(",", node.Args.Select(a => a.Name)) + ")",
            NodeForm.Sequential => node.Name + ":[" + string.Join(";", node.Children.Select(ChildStructure)) + "]",
            // A block inside is built by its own class: the same class with the same values.
            _ => node.Name + ":" + Values(node),
        };

        private static string Values(GraphNode node) =>
            node.ModuleType + "{" + string.Join(",", node.Params.Select(p => p.Name + "=" + p.Value)) + "}"
            + "(" + string.Join(",", node.Args.Select(a => a.Name + "=" + a.Value)) + ")"
            + "[" + string.Join(";", node.Children.Select(Values)) + "]"
            + string.Join(";", node.Body.Select(s => s.Output + "=" + s.Op + ":" + s.Module + "(" + string.Join(",", s.Inputs) + ")"));

        /// <summary>
        /// conv.1.0 + out_channels -> p_conv_1_0_out_channels (a C# and Python identifier: a Sequential child's name, any
        /// text, has its other characters replaced by '_').
        /// </summary>
        private static string ParamName(string relative, string arg, GraphNode block)
        {
            string name = Dsl.Names.PythonNames.Sanitize("p_" + relative.Replace('.', '_') + "_" + arg);
            while (block.Params.Any(p => p.Name == name)) name += "_";
            return name;
        }

        private static string Type(string literal) =>
            literal is "true" or "false" ? "bool"
            : long.TryParse(literal, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? "long"
            : "double";

        private static GraphNode Rewrite(GraphNode node, Dictionary<(string Path, string Arg), string> args, Dictionary<string, List<BlockParam>> added,
            Dictionary<(string Path, string Tensor), string> tensorChannels, Dictionary<string, string> mergeFlags)
        {
            var body = mergeFlags.TryGetValue(node.Path, out var flag) && MergeStep(node) is { } merge
                ? node.Body.Select(s => s == merge ? s with { Flag = flag } : s).ToEquatableArray() : node.Body;
            var tensors = node.Tensors.Select(t => tensorChannels.TryGetValue((node.Path, t.Name), out var c) ? t with { Channels = c } : t).ToEquatableArray();
            var newArgs = node.Args.Select(a => args.TryGetValue((node.Path, a.Name), out var p) ? a with { Param = p } : a).ToEquatableArray();
            var newParams = added.TryGetValue(node.Path, out var extra) ? node.Params.Concat(extra).ToEquatableArray() : node.Params;
            var children = node.Children.Select(c => Rewrite(c, args, added, tensorChannels, mergeFlags)).ToEquatableArray();
            return node with { Args = newArgs, Params = newParams, Children = children, Tensors = tensors, Body = body };
        }
    }
}
