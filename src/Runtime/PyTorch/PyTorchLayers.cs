using System.Collections.Concurrent;
using Dsl.Names;
using Dsl.Runtime.Graph;

namespace Dsl.Runtime.PyTorch
{
    /// <summary>
    /// The PyTorch constructor of every leaf <c>module</c> of a graph, as its kind declares it in its own file in the
    /// generator (<see cref="GraphNode.Declared"/>: a <c>torch.nn</c> class or a class of the twin's helper files, its
    /// arguments in PyTorch's order). Every argument the graph marks as TorchSharp's default is left out, because for
    /// every kind TorchSharp's defaults are PyTorch's (pool strides default to the kernel size in both; TwinDefaultsTests
    /// checks it). The classes TorchSharp has and PyTorch lacks (this library's layers, torchvision's own) are Python
    /// files embedded in this assembly, <c>PyTorch/Helpers/&lt;Class&gt;.py</c>, found by the class the kind declares.
    /// </summary>
    internal static class PyTorchLayers
    {
        /// <summary>Leaf kinds the twin refuses, with why: a hand-written module ([Custom&lt;T&gt;]) has no PyTorch counterpart.</summary>
        private static readonly Dictionary<string, Func<GraphNode, string>> Refused = new(StringComparer.Ordinal)
        {
            ["Custom"] = leaf =>
                $"The PyTorch twin cannot render layer '{leaf.Path}': it is the hand-written TorchSharp module " +
                $"{leaf.Args.FirstOrDefault(a => a.Name == "module")?.Value.GetString() ?? "(unknown)"}, used through [Custom<T>]. " +
                "The network graph declares only its shape contract, not what it computes, so no PyTorch code can be written for it; " +
                "export a network without custom layers.",
        };

        /// <summary>The helper functions <paramref name="graph"/>'s <c>__init__</c> calls once every layer exists, each once, as its leaves' kinds declare.</summary>
        public static IEnumerable<string> AfterConstruction(NetworkGraph graph) =>
            graph.Root.Descendants().Where(n => n.Form == NodeForm.Leaf).Select(n => n.Declared?.AfterConstructionOf(n)).OfType<string>().Distinct(StringComparer.Ordinal);

        /// <summary>The helper class whose function <paramref name="hook"/> is (<c>KeyPadding</c> for <c>KeyPadding.connect_all</c>).</summary>
        public static string HookClass(string hook) => hook.Substring(0, Math.Max(0, hook.LastIndexOf('.')));

        /// <summary>
        /// The helper classes <paramref name="graph"/> needs, each once: those its leaves' constructors name, in the order
        /// of their first use (a reader meets them as the network does), then those of the functions it calls once every
        /// layer exists (the padding mask's).
        /// </summary>
        /// <exception cref="NotSupportedException">A kind declares a class that is neither torch.nn's nor a helper file.</exception>
        public static IEnumerable<string> Helpers(NetworkGraph graph)
        {
            var classes = graph.Root.Descendants().Where(n => n.Form == NodeForm.Leaf).Select(n => n.Declared?.PyTorch.Class).OfType<string>()
                .Concat(AfterConstruction(graph).Select(HookClass))
                .Where(c => !c.StartsWith("nn.", StringComparison.Ordinal))
                .Distinct(StringComparer.Ordinal);
            return classes.Select(c => HelperSource(c) ?? throw new NotSupportedException(
                $"The PyTorch twin has no class {c}, which a layer of {graph.Name} is declared to create: a kind's PyTorch constructor is a torch.nn class (nn.Name) " +
                $"or a helper class written in Dsl.Runtime's PyTorch/Helpers/{c}.py (an embedded resource)."));
        }

        /// <summary>The Python source of helper class <paramref name="name"/> (<c>PyTorch/Helpers/&lt;name&gt;.py</c>), or null when there is none.</summary>
        internal static string? HelperSource(string name) => HelperTexts.GetOrAdd(name, n =>
        {
            using var stream = typeof(PyTorchLayers).Assembly.GetManifestResourceStream(PythonNames.HelperResourcePrefix + n + ".py");
            if (stream is null) return null;
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
        });

        /// <summary>The names of every helper class embedded in this assembly.</summary>
        internal static IEnumerable<string> HelperNames => PythonNames.HelperClasses;

        private static readonly ConcurrentDictionary<string, string?> HelperTexts = new(StringComparer.Ordinal);

        /// <summary>
        /// The PyTorch expression that creates <paramref name="leaf"/>. <paramref name="variable"/> gives the Python
        /// variable for an argument that comes from a constructor parameter of the enclosing block, or null to write
        /// the value; arguments at their default are left out unless they come from a parameter.
        /// </summary>
        /// <exception cref="NotSupportedException">The layer kind or one of its arguments has no PyTorch mapping.</exception>
        public static string Create(GraphNode leaf, Func<GraphArg, string?> variable)
        {
            if (Refused.TryGetValue(leaf.Module, out var why)) throw new NotSupportedException(why(leaf));
            var layer = leaf.Declared?.PyTorch;
            if (layer is null)
            {
                throw new NotSupportedException(
                    $"The PyTorch twin cannot render layer '{leaf.Path}': the graph declares no PyTorch constructor for the {leaf.Module} module. " +
                    $"Declare it where its kind adds the leaf (GraphBuilder.Leaf's rendering: a LeafRendering with its PyTorchConstructor) and rebuild the network.");
            }
            var arguments = layer.For(leaf);
            foreach (var arg in leaf.Args.Where(a => arguments.All(p => p.Graph != a.Name)))
            {
                throw new NotSupportedException(
                    $"The PyTorch twin cannot render layer '{leaf.Path}' ({leaf.Module}): its argument '{arg.Name}' is not among the arguments of its PyTorch constructor {layer.Class} " +
                    $"({string.Join(", ", arguments.Select(a => a.Graph))}); add it to the PyTorchConstructor its kind declares.");
            }

            var written = new List<string>();
            bool byPosition = true; // positional only while no earlier argument was left out
            foreach (var p in arguments)
            {
                var arg = leaf.Args.FirstOrDefault(a => a.Name == p.Graph);
                string? name = arg is null ? null : variable(arg);
                if (arg is null || (name is null && arg.IsDefault))
                {
                    byPosition = false;
                    continue;
                }
                string value = name ?? PythonText.Literal(arg.Value);
                byPosition &= p.Positional;
                written.Add(byPosition ? value : p.PyTorch + "=" + value);
            }
            return $"{layer.Class}({string.Join(", ", written)})";
        }
    }
}
