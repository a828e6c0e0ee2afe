using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Target = Dsl.Generator.Graph.InitTarget;

namespace Dsl.Generator.Init
{
    /// <summary>Mirrors <c>Dsl.InitScheme</c> (same names and values; a test compares them).</summary>
    internal enum InitScheme { Default, KaimingNormal, KaimingUniform, XavierUniform, XavierNormal, Normal, TruncNormal, Uniform, Constant, Zeros, Ones }

    /// <summary>Mirrors <c>Dsl.InitPresets</c>.</summary>
    internal enum InitPreset { TorchVisionResNet, TorchVisionMobileNetV2, TorchVisionDenseNet, TorchVisionVgg, TorchVisionConvNeXt, TorchVisionViT, TorchVisionEfficientNet, TorchVisionInceptionV3, TorchVisionGoogLeNet }

    /// <summary>One named argument as written: its name and value (a number, or the text of a string).</summary>
    internal sealed record InitArg(string Name, double Number, string? Text);

    /// <summary>
    /// An <c>[Init]</c> or <c>[InitPreset]</c> attribute as written: its position among the network's initialisation
    /// attributes (for locating problems), the target and scheme (or preset) and the named arguments written.
    /// </summary>
    internal sealed record InitDecl(int Index, bool IsPreset, string Target, int Scheme, EquatableArray<InitArg> Args)
    {
        public InitArg? Arg(string name) => Args.FirstOrDefault(a => a.Name == name);
    }

    /// <summary>
    /// A resolved rule, exactly as applied (defaults filled in, presets expanded): what the generated constructor passes
    /// to <c>Dsl.Initialization.Apply</c> and what the graph JSON gives the PyTorch twin. <see cref="Origin"/> says where it
    /// comes from (a preset's name), for the generated comment.
    /// </summary>
    internal sealed record InitRuleModel(string Target, bool IsKind, InitScheme Scheme, int Mode, string Nonlinearity, double NegativeSlope,
        double Gain, double Mean, double Std, double Min, double Max, double Value, double? Bias, string? Origin);

    /// <summary>
    /// Reads, expands and checks a network's initialisation rules against its graph. The semantics are
    /// <c>Dsl.Initialization.Apply</c>'s (and the twin's <c>_initialize</c>): a kind selects every module whose class is that
    /// kind; a path glob selects modules and parameters by their state_dict path; a scheme fills a module's weight (an
    /// attention's in-projection) or the parameter selected; rules apply in order.
    /// </summary>
    internal static class InitRules
    {
        public const string InitAttributeName = "InitAttribute";
        public const string PresetAttributeName = "InitPresetAttribute";

        /// <summary>The layer kinds with parameters a rule can name: the module classes' names, as the kinds declare them (<see cref="LeafInit"/>).</summary>
        public static IReadOnlyList<string> Kinds => LeafInit.NamedKinds;

        /// <summary><c>torch.nn.init.calculate_gain</c>'s nonlinearities.</summary>
        public static readonly string[] Nonlinearities =
        {
            "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu",
        };

        public static bool IsInitAttribute(AttributeData attribute) =>
            attribute.AttributeClass is { Name: InitAttributeName or PresetAttributeName } c && c.ContainingNamespace?.ToDisplayString() == Parsing.SpecParser.Namespace;

        /// <summary>The network's <c>[Init]</c> and <c>[InitPreset]</c> attributes, in declaration order (the order they apply in).</summary>
        public static EquatableArray<InitDecl> Read(System.Collections.Immutable.ImmutableArray<AttributeData> attributes)
        {
            var decls = new List<InitDecl>();
            foreach (var attribute in attributes.Where(IsInitAttribute))
            {
                int index = decls.Count;
                if (Parsing.SpecParser.HasErrors(attribute)) { decls.Add(new InitDecl(index, false, "", -1, EquatableArray<InitArg>.Empty)); continue; }
                var args = attribute.NamedArguments.Select(a => new InitArg(a.Key,
                    a.Value.Value is string ? double.NaN : Convert.ToDouble(a.Value.Value ?? double.NaN, CultureInfo.InvariantCulture),
                    a.Value.Value as string)).ToEquatableArray();
                if (attribute.AttributeClass!.Name == PresetAttributeName)
                    decls.Add(new InitDecl(index, true, "", Convert.ToInt32(attribute.ConstructorArguments[0].Value, CultureInfo.InvariantCulture), args));
                else
                    decls.Add(new InitDecl(index, false, attribute.ConstructorArguments[0].Value as string ?? "",
                        Convert.ToInt32(attribute.ConstructorArguments[1].Value, CultureInfo.InvariantCulture), args));
            }
            return decls.ToEquatableArray();
        }

        /// <summary>The modules with parameters and every parameter, as <c>named_modules</c> and <c>named_parameters</c> list them.</summary>
        private static List<Target> Targets(GraphNode root)
        {
            var targets = new List<Target>();
            void Tensors(GraphNode node)
            {
                foreach (var t in node.Tensors)
                    targets.Add(new Target(node.Path.Length == 0 ? t.Name : node.Path + "." + t.Name, null, t.Shape.Count, true));
            }
            Tensors(root);
            foreach (var node in root.Descendants())
            {
                Tensors(node);
                // A custom layer's parameters are its own; a leaf with parameters and no declaration (none today,
                // KindChecklistTests) offers rules nothing.
                if (node.Form != NodeForm.Leaf || node.Parameters == 0 || node.CustomType is not null) continue;
                if (node.Init is { } init) targets.AddRange(init.Targets(node));
            }
            return targets;
        }

        /// <summary>The regular expression of a path glob, the same code <c>Dsl.Initialization</c> applies (<c>Dsl.PathGlob</c>).</summary>
        public static Regex GlobRegex(string glob) => Dsl.PathGlob.ToRegex(glob);

        /// <summary>The location index of the <paramref name="index"/>-th initialisation attribute (<see cref="Problem.LayerIndex"/>).</summary>
        public static int LocationOf(int index) => Problem.InitAttributeBase - index;

        /// <summary>The rules to apply, in order; problems are added to <paramref name="problems"/> (then the result is not used).</summary>
        public static EquatableArray<InitRuleModel> Resolve(NetworkSpec spec, GraphNode root, List<Problem> problems)
        {
            var targets = Targets(root);
            var rules = new List<InitRuleModel>();
            foreach (var decl in spec.Init)
            {
                if (decl.Scheme < 0) continue; // the compiler reports it
                if (decl.IsPreset) Preset(decl, root, targets, rules, problems, spec.ClassName);
                else if (Check(decl, targets, problems, spec.ClassName) is { } rule) rules.Add(rule);
            }
            // A stage's ZeroInitLastBatchNorm zeroes BatchNorm scales when the block is created; rules applied afterwards must
            // not undo it, so it is repeated as the last rule.
            if (rules.Count > 0)
            {
                foreach (var node in root.Descendants().Where(n => n.ZeroInitWeight))
                    rules.Add(Rule(node.Path, false, InitScheme.Zeros, origin: "ZeroInitLastBatchNorm"));
            }
            return rules.ToEquatableArray();
        }

        private static InitRuleModel Rule(string target, bool kind, InitScheme scheme, int mode = 0, string nonlinearity = "leaky_relu", double slope = 0,
            double gain = 1, double mean = 0, double std = 1, double min = double.NaN, double max = double.NaN, double value = 0, double? bias = null, string? origin = null) =>
            new(target, kind, scheme, mode, nonlinearity, slope, gain, mean, std,
                double.IsNaN(min) ? (scheme == InitScheme.TruncNormal ? -2 : 0) : min,
                double.IsNaN(max) ? (scheme == InitScheme.TruncNormal ? 2 : 1) : max,
                value, bias, origin);

        /// <summary>The arguments each scheme takes (besides <c>Bias</c>, which every rule on a module may set).</summary>
        private static string[] ArgumentsOf(InitScheme scheme) => scheme switch
        {
            InitScheme.KaimingNormal or InitScheme.KaimingUniform => new[] { "Mode", "Nonlinearity", "NegativeSlope" },
            InitScheme.XavierUniform or InitScheme.XavierNormal => new[] { "Gain" },
            InitScheme.Normal => new[] { "Mean", "Std" },
            InitScheme.TruncNormal => new[] { "Mean", "Std", "Min", "Max" },
            InitScheme.Uniform => new[] { "Min", "Max" },
            InitScheme.Constant => new[] { "Value" },
            _ => Array.Empty<string>(),
        };

        private static bool NeedsFans(InitScheme scheme) =>
            scheme is InitScheme.KaimingNormal or InitScheme.KaimingUniform or InitScheme.XavierUniform or InitScheme.XavierNormal or InitScheme.Default;

        private static string Display(InitDecl d) =>
            "[Init(\"" + d.Target + "\", InitScheme." + (Enum.IsDefined(typeof(InitScheme), d.Scheme) ? ((InitScheme)d.Scheme).ToString() : d.Scheme.ToString(CultureInfo.InvariantCulture)) + ")]";

        /// <summary>Checks one <c>[Init]</c>: its arguments against its scheme, its target against the network.</summary>
        private static InitRuleModel? Check(InitDecl d, List<Target> targets, List<Problem> problems, string className)
        {
            int at = LocationOf(d.Index);
            int before = problems.Count;
            void Bad(string? argument, string why) => problems.Add(Problem.At(ProblemCode.InvalidInitArgument, at, argument, Display(d), why));
            if (!Enum.IsDefined(typeof(InitScheme), d.Scheme))
            {
                Bad("scheme", $"{d.Scheme} is not an InitScheme");
                return null;
            }
            var scheme = (InitScheme)d.Scheme;
            var allowed = ArgumentsOf(scheme);
            foreach (var arg in d.Args)
            {
                if (arg.Name == "Bias" || allowed.Contains(arg.Name)) continue;
                Bad(arg.Name, allowed.Length == 0
                    ? $"{arg.Name} does not apply to {scheme}, which takes no arguments; remove it"
                    : $"{arg.Name} does not apply to {scheme}, which takes {string.Join(", ", allowed)}; remove it or choose the scheme that uses it");
            }
            double Number(string name, double fallback) => d.Arg(name) is { } a && !double.IsNaN(a.Number) ? a.Number : fallback;
            string nonlinearity = d.Arg("Nonlinearity")?.Text ?? "leaky_relu";
            if (!Nonlinearities.Contains(nonlinearity))
                Bad("Nonlinearity", $"'{nonlinearity}' is not a nonlinearity of torch.nn.init.calculate_gain: use {string.Join(", ", Nonlinearities)}");
            int mode = (int)Number("Mode", 0);
            if (mode is not (0 or 1)) Bad("Mode", $"{mode} is not a FanMode: use FanMode.FanIn or FanMode.FanOut");
            double std = Number("Std", 1), min = Number("Min", double.NaN), max = Number("Max", double.NaN);
            if (d.Arg("Std") is not null && !(std > 0)) Bad("Std", $"Std = {Literal.Of(std)} must be greater than 0");
            if (scheme == InitScheme.Constant && d.Arg("Value") is null) Bad(null, "Constant needs Value = ...; or use Zeros or Ones");
            var rule = Rule(d.Target, false, scheme, mode, nonlinearity, Number("NegativeSlope", 0), Number("Gain", 1), Number("Mean", 0), std, min, max,
                Number("Value", 0), d.Arg("Bias") is { } b && !double.IsNaN(b.Number) ? b.Number : null);
            if (!(rule.Min < rule.Max) && (scheme is InitScheme.Uniform or InitScheme.TruncNormal))
                Bad(d.Arg("Min") is not null ? "Min" : "Max", $"Min = {Literal.Of(rule.Min)} must be less than Max = {Literal.Of(rule.Max)}");
            if (problems.Count > before) return null;

            var selected = Select(d.Target, targets, out bool isKind, out string? why);
            if (why is not null)
            {
                problems.Add(Problem.At(ProblemCode.InitMatchesNothing, at, "target", Display(d), className, why));
                return null;
            }
            rule = rule with { IsKind = isKind };
            if (NeedsFans(scheme) && selected.FirstOrDefault(t => t.WeightRank < 2) is { } flat)
                Bad("scheme", $"{scheme} needs the fans of a weight with at least 2 dimensions, and '{flat.Path}' has 1; use Constant, Ones, Zeros, Normal, TruncNormal or Uniform");
            if (rule.Bias is not null && selected.All(t => t.IsParameter))
                Bad("Bias", $"Bias sets the bias of selected modules, and '{d.Target}' selects parameters only; write a rule for the bias parameter instead");
            else if (rule.Bias is not null && !selected.Any(m => !m.IsParameter && targets.Any(t => t.IsParameter && t.Path == m.Path + ".bias")))
                Bad("Bias", $"Bias sets the bias of selected modules, and none of the modules '{d.Target}' selects has one "
                    + $"({string.Join(", ", selected.Where(t => !t.IsParameter).Select(t => t.Path).Take(3))}{(selected.Count(t => !t.IsParameter) > 3 ? ", ..." : "")}); remove Bias");
            return problems.Count > before ? null : rule;
        }

        /// <summary>What <paramref name="target"/> selects; <paramref name="why"/> explains an empty selection.</summary>
        private static List<Target> Select(string target, List<Target> targets, out bool isKind, out string? why)
        {
            why = null;
            isKind = Kinds.Contains(target);
            if (isKind)
            {
                var ofKind = targets.Where(t => t.Kind == target).ToList();
                if (ofKind.Count == 0) why = $"the network has no {target} layer; its kinds with parameters are {KindList(targets)}";
                return ofKind;
            }
            if (target.Length == 0 || target.Any(c => !(char.IsLetterOrDigit(c) || c is '_' or '.' or '*' or '?')))
            {
                why = $"'{target}' is neither a layer kind ({string.Join(", ", Kinds)}) nor a path glob (names, digits, '.', '*', '**', '?')";
                return new List<Target>();
            }
            var pattern = GlobRegex(target);
            var matched = targets.Where(t => pattern.IsMatch(t.Path)).ToList();
            if (matched.Count == 0)
            {
                why = char.IsUpper(target[0]) && target.IndexOfAny(new[] { '.', '*', '?' }) < 0
                    ? $"'{target}' is not a layer kind with parameters ({string.Join(", ", Kinds)}) and no module is called so; the network's kinds are {KindList(targets)}"
                    : $"no module or parameter path matches '{target}'; paths look like {string.Join(", ", targets.Where(t => !t.IsParameter).Take(4).Select(t => "'" + t.Path + "'"))}";
            }
            return matched;
        }

        private static string KindList(List<Target> targets)
        {
            var kinds = targets.Where(t => t.Kind is not null).Select(t => t.Kind!).Distinct().ToList();
            return kinds.Count == 0 ? "none" : string.Join(", ", kinds);
        }

        /// <summary>
        /// The module kinds <paramref name="preset"/> names (its kind rules, and the norms ZeroInitResidual zeroes), found
        /// by expanding it against an empty network: each must be a kind some leaf declares (<see cref="Kinds"/>), or the
        /// preset silently skips it (KindChecklistTests).
        /// </summary>
        public static IReadOnlyCollection<string> KindsNamedBy(InitPreset preset)
        {
            var named = new SortedSet<string>(StringComparer.Ordinal);
            var root = new GraphNode("", "", "", -1, default, default, 0, 0, NodeForm.Block, "", EquatableArray<LeafArg>.Empty, EquatableArray<BlockParam>.Empty,
                EquatableArray<GraphNode>.Empty, EquatableArray<Step>.Empty, "", null, false);
            var decl = new InitDecl(0, true, "", (int)preset, new[] { new InitArg("ZeroInitResidual", 1, null) }.ToEquatableArray());
            Preset(decl, root, new List<Target>(), new List<InitRuleModel>(), new List<Problem>(), "", k => named.Add(k));
            return named;
        }

        /// <summary>The norms ZeroInitResidual zeroes, the last of a residual block's children.</summary>
        private static readonly string[] ResidualNorms = { "BatchNorm2d", "BatchNorm1d" };

        /// <summary>
        /// Expands a preset where it stands. Kind rules apply to the kinds present; named rules must find their layer.
        /// Every kind name the preset uses goes through <c>Has</c>, which tells <paramref name="asked"/> (<see cref="KindsNamedBy"/>).
        /// </summary>
        private static void Preset(InitDecl d, GraphNode root, List<Target> targets, List<InitRuleModel> rules, List<Problem> problems, string className, Action<string>? asked = null)
        {
            bool Has(string kind)
            {
                asked?.Invoke(kind);
                return targets.Any(t => t.Kind == kind);
            }
            int at = LocationOf(d.Index);
            if (!Enum.IsDefined(typeof(InitPreset), d.Scheme))
            {
                problems.Add(Problem.At(ProblemCode.InvalidInitArgument, at, "preset", "[InitPreset(" + d.Scheme + ")]", $"{d.Scheme} is not an InitPresets value"));
                return;
            }
            var preset = (InitPreset)d.Scheme;
            string origin = preset.ToString();
            var expanded = new List<InitRuleModel>();
            void Kind(string kind, InitScheme scheme, int mode = 0, string nonlinearity = "leaky_relu", double std = 1, double value = 0, double? bias = null)
            {
                if (Has(kind))
                    expanded.Add(Rule(kind, true, scheme, mode, nonlinearity, std: std, value: value, bias: bias, origin: origin));
            }
            // mobilenetv2.py's rules for convolutions and norms, which efficientnet.py's __init__ repeats.
            void MobileNetConvolutionsAndNorms()
            {
                Kind("Conv2d", InitScheme.KaimingNormal, mode: 1, bias: 0);
                Kind("BatchNorm2d", InitScheme.Ones, bias: 0);
                Kind("GroupNorm", InitScheme.Ones, bias: 0);
            }
            var missing = new List<string>();
            bool Named(string path)
            {
                if (targets.Any(t => t.Path == path)) return true;
                missing.Add("'" + path + "'");
                return false;
            }
            switch (preset)
            {
                case InitPreset.TorchVisionResNet:
                    Kind("Conv2d", InitScheme.KaimingNormal, mode: 1, nonlinearity: "relu");
                    Kind("BatchNorm2d", InitScheme.Constant, value: 1, bias: 0);
                    Kind("GroupNorm", InitScheme.Constant, value: 1, bias: 0);
                    break;
                case InitPreset.TorchVisionMobileNetV2:
                    MobileNetConvolutionsAndNorms();
                    Kind("Linear", InitScheme.Normal, std: 0.01, bias: 0);
                    break;
                case InitPreset.TorchVisionDenseNet:
                    Kind("Conv2d", InitScheme.KaimingNormal);
                    Kind("BatchNorm2d", InitScheme.Constant, value: 1, bias: 0);
                    // torchvision sets only the bias: the weight keeps PyTorch's default, which it already has.
                    if (Has("Linear")) expanded.Add(Rule("Linear", true, InitScheme.Default, bias: 0, origin: origin));
                    break;
                case InitPreset.TorchVisionVgg:
                    Kind("Conv2d", InitScheme.KaimingNormal, mode: 1, nonlinearity: "relu", bias: 0);
                    Kind("BatchNorm2d", InitScheme.Constant, value: 1, bias: 0);
                    Kind("Linear", InitScheme.Normal, std: 0.01, bias: 0);
                    break;
                case InitPreset.TorchVisionConvNeXt:
                    Kind("Conv2d", InitScheme.TruncNormal, std: 0.02, bias: 0);
                    Kind("Linear", InitScheme.TruncNormal, std: 0.02, bias: 0);
                    break;
                case InitPreset.TorchVisionEfficientNet:
                    MobileNetConvolutionsAndNorms();
                    // torchvision: init_range = 1.0 / math.sqrt(m.out_features), per Linear layer; one kind rule when every
                    // Linear has the same out_features, else one rule per layer.
                    bool anyLinear = Has("Linear");
                    var linears = root.Descendants().Where(n => anyLinear && n.Form == NodeForm.Leaf && n.ModuleType == "Linear")
                        .Select(n => (n.Path, Out: long.Parse(n.Args.First(a => a.Name == "outputSize").Value, CultureInfo.InvariantCulture))).ToList();
                    foreach (var (target, kind, outFeatures) in linears.Select(l => l.Out).Distinct().Count() == 1
                        ? new[] { ("Linear", true, linears[0].Out) }
                        : linears.Select(l => (l.Path, false, l.Out)).ToArray())
                    {
                        double range = 1.0 / Math.Sqrt(outFeatures);
                        expanded.Add(Rule(target, kind, InitScheme.Uniform, min: -range, max: range, bias: 0, origin: origin));
                    }
                    break;
                case InitPreset.TorchVisionInceptionV3:
                case InitPreset.TorchVisionGoogLeNet:
                    // torchvision: trunc_normal_(mean=0, std=stddev, a=-2, b=2) on every Conv2d and Linear weight (the biases
                    // keep PyTorch's default); Inception-v3's stddev is 0.1 unless the module carries its own.
                    double std = preset == InitPreset.TorchVisionGoogLeNet ? 0.01 : 0.1;
                    Kind("Conv2d", InitScheme.TruncNormal, std: std);
                    Kind("Linear", InitScheme.TruncNormal, std: std);
                    Kind("BatchNorm2d", InitScheme.Constant, value: 1, bias: 0);
                    // The auxiliary classifier's fc.stddev = 0.001; a network without it (aux_logits=False) has no such module.
                    if (preset == InitPreset.TorchVisionInceptionV3 && targets.Any(t => t.Path == "AuxLogits.fc"))
                        expanded.Add(Rule("AuxLogits.fc", false, InitScheme.TruncNormal, std: 0.001, origin: origin));
                    break;
                case InitPreset.TorchVisionViT:
                    if (Named("conv_proj"))
                    {
                        var conv = root.Children.First(c => c.Name == "conv_proj");
                        // torchvision: fan_in = in_channels * kernel_size[0] * kernel_size[1].
                        long Arg(string name) => long.Parse(conv.Args.FirstOrDefault(a => a.Name == name)?.Value ?? "1", CultureInfo.InvariantCulture);
                        long fanIn = Arg("in_channels") * Arg("kernel_size") * Arg("kernel_size");
                        expanded.Add(Rule("conv_proj", false, InitScheme.TruncNormal, std: Math.Sqrt(1.0 / fanIn), bias: 0, origin: origin));
                    }
                    if (targets.Any(t => t.Path.EndsWith(".mlp.0", StringComparison.Ordinal)))
                    {
                        // MLPBlock's own loop: its Linear layers (children 0 and 3) Xavier-uniform, biases normal(std=1e-6).
                        expanded.Add(Rule("**.mlp.*", false, InitScheme.XavierUniform, origin: origin));
                        expanded.Add(Rule("**.mlp.*.bias", false, InitScheme.Normal, std: 1e-6, origin: origin));
                    }
                    else Named("encoder.layers.encoder_layer_0.mlp.0");
                    if (Named("heads.head"))
                        expanded.Add(Rule("heads.head", false, InitScheme.Zeros, bias: 0, origin: origin));
                    break;
            }
            if (missing.Count > 0)
            {
                problems.Add(Problem.At(ProblemCode.InitMatchesNothing, at, "preset", $"[InitPreset(InitPresets.{preset})]", className,
                    $"the preset initialises {string.Join(", ", missing)} as torchvision names them, and the network has no such module{(missing.Count > 1 ? "s" : "")}; declare them with those names (Name = ...), or write [Init] rules instead"));
                return;
            }
            rules.AddRange(expanded);
            if (d.Arg("ZeroInitResidual") is { Number: 1 })
            {
                int before = rules.Count;
                foreach (var kind in ResidualNorms) asked?.Invoke(kind);
                foreach (var block in root.Descendants().Where(n => n.Form == NodeForm.Block && n.Body.Any(s => s.Op is StepOp.Add or StepOp.AddInPlace)))
                {
                    var last = block.Children.LastOrDefault(c => c.Form == NodeForm.Leaf && ResidualNorms.Contains(c.ModuleType));
                    if (last is not null) rules.Add(Rule(last.Path, false, InitScheme.Zeros, origin: origin + " ZeroInitResidual"));
                }
                if (rules.Count == before)
                    problems.Add(Problem.At(ProblemCode.InitMatchesNothing, at, "ZeroInitResidual", $"[InitPreset(InitPresets.{preset})]", className,
                        "ZeroInitResidual zeroes the last BatchNorm of each residual block, and no block that adds its input has a BatchNorm among its children; remove it, or zero the layers with [Init(\"path\", InitScheme.Zeros)]"));
            }
        }
    }
}
