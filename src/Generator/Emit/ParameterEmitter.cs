using System.Text;

namespace Dsl.Generator.Emit
{
    /// <summary>
    /// How the emitters write a module's own learned tensors (<see cref="TensorParam"/>): a <c>Parameter</c> field, its
    /// creation and <c>register_parameter</c>, the steps that use it, and its entry in the graph JSON. Also the leaf
    /// modules Dsl.Attributes provides (namespace <c>Dsl.Layers</c>) where TorchSharp has none with the same keys.
    /// </summary>
    internal static class ParameterEmitter
    {
        /// <summary>The namespace of this library's leaf modules (<see cref="Graph.GraphNode.OwnModule"/>).</summary>
        public const string DslNamespace = "global::Dsl.Layers";

        public static void WriteFields(CodeWriter w, EquatableArray<TensorParam> tensors, IReadOnlyDictionary<string, string>? parameters = null)
        {
            foreach (var t in tensors)
            {
                string start = t.Init == TensorInit.Full ? $", starting at {Literal.Of(t.Fill)}" : "";
                w.Line($"/// <summary>{t.Name}: a learned tensor {Shape(Dims(t, parameters))} of this module (a parameter, not a submodule){start}.</summary>");
                w.Line($"public readonly {ModuleEmitter.Parameter} {t.Name};");
                w.Line();
            }
        }

        /// <summary>Creates and registers the tensors (before the submodules: PyTorch lists a module's own parameters first).</summary>
        /// <remarks>In a block class, a first dimension given by a constructor argument (<see cref="TensorParam.Channels"/>) is that argument.</remarks>
        public static void WriteConstruction(CodeWriter w, EquatableArray<TensorParam> tensors, IReadOnlyDictionary<string, string>? parameters = null)
        {
            foreach (var t in tensors)
            {
                string dims = string.Join(", ", Dims(t, parameters));
                string value = t.Init switch
                {
                    TensorInit.Zeros => $"{ModuleEmitter.Torch}.zeros({dims})",
                    TensorInit.Full => $"{ModuleEmitter.Torch}.full(new long[] {{ {dims} }}, {Literal.Of(t.Fill)})",
                    _ => $"{ModuleEmitter.Torch}.empty({dims}).normal_(0.0, {Literal.Of(t.Std)})",
                };
                w.Line($"{t.Name} = new {ModuleEmitter.Parameter}({value});");
                w.Line($"register_parameter({Identifier.String(t.Name)}, {t.Name});");
            }
        }

        /// <summary>The C# expression of a parameter step.</summary>
        public static string Step(Step step, EquatableArray<TensorParam> tensors)
        {
            string x = step.Inputs[0], p = step.Param!;
            if (step.Op == StepOp.ParamAdd) return $"{x}.add({p})";
            if (step.Op == StepOp.ParamMul) return $"{x}.mul({p})";
            int rank = tensors.FirstOrDefault(t => t.Name == p)?.Shape.Count ?? 3;
            string free = string.Concat(Enumerable.Repeat(", -1", rank - 1));
            // The tensor [1, 1, ...] repeated for every sample of the batch, then joined before the tokens.
            return $"{ModuleEmitter.Torch}.cat(new[] {{ {p}.expand({x}.shape[0]{free}), {x} }}, 1)";
        }

        public static void WriteJson(StringBuilder json, EquatableArray<TensorParam> tensors)
        {
            json.Append(",\"tensors\":[").Append(string.Join(",", tensors.Select(t =>
                "{\"name\":" + GraphJson.Str(t.Name) + ",\"shape\":[" + string.Join(",", t.Shape) + "],\"init\":"
                + GraphJson.Str(t.InitName) + (t.Init == TensorInit.Normal ? ",\"std\":" + Literal.Of(t.Std) : "")
                + (t.Init == TensorInit.Full ? ",\"value\":" + Literal.Of(t.Fill) : "")
                + (t.Channels is null ? "" : ",\"channels\":" + GraphJson.Str(t.Channels)) + "}"))).Append(']');
        }

        private static string Shape(IEnumerable<string> dims) => "[" + string.Join(", ", dims) + "]";

        /// <summary>The dimensions as code: the first one by its constructor argument when a block class takes it from one.</summary>
        private static List<string> Dims(TensorParam t, IReadOnlyDictionary<string, string>? parameters)
        {
            var dims = t.Shape.Select(d => Literal.Of(d)).ToList();
            if (t.Channels is { } channels && parameters is not null && parameters.TryGetValue(channels, out var variable)) dims[0] = variable;
            return dims;
        }
    }
}
