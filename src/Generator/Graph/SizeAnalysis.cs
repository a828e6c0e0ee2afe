using System.Linq;
using Dsl.Generator.Model;

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
        private enum Outcome
        {
            /// <summary>Works on any spatial size, and its output's size follows the input's (convolutions, pools, norms...).</summary>
            Agnostic,
            /// <summary>Its output has a fixed size whatever the input's (adaptive pooling): nothing after it depends on the input size.</summary>
            Pooled,
            /// <summary>Its parameters or output depend on the spatial size (Flatten, Linear, a custom layer, an unknown kind).</summary>
            Dependent,
        }

        /// <summary>TorchSharp layers whose output size follows their input's spatial size, for any size.</summary>
        private static readonly System.Collections.Generic.HashSet<string> Agnostic = new(System.StringComparer.Ordinal)
        {
            "Conv1d", "Conv2d", "BatchNorm1d", "BatchNorm2d", "GroupNorm", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
            "ReLU", "Sigmoid", "Tanh", "ReLU6", "SiLU", "GELU", "Hardswish", "Hardsigmoid", "LeakyReLU", "Identity", "Dropout", "Softmax",
            "ConvTranspose2d", "Upsample",
        };

        /// <summary>Layers whose output size is fixed whatever the input's.</summary>
        private static readonly System.Collections.Generic.HashSet<string> Pools = new(System.StringComparer.Ordinal)
        {
            "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
        };

        /// <summary>
        /// The structural answer: the root's forward, in order, reaches a global pooling before any size-dependent
        /// layer. Inside a block with merges (residual adds, concatenations) a pooling counts only when the whole block
        /// is otherwise size-agnostic; <see cref="NetworkGraph.Build"/> confirms the answer by building the network
        /// again at other sizes (so branches that agree only at the declared size are caught).
        /// </summary>
        public static bool PoolsBeforeSizeDependentLayers(GraphNode root) =>
            root.Input.Count >= 2 && Node(root) == Outcome.Pooled;

        private static Outcome Node(GraphNode node)
        {
            switch (node.Form)
            {
                case NodeForm.Leaf:
                    if (node.CustomType is not null) return Outcome.Dependent;
                    if (Pools.Contains(node.ModuleType)) return Outcome.Pooled;
                    return Agnostic.Contains(node.ModuleType) ? Outcome.Agnostic : Outcome.Dependent;
                case NodeForm.Sequential:
                    foreach (var child in node.Children)
                    {
                        var outcome = Node(child);
                        if (outcome != Outcome.Agnostic) return outcome;
                    }
                    return Outcome.Agnostic;
                default:
                {
                    bool merges = node.Body.Any(s => s.Op is not (StepOp.Call or StepOp.OptionalCall or StepOp.ReluInPlace));
                    foreach (var step in node.Body)
                    {
                        if (step.Op is not (StepOp.Call or StepOp.OptionalCall) || step.Module is null) continue;
                        var child = node.Children.FirstOrDefault(c => c.Name == step.Module);
                        if (child is null) continue; // an optional module this use does not have
                        var outcome = Node(child);
                        if (outcome == Outcome.Dependent) return outcome;
                        if (outcome == Outcome.Pooled) return merges ? Outcome.Dependent : Outcome.Pooled;
                    }
                    return Outcome.Agnostic;
                }
            }
        }

        /// <summary>Other input sizes at which a network that passes the structural test must build to the same output.</summary>
        public static EquatableArray<int>[] Probes(EquatableArray<int> declared) => new[]
        {
            declared.Select((d, i) => i == 0 ? d : d + 1).ToEquatableArray(),
            declared.Select((d, i) => i == 0 ? d : d * 2).ToEquatableArray(),
            declared.Select((d, i) => i == 0 ? d : d * 2 + 3).ToEquatableArray(),
        };
    }
}
