using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Dsl.Generator.Graph;
using Dsl.Generator.Parsing;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.PyTorch;
using Xunit;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// Every module a layer kind can put into a graph has an ONNX mapping and a PyTorch twin mapping: each layer
    /// attribute is declared on its own on the inputs it may take, built as the generator builds it, and every leaf
    /// module of the graphs that build is looked up in both exporters. A new kind without its mappings fails here
    /// instead of at a user's export.
    /// </summary>
    public class ExporterCoverageTests
    {
        /// <summary>What may come before the layer: an image, a sequence, flat features, tokens, a channels-last image, an image of 2 channels.</summary>
        private static readonly string[] Contexts =
        {
            "[Input(4, 16, 16)]",
            "[Input(4, 16)]",
            "[Input(16)]",
            "[Input(4, 16, 16)] [Conv2d(8, 4, Stride = 4)] [Tokens]",
            "[Input(4, 16, 16)] [Permute(0, 2, 3, 1)]",
            "[Input(2, 16, 16)]", // residual blocks whose output channels (2) equal their input's
            "[Input(2, Vocabulary = 50)]", // token ids
            "[Input(2, Vocabulary = 50)] [Embedding(8)]", // embedded tokens of a length a position table of 2 rows takes
        };

        /// <summary>Kinds whose options choose another module than their required arguments do (GPT-2's layers).</summary>
        private static readonly string[] Options =
        {
            "[Input(2, Vocabulary = 50)] [Embedding(8, Name = \"wte\")] [PositionTable(2, Sinusoidal = true)] " +
            "[MultiheadSelfAttention(2, Causal = true, Layout = AttentionLayout.Gpt2)] [GELU(Tanh = true)] [Linear(50, TiedTo = \"wte\")]",
            "[Input(2, Vocabulary = 50)] [Embedding(8, PaddingIndex = 0)] [MultiheadSelfAttention(2, PaddingMask = true)] " +
            "[MultiheadSelfAttention(2, Causal = true, Layout = AttentionLayout.Gpt2, PaddingMask = true)]",
        };

        private static IEnumerable<Type> Kinds => typeof(LayerAttribute).Assembly.GetTypes()
            // [LayerKind] builds the module of the kind a block parameter names: those kinds are covered themselves.
            // [Output] and [Merge] name values of the forward and build no module.
            .Where(t => t.IsSubclassOf(typeof(LayerAttribute)) && !t.IsAbstract && !t.IsGenericTypeDefinition && t != typeof(LayerKindAttribute)
                && t != typeof(OutputAttribute) && t != typeof(MergeAttribute))
            .OrderBy(t => t.Name, StringComparer.Ordinal);

        /// <summary>The attribute written with its required arguments only: counts 2, reals 0.5, Permute's dims an image's, an enum's first value.</summary>
        private static string Usage(Type kind)
        {
            var constructor = kind.GetConstructors().Where(c => c.GetParameters().All(p => p.ParameterType != typeof(string)))
                .OrderByDescending(c => c.GetParameters().Count(p => !p.IsOptional)).First();
            var written = constructor.GetParameters().Where(p => !p.IsOptional).Select(p =>
                p.ParameterType == typeof(double) ? "0.5" : p.ParameterType == typeof(int[]) ? "0, 2, 3, 1"
                : p.ParameterType.IsEnum ? p.ParameterType.Name + "." + Enum.GetNames(p.ParameterType)[0] : "2");
            string name = kind.Name.Substring(0, kind.Name.Length - "Attribute".Length);
            return constructor.GetParameters().Any(p => !p.IsOptional) ? $"{name}({string.Join(", ", written)})" : name;
        }

        /// <summary>
        /// Every leaf of <paramref name="model"/> as the runtime reads it from the graph JSON: its ONNX mapping (its kind's
        /// declared rendering, or an entry of the runtime's) and its PyTorch constructor, written for this leaf's arguments
        /// (a declared rendering whose ONNX attribute names an argument the leaf lacks, or an argument without a PyTorch
        /// name, fails here).
        /// </summary>
        private static void Check(NetworkModel model, string declaration, ISet<string> seen, List<string> missing)
        {
            var graph = Dsl.Runtime.Graph.NetworkGraph.Parse(Emit.GraphJson.Write(model, Emit.BlockClasses.For(model)));
            foreach (var leaf in graph.Root.Descendants().Where(n => n.Form == Dsl.Runtime.Graph.NodeForm.Leaf && n.Module != "Custom"))
            {
                seen.Add(leaf.Module);
                if (!OnnxLayers.TryGet(leaf, out _)) missing.Add($"{leaf.Module} (from {declaration}) has no ONNX mapping");
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
            var unbuilt = new List<string>();
            var seen = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var kind in Kinds)
            {
                bool built = false;
                foreach (string context in Contexts)
                {
                    string source = $"using Dsl; {context} [{Usage(kind)}] public partial class Net;";
                    var parsed = SpecParser.Parse(Harness.Compilation(source).GetTypeByMetadataName("Net")!, default);
                    if (parsed.Spec is null || parsed.Problems.Count > 0) continue;
                    var model = NetworkGraph.Build(parsed.Spec, parsed.Problems);
                    if (model.HasErrors) continue;
                    built = true;
                    Check(model, $"[{Usage(kind)}]", seen, missing);
                }
                if (!built) unbuilt.Add(Usage(kind));
            }
            foreach (string declaration in Options)
            {
                var parsed = SpecParser.Parse(Harness.Compilation($"using Dsl; {declaration} public partial class Net;").GetTypeByMetadataName("Net")!, default);
                var model = NetworkGraph.Build(parsed.Spec!, parsed.Problems);
                Assert.False(model.HasErrors, declaration + ": " + string.Join("; ", model.Problems));
                Check(model, declaration, seen, missing);
            }
            Assert.True(unbuilt.Count == 0, "these kinds built on none of the inputs tried; add an input they take: " + string.Join(", ", unbuilt));
            Assert.True(missing.Count == 0, string.Join("\n", missing.Distinct()));
            // The modules of the catalogue's building blocks were all reached.
            Assert.Subset(seen, new SortedSet<string>(new[] { "Conv1d", "Conv2d", "ConvTranspose2d", "BatchNorm2d", "Linear", "MultiheadSelfAttention", "LayerNorm2d",
                "Embedding", "PositionTable", "FusedSelfAttention", "TiedLinear" }));
        }
    }
}
