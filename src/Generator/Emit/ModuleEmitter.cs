using System.Globalization;

namespace Dsl.Generator.Emit
{
    /// <summary>
    /// Writes a network's TorchSharp module from its graph: the network class (fields, constructor, forward) with one
    /// nested class per block kind, as torchvision's resnet.py reads. The compile-time facts go to a second file
    /// (<see cref="InfoEmitter"/>). Pure: graph in, text out.
    /// </summary>
    internal static class ModuleEmitter
    {
        // The TorchSharp names generated code writes, fully qualified so that no type of the user's shadows them.
        internal const string Torch = "global::TorchSharp.torch";
        internal const string Tensor = Torch + ".Tensor";
        internal const string Nn = Torch + ".nn";
        internal const string Modules = "global::TorchSharp.Modules";
        internal const string Parameter = Modules + ".Parameter";
        internal const string ModuleBase = Nn + ".Module<" + Tensor + ", " + Tensor + ">";
        internal static readonly string GeneratedCode =
            "[global::System.CodeDom.Compiler.GeneratedCode(\"Dsl.Generator\", \"" + typeof(ModuleEmitter).Assembly.GetName().Version + "\")]";

        public static string HintName(NetworkSpec spec) => spec.FullName + ".g.cs";

        public static string Emit(NetworkModel model, BlockClasses classes)
        {
            var spec = model.Spec;
            string className = Identifier.Escape(spec.ClassName);
            var w = new CodeWriter();
            using (Scopes.Open(w, spec))
            {
                WriteClassDoc(w, model);
                w.Line(GeneratedCode);
                string moduleBase = model.Inputs.Count > 1 ? Nn + ".Module<" + string.Join(", ", Enumerable.Repeat(Tensor, model.Inputs.Count + 1)) + ">" : ModuleBase;
                bool outputs = model.Outputs.Count > 0;
                string interfaces = ", global::Dsl.IDeclaredNetwork" + (outputs && model.Inputs.Count == 1 ? ", global::Dsl.IMultiOutputNetwork" : "");
                using (w.Block("partial class " + className + " : " + moduleBase + interfaces))
                {
                    var root = model.Root;
                    ParameterEmitter.WriteFields(w, root.Tensors);
                    foreach (var child in root.Children)
                    {
                        w.Line($"/// <summary>{child.Name}: {child.Type}, output {Dims(child.Output)}, {Grouped(child.Parameters)} parameters.</summary>");
                        w.Line($"{FieldAccess(child)} readonly {FieldType(child, classes)} {NamePolicy.IndexField(child.Name)};");
                        w.Line();
                    }
                    w.Line($"/// <summary>Creates the layers of {spec.ClassName} and registers them by name (no reflection).</summary>");
                    using (w.Block($"public {className}() : base(nameof({className}))"))
                    {
                        ParameterEmitter.WriteConstruction(w, root.Tensors);
                        WriteConstruction(w, root.Children.Select(PlannedChild.Always).ToList(), Context.Literal(classes, spec.ClassName));
                        // A module connected to another once every layer exists (GPT-2's lm_head tied to the token embedding, an
                        // attention to the Embedding whose padding it masks), as its kind declares.
                        foreach (var hook in root.Descendants().Select(n => n.Rendering?.AfterConstruction is { } h && h.CalledFor(n) ? h : null).OfType<ConstructionHook>().Distinct())
                            w.Line(ParameterEmitter.DslNamespace + "." + hook.CSharp + "(this);");
                        InitEmitter.WriteApply(w, model);
                    }
                    w.Line();
                    w.Line(model.Inputs.Count > 1
                        ? $"/// <summary>Runs {spec.ClassName} on batches of shapes {string.Join(", ", model.Inputs.Select(i => i.Name + " " + Dims(i.Shape)))}; returns {Dims(model.OutputShape)}.</summary>"
                        : $"/// <summary>Runs {spec.ClassName} on a batch of shape {Dims(model.InputShape)}; returns {Dims(model.OutputShape)}{(model.Outputs.Count > 0 ? " (the main output; ForwardOutputs returns every output)" : "")}.</summary>");
                    w.Line(spec.Vocabulary > 0
                        ? $"/// <exception cref=\"global::System.ArgumentException\">The input is not a batch of token ids [N, L] in [0, {spec.Vocabulary}) with L {(model.AnySize ? "at most" : "equal to")} {model.InputShape[0]}.</exception>"
                        : model.Inputs.Count > 1
                        ? $"/// <exception cref=\"global::Dsl.InputShapeException\">An input is not of its declared shape.</exception>"
                        : model.AnySize
                        ? $"/// <exception cref=\"global::Dsl.InputShapeException\">The input is not a {model.InputShape.Count + 1}-D batch with {model.InputShape[0]} channels (other spatial sizes than the declared one are accepted: {(model.OutputsFollowInput ? "the outputs are resized to the input's size" : "the network pools globally")}).</exception>"
                        : $"/// <exception cref=\"global::Dsl.InputShapeException\">The input is not {Dims(model.InputShape)}.</exception>");
                    string input = model.InputVar;
                    string parameters = string.Join(", ", model.Inputs.Select(i => $"{Tensor} {i.Var}"));
                    using (w.Block($"public override {Tensor} forward({parameters})"))
                    {
                        WriteGuards(w, model);
                        // The main output needs neither the auxiliary heads nor what only other outputs read.
                        var main = Liveness.Needed(root.Body, new[] { root.Result }, out _);
                        WriteSteps(w, root.Body.Where((_, i) => main[i]), input, _ => 1, 1, root.Tensors, Checks(root, spec.ClassName), alreadyDeclared: model.Inputs.Select(i => i.Var), owner: root);
                        w.Line(model.Inputs.Any(i => i.Var == root.Result) ? $"return {root.Result}.alias();" : $"return {root.Result};");
                    }
                    if (outputs) WriteOutputs(w, model);
                    foreach (var blockClass in classes.Classes) WriteBlockClass(w, blockClass, classes);
                }
            }
            return w.ToString();
        }

        /// <summary>The run-time check of every input (each named when there are several).</summary>
        private static void WriteGuards(CodeWriter w, NetworkModel model)
        {
            var spec = model.Spec;
            string input = model.InputVar;
            w.Line(spec.Vocabulary > 0
                ? $"global::Dsl.TokenGuard.Check({Identifier.String(spec.ClassName)}, {model.InputShape[0]}, {spec.Vocabulary}, {input}, anyLength: {Literal.Of(model.AnySize)});"
                : model.Inputs.Count > 1
                ? $"global::Dsl.Guard.InputShape({Identifier.String(spec.ClassName + " (input '" + model.Inputs[0].Name + "')")}, InputShape, {input}.shape{(model.AnySize ? ", anySize: true" : "")});"
                : model.AnySize
                ? $"global::Dsl.Guard.InputShape({Identifier.String(spec.ClassName)}, InputShape, {input}.shape, anySize: true);"
                : $"global::Dsl.Guard.InputShape({Identifier.String(spec.ClassName)}, InputShape, {input}.shape);");
            for (int k = 1; k < model.Inputs.Count; k++)
                w.Line($"global::Dsl.Guard.InputShape({Identifier.String(spec.ClassName + " (input '" + model.Inputs[k].Name + "')")}, Info.Inputs[{k}].Shape, {model.Inputs[k].Var}.shape{(model.AnySize ? ", anySize: true" : "")});");
        }

        /// <summary>
        /// The nested class <c>Outputs</c> (one property per output) and <c>ForwardOutputs</c>, which computes every output;
        /// the steps only auxiliary outputs need run in training mode only, where they stand in the forward (as torchvision's
        /// GoogLeNet and Inception-v3 compute their auxiliary classifiers between the main layers).
        /// </summary>
        private static void WriteOutputs(CodeWriter w, NetworkModel model)
        {
            var root = model.Root;
            string className = model.Spec.ClassName;
            w.Line();
            w.Line($"/// <summary>The outputs of {className}, in declaration order; an auxiliary output is null in evaluation mode.</summary>");
            w.Line(GeneratedCode);
            using (w.Block("public sealed class Outputs : global::Dsl.NetworkOutputs"))
            {
                string args = string.Join(", ", model.Outputs.Select(o => $"{Tensor}{(o.Auxiliary ? "?" : "")} {Identifier.Escape(o.Name)}"));
                string pairs = string.Join(", ", model.Outputs.Select(o => $"new global::System.Collections.Generic.KeyValuePair<string, {Tensor}?>({Identifier.String(o.Name)}, {Identifier.Escape(o.Name)})"));
                w.Line("/// <summary>Creates the record (the network's ForwardOutputs does).</summary>");
                using (w.Block($"internal Outputs({args}) : base({pairs})"))
                {
                    foreach (var o in model.Outputs) w.Line($"this.{Identifier.Escape(o.Name)} = {Identifier.Escape(o.Name)};");
                }
                foreach (var o in model.Outputs)
                {
                    w.Line();
                    string what = o.Var == root.Result ? " The main output (what forward returns)." : o.Auxiliary ? " Computed in training mode only: null in evaluation mode." : "";
                    if (o.LossWeight != 0 && o.Var != root.Result) what += $" Trained with loss weight {Literal.Of(o.LossWeight)}.";
                    w.Line($"/// <summary>{o.Name}: {Dims(o.Shape)}.{what}</summary>");
                    w.Line($"public {Tensor}{(o.Auxiliary ? "?" : "")} {Identifier.Escape(o.Name)} {{ get; }}");
                }
            }
            w.Line();
            string parameters = string.Join(", ", model.Inputs.Select(i => $"{Tensor} {i.Var}"));
            w.Line($"/// <summary>Runs {className} and returns every output: {string.Join(", ", model.Outputs.Select(o => o.Name + " " + Dims(o.Shape)))}.</summary>");
            using (w.Block($"public Outputs ForwardOutputs({parameters})"))
            {
                WriteGuards(w, model);
                var needed = Liveness.Needed(root.Body, model.Outputs.Select(o => o.Var), out _);
                var steps = root.Body.Where((_, i) => needed[i]).ToList();
                // A value first written in training mode is declared before the steps, so it is in scope where the outputs are returned.
                var write = new HashSet<string>(model.Inputs.Select(i => i.Var), StringComparer.Ordinal);
                var seen = new HashSet<string>(write, StringComparer.Ordinal);
                foreach (var step in steps)
                {
                    if (!seen.Add(step.Output) || !step.Training) continue;
                    w.Line($"{Tensor} {step.Output} = null!;");
                    write.Add(step.Output);
                }
                var declared = seen;
                for (int i = 0; i < steps.Count;)
                {
                    int end = i;
                    while (end < steps.Count && steps[end].Training == steps[i].Training) end++;
                    var run = steps.GetRange(i, end - i);
                    if (run[0].Training)
                        using (w.Block("if (training)"))
                            WriteSteps(w, run, model.InputVar, _ => 1, 1, root.Tensors, Checks(root, className), alreadyDeclared: declared, owner: root);
                    else WriteSteps(w, run, model.InputVar, _ => 1, 1, root.Tensors, Checks(root, className), alreadyDeclared: write, owner: root);
                    foreach (var s in run) write.Add(s.Output);
                    i = end;
                }
                string Value(OutputModel o) => (o.Auxiliary ? $"training ? {o.Var} : null" : o.Var) + (model.Inputs.Any(i => i.Var == o.Var) ? ".alias()" : "");
                w.Line($"return new Outputs({string.Join(", ", model.Outputs.Select(Value))});");
            }
            if (model.Inputs.Count == 1)
            {
                w.Line();
                w.Line("/// <inheritdoc/>");
                w.Line($"global::Dsl.NetworkOutputs global::Dsl.IMultiOutputNetwork.ForwardOutputs({Tensor} input) => ForwardOutputs(input);");
            }
        }

        internal static string Dims(EquatableArray<long> dims) => "[N, " + string.Join(", ", dims) + "]";

        internal static string Grouped(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

        private static void WriteClassDoc(CodeWriter w, NetworkModel model)
        {
            w.Line("/// <summary>");
            w.Line(model.Inputs.Count > 1 || model.Outputs.Count > 0
                ? $"/// {model.Spec.ClassName}: input{(model.Inputs.Count > 1 ? "s " + string.Join(", ", model.Inputs.Select(i => i.Name + " " + Dims(i.Shape))) : " " + Dims(model.InputShape))}, "
                    + (model.Outputs.Count > 0 ? "outputs " + string.Join(", ", model.Outputs.Select(o => o.Name + " " + Dims(o.Shape) + (o.Auxiliary ? " (training only)" : ""))) : "output " + Dims(model.OutputShape)) + ";"
                : $"/// {model.Spec.ClassName}: input {Dims(model.InputShape)}, output {Dims(model.OutputShape)};");
            w.Line($"/// {Grouped(model.Parameters)} parameters, {Grouped(model.MultiplyAdds)} multiply-adds per sample.");
            w.Line("/// </summary>");
            w.Line("/// <remarks>");
            w.Line("/// <list type=\"table\">");
            w.Line("/// <listheader><term>layer</term><description>type, output shape, parameters</description></listheader>");
            foreach (var layer in model.Layers)
            {
                w.Line($"/// <item><term>{layer.Name}</term><description>{layer.Type}, {Dims(layer.Output)}, {Grouped(layer.Parameters)}</description></item>");
            }
            w.Line("/// </list>");
            w.Line("/// </remarks>");
        }

        /// <summary>How constructor arguments are written: parameters of the enclosing block class by name, the rest as literals.</summary>
        private sealed class Context
        {
            public Context(BlockClasses classes, IReadOnlyDictionary<string, string> parameters, string owner) { Classes = classes; Parameters = parameters; Owner = owner; }

            public BlockClasses Classes { get; }

            /// <summary>The network or block class being written, as the run-time checks name it.</summary>
            public string Owner { get; }

            /// <summary>The constructor's parameter for each block parameter it takes (<see cref="BlockClass.Arguments"/>).</summary>
            public IReadOnlyDictionary<string, string> Parameters { get; }

            public static Context Literal(BlockClasses classes, string owner) => new(classes, new Dictionary<string, string>(StringComparer.Ordinal), owner);
        }

        /// <summary>Fields are public, but never more accessible than their type (a custom module's type may be internal or private).</summary>
        private static string FieldAccess(GraphNode node) => node.CustomAccess ?? "public";

        private static string FieldType(GraphNode node, BlockClasses classes) => node.Form switch
        {
            NodeForm.Leaf when node.CustomType is not null => node.CustomType,
            NodeForm.Leaf when node.OwnModule => ParameterEmitter.DslNamespace + "." + node.ModuleType,
            NodeForm.Leaf => Modules + "." + node.ModuleType,
            NodeForm.Sequential => Modules + ".Sequential",
            _ => classes.Of(node).Name,
        };

        /// <summary>The expression that creates <paramref name="node"/>.</summary>
        private static string Create(GraphNode node, Context context, string indent)
        {
            switch (node.Form)
            {
                case NodeForm.Leaf when node.CustomType is not null:
                    return $"new {node.CustomType}()";
                case NodeForm.Leaf:
                {
                    var args = node.Args
                        .Where(a => (a.Param is not null && context.Parameters.ContainsKey(a.Param)) || !a.IsDefault)
                        .Select(a => a.Name + ": " + (a.Param is not null && context.Parameters.TryGetValue(a.Param, out var variable) ? variable : a.Code ?? a.Value));
                    return node.OwnModule ? $"new {ParameterEmitter.DslNamespace}.{node.ModuleType}({string.Join(", ", args)})"
                        : node.Initialized ? $"{ParameterEmitter.DslNamespace}.Initialized.{node.ModuleType}({string.Join(", ", args)})"
                        : $"{Nn}.{node.ModuleType}({string.Join(", ", args)})";
                }
                case NodeForm.Sequential:
                {
                    // A Sequential calls its children itself: a hand-written module's result is checked by a forward hook instead.
                    string Item(GraphNode c) => c.CustomType is null ? Create(c, context, indent + "    ")
                        : $"global::Dsl.Guard.Checked({Create(c, context, indent)}, {Identifier.String(context.Owner)}, {Identifier.String(c.Path)}, new global::Dsl.Shape({string.Join(", ", c.Output)}))";
                    var items = node.Children.Select(c => $"({Identifier.String(c.Name)}, {Item(c)})").ToList();
                    bool multiline = node.Children.Any(c => c.Form != NodeForm.Leaf) || items.Sum(i => i.Length) > 120;
                    return multiline
                        ? $"{Nn}.Sequential(\n" + string.Join(",\n", items.Select(i => indent + "    " + i)) + ")"
                        : $"{Nn}.Sequential({string.Join(", ", items)})";
                }
                default:
                {
                    var blockClass = context.Classes.Of(node);
                    // A value the enclosing class takes as its own argument is passed on.
                    var args = blockClass.Varying.Select(p => blockClass.Arguments[p.Name] + ": "
                        + (BlockClass.From(node, p.Name) is { } from && context.Parameters.TryGetValue(from, out var variable) ? variable : blockClass.Argument(node, p)));
                    return $"new {blockClass.Name}({string.Join(", ", args)})";
                }
            }
        }

        /// <summary>
        /// A block class's Sequential with optional items, built one item at a time (each optional one under its flag) as
        /// torchvision's <c>layers.append</c>: <c>append</c> keys each item by its position, as the uses' own keys are.
        /// </summary>
        private static void WriteItems(CodeWriter w, GraphNode sequential, Context context)
        {
            string field = NamePolicy.IndexField(sequential.Name);
            w.Line($"{field} = {Nn}.Sequential();");
            foreach (var item in sequential.Children)
            {
                string expression = Create(item, context, "");
                string? flag = item.Flag is not null && context.Parameters.TryGetValue(item.Flag, out var v) ? v : null;
                var lines = ((flag is null ? "" : $"if ({flag}) ") + $"{field}.append({expression});").Split('\n');
                foreach (var line in lines) w.Line(line);
            }
        }

        /// <summary>
        /// Assignments (a module only some uses have is created under its flag), then registration in order (the
        /// state_dict order), then initialisations such as zero-initialised BatchNorm scales.
        /// </summary>
        private static void WriteConstruction(CodeWriter w, IReadOnlyList<PlannedChild> children, Context context)
        {
            foreach (var planned in children)
            {
                var child = planned.Node;
                if (planned.ItemByItem)
                {
                    WriteItems(w, child, context);
                    continue;
                }
                string expression = Create(child, context, "");
                if (planned.Optional)
                {
                    string flag = planned.Flag is not null && context.Parameters.TryGetValue(planned.Flag, out var v) ? v : "true";
                    expression = $"{flag} ? {expression} : null";
                }
                var lines = (expression + ";").Split('\n');
                w.Line($"{NamePolicy.IndexField(child.Name)} = {lines[0]}");
                for (int i = 1; i < lines.Length; i++) w.Line(lines[i]);
            }
            foreach (var planned in children)
            {
                string field = NamePolicy.IndexField(planned.Name);
                w.Line(!planned.Optional
                    ? $"register_module({Identifier.String(planned.Name)}, {field});"
                    : $"if ({field} is not null) register_module({Identifier.String(planned.Name)}, {field});");
            }
            foreach (var planned in children.Where(c => c.Node.ZeroInitWeight))
            {
                w.Line("// The block starts as the identity (torchvision's zero_init_residual).");
                string field = NamePolicy.IndexField(planned.Name);
                w.Line(!planned.Optional ? $"{Nn}.init.zeros_({field}.weight);" : $"if ({field} is not null) {Nn}.init.zeros_({field}.weight);");
            }
        }

        /// <summary>
        /// A forward, one operation per line. <paramref name="presence"/> says in how many of <paramref name="uses"/>
        /// a module exists (for optional calls: all, none, or some, which tests for null).
        /// </summary>
        /// <param name="alreadyDeclared">Variables in scope before the steps (the inputs; values declared ahead); default: <paramref name="input"/>.</param>
        private static void WriteSteps(CodeWriter w, IEnumerable<Step> steps, string input, Func<string, int> presence, int uses, EquatableArray<TensorParam> tensors = default,
            Func<Step, string, string?>? check = null, IReadOnlyDictionary<string, string>? parameters = null, IEnumerable<string>? alreadyDeclared = null, GraphNode? owner = null)
        {
            var declared = new HashSet<string>(alreadyDeclared ?? new[] { input }, StringComparer.Ordinal);
            foreach (var step in steps)
            {
                string target = (declared.Add(step.Output) ? "var " : "") + step.Output;
                // A merge some uses of the class make and others do not: under the flag the constructor kept.
                string lead = step.Op != StepOp.OptionalCall && step.Flag is not null && parameters is not null && parameters.TryGetValue(step.Flag, out var flag)
                    ? $"if ({flag}) " : "";
                switch (step.Op)
                {
                    case StepOp.Call:
                    {
                        string call = $"{Callee(owner, step.Module!)}.call({step.Inputs[0]})";
                        // An item of a Sequential use, called by position: the comment names it.
                        w.Line($"{target} = {check?.Invoke(step, call) ?? call};" + (owner is not null && step.Module!.IndexOf('.') > 0 ? " // " + step.Module : ""));
                        break;
                    }
                    case StepOp.ReluInPlace:
                        w.Line($"{target} = {step.Inputs[0]}.relu_();");
                        break;
                    case StepOp.AddInPlace:
                        w.Line($"{target} = {step.Inputs[0]}.add_({step.Inputs[1]});");
                        break;
                    case StepOp.Add:
                        w.Line($"{lead}{target} = {step.Inputs[0]}.add({step.Inputs[1]});");
                        break;
                    case StepOp.Multiply:
                        w.Line($"{lead}{target} = {step.Inputs[0]}.mul({step.Inputs[1]});");
                        break;
                    case StepOp.Concat:
                        // Dimension 1: the channels (or features) after the batch.
                        w.Line($"{lead}{target} = global::TorchSharp.torch.cat(new[] {{ {string.Join(", ", step.Inputs)} }}, 1);");
                        break;
                    case StepOp.ParamAdd:
                    case StepOp.ParamPrepend:
                    case StepOp.ParamMul:
                        w.Line($"{target} = {ParameterEmitter.Step(step, tensors)};");
                        break;
                    case StepOp.Interpolate:
                        // The size is read from the input at run time (the last two dimensions), as torchvision's segmentation heads.
                        w.Line($"{target} = global::TorchSharp.torch.nn.functional.interpolate({step.Inputs[0]}, size: new long[] {{ {step.Inputs[1]}.shape[2], {step.Inputs[1]}.shape[3] }}, " +
                            "mode: global::TorchSharp.torch.InterpolationMode.Bilinear, align_corners: false);");
                        break;
                    case StepOp.OptionalCall:
                    {
                        int present = presence(step.Module!);
                        string module = NamePolicy.IndexField(step.Module!), from = step.Inputs[0], passThrough = step.Inputs[1];
                        if (present == uses) w.Line($"{target} = {module}.call({from});");
                        else if (present > 0) w.Line($"{target} = {module} is null ? {passThrough} : {module}.call({from});");
                        else if (passThrough != step.Output) w.Line($"{target} = {passThrough};");
                        break;
                    }
                }
            }
        }

        /// <summary>
        /// The module a step calls: its field, or for a dotted path (a network's forward running a Sequential use's children
        /// one by one, <c>backbone.layer3</c>) the Sequential's item by position, through nested Sequentials.
        /// </summary>
        private static string Callee(GraphNode? owner, string module)
        {
            var segments = module.Split('.');
            if (owner is null || segments.Length == 1) return NamePolicy.IndexField(module);
            var node = owner.Children.FirstOrDefault(c => c.Name == segments[0]);
            string expression = NamePolicy.IndexField(segments[0]);
            for (int k = 1; k < segments.Length && node is not null; k++)
            {
                int index = node.Children.Select(c => c.Name).ToList().IndexOf(segments[k]);
                if (k > 1) expression = $"(({Modules}.Sequential){expression})";
                expression += "[" + index + "]";
                node = index < 0 ? null : node.Children[index];
            }
            // The graph builder writes dotted paths only through Sequential children it found, so a missing one is not
            // expected; the generator never throws, and the compiler would name the call.
            return expression;
        }

        /// <summary>
        /// The run-time check around a call of a hand-written module (<c>[Custom&lt;T&gt;]</c>): its output must be a tensor
        /// of the declared contract, which the layers after it were checked against at compile time, with the batch of its
        /// input. The input is passed before the call is made, so a module that writes its result into the same variable
        /// (or changes its input in place) still has its batch compared with the one it received.
        /// </summary>
        private static Func<Step, string, string?> Checks(GraphNode block, string network) => (step, call) =>
            block.Children.FirstOrDefault(c => c.Name == step.Module) is { CustomType: not null } custom
                ? $"global::Dsl.Guard.LayerOutput({Identifier.String(network)}, {Identifier.String(custom.Path)}, new global::Dsl.Shape({string.Join(", ", custom.Output)}), {step.Inputs[0]}.shape[0], {call})"
                : null;

        private static void WriteBlockClass(CodeWriter w, BlockClass c, BlockClasses classes)
        {
            var first = c.First;
            var varying = c.Varying;
            var context = new Context(classes, c.Arguments, first.Type);
            int uses = c.Instances.Count;
            var children = c.Planned;
            w.Line();
            w.Line($"/// <summary>{first.Doc ?? first.Type}</summary>");
            w.Line(GeneratedCode);
            using (w.Block($"public sealed class {c.Name} : {ModuleBase}"))
            {
                ParameterEmitter.WriteFields(w, first.Tensors, context.Parameters);
                foreach (var planned in children)
                {
                    var child = planned.Node;
                    string doc = child.Doc ?? c.DescribeChild(child.Name);
                    if (planned.Optional) doc += " Null in the uses of the block without it.";
                    w.Line($"/// <summary>{doc}</summary>");
                    w.Line($"{FieldAccess(child)} readonly {FieldType(child, classes)}{(planned.Optional ? "?" : "")} {NamePolicy.IndexField(child.Name)};");
                }
                foreach (var flag in c.ForwardFlags)
                {
                    w.Line("/// <summary>Whether this use merges the block's input with its body (the uses differ).</summary>");
                    w.Line($"private readonly bool {c.Arguments[flag.Name]};");
                }
                w.Line();
                w.Line("/// <summary>Creates the block" + (varying.Count == 0 ? "." : "; the arguments are what differs between its uses in the network.") + "</summary>");
                string parameters = string.Join(", ", varying.Select(p => p.Type + " " + c.Arguments[p.Name]));
                using (w.Block($"public {c.Name}({parameters}) : base(nameof({c.Name}))"))
                {
                    ParameterEmitter.WriteConstruction(w, first.Tensors, context.Parameters);
                    WriteConstruction(w, children, context);
                    foreach (var flag in c.ForwardFlags) w.Line($"this.{c.Arguments[flag.Name]} = {c.Arguments[flag.Name]};");
                }
                w.Line();
                w.Line("/// <inheritdoc/>");
                using (w.Block($"public override {Tensor} forward({Tensor} x)"))
                {
                    WriteSteps(w, c.Body, "x", c.Presence, uses, first.Tensors, Checks(first, first.Type), context.Parameters);
                    w.Line($"return {first.Result};");
                }
                if (children.Any(n => NamePolicy.IsIndex(n.Name)))
                {
                    // TorchSharp registers a module's fields by reflection (under the field's name) when the module is
                    // registered in its parent: _0 would be a second key beside "0". Every child is registered above.
                    w.Line();
                    w.Line("/// <summary>Registers nothing by reflection: the children are registered under their keys in the constructor.</summary>");
                    w.Line("protected override void RegisterComponents() { }");
                }
            }
        }
    }

    /// <summary>Opens the namespace and containing types of a network (for nested declarations).</summary>
    internal static class Scopes
    {
        public static IDisposable Open(CodeWriter w, NetworkSpec spec)
        {
            w.Line("// <auto-generated/>");
            w.Line("#nullable enable");
            w.Line();
            var scopes = new List<IDisposable>();
            if (spec.Namespace is not null) scopes.Add(w.Block("namespace " + Identifier.EscapeDotted(spec.Namespace)));
            foreach (var outer in spec.ContainingTypes) scopes.Add(w.Block("partial " + outer.Keyword + " " + Identifier.Escape(outer.Name)));
            return new Closer(scopes);
        }

        private sealed class Closer : IDisposable
        {
            private readonly List<IDisposable> _scopes;
            public Closer(List<IDisposable> scopes) => _scopes = scopes;
            public void Dispose()
            {
                for (int i = _scopes.Count - 1; i >= 0; i--) _scopes[i].Dispose();
            }
        }
    }
}
