using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Generator.Graph;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.PyTorch;
using Xunit;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// Every module a layer kind can put into a graph has an ONNX mapping and a PyTorch constructor: each layer
    /// attribute is declared on its own on the inputs it may take, built as the generator builds it
    /// (<see cref="KindGraphs"/>), and every leaf module of the graphs that build is read as the runtime reads it and
    /// rendered by both exporters (its kind's declared rendering: the PyTorch constructor and autocast rule, and the ONNX
    /// rendering, whose named functions the runtime registers). A new kind without its declarations fails here instead of
    /// at a user's export.
    /// </summary>
    public class ExporterCoverageTests
    {
        /// <summary>
        /// Every leaf of <paramref name="model"/> as the runtime reads it from the graph JSON: its ONNX mapping (its kind's
        /// declared rendering, or an entry of the runtime's) and its PyTorch constructor, written for this leaf's arguments
        /// (a declared rendering whose ONNX attribute names an argument the leaf lacks, or an argument without a PyTorch
        /// name, fails here).
        /// </summary>
        private static void Check(NetworkModel model, string declaration, ISet<string> seen, ISet<string> functions, List<string> missing)
        {
            foreach (var leaf in KindGraphs.RuntimeGraph(model).Root.Descendants().Where(n => n.Form == Dsl.Runtime.Graph.NodeForm.Leaf && n.Module != "Custom"))
            {
                seen.Add(leaf.Module);
                if (leaf.Declared is null) missing.Add($"{leaf.Module} (from {declaration}) declares no rendering: pass its LeafRendering (PyTorch constructor and autocast rule) to GraphBuilder.Leaf where its kind adds it");
                else if (!leaf.Declared.PyTorch.Class.StartsWith("nn.", StringComparison.Ordinal) && PyTorchLayers.HelperSource(leaf.Declared.PyTorch.Class) is null)
                    missing.Add($"{leaf.Module} (from {declaration}) declares the PyTorch class {leaf.Declared.PyTorch.Class}, which is neither torch.nn's (nn.{leaf.Declared.PyTorch.Class}) nor a helper file: add src/Runtime/PyTorch/Helpers/{leaf.Declared.PyTorch.Class}.py");
                if (!OnnxLayers.TryGet(leaf, out _)) missing.Add($"{leaf.Module} (from {declaration}) has no ONNX mapping: declare its rendering where its kind adds the leaf (onnx: ...)");
                foreach (var function in leaf.Onnx?.Functions ?? Array.Empty<string>())
                {
                    functions.Add(function);
                    if (!OnnxFunctions.All.ContainsKey(function)) missing.Add($"{leaf.Module} (from {declaration}): its ONNX rendering calls the function '{function}', which no [OnnxFunction] method of the runtime registers");
                }
                // A rendering without conditions reads every argument it names, whatever the leaf's arguments are.
                if (leaf.Onnx is { Cases: [{ Conditions.Count: 0 } always] } && always.Nodes.All(n => n.Conditions.Count == 0))
                    foreach (var node in always.Nodes)
                        foreach (var (name, _, value) in node.Attributes)
                            foreach (var arg in ArgsRead(value).Where(a => !leaf.HasArg(a)))
                                missing.Add($"{leaf.Module} (from {declaration}): its ONNX attribute {name} reads '{arg}', which the leaf has not");
                try
                {
                    PyTorchLayers.Create(leaf, _ => null);
                }
                catch (NotSupportedException e)
                {
                    missing.Add($"{leaf.Module} (from {declaration}) has no PyTorch mapping: {e.Message}");
                }
            }
        }

        /// <summary>The leaf arguments an ONNX rendering's value reads (<c>{"arg": name}</c>, at any depth).</summary>
        private static IEnumerable<string> ArgsRead(System.Text.Json.JsonElement value) => value.ValueKind switch
        {
            System.Text.Json.JsonValueKind.Array => value.EnumerateArray().SelectMany(ArgsRead),
            System.Text.Json.JsonValueKind.Object => value.EnumerateObject().SelectMany(p =>
                p.Name == "arg" && p.Value.ValueKind == System.Text.Json.JsonValueKind.String ? new[] { p.Value.GetString()! } : ArgsRead(p.Value)),
            _ => Enumerable.Empty<string>(),
        };

        [Fact]
        public void Every_module_a_layer_kind_builds_has_an_ONNX_and_a_PyTorch_mapping()
        {
            var missing = new List<string>();
            var seen = new SortedSet<string>(StringComparer.Ordinal);
            // A hand-written module's refusal is called by Custom leaves, which the check leaves out (the twin refuses them too).
            var functions = new SortedSet<string>(StringComparer.Ordinal) { "custom" };
            foreach (var (_, declaration, model) in KindGraphs.All) Check(model, declaration, seen, functions, missing);
            var unbuilt = KindGraphs.Kinds.Where(k => KindGraphs.All.All(b => b.Kind != k)).Select(KindGraphs.Usage).ToList();
            Assert.True(unbuilt.Count == 0, "these kinds built on none of the inputs tried; add an input they take: " + string.Join(", ", unbuilt));
            // One message per module and problem (the first declaration that shows it), not one per input tried.
            var problems = missing.GroupBy(m => System.Text.RegularExpressions.Regex.Replace(m, @" \(from .*?\]\)", ""), StringComparer.Ordinal).Select(g => g.First()).ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            // One declaration per module: the graph carries one rendering per module kind, so two kinds that build the same
            // module must declare the same one (a kind builds another's module through that kind's code).
            var differing = KindGraphs.All.SelectMany(b => b.Model.Root.Descendants().Where(n => n.Form == NodeForm.Leaf && n.Rendering is not null)
                    .Select(n => (n.ModuleType, n.Rendering!, b.Declaration)))
                .GroupBy(n => n.ModuleType, StringComparer.Ordinal).Where(g => g.Select(n => n.Item2).Distinct().Count() > 1)
                .Select(g => g.Key + " (from " + string.Join(", ", g.GroupBy(n => n.Item2).Select(r => r.First().Declaration)) + ")").ToList();
            Assert.True(differing.Count == 0, "modules declared with different renderings: " + string.Join("; ", differing));
            // Every helper file is the class of a module a kind builds or of a function a kind calls once every layer exists
            // (the padding mask's), and a name the twin reserves.
            var declared = KindGraphs.All.SelectMany(b => KindGraphs.RuntimeGraph(b.Model).Root.Descendants()).Select(n => n.Declared)
                .SelectMany(d => d is null ? Array.Empty<string>() : new[] { d.PyTorch.Class }.Concat(d.AfterConstruction is { } hook ? new[] { PyTorchLayers.HookClass(hook) } : Array.Empty<string>()))
                .ToHashSet();
            var unused = PyTorchLayers.HelperNames.Where(h => !declared.Contains(h)).ToList();
            Assert.True(unused.Count == 0, "helper files no kind declares: " + string.Join(", ", unused));
            // PythonNames is compiled into the generator and the runtime both, each reading the helper files embedded in it:
            // read the generator's, which must embed the same files as the runtime.
            var reserved = (IReadOnlyCollection<string>)typeof(GraphBuilder).Assembly.GetType("Dsl.Names.PythonNames")!.GetField("TwinGlobals")!.GetValue(null)!;
            var unreserved = PyTorchLayers.HelperNames.Where(h => !reserved.Contains(h)).ToList();
            Assert.True(unreserved.Count == 0, "helper classes missing from PythonNames.TwinGlobals (a block or argument of that name would hide them): " + string.Join(", ", unreserved));
            // The modules of the catalogue's building blocks were all reached.
            Assert.Subset(seen, new SortedSet<string>(new[] { "Conv1d", "Conv2d", "ConvTranspose2d", "BatchNorm2d", "Linear", "MultiheadSelfAttention", "LayerNorm2d",
                "Embedding", "PositionTable", "FusedSelfAttention", "TiedLinear" }));
            // Every registered ONNX function is one a kind calls: none is left behind when a kind's rendering changes.
            var uncalled = OnnxFunctions.All.Keys.Where(f => !functions.Contains(f)).ToList();
            Assert.True(uncalled.Count == 0, "no kind's ONNX rendering calls the registered functions " + string.Join(", ", uncalled) + ": remove them or call them");
        }

        [Fact]
        public void Every_leaf_of_a_module_kind_declares_the_same_ONNX_rendering()
        {
            // The graph carries one rendering per module kind (the first leaf's): a kind that added its module with two
            // renderings would export every leaf with one of them.
            var leaves = KindGraphs.All.SelectMany(b => b.Model.Root.Descendants()).Where(n => n.Form == NodeForm.Leaf && n.Onnx is not null).ToList();
            var differing = leaves.GroupBy(n => n.ModuleType).Where(g => g.Select(n => n.Onnx!.Json).Distinct().Count() > 1).Select(g => g.Key).ToList();
            Assert.True(leaves.Count > 100, $"only {leaves.Count} leaves with an ONNX rendering were built");
            Assert.True(differing.Count == 0, "these modules are added with different ONNX renderings; declare one per module kind (with cases by argument): " + string.Join(", ", differing));
        }
    }
}
