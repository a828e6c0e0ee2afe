using System.Text.Json;
using Dsl.Runtime.Autocast;

namespace Dsl.Runtime.Graph
{
    /// <summary>
    /// One argument of a module's PyTorch constructor: its name in the graph (TorchSharp's), its name in PyTorch, and
    /// whether PyTorch users pass it by position (<c>nn.Conv2d(64, 128, kernel_size=3)</c>, as torchvision writes it).
    /// </summary>
    public sealed record PyTorchArgument(string Graph, string PyTorch, bool Positional);

    /// <summary>
    /// A module kind's PyTorch constructor, as its kind declares it (<c>renderings</c>: <c>pytorch</c> and
    /// <c>arguments</c>): a <c>torch.nn</c> class or a class of the twin's helper files (<c>PositionTable</c>), with its
    /// arguments in PyTorch's order; null <see cref="Arguments"/>: the leaf's own arguments, by keyword under the same names.
    /// </summary>
    public sealed record PyTorchConstructor(string Class, IReadOnlyList<PyTorchArgument>? Arguments)
    {
        /// <summary>The arguments written for <paramref name="leaf"/>: the declared ones, or the leaf's own by keyword.</summary>
        public IReadOnlyList<PyTorchArgument> For(GraphNode leaf) =>
            Arguments ?? leaf.Args.Select(a => new PyTorchArgument(a.Name, a.Name, false)).ToArray();
    }

    /// <summary>How a module reads the activations it is given (the graph's <c>layout</c>, docs/graph-format.md).</summary>
    public enum ActivationLayout
    {
        /// <summary>Whatever arrives, in any memory layout (no <c>layout</c>).</summary>
        Any,
        /// <summary><c>image</c>: an image convolution, which channels-last speeds up on a 4-d activation.</summary>
        Image,
        /// <summary><c>tokens</c>: reads activations as a sequence of tokens or normalises them through permutes.</summary>
        Tokens,
        /// <summary><c>token_ids</c>: reads the network's integer token ids (an Embedding); a sequence reader as well.</summary>
        TokenIds,
    }

    /// <summary>
    /// What a module kind declares about its rendering outside TorchSharp besides ONNX (one entry of the graph's
    /// <c>renderings</c>): its PyTorch constructor and its autocast rule. Its ONNX rendering is the graph's <c>onnx</c>
    /// entry (<see cref="OnnxRendering"/>).
    /// </summary>
    public sealed class ModuleRendering
    {
        private ModuleRendering(PyTorchConstructor pyTorch, AutocastRule? autocast)
        {
            PyTorch = pyTorch;
            Autocast = autocast;
        }

        /// <summary>How the module reads its activations (<c>layout</c>): what channels-last training looks at.</summary>
        public ActivationLayout Layout { get; private init; }

        /// <summary>Whether the module reads its activations as tokens (<see cref="ActivationLayout.Tokens"/> or <see cref="ActivationLayout.TokenIds"/>).</summary>
        public bool ReadsTokens => Layout is ActivationLayout.Tokens or ActivationLayout.TokenIds;

        /// <summary>The layer's family (<c>family</c>: <c>convolution</c>, <c>normalization</c>, <c>pooling</c>, <c>dense</c>, <c>pass_through</c>), or null for any other.</summary>
        public string? Family { get; private init; }

        /// <summary>The twin helper's function the network's <c>__init__</c> calls with <c>self</c> once every layer exists (<c>after_construction</c>), or null.</summary>
        public string? AfterConstruction { get; private init; }

        /// <summary>The leaf argument that calls for <see cref="AfterConstruction"/> (<c>after_construction_with</c>), or null when every leaf of the kind does.</summary>
        public string? AfterConstructionWith { get; private init; }

        /// <summary>The function <paramref name="leaf"/>, of this kind, needs called once every layer exists, or null.</summary>
        public string? AfterConstructionOf(GraphNode leaf) =>
            AfterConstructionWith is null || leaf.Args.Any(a => a.Name == AfterConstructionWith) ? AfterConstruction : null;

        /// <summary>The PyTorch constructor the twin writes.</summary>
        public PyTorchConstructor PyTorch { get; }

        /// <summary>The autocast rule mixed precision follows (null when the graph has none: the module gets float32 inputs).</summary>
        public AutocastRule? Autocast { get; }

        /// <summary>The graph's <c>renderings</c>, by module kind (empty when it has none).</summary>
        internal static IReadOnlyDictionary<string, ModuleRendering> ReadAll(JsonElement top) =>
            top.TryGetProperty("renderings", out var all)
                ? all.EnumerateObject().ToDictionary(p => p.Name, p => Read(p.Name, p.Value), StringComparer.Ordinal)
                : new Dictionary<string, ModuleRendering>(StringComparer.Ordinal);

        private static ModuleRendering Read(string kind, JsonElement e)
        {
            var pyTorch = new PyTorchConstructor(e.GetProperty("pytorch").GetString()!,
                e.TryGetProperty("arguments", out var arguments)
                    ? arguments.EnumerateArray().Select(a =>
                    {
                        string graph = a.GetProperty("name").GetString()!;
                        return new PyTorchArgument(graph, a.TryGetProperty("pytorch", out var name) ? name.GetString()! : graph,
                            a.TryGetProperty("positional", out var positional) && positional.GetBoolean());
                    }).ToArray()
                    : null);
            var autocast = e.TryGetProperty("autocast", out var rule)
                ? new AutocastRule(kind, rule.GetProperty("ops").GetString()!, Policy(rule, "cpu"), Policy(rule, "cuda"))
                : null;
            var layout = e.TryGetProperty("layout", out var l) ? l.GetString() switch
            {
                "image" => ActivationLayout.Image,
                "tokens" => ActivationLayout.Tokens,
                "token_ids" => ActivationLayout.TokenIds,
                var other => throw new FormatException($"the layout '{other}' of '{kind}' is none of image, tokens, token_ids."),
            } : ActivationLayout.Any;
            return new ModuleRendering(pyTorch, autocast)
            {
                Layout = layout,
                Family = e.TryGetProperty("family", out var family) ? family.GetString() : null,
                AfterConstruction = e.TryGetProperty("after_construction", out var hook) ? hook.GetString() : null,
                AfterConstructionWith = e.TryGetProperty("after_construction_with", out var with) ? with.GetString() : null,
            };
        }

        /// <summary>A policy by PyTorch's list name (<c>fall_through</c> for none), as the generator writes it.</summary>
        private static CastPolicy Policy(JsonElement autocast, string device) => autocast.GetProperty(device).GetString() switch
        {
            "fall_through" => CastPolicy.FallThrough,
            "lower_precision_fp" => CastPolicy.LowerPrecision,
            "fp32" => CastPolicy.Float32,
            "promote" => CastPolicy.Promote,
            var other => throw new FormatException($"the autocast policy '{other}' on {device} is none of fall_through, lower_precision_fp, fp32, promote."),
        };
    }
}
