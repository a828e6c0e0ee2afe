
namespace Dsl.Generator.Graph
{
    /// <summary>
    /// Whether a network accepts other spatial sizes than its declared input at run time, as torchvision's networks
    /// do: its forward reaches a global (adaptive) pooling before any layer whose output depends on the height and
    /// width (or the length), so everything after the pooling sees the declared shape. The declared size is still the
    /// one checked at compile time; the generated guard then checks only the rank and the channels.
    /// </summary>
    internal static class SizeAnalysis
    {
        /// <summary>
        /// The structural answer, from each leaf's <see cref="SizeRule"/>: the root's forward, in order, reaches a layer
        /// of fixed output size (a global pooling) before any size-dependent layer. Inside a block with merges (residual adds, concatenations) a pooling counts only when the whole block
        /// is otherwise size-agnostic; <see cref="NetworkGraph.Build"/> confirms the answer by building the network
        /// again at other sizes (so branches that agree only at the declared size are caught).
        /// </summary>
        public static bool PoolsBeforeSizeDependentLayers(GraphNode root) =>
            root.Input.Count >= 2 && Node(root, root: true) == SizeRule.Fixed;

        /// <param name="root">
        /// The network's own forward, whose steps run in order: values merged before the pooling (two inputs' towers) do not
        /// make it size-dependent, only a merge after it does (in a block, branches are written one after another, so any
        /// merge counts).
        /// </param>
        private static SizeRule Node(GraphNode node, bool root = false)
        {
            switch (node.Form)
            {
                case NodeForm.Leaf:
                    return node.Size;
                case NodeForm.Sequential:
                    foreach (var child in node.Children)
                    {
                        var outcome = Node(child);
                        if (outcome != SizeRule.Follows) return outcome;
                    }
                    return SizeRule.Follows;
                default:
                {
                    static bool Merge(Step s) => s.Op is not (StepOp.Call or StepOp.OptionalCall or StepOp.ReluInPlace);
                    for (int i = 0; i < node.Body.Count; i++)
                    {
                        var step = node.Body[i];
                        bool merges = root ? node.Body.Skip(i + 1).Any(Merge) : node.Body.Any(Merge);
                        if (step.Op is not (StepOp.Call or StepOp.OptionalCall) || step.Module is null) continue;
                        var child = node.Find(step.Module);
                        if (child is null) continue; // an optional module this use does not have
                        var outcome = Node(child);
                        if (outcome == SizeRule.Dependent) return outcome;
                        if (outcome == SizeRule.Fixed) return merges ? SizeRule.Dependent : SizeRule.Fixed;
                    }
                    return SizeRule.Follows;
                }
            }
        }

        /// <summary>
        /// The structural answer for a network whose outputs follow the input's size: one image input, at least one
        /// top-level step resizing to it (<c>[Interpolate]</c>) and no layer whose parameters or output depend on the size
        /// (a global pooling inside, as ASPP's, is fine). <see cref="NetworkGraph.Build"/> confirms it by building the network
        /// at other sizes and checking that every output's size is the input's (<see cref="OutputsFollowInput"/>).
        /// </summary>
        public static bool ResizesToInput(GraphNode root, NetworkSpec spec, string inputVar) =>
            spec.Vocabulary == 0 && !spec.SeveralInputs && root.Input.Count >= 2
            && root.Body.Any(s => s.Op == StepOp.Interpolate && s.Inputs.Count > 1 && s.Inputs[1] == inputVar)
            && !root.Descendants().Any(n => n.Form == NodeForm.Leaf && n.Size == SizeRule.Dependent);

        /// <summary>Whether the main output and every declared output have the input's rank and spatial sizes.</summary>
        public static bool OutputsFollowInput(EquatableArray<long> main, System.Collections.Generic.IEnumerable<Graph.OutputModel> outputs, EquatableArray<long> input)
        {
            bool Follows(EquatableArray<long> shape) => shape.Count == input.Count && Enumerable.Range(1, input.Count - 1).All(d => shape[d] == input[d]);
            return Follows(main) && outputs.All(o => Follows(o.Shape));
        }

        /// <summary>Whether a token network's layers work at any sequence length (none depends on it).</summary>
        public static bool LengthFree(GraphNode root) => Node(root) != SizeRule.Dependent;

        /// <summary>The shorter token lengths a token network is built again at to confirm <see cref="LengthFree"/>.</summary>
        public static EquatableArray<int>[] ShorterLengths(EquatableArray<int> declared) => declared[0] <= 1
            ? System.Array.Empty<EquatableArray<int>>()
            : new[] { new[] { declared[0] - 1 }.ToEquatableArray(), new[] { (declared[0] + 1) / 2 }.ToEquatableArray() };

        /// <summary>
        /// The declaration at each probe size: every input's spatial dimensions changed the same way (a network whose inputs
        /// must agree, such as two towers merged, agrees at the probes too; one that resizes an input relative to another
        /// does not, and keeps its declared sizes).
        /// </summary>
        public static NetworkSpec[] Probes(NetworkSpec spec)
        {
            var probes = new NetworkSpec[Probes(spec.Input).Length];
            for (int p = 0; p < probes.Length; p++)
                probes[p] = spec with
                {
                    Input = Probes(spec.Input)[p],
                    Inputs = spec.Inputs.Select(i => i with { Dims = Probes(i.Dims)[p] }).ToEquatableArray(),
                };
            return probes;
        }

        private static EquatableArray<int>[] Probes(EquatableArray<int> declared) => new[]
        {
            declared.Select((d, i) => i == 0 ? d : d + 1).ToEquatableArray(),
            declared.Select((d, i) => i == 0 ? d : d * 2).ToEquatableArray(),
            declared.Select((d, i) => i == 0 ? d : d * 2 + 3).ToEquatableArray(),
        };
    }
}
