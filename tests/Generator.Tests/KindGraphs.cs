using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Generator.Graph;
using Dsl.Generator.Parsing;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// Every layer attribute, found by reflection, declared on its own on the inputs it may take and built as the
    /// generator builds it: what the checklist tests (exporter coverage, the twin's defaults, the README vocabulary, the
    /// property tests' reach) look at, so a new kind is in every one of them without being listed anywhere.
    /// </summary>
    internal static class KindGraphs
    {
        /// <summary>What may come before the layer: an image, a sequence, flat features, tokens, a channels-last image, an image of 2 channels.</summary>
        public static readonly string[] Contexts =
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
        public static readonly string[] Options =
        {
            "[Input(2, Vocabulary = 50)] [Embedding(8, Name = \"wte\")] [PositionTable(2, Sinusoidal = true)] " +
            "[MultiheadSelfAttention(2, Causal = true, Layout = AttentionLayout.Gpt2)] [GELU(Tanh = true)] [Linear(50, TiedTo = \"wte\")]",
            "[Input(2, Vocabulary = 50)] [Embedding(8, PaddingIndex = 0)] [MultiheadSelfAttention(2, PaddingMask = true)] " +
            "[MultiheadSelfAttention(2, Causal = true, Layout = AttentionLayout.Gpt2, PaddingMask = true)]",
        };

        /// <summary>Every layer attribute a user can write (generic ones, <c>[Use&lt;T&gt;]</c>, <c>[Custom&lt;T&gt;]</c>, <c>[Backbone&lt;T&gt;]</c>, included).</summary>
        public static IEnumerable<Type> Attributes => typeof(LayerAttribute).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(LayerAttribute)) && !t.IsAbstract)
            .OrderBy(t => t.Name, StringComparer.Ordinal);

        /// <summary>An attribute's name as written: <c>ReLU</c>, <c>Use</c> for <c>UseAttribute`1</c>.</summary>
        public static string Written(Type attribute)
        {
            string name = attribute.Name;
            int tick = name.IndexOf('`');
            if (tick >= 0) name = name.Substring(0, tick);
            return name.Substring(0, name.Length - "Attribute".Length);
        }

        /// <summary>
        /// The kinds that build modules on their own: [LayerKind] builds the module of the kind a block parameter names
        /// (those kinds are covered themselves); [Output] and [Merge] name values of the forward and build no module.
        /// </summary>
        public static IEnumerable<Type> Kinds => Attributes
            .Where(t => !t.IsGenericTypeDefinition && t != typeof(LayerKindAttribute) && t != typeof(OutputAttribute) && t != typeof(MergeAttribute));

        /// <summary>The attribute written with its required arguments only: counts 2, reals 0.5, Permute's dims an image's, an enum's first value.</summary>
        public static string Usage(Type kind)
        {
            var constructor = kind.GetConstructors().Where(c => c.GetParameters().All(p => p.ParameterType != typeof(string)))
                .OrderByDescending(c => c.GetParameters().Count(p => !p.IsOptional)).First();
            var written = constructor.GetParameters().Where(p => !p.IsOptional).Select(p =>
                p.ParameterType == typeof(double) ? "0.5" : p.ParameterType == typeof(int[]) ? "0, 2, 3, 1"
                : p.ParameterType.IsEnum ? p.ParameterType.Name + "." + Enum.GetNames(p.ParameterType)[0] : "2");
            string name = Written(kind);
            return constructor.GetParameters().Any(p => !p.IsOptional) ? $"{name}({string.Join(", ", written)})" : name;
        }

        /// <summary>A declaration built as the generator builds it, or null when it has problems.</summary>
        public static NetworkModel? Build(string declaration)
        {
            var parsed = SpecParser.Parse(Harness.Compilation($"using Dsl; {declaration} public partial class Net;").GetTypeByMetadataName("Net")!, default);
            if (parsed.Spec is null || parsed.Problems.Count > 0) return null;
            var model = NetworkGraph.Build(parsed.Spec, parsed.Problems);
            return model.HasErrors ? null : model;
        }

        /// <summary>The graph of <paramref name="model"/> as the runtime reads it (the JSON the generator embeds).</summary>
        public static Dsl.Runtime.Graph.NetworkGraph RuntimeGraph(NetworkModel model) =>
            Dsl.Runtime.Graph.NetworkGraph.Parse(Emit.GraphJson.Write(model, Emit.BlockClasses.For(model)));

        /// <summary>Every kind on every input it takes (kind null: one of <see cref="Options"/>), each built, once per process.</summary>
        public static IReadOnlyList<(Type? Kind, string Declaration, NetworkModel Model)> All => Lazy.Value;

        private static readonly Lazy<IReadOnlyList<(Type? Kind, string Declaration, NetworkModel Model)>> Lazy = new(() =>
        {
            var all = new List<(Type?, string, NetworkModel)>();
            foreach (var kind in Kinds)
                foreach (string context in Contexts)
                    if (Build($"{context} [{Usage(kind)}]") is { } model) all.Add((kind, $"{context} [{Usage(kind)}]", model));
            foreach (string declaration in Options)
            {
                var model = Build(declaration) ?? throw new InvalidOperationException("does not build: " + declaration);
                all.Add((null, declaration, model));
            }
            return all;
        });
    }
}
