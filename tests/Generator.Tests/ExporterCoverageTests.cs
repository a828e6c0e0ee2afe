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
    /// Every module a layer kind can put into a graph has an ONNX mapping and a PyTorch twin mapping: each layer
    /// attribute is declared on its own on the inputs it may take, built as the generator builds it
    /// (<see cref="KindGraphs"/>), and every leaf module of the graphs that build is read as the runtime reads it and
    /// rendered by both exporters (its kind's declared ONNX rendering, whose named functions the runtime registers, and
    /// its PyTorch rendering or the runtime's own entry). A new kind without its mappings fails here instead of at a user's export.
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
                if (!OnnxLayers.TryGet(leaf, out _)) missing.Add($"{leaf.Module} (from {declaration}) has no ONNX mapping: declare its rendering where its kind adds the leaf (onnx: ...)");
                foreach (var function in leaf.Onnx?.Functions ?? Array.Empty<string>())
                {
                    functions.Add(function);
                    if (!OnnxFunctions.All.ContainsKey(function)) missing.Add($"{leaf.Module} (from {declaration}): its ONNX rendering calls the function '{function}', which no [OnnxFunction] method of the runtime registers");
                }
                foreach (var a in leaf.Rendering?.OnnxAttributes ?? Array.Empty<Dsl.Runtime.Graph.OnnxAttributeRule>())
                    if (a.Arg is not null && !leaf.HasArg(a.Arg)) missing.Add($"{leaf.Module} (from {declaration}): its ONNX attribute {a.Name} reads '{a.Arg}', which the leaf has not");
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
            Assert.True(missing.Count == 0, string.Join("\n", missing.Distinct()));
            // The modules of the catalogue's building blocks were all reached.
            Assert.Subset(seen, new SortedSet<string>(new[] { "Conv1d", "Conv2d", "ConvTranspose2d", "BatchNorm2d", "Linear", "MultiheadSelfAttention", "LayerNorm2d",
                "Embedding", "PositionTable", "FusedSelfAttention", "TiedLinear" }));
            // Every registered ONNX function is one a kind calls: none is left behind when a kind's rendering changes.
            var unused = OnnxFunctions.All.Keys.Where(f => !functions.Contains(f)).ToList();
            Assert.True(unused.Count == 0, "no kind's ONNX rendering calls the registered functions " + string.Join(", ", unused) + ": remove them or call them");
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
