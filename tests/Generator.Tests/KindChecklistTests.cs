using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CsCheck;
using Dsl.Generator.Tests.Blocks;
using Dsl.Generator.Tests.Outputs;
using Xunit;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// The steps of adding a layer kind (docs/architecture.md, "Adding a layer or block kind") that no compiler checks:
    /// each test names the step a new kind missed. The exporters' mappings and the twin's defaults are checked by
    /// <see cref="ExporterCoverageTests"/> and <see cref="TwinDefaultsTests"/>, the attribute's defaults by
    /// <see cref="AttributeDefaultsTests"/>, a diagnostic's bad declaration by <see cref="ShapeErrorsBuildTests"/> and
    /// its page by <see cref="DocsTests"/>.
    /// </summary>
    public class KindChecklistTests
    {
        /// <summary>The README's vocabulary table: from its heading to the decisions after it.</summary>
        private static string Vocabulary()
        {
            string readme = File.ReadAllText(Path.Combine(DiagnosticHarness.RepoRoot, "README.md"));
            int start = readme.IndexOf("## The attribute vocabulary", StringComparison.Ordinal);
            int end = readme.IndexOf("### Decisions", start, StringComparison.Ordinal);
            Assert.True(start >= 0 && end > start, "README.md has no section 'The attribute vocabulary' followed by 'Decisions'");
            return readme.Substring(start, end - start);
        }

        [Fact]
        public void Every_layer_attribute_has_a_row_in_the_README_vocabulary()
        {
            string table = Vocabulary();
            var missing = KindGraphs.Attributes.Select(KindGraphs.Written)
                .Where(name => !new[] { "]", "(", "<" }.Any(next => table.Contains("`[" + name + next, StringComparison.Ordinal)))
                .ToList();
            Assert.True(missing.Count == 0, "README.md's vocabulary table has no row for " + string.Join(", ", missing.Select(n => "[" + n + "]"))
                + ": add one (the attribute as written, its PyTorch counterpart, what it accepts)");
        }

        /// <summary>Whether a kind's ONNX rendering is a simple kind's: always one operator on the leaf's input (<c>Relu</c>, <c>Elu</c> with alpha).</summary>
        private static bool IsOneOperator(Dsl.Runtime.Graph.OnnxRendering? onnx) =>
            onnx is { Cases: [{ Conditions.Count: 0, Nodes: [{ Op: not null, Conditions.Count: 0, Inputs: [var input] }] }] }
            && input.ValueKind == System.Text.Json.JsonValueKind.String && input.GetString() == "x";

        [Fact]
        public void Every_module_the_runtime_maps_by_name_is_documented_in_the_graph_format()
        {
            // A simple kind's module (a torch.nn class taking the leaf's arguments under their own names) is documented by
            // its declared rendering; the others, whose arguments are renamed or reordered, by docs/graph-format.md.
            string page = File.ReadAllText(Path.Combine(DiagnosticHarness.RepoRoot, "docs", "graph-format.md"));
            // Every leaf module a kind builds with more than a simple rendering: renamed or reordered PyTorch arguments, or an
            // ONNX rendering of more than one operator on its input.
            var built = KindGraphs.All.SelectMany(b => KindGraphs.RuntimeGraph(b.Model).Root.Descendants())
                .Where(n => n.Form == Dsl.Runtime.Graph.NodeForm.Leaf && (!IsOneOperator(n.Onnx) || n.Declared?.PyTorch.Arguments is not null))
                .Select(n => n.Module);
            var missing = built.Distinct()
                .Where(module => !page.Contains("`" + module + "`", StringComparison.Ordinal)).ToList();
            Assert.True(missing.Count == 0, "docs/graph-format.md does not name the modules " + string.Join(", ", missing) + ": document each module and its arguments there");
        }

        /// <summary>Every leaf module a layer kind builds (generator side), with the first declaration that builds it.</summary>
        private static IEnumerable<(Dsl.Generator.Graph.GraphNode Leaf, string Declaration)> Leaves() =>
            KindGraphs.All.SelectMany(b => b.Model.Root.Descendants().Where(n => n.Form == Dsl.Generator.Graph.NodeForm.Leaf).Select(n => (n, b.Declaration)));

        /// <summary>One message per module kind (the first declaration that builds it wrongly), not one per input tried.</summary>
        private static void NoneMissing(IEnumerable<(Dsl.Generator.Graph.GraphNode Leaf, string Declaration)> wrong, Func<Dsl.Generator.Graph.GraphNode, string> why)
        {
            var problems = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (leaf, declaration) in wrong) problems.TryAdd(leaf.ModuleType, $"{leaf.ModuleType} (from {declaration}) {why(leaf)}");
            Assert.True(problems.Count == 0, string.Join("\n", problems.Values));
        }

        [Fact]
        public void Every_leaf_states_what_its_backward_keeps()
        {
            NoneMissing(Leaves().Where(l => l.Leaf.Saves is null), _ =>
                "states no saves: declare what its backward keeps where the kind adds its leaf (GraphBuilder.Leaf saves: SavedForBackward.Input, "
                + "Result, Sizes, View, or a rule of its own), from PyTorch's derivatives.yaml, so the memory plan counts it");
        }

        [Fact]
        public void Every_leaf_with_parameters_declares_what_init_rules_select_in_it()
        {
            NoneMissing(Leaves().Where(l => l.Leaf.Parameters > 0 && l.Leaf.CustomType is null && l.Leaf.Init is null), _ =>
                "has parameters and no init declaration: declare what [Init] selects in it where the kind adds its leaf (GraphBuilder.Leaf init: "
                + "LeafInit.Named(kind, weightRank), LeafInit.ByPath(weightRank), or a rule of its own)");
            NoneMissing(Leaves().Where(l => l.Leaf.Init?.Kind is { } kind && kind != l.Leaf.ModuleType), leaf =>
                $"declares the init kind '{leaf.Init!.Kind}': a rule names a module by its class, {leaf.ModuleType}");
        }

        [Fact]
        public void Every_kind_an_init_preset_names_is_declared_by_a_kind()
        {
            var declared = Dsl.Generator.Init.InitRules.Kinds;
            var missing = Enum.GetValues<Dsl.Generator.Init.InitPreset>()
                .SelectMany(p => Dsl.Generator.Init.InitRules.KindsNamedBy(p).Where(k => !declared.Contains(k)).Select(k => $"{p} names {k}"))
                .ToList();
            Assert.True(missing.Count == 0, string.Join("\n", missing) + "\nwhich no kind declares (LeafInit.Named): the preset would skip it silently; "
                + "declare it where the kind adds its leaf, or correct the preset's kind name (kinds: " + string.Join(", ", declared) + ")");
            // The presets were reached: torchvision's ResNet names its convolutions and norms.
            Assert.Contains("Conv2d", Dsl.Generator.Init.InitRules.KindsNamedBy(Dsl.Generator.Init.InitPreset.TorchVisionResNet));
        }

        [Fact]
        public void Every_kind_that_reads_tokens_declares_it()
        {
            // Read from what the kind does to an image: one that turns it into a sequence of tokens, or reorders its
            // dimensions, reads the activations as tokens (channels-last would add layout copies around it).
            static bool TokensOfAnImage(Dsl.Generator.Graph.GraphNode n) => n.Input.Count == 3 && (n.Output.Count == 2
                || n.Output.Count == 3 && !n.Output.SequenceEqual(n.Input) && n.Output.OrderBy(d => d).SequenceEqual(n.Input.OrderBy(d => d)));
            NoneMissing(Leaves().Where(l => TokensOfAnImage(l.Leaf) && l.Leaf.Rendering?.Layout is not (Dsl.Generator.Graph.ActivationLayout.Tokens or Dsl.Generator.Graph.ActivationLayout.TokenIds)), leaf =>
                $"turns the image {GraphBuilderFormat(leaf.Input)} into {GraphBuilderFormat(leaf.Output)}: declare Layout = ActivationLayout.Tokens on its LeafRendering, so channels-last training leaves its network contiguous");
        }

        [Fact]
        public void Every_layer_kind_builds_on_some_input_so_one_that_reads_token_ids_declares_it()
        {
            // A kind that reads the network's token ids builds on them only when it declares so (otherwise DSL043): every
            // layer kind builds on some input, so one that needs token ids and lacks the declaration is found here. Built
            // here, not through KindGraphs.All, whose language-model declarations need such a kind.
            var never = KindGraphs.Kinds.Where(k => KindGraphs.Contexts.All(c => KindGraphs.Build($"{c} [{KindGraphs.Usage(k)}]") is null))
                .Select(KindGraphs.Written).ToList();
            Assert.True(never.Count == 0, "these kinds build on none of the inputs tried: " + string.Join(", ", never)
                + "; a kind that takes the network's token ids declares Layout = ActivationLayout.TokenIds on its LeafRendering (or add the input it takes to KindGraphs' contexts)");
        }

        private static string GraphBuilderFormat(Dsl.Generator.Model.EquatableArray<long> dims) => "[" + string.Join(", ", dims) + "]";

        /// <summary>
        /// Kinds the shape fuzz does not draw, with the property test that builds them against TorchSharp instead and why:
        /// the token kinds need tokens and a block around them, a layer scale is a tensor of its block, the rest are not
        /// layers of one sequence.
        /// </summary>
        private static readonly Dictionary<string, Type> CoveredElsewhere = new(StringComparer.Ordinal)
        {
            ["Tokens"] = typeof(TokenPropertyTests),
            ["ClassToken"] = typeof(TokenPropertyTests),
            ["PositionEmbedding"] = typeof(TokenPropertyTests),
            ["SelectToken"] = typeof(TokenPropertyTests),
            ["LayerNorm"] = typeof(TokenPropertyTests),
            ["LayerScale"] = typeof(LayerScaleTests),
            ["LayerKind"] = typeof(BlockFuzzTests),
            ["Use"] = typeof(BlockFuzzTests),
            ["Custom"] = typeof(CustomLayerFuzzTests),
            ["Merge"] = typeof(OutputNetworkTests),
            ["Output"] = typeof(OutputNetworkTests),
            ["Backbone"] = typeof(OutputNetworkTests),
            ["Interpolate"] = typeof(NonSquareConvolutionTests),
        };

        [Fact]
        public void Every_layer_kind_is_drawn_by_the_shape_fuzz_or_names_the_test_that_builds_it()
        {
            // The kinds the fuzz's generators draw, from a sample of its declarations (the fuzz's own seed).
            var drawn = new HashSet<string>(StringComparer.Ordinal);
            var batch = FuzzGen.Declaration.Array[20];
            for (uint b = 0; b < 200; b++)
                foreach (var declaration in batch.Generate(new PCG(b, 20261128UL), null, out _))
                    foreach (var layer in declaration.Layers) drawn.Add(layer.Kind);

            var kinds = KindGraphs.Attributes.Select(KindGraphs.Written).ToList();
            var missing = kinds.Where(k => !drawn.Contains(k) && !CoveredElsewhere.ContainsKey(k)).ToList();
            Assert.True(missing.Count == 0, "ShapeFuzzTests never draws " + string.Join(", ", missing)
                + ": add a generator with the kind's own plain-TorchSharp build (FLayer), or name the property test that covers it in " + nameof(CoveredElsewhere));
            var stale = CoveredElsewhere.Keys.Where(k => drawn.Contains(k) || !kinds.Contains(k)).ToList();
            Assert.True(stale.Count == 0, nameof(CoveredElsewhere) + " lists kinds the fuzz draws or that do not exist: " + string.Join(", ", stale));
        }
    }
}
