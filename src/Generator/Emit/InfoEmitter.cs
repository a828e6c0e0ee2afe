
namespace Dsl.Generator.Emit
{
    /// <summary>
    /// Writes the second file of a network: its compile-time facts (input and output shapes, parameter and
    /// multiply-add counts, every module's row) so the module file stays short.
    /// </summary>
    internal static class InfoEmitter
    {
        private const string ShapeType = "global::Dsl.Shape";

        public static string HintName(NetworkSpec spec) => spec.FullName + ".Info.g.cs";

        private static string Describe(int rank) => rank switch { 1 => "features", 2 => "channels, length", _ => "channels, height, width" };

        public static string Emit(NetworkModel model, BlockClasses classes, bool rawStrings)
        {
            var w = new CodeWriter();
            using (Scopes.Open(w, model.Spec))
            using (w.Block("partial class " + Identifier.Escape(model.Spec.ClassName)))
            {
                w.Line(model.Spec.Vocabulary > 0
                    ? $"/// <summary>Shape of one input sample: {model.InputShape[0]} token ids in [0, {model.Spec.Vocabulary}){(model.AnySize ? " (shorter sequences run too)" : "")}; the batch dimension is free.</summary>"
                    : model.AnySize
                    ? $"/// <summary>Shape of one input sample as declared (and checked at compile time); the batch dimension is free, and so are the spatial sizes ({(model.OutputsFollowInput ? "the outputs are resized to the input's size, so theirs follow it" : "the network pools globally")}).</summary>"
                    : $"/// <summary>Shape of one input sample ({Describe(model.InputShape.Count)}); the batch dimension is free.</summary>");
                w.Line($"public static {ShapeType} InputShape {{ get; }} = new {ShapeType}({string.Join(", ", model.InputShape)});");
                w.Line();
                w.Line("/// <summary>Shape of one output sample.</summary>");
                w.Line($"public static {ShapeType} OutputShape {{ get; }} = new {ShapeType}({string.Join(", ", model.OutputShape)});");
                w.Line();
                w.Line("/// <summary>Trainable parameters, computed at compile time.</summary>");
                w.Line($"public const long ParameterCount = {Literal.Of(model.Parameters)};");
                w.Line();
                w.Line("/// <summary>Multiply-adds of convolutions and linear layers for one sample, computed at compile time.</summary>");
                w.Line($"public const long MultiplyAddCount = {Literal.Of(model.MultiplyAdds)};");
                w.Line();
                w.Line("/// <summary>Every layer's output shape, parameters and multiply-adds, computed at compile time.</summary>");
                w.Line($"public static global::Dsl.NetworkInfo Info {{ get; }} = new global::Dsl.NetworkInfo({Identifier.String(model.Spec.ClassName)}, InputShape, new global::Dsl.LayerInfo[]");
                w.Line("{");
                foreach (var node in model.Root.Descendants())
                {
                    w.Line($"    new global::Dsl.LayerInfo({Identifier.String(node.Path)}, {Identifier.String(node.Type)}, {node.Depth}, new {ShapeType}({string.Join(", ", node.Output)}), {Literal.Of(node.Parameters)}, {Literal.Of(node.MultiplyAdds)}),");
                }
                long own = model.Parameters - System.Linq.Enumerable.Sum(model.Layers, l => l.Parameters);
                var saved = SavedTensors.Of(model);
                // A forward that ends with a step after its last layer (an [Interpolate]) says its output shape itself.
                bool ownOutput = model.Layers.Count > 0 && !model.Layers[model.Layers.Count - 1].Output.Equals(model.OutputShape);
                string savedArg = saved.Activations < 0 ? "null"
                    : $"new global::Dsl.SavedActivations({Literal.Of(saved.Activations)}, {Literal.Of(saved.Statistics)}, {Literal.Of(saved.Indices)}, {Literal.Of(saved.FixedStatistics)})";
                if (model.Inputs.Count > 1 || model.Outputs.Count > 0 || ownOutput)
                {
                    string inputs = model.Inputs.Count > 1
                        ? "new global::Dsl.InputInfo[] { " + string.Join(", ", model.Inputs.Select(i => $"new global::Dsl.InputInfo({Identifier.String(i.Name)}, new {ShapeType}({string.Join(", ", i.Shape)}))")) + " }"
                        : "null";
                    string outputs = model.Outputs.Count > 0
                        ? "new global::Dsl.OutputInfo[] { " + string.Join(", ", model.Outputs.Select(o => $"new global::Dsl.OutputInfo({Identifier.String(o.Name)}, new {ShapeType}({string.Join(", ", o.Shape)}), {Literal.Of(o.Auxiliary)}, {Literal.Of(o.Var == model.Root.Result ? 1.0 : o.LossWeight)}, {Literal.Of(o.Var == model.Root.Result)})")) + " }"
                        : "null";
                    w.Line($"}}, Graph, {Literal.Of(own)}, {savedArg}, {inputs}, {outputs}{(ownOutput ? ", OutputShape" : "")});");
                }
                else w.Line(saved.Activations < 0
                    ? (own == 0 ? "}, Graph);" : $"}}, Graph, {Literal.Of(own)});")
                    : $"}}, Graph, {Literal.Of(own)}, {savedArg});");
                w.Line();
                w.Line("/// <summary>The network graph as JSON (docs/graph-format.md): what the ONNX and PyTorch exporters render.</summary>");
                GraphJson.WriteConstant(w, GraphJson.Write(model, classes), rawStrings);
                w.Line();
                w.Line("/// <inheritdoc/>");
                w.Line("global::Dsl.NetworkInfo global::Dsl.IDeclaredNetwork.Info => Info;");
                w.Line();
                w.Line("/// <summary>The D2L-style layer summary followed by a table of every layer, for a batch of <paramref name=\"batch\"/>.</summary>");
                w.Line("public static string Summary(long batch = 1) => Info.Summary(batch);");
            }
            return w.ToString();
        }
    }
}
