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
    /// How the exporters render a simple leaf kind, as the kind declares it in the generator and the graph carries it
    /// once per module kind (<c>renderings</c>): a <c>torch.nn</c> class taking the leaf's arguments by the same names,
    /// one ONNX operator on the leaf's input with attributes from its arguments or constants, and the kind's autocast rule
    /// (<see cref="AutocastLists.For(GraphNode)"/> reads it before its own rows).
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

        /// <summary>The kind's autocast rule as it declares it (null when the graph has none: <see cref="AutocastLists"/> decides).</summary>
        public AutocastRule? Autocast { get; }

        /// <summary>The graph's <c>renderings</c>, by module kind (empty when it has none).</summary>
        internal static IReadOnlyDictionary<string, LeafRendering> ReadAll(JsonElement top) =>
            top.TryGetProperty("renderings", out var all)
                ? all.EnumerateObject().ToDictionary(p => p.Name, p => Read(p.Name, p.Value), StringComparer.Ordinal)
                : new Dictionary<string, LeafRendering>(StringComparer.Ordinal);

        private static LeafRendering Read(string kind, JsonElement e) => new(
            e.GetProperty("pytorch").GetString()!,
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
            e.TryGetProperty("autocast", out var autocast)
                ? new AutocastRule(kind, autocast.GetProperty("ops").GetString()!, Policy(autocast, "cpu"), Policy(autocast, "cuda"))
                : null);

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
