using System.Reflection;
using System.Text.Json;
using Dsl.Runtime.Graph;
using Dsl.Runtime.Onnx.Proto;
using static Dsl.Runtime.Onnx.OnnxAttribute;

namespace Dsl.Runtime.Onnx
{
    /// <summary>
    /// Marks a function that renders a leaf (or part of one) in ONNX, by the name a kind's rendering calls it
    /// (<c>Function("lstm")</c> in the generator): like torch.onnx's <c>@_onnx_symbolic</c>, it is registered where it is
    /// written, found by reflection (<see cref="OnnxFunctions"/>). The method is static, takes the layer's
    /// <see cref="OnnxLayerContext"/> (its <c>Input</c> the node's input) and returns the name of its output.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
    internal sealed class OnnxFunctionAttribute : Attribute
    {
        public OnnxFunctionAttribute(string name) => Name = name;

        public string Name { get; }
    }

    /// <summary>The <see cref="OnnxFunctionAttribute"/> functions of this assembly, by name.</summary>
    internal static class OnnxFunctions
    {
        public static IReadOnlyDictionary<string, Func<OnnxLayerContext, string>> All { get; } = Find();

        private static Dictionary<string, Func<OnnxLayerContext, string>> Find()
        {
            var all = new Dictionary<string, Func<OnnxLayerContext, string>>(StringComparer.Ordinal);
            foreach (var method in typeof(OnnxFunctions).Assembly.GetTypes()
                         .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)))
            {
                if (method.GetCustomAttribute<OnnxFunctionAttribute>() is not { } attribute) continue;
                // A wrong signature or a name used twice is this library's own mistake: it fails every export at once, and the registry's test.
                var parameters = method.GetParameters();
                if (method.ReturnType != typeof(string) || parameters.Length != 1 || parameters[0].ParameterType != typeof(OnnxLayerContext))
                    throw new InvalidOperationException($"The ONNX function '{attribute.Name}' ({method.DeclaringType?.Name}.{method.Name}) must be static string (OnnxLayerContext).");
                if (all.ContainsKey(attribute.Name))
                    throw new InvalidOperationException($"The ONNX function name '{attribute.Name}' is registered twice (again by {method.DeclaringType?.Name}.{method.Name}).");
                all[attribute.Name] = method.CreateDelegate<Func<OnnxLayerContext, string>>();
            }
            return all;
        }
    }

    /// <summary>
    /// Writes a leaf's declared <see cref="OnnxRendering"/>: its first case whose conditions hold, node by node. Values
    /// are read against the leaf: its arguments (per spatial axis, as <c>pads</c>, one minus), its input's dimensions,
    /// constants. A float attribute of 0 is written as 0, never left out and read back as the operator's default:
    /// onnx.proto gives every attribute value explicit presence, for every rendering at once.
    /// </summary>
    internal static class OnnxRenderer
    {
        /// <summary>Renders <paramref name="rendering"/> for the leaf of <paramref name="c"/>; returns the leaf's output (its input: an identity).</summary>
        public static string Render(OnnxLayerContext c, OnnxRendering rendering)
        {
            var chosen = rendering.Cases.FirstOrDefault(k => k.Conditions.All(condition => Holds(c, condition)))
                ?? throw c.Unsupported("its arguments (" + string.Join(", ", c.Node.Args.Select(a => a.Name + " = " + a.Value.GetRawText()))
                                       + ") match none of the cases of its ONNX rendering.");
            var outputs = new List<string>();
            foreach (var node in chosen.Nodes)
            {
                if (!node.Conditions.All(condition => Holds(c, condition)))
                {
                    // Left out: the value passes through.
                    outputs.Add(node.Inputs.Count == 0 ? c.Input : Input(c, node.Inputs[0], outputs) ?? c.Input);
                    continue;
                }
                var inputs = node.Inputs.Select(i => Input(c, i, outputs)).ToList();
                // A weight left out: dropped at the end of the list, ONNX's empty name before an input that follows.
                while (inputs.Count > 0 && inputs[^1] is null) inputs.RemoveAt(inputs.Count - 1);
                var names = inputs.Select(i => i ?? "").ToArray();
                if (node.Function is { } name)
                {
                    var function = OnnxFunctions.All.GetValueOrDefault(name)
                        ?? throw c.Unsupported($"its ONNX rendering calls the function '{name}', which this runtime does not have (it has {string.Join(", ", OnnxFunctions.All.Keys.OrderBy(k => k, StringComparer.Ordinal))}); use the runtime that matches the generator.");
                    outputs.Add(function(c.WithInput(names.Length > 0 ? names[0] : c.Input)));
                    continue;
                }
                outputs.Add(c.Op(node.Op!, names, node.Attributes.Select(a => Attribute(c, a.Name, a.Type, a.Value)).ToArray()));
            }
            return outputs.Count == 0 ? c.Input : outputs[^1];
        }

        private static bool Holds(OnnxLayerContext c, JsonElement condition)
        {
            if (condition.TryGetProperty("rank", out var rank)) return c.Node.Input.Count >= rank.GetInt32();
            if (!condition.TryGetProperty("arg", out var arg))
                throw new FormatException($"an ONNX rendering's condition {condition.GetRawText()} is none of {{\"arg\"}}, {{\"arg\", \"is\"}}, {{\"arg\", \"above\"}}, {{\"rank\"}}.");
            var value = c.Node.Args.FirstOrDefault(a => a.Name == arg.GetString())?.Value;
            if (value is not { } v) return false;
            if (condition.TryGetProperty("above", out var other))
                return Spatial(c, arg.GetString()!).Zip(Spatial(c, other.GetString()!), (a, b) => a > b).Any(above => above);
            if (condition.TryGetProperty("is", out var expected)) return v.ValueKind == JsonValueKind.String && v.GetString() == expected.GetString();
            return v.ValueKind != JsonValueKind.False;
        }

        /// <summary>The name of an input: the leaf's input, an earlier node's output, a weight, a new constant; null for a weight left out.</summary>
        private static string? Input(OnnxLayerContext c, JsonElement input, List<string> outputs)
        {
            if (input.ValueKind == JsonValueKind.String)
                return input.GetString() switch
                {
                    "x" => c.Input,
                    "" => "",
                    var other => throw new FormatException($"an ONNX rendering's input '{other}' is neither \"x\" (the leaf's input) nor \"\" (none)."),
                };
            if (input.TryGetProperty("node", out var node))
            {
                int index = node.GetInt32();
                if (index < 0 || index >= outputs.Count) throw new FormatException($"an ONNX rendering's node reads node {index}, which does not come before it.");
                return outputs[index];
            }
            if (input.TryGetProperty("weight", out var weight))
            {
                if (input.TryGetProperty("if", out var flag) && !c.Node.Bool(flag.GetString()!)) return null;
                return c.Weight(weight.GetString()!);
            }
            var (kind, value) = input.EnumerateObject().Select(p => (p.Name, p.Value)).Single();
            return kind switch
            {
                "float" => c.Op("Constant", Array.Empty<string>(), Float("value_float", Evaluate(c, value).Scalar)),
                "floats" => c.Op("Constant", Array.Empty<string>(), Floats("value_floats", Evaluate(c, value).List)),
                "ints" => c.Op("Constant", Array.Empty<string>(), Ints("value_ints", Longs(Evaluate(c, value).List))),
                "int64" => OnnxTokenLayers.Int64Scalar(c, (long)Evaluate(c, value).Scalar),
                "int64s" => OnnxTokenLayers.Int64s(c, Longs(Evaluate(c, value).List)),
                _ => throw new FormatException($"an ONNX rendering's input {input.GetRawText()} is none of \"x\", \"\", node, weight, float, floats, ints, int64, int64s."),
            };
        }

        private static AttributeProto Attribute(OnnxLayerContext c, string name, string type, JsonElement value)
        {
            var v = Evaluate(c, value);
            return type switch
            {
                "int" => Int(name, (long)v.Scalar),
                "float" => Float(name, v.Scalar),
                "ints" => Ints(name, Longs(v.List)),
                "floats" => Floats(name, v.List),
                _ => Text(name, v.Text ?? throw c.Unsupported($"its ONNX attribute '{name}' is a string, but its value {value.GetRawText()} is not.")),
            };
        }

        private static long[] Longs(double[] values) => values.Select(v => (long)v).ToArray();

        private static AttributeProto Floats(string name, double[] values)
        {
            var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
            a.Floats.AddRange(values.Select(v => (float)v));
            return a;
        }

        /// <summary>A value of a rendering: a number, a list of numbers or a text.</summary>
        private readonly record struct Value(double Scalar, double[]? Values, string? Text)
        {
            /// <summary>A list as it is, a number as a list of one.</summary>
            public double[] List => Values ?? new[] { Scalar };
        }

        /// <summary>A value per spatial axis (the leaf's input dimensions after the channels): a number repeated, a list as it is.</summary>
        private static double[] Spatial(OnnxLayerContext c, Value value) => value.Values ?? Enumerable.Repeat(value.Scalar, c.Node.Input.Count - 1).ToArray();

        private static double[] Spatial(OnnxLayerContext c, string arg) =>
            Spatial(c, Evaluate(c, c.Node.Args.FirstOrDefault(a => a.Name == arg)?.Value
                ?? throw c.Unsupported($"its ONNX rendering reads the argument '{arg}', which the graph does not give it")));

        private static Value Evaluate(OnnxLayerContext c, JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Number: return new Value(e.GetDouble(), null, null);
                case JsonValueKind.True: return new Value(1, null, null);
                case JsonValueKind.False: return new Value(0, null, null);
                case JsonValueKind.String: return new Value(0, null, e.GetString());
                // A list's list-valued items are spliced in ([0, input shape]).
                case JsonValueKind.Array: return new Value(0, e.EnumerateArray().SelectMany(i => Evaluate(c, i).List).ToArray(), null);
            }
            if (e.TryGetProperty("input", out var dim)) return new Value(c.Node.Input[dim.GetInt32()], null, null);
            if (e.TryGetProperty("input_shape", out _)) return new Value(0, c.Node.Input.Select(d => (double)d).ToArray(), null);
            if (e.TryGetProperty("per_spatial_axis", out var each)) return new Value(0, Enumerable.Repeat(each.GetDouble(), c.Node.Input.Count - 1).ToArray(), null);
            string arg = e.GetProperty("arg").GetString()!;
            var raw = c.Node.Args.FirstOrDefault(a => a.Name == arg)?.Value
                ?? throw c.Unsupported($"its ONNX rendering reads the argument '{arg}', which the graph does not give it");
            var value = Evaluate(c, raw);
            if (!e.TryGetProperty("as", out var how)) return value;
            var spatial = Spatial(c, value);
            return how.GetString() switch
            {
                "spatial" => new Value(0, spatial, null),
                "pads" => new Value(0, spatial.Concat(e.TryGetProperty("end_minus", out var minus)
                    ? spatial.Zip(Spatial(c, minus.GetString()!), (p, m) => Math.Max(p - m, 0)) : spatial).ToArray(), null),
                "one_minus" => new Value(1 - value.Scalar, null, null),
                var other => throw new FormatException($"an ONNX rendering reads the argument '{arg}' as '{other}'; the forms are spatial, pads (with end_minus), one_minus."),
            };
        }
    }
}
