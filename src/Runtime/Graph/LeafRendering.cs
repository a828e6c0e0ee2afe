using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using Dsl.Runtime.Autocast;

namespace Dsl.Runtime.Graph
{
    /// <summary>
    /// One attribute of a simple leaf's ONNX node (<c>renderings</c> in the graph, docs/graph-format.md): a float or an
    /// int, taken from the leaf's argument <see cref="Arg"/> or the constant <see cref="Constant"/>.
    /// </summary>
    public sealed record OnnxAttributeRule(string Name, bool IsFloat, string? Arg, double Constant);

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
    /// Everything a module kind declares about its rendering (one entry of the graph's <c>renderings</c>): its PyTorch
    /// constructor, its autocast rule, and, for a kind that is one ONNX operator, <see cref="Onnx"/>.
    /// </summary>
    public sealed class ModuleRendering
    {
        private ModuleRendering(PyTorchConstructor pyTorch, AutocastRule? autocast, LeafRendering? onnx)
        {
            PyTorch = pyTorch;
            Autocast = autocast;
            Onnx = onnx;
        }

        /// <summary>How the module reads its activations (<c>layout</c>): what channels-last training looks at.</summary>
        public ActivationLayout Layout { get; private init; }

        /// <summary>Whether the module reads its activations as tokens (<see cref="ActivationLayout.Tokens"/> or <see cref="ActivationLayout.TokenIds"/>).</summary>
        public bool ReadsTokens => Layout is ActivationLayout.Tokens or ActivationLayout.TokenIds;

        /// <summary>The layer's family (<c>family</c>: <c>convolution</c>, <c>normalization</c>, <c>pooling</c>, <c>dense</c>, <c>pass_through</c>), or null for any other.</summary>
        public string? Family { get; private init; }

        /// <summary>The twin helper's function the network's <c>__init__</c> calls with <c>self</c> once every layer exists (<c>after_construction</c>), or null.</summary>
        public string? AfterConstruction { get; private init; }

        /// <summary>The PyTorch constructor the twin writes.</summary>
        public PyTorchConstructor PyTorch { get; }

        /// <summary>The autocast rule mixed precision follows (null when the graph has none: the module gets float32 inputs).</summary>
        public AutocastRule? Autocast { get; }

        /// <summary>The one-operator ONNX rendering, when the kind declares one (null: the ONNX exporter's own mapping).</summary>
        public LeafRendering? Onnx { get; }

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
            return new ModuleRendering(pyTorch, autocast, e.TryGetProperty("onnx", out _) ? LeafRendering.Read(e, pyTorch.Class, autocast) : null)
            {
                Layout = layout,
                Family = e.TryGetProperty("family", out var family) ? family.GetString() : null,
                AfterConstruction = e.TryGetProperty("after_construction", out var hook) ? hook.GetString() : null,
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

    /// <summary>
    /// How the exporters render a simple leaf kind that is one ONNX operator, as the kind declares it in the generator
    /// and the graph carries it once per module kind (<c>renderings</c>): a <c>torch.nn</c> class taking the leaf's
    /// arguments by the same names, one ONNX operator on the leaf's input with attributes from its arguments or
    /// constants, and the kind's autocast rule (<see cref="ModuleRendering"/> has the same for every module kind).
    /// </summary>
    public sealed class LeafRendering
    {
        private LeafRendering(string pyTorch, string onnxOperator, IReadOnlyList<OnnxAttributeRule> onnxAttributes, AutocastRule? autocast)
        {
            PyTorch = pyTorch;
            OnnxOperator = onnxOperator;
            OnnxAttributes = onnxAttributes;
            Autocast = autocast;
        }

        /// <summary>The PyTorch constructor (<c>nn.ELU</c>).</summary>
        public string PyTorch { get; }

        /// <summary>The ONNX operator (<c>Elu</c>), opset <c>OnnxExporter.Opset</c>.</summary>
        public string OnnxOperator { get; }

        /// <summary>The ONNX node's attributes.</summary>
        public IReadOnlyList<OnnxAttributeRule> OnnxAttributes { get; }

        /// <summary>The kind's autocast rule as it declares it (null when the graph has none: float32, <see cref="AutocastLists.Unknown"/>).</summary>
        public AutocastRule? Autocast { get; }

        /// <summary>The ONNX part of a <c>renderings</c> entry that has one.</summary>
        internal static LeafRendering Read(JsonElement e, string pyTorch, AutocastRule? autocast) => new(
            pyTorch,
            e.GetProperty("onnx").GetString()!,
            e.TryGetProperty("attributes", out var attributes)
                ? attributes.EnumerateObject().Select(a =>
                {
                    var (type, value) = a.Value.EnumerateObject().Select(t => (t.Name, t.Value)).Single();
                    bool isFloat = type switch
                    {
                        "float" => true,
                        "int" => false,
                        _ => throw new FormatException($"the ONNX attribute '{a.Name}' has type '{type}'; the types are float and int."),
                    };
                    return value.ValueKind == JsonValueKind.String
                        ? new OnnxAttributeRule(a.Name, isFloat, value.GetString(), 0)
                        : new OnnxAttributeRule(a.Name, isFloat, null, value.GetDouble());
                }).ToArray()
                : Array.Empty<OnnxAttributeRule>(),
            autocast);
    }
}
