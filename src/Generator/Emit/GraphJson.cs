using System.Text;

namespace Dsl.Generator.Emit
{
    /// <summary>
    /// The network graph as JSON, embedded in the generated facts so exporters (ONNX, the PyTorch twin) render the
    /// same graph the generator checked. The format is documented in docs/graph-format.md. Each module starts a line,
    /// indented by its depth, and a block's forward has a line of its own: a change to the network changes the lines
    /// of the modules it touches, so a diff of the generated file (or of a snapshot) reads module by module.
    /// </summary>
    internal static class GraphJson
    {
        public static string Write(NetworkModel model, BlockClasses classes)
        {
            var json = new StringBuilder();
            // Format 2: a kind's ONNX rendering is only in "onnx" (format 1 also put simple kinds' operators in
            // "renderings"); the runtime's NetworkGraph.SupportedFormat must match (docs/graph-format.md).
            json.Append("{\"format\":2,\"name\":").Append(Str(model.Spec.ClassName));
            // The network pools globally before any size-dependent layer: other spatial sizes than the declared one run.
            if (model.AnySize) json.Append(",\"anySize\":true");
            // Token input: the root's input is [length] integer ids in [0, vocabulary).
            if (model.Spec.Vocabulary > 0) json.Append(",\"vocabulary\":").Append(Literal.Of(model.Spec.Vocabulary));
            // The initialisation rules, as the twin applies them with torch.nn.init.
            InitEmitter.WriteJson(json, model);
            // Several inputs: each with its name (the forward's argument), variable and shape; the root's input_var is the first.
            if (model.Inputs.Count > 1)
                json.Append(",\"inputs\":[").Append(string.Join(",", model.Inputs.Select(i =>
                    "{\"name\":" + Str(i.Name) + ",\"var\":" + Str(i.Var) + ",\"shape\":[" + string.Join(",", i.Shape) + "]}"))).Append(']');
            // Declared outputs: each with its name, the root's value it returns, shape, mode and loss weight; the root's result is the main one.
            if (model.Outputs.Count > 0)
                json.Append(",\"outputs\":[").Append(string.Join(",", model.Outputs.Select(o =>
                    "{\"name\":" + Str(o.Name) + ",\"var\":" + Str(o.Var) + ",\"shape\":[" + string.Join(",", o.Shape) + "]"
                    + (o.Auxiliary ? ",\"auxiliary\":true" : "") + (o.LossWeight != 0 && o.Var != model.Root.Result ? ",\"lossWeight\":" + Literal.Of(o.LossWeight) : "") + "}"))).Append(']');
            // How the twin and autocast render each leaf kind, as the kind declares it: once per module kind, a line each.
            var renderings = model.Root.Descendants().Where(n => n.Form == NodeForm.Leaf && n.Rendering is not null)
                .GroupBy(n => n.ModuleType).Select(g => Str(g.Key) + ":" + g.First().Rendering!.Json()).ToList();
            if (renderings.Count > 0) json.Append(",\"renderings\":{\n").Append(string.Join(",\n", renderings)).Append('}');
            // How the ONNX exporter renders each leaf kind, as the kind declares it (docs/onnx.md): once per module kind, a line each.
            var onnx = model.Root.Descendants().Where(n => n.Form == NodeForm.Leaf && n.Onnx is not null)
                .GroupBy(n => n.ModuleType).Select(g => Str(g.Key) + ":" + g.First().Onnx!.Json).ToList();
            if (onnx.Count > 0) json.Append(",\"onnx\":{\n").Append(string.Join(",\n", onnx)).Append('}');
            json.Append(",\"root\":\n");
            Node(json, model.Root, classes, 0, model.InputVar);
            Plan(json, classes);
            json.Append("\n}");
            return json.ToString();
        }

        /// <param name="declared">Whether to write the node's layer: an item of a block class's Sequential with optional items.</param>
        /// <param name="items">Whether to write the layer of each child: this is such a Sequential.</param>
        private static void Node(StringBuilder json, GraphNode node, BlockClasses classes, int depth, string? rootInput = null, bool declared = false, bool items = false)
        {
            bool root = rootInput is not null;
            json.Append(' ', 2 * depth).Append("{\"name\":").Append(Str(node.Name))
                .Append(",\"path\":").Append(Str(node.Path))
                .Append(",\"type\":").Append(Str(node.Type))
                .Append(",\"form\":").Append(Str(node.Form.ToString().ToLowerInvariant()))
                .Append(",\"module\":").Append(Str(node.ModuleType));
            if (node.Form == NodeForm.Block && !root)
            {
                // The class plan: the class this use shares and the constructor arguments it passes (what differs between the uses).
                var blockClass = classes.Of(node);
                json.Append(",\"class\":").Append(Str(blockClass.Name))
                    .Append(",\"classArgs\":{").Append(string.Join(",", blockClass.Varying.Select(p => Str(p.Name) + ":" + blockClass.Argument(node, p)))).Append('}');
                // Inside a block class: the arguments the enclosing class passes on from its own.
                var passed = blockClass.Varying.Where(p => BlockClass.From(node, p.Name) is not null).ToList();
                if (passed.Count > 0)
                    json.Append(",\"classArgsFrom\":{").Append(string.Join(",", passed.Select(p => Str(p.Name) + ":" + Str(BlockClass.From(node, p.Name)!)))).Append('}');
            }
            // The item's layer in the class's plan: the twin builds the class's Sequential from its uses' items by layer.
            if (declared) json.Append(",\"layer\":").Append(Literal.Of(node.Declared));
            if (node.Flag is not null) json.Append(",\"flag\":").Append(Str(node.Flag));
            json.Append(",\"input\":[").Append(string.Join(",", node.Input)).Append("],\"output\":[").Append(string.Join(",", node.Output)).Append(']')
                .Append(",\"parameters\":").Append(Literal.Of(node.Parameters));
            if (node.Form == NodeForm.Leaf)
            {
                json.Append(",\"args\":[").Append(string.Join(",", node.Args.Select(a =>
                    "{\"name\":" + Str(a.Name) + ",\"value\":" + a.Value + (a.Param is null ? "" : ",\"param\":" + Str(a.Param)) + ",\"default\":" + Literal.Of(a.IsDefault) + "}"))).Append(']');
                if (node.ZeroInitWeight) json.Append(",\"zeroInitWeight\":true");
            }
            if (node.Tensors.Count > 0) ParameterEmitter.WriteJson(json, node.Tensors);
            if (node.Params.Count > 0)
            {
                json.Append(",\"params\":{").Append(string.Join(",", node.Params.Select(p => Str(p.Name) + ":" + p.Value))).Append('}');
            }
            if (node.Children.Count > 0)
            {
                json.Append(",\"children\":[");
                for (int i = 0; i < node.Children.Count; i++)
                {
                    json.Append(i > 0 ? ",\n" : "\n");
                    var child = node.Children[i];
                    bool optional = node.Form == NodeForm.Block && !root && child.Form == NodeForm.Sequential && classes.Of(node).PlannedOf(child.Name).ItemByItem;
                    Node(json, child, classes, depth + 1, declared: items, items: optional);
                }
                json.Append(']');
            }
            if (node.Form == NodeForm.Block)
            {
                json.Append(",\n").Append(' ', 2 * depth + 1).Append("\"body\":[").Append(string.Join(",", node.Body.Select(s =>
                    "{\"op\":" + Str(Op(s.Op)) + ",\"out\":" + Str(s.Output) + (s.Module is null ? "" : ",\"module\":" + Str(s.Module))
                    + ",\"in\":[" + string.Join(",", s.Inputs.Select(Str)) + "]" + (s.Flag is null ? "" : ",\"flag\":" + Str(s.Flag))
                    + (s.Param is null ? "" : ",\"param\":" + Str(s.Param)) + (s.Training ? ",\"training\":true" : "") + "}")))
                    .Append("],\"input_var\":").Append(Str(rootInput ?? "x")).Append(",\"result\":").Append(Str(node.Result));
            }
            json.Append('}');
        }

        /// <summary>
        /// The block classes as the generator planned them, one a line in the order the C# module declares them: each
        /// names the use whose forward is the class's and, for each submodule in registration order, the use's node it is
        /// built like (for a Sequential built item by item, also each item's node, from whichever use has it) and, when
        /// only some uses have it, the flag that decides it. Exporters render a class from this instead of comparing its uses again.
        /// </summary>
        private static void Plan(StringBuilder json, BlockClasses classes)
        {
            if (classes.Classes.Count == 0) return;
            json.Append(",\"classes\":[");
            for (int i = 0; i < classes.Classes.Count; i++)
            {
                var c = classes.Classes[i];
                json.Append(i > 0 ? ",\n" : "\n").Append("{\"name\":").Append(Str(c.Name)).Append(",\"forward\":").Append(Str(c.BodyUse.Path))
                    .Append(",\"children\":[").Append(string.Join(",", c.Planned.Select(Child))).Append("]}");
            }
            json.Append(']');
        }

        private static string Child(PlannedChild child)
        {
            string items = child.ItemByItem ? ",\"items\":[" + string.Join(",", child.Node.Children.Select(i => Str(i.Path))) + "]" : "";
            string optional = !child.Optional ? "" : ",\"flag\":" + (child.Flag is { } flag ? Str(flag) : "null");
            return "{\"name\":" + Str(child.Name) + ",\"node\":" + Str(child.Node.Path) + items + optional + "}";
        }

        /// <summary>The graph's name of a step operation (docs/graph-format.md; the runtime reads it with GraphOps).</summary>
        internal static string Op(StepOp op) => op switch
        {
            StepOp.Call => "call",
            StepOp.OptionalCall => "optional_call",
            StepOp.ReluInPlace => "relu",
            StepOp.Concat => "concat",
            StepOp.Multiply => "mul",
            StepOp.ParamAdd => "param_add",
            StepOp.ParamPrepend => "param_prepend",
            StepOp.ParamMul => "param_mul",
            StepOp.Interpolate => "interpolate",
            _ => "add",
        };

        /// <summary>A JSON string (names are C# identifiers or digits, but escape defensively).</summary>
        internal static string Str(string value)
        {
            var sb = new System.Text.StringBuilder(value.Length + 2).Append('"');
            foreach (char c in value)
            {
                if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                // JSON forbids raw control characters; lone surrogates and C#'s line breaks are escaped too, so the
                // JSON survives as a C# literal and in UTF-8 (System.Text.Json reads \uXXXX back).
                else if (c < ' ' || char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
                    sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                else sb.Append(c);
            }
            return sb.Append('"').ToString();
        }

        /// <summary>
        /// Writes <c>public const string Graph = ...;</c>: a raw string literal with the JSON's lines as they are where the
        /// language version has them (C# 11 and later), else one escaped literal. JSON escapes every quote inside a
        /// string and never puts three quotes in a row, so the content cannot end the raw literal.
        /// </summary>
        public static void WriteConstant(CodeWriter w, string json, bool rawStrings)
        {
            if (!rawStrings)
            {
                w.Line($"public const string Graph = {Identifier.String(json)};");
                return;
            }
            w.Line("public const string Graph = \"\"\"");
            foreach (string line in json.Split('\n')) w.Line(line);
            w.Line("\"\"\";");
        }
    }
}
