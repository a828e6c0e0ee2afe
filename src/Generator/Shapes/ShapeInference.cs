using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Generator.Model;

namespace Dsl.Generator.Shapes
{
    /// <summary>
    /// The one place that knows what every layer does to a shape: expands composites into
    /// their submodules, computes output shapes, parameters and multiply-adds, and collects
    /// problems. Pure: no Roslyn, no TorchSharp. The generator emits from its result; the
    /// analyzer reports its problems.
    /// </summary>
    internal static class ShapeInference
    {
        /// <summary>Member names of the generated class and of TorchSharp's Module that a layer may not take.</summary>
        internal static readonly HashSet<string> ReservedNames = new(StringComparer.Ordinal)
        {
            "forward", "call", "Info", "InputShape", "OutputShape", "ParameterCount", "MultiplyAddCount", "Summary",
            "parameters", "named_parameters", "buffers", "named_buffers", "modules", "named_modules", "children",
            "named_children", "state_dict", "load_state_dict", "train", "eval", "training", "to", "cpu", "cuda",
            "apply", "zero_grad", "register_module", "register_buffer", "register_parameter", "GetName", "Dispose",
            "half", "bfloat16", "@float", "@double", "save", "load", "get_parameter", "get_buffer", "get_submodule",
        };

        public static NetworkModel Analyze(NetworkSpec spec, IEnumerable<Problem>? structural = null)
        {
            var problems = new List<Problem>(structural ?? Array.Empty<Problem>());
            var layers = spec.Layers;
            var names = ResolveNames(layers, problems);

            bool flowing = true;
            if (spec.InputChannels < 1) { problems.Add(Problem.At(ProblemCode.InvalidValue, Problem.InputAttribute, "channels", "Input", "channels", spec.InputChannels, "at least 1")); flowing = false; }
            if (spec.InputHeight < 1) { problems.Add(Problem.At(ProblemCode.InvalidValue, Problem.InputAttribute, "height", "Input", "height", spec.InputHeight, "at least 1")); flowing = false; }
            if (spec.InputWidth < 1) { problems.Add(Problem.At(ProblemCode.InvalidValue, Problem.InputAttribute, "width", "Input", "width", spec.InputWidth, "at least 1")); flowing = false; }

            int headIndex = -1;
            for (int i = 0; i < layers.Count; i++)
            {
                if (headIndex >= 0)
                {
                    problems.Add(Problem.At(ProblemCode.LayerAfterHead, i, null, names[i], names[headIndex]));
                }
                else if (layers[i] is ClassifierHeadSpec)
                {
                    headIndex = i;
                }
            }

            var nodes = new List<LayerNode>();
            var shape = LayerNode.Dims(spec.InputChannels, spec.InputHeight, spec.InputWidth);
            for (int i = 0; i < layers.Count; i++)
            {
                int before = problems.Count;
                Validate(layers[i], i, names[i], problems);
                if (!flowing || problems.Count > before) { flowing = false; continue; }
                var node = Infer(layers[i], new Site(i, names[i], names[i], 0, null, composite: false), shape, problems);
                if (node is null) { flowing = false; continue; }
                nodes.Add(node);
                shape = node.Output;
            }

            return new NetworkModel(spec, nodes.ToEquatableArray(), problems.ToEquatableArray());
        }

        /// <summary>Explicit names, or per-kind numbering: conv1, conv2, bn1, stage1..., stem, head.</summary>
        public static string[] ResolveNames(EquatableArray<LayerSpec> layers, List<Problem> problems)
        {
            var names = new string[layers.Count];
            var counters = new Dictionary<string, int>(StringComparer.Ordinal);
            var taken = new HashSet<string>(layers.Where(l => l.Name is not null).Select(l => l.Name!), StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < layers.Count; i++)
            {
                var layer = layers[i];
                if (layer.Name is { } explicitName)
                {
                    names[i] = explicitName;
                    if (!IsIdentifier(explicitName))
                        problems.Add(Problem.At(ProblemCode.InvalidLayerName, i, "Name", explicitName, "it is not a valid C# identifier (letters, digits and '_', not starting with a digit, not a keyword)"));
                    else if (ReservedNames.Contains(explicitName))
                        problems.Add(Problem.At(ProblemCode.InvalidLayerName, i, "Name", explicitName, "it is a member of the generated module or of TorchSharp's Module"));
                    else if (!seen.Add(explicitName))
                        problems.Add(Problem.At(ProblemCode.InvalidLayerName, i, "Name", explicitName, "another layer of this network already has it"));
                    continue;
                }

                string candidate;
                do
                {
                    counters.TryGetValue(layer.NamePrefix, out int n);
                    counters[layer.NamePrefix] = ++n;
                    candidate = !layer.NumberedName && n == 1 ? layer.NamePrefix : layer.NamePrefix + n;
                }
                while (taken.Contains(candidate));
                names[i] = candidate;
                seen.Add(candidate);
            }
            return names;
        }

        private static bool IsIdentifier(string name) =>
            Microsoft.CodeAnalysis.CSharp.SyntaxFacts.IsValidIdentifier(name)
            && Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name) == Microsoft.CodeAnalysis.CSharp.SyntaxKind.None
            && Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetContextualKeywordKind(name) == Microsoft.CodeAnalysis.CSharp.SyntaxKind.None;

        /// <summary>Checks every argument that does not depend on the incoming shape.</summary>
        private static void Validate(LayerSpec layer, int i, string name, List<Problem> problems)
        {
            void AtLeast(string argument, long value, long min)
            {
                if (value < min) problems.Add(Problem.At(ProblemCode.InvalidValue, i, argument, name, argument, value, "at least " + min));
            }

            switch (layer)
            {
                case Conv2dSpec c:
                    AtLeast("outChannels", c.OutChannels, 1); AtLeast("kernel", c.Kernel, 1); AtLeast("Stride", c.Stride, 1);
                    AtLeast("Padding", c.Padding, 0); AtLeast("Dilation", c.Dilation, 1); AtLeast("Groups", c.Groups, 1);
                    break;
                case BatchNorm2dSpec b:
                    if (!(b.Eps > 0)) problems.Add(Problem.At(ProblemCode.InvalidValue, i, "Eps", name, "Eps", b.Eps, "greater than 0"));
                    if (!(b.Momentum >= 0 && b.Momentum <= 1)) problems.Add(Problem.At(ProblemCode.InvalidValue, i, "Momentum", name, "Momentum", b.Momentum, "in [0, 1]"));
                    break;
                case Pool2dSpec p:
                    AtLeast("kernel", p.Kernel, 1); AtLeast("Stride", p.Stride, 0); AtLeast("Padding", p.Padding, 0); AtLeast("Dilation", p.Dilation, 1);
                    if (p.Kernel >= 1 && p.Dilation >= 1 && p.Padding >= 0)
                    {
                        // libtorch (pool2d_shape_check) limits padding by the kernel, not the dilated kernel.
                        long limit = p.Kernel / 2;
                        if (p.Padding > limit)
                            problems.Add(Problem.At(ProblemCode.InvalidValue, i, "Padding", name, "Padding", p.Padding, "at most half the kernel (" + limit + ")"));
                    }
                    break;
                case AdaptiveAvgPool2dSpec a:
                    AtLeast("outputSize", a.OutputSize, 1);
                    break;
                case LinearSpec l:
                    AtLeast("outFeatures", l.OutFeatures, 1); AtLeast("InFeatures", l.InFeatures, 0);
                    break;
                case DropoutSpec d:
                    if (!(d.Probability >= 0 && d.Probability < 1))
                        problems.Add(Problem.At(ProblemCode.InvalidValue, i, "probability", name, "probability", d.Probability, "in [0, 1)"));
                    break;
                case StemSpec s:
                    AtLeast("channels", s.Channels, 1); AtLeast("Kernel", s.Kernel, 1); AtLeast("Stride", s.Stride, 1);
                    break;
                case ResidualSpec r:
                    AtLeast("channels", r.Channels, 1); AtLeast("Stride", r.Stride, 1);
                    break;
                case ResidualStageSpec st:
                    AtLeast("blocks", st.Blocks, 1); AtLeast("channels", st.Channels, 1);
                    break;
                case ClassifierHeadSpec h:
                    AtLeast("classes", h.Classes, 1);
                    break;
            }
        }

        /// <summary>
        /// Where a node sits: the declared attribute it comes from, its dotted path and depth.
        /// Inside a composite every problem points at the composite's attribute (argument
        /// <see cref="CompositeArgument"/>, or the whole attribute).
        /// </summary>
        private readonly struct Site
        {
            public Site(int index, string name, string path, int depth, string? compositeArgument, bool composite)
            {
                Index = index; Name = name; Path = path; Depth = depth; CompositeArgument = compositeArgument; Composite = composite;
            }

            public int Index { get; }
            public string Name { get; }
            public string Path { get; }
            public int Depth { get; }
            public string? CompositeArgument { get; }
            public bool Composite { get; }

            public Site Child(string name, string? compositeArgument = null) =>
                new(Index, name, Path + "." + name, Depth + 1, compositeArgument ?? CompositeArgument, composite: true);

            public string? Arg(string argument) => Composite ? CompositeArgument : argument;

            public Problem Report(ProblemCode code, string argument, params object[] args) => Problem.At(code, Index, Arg(argument), args);

            public Problem ReportWhole(ProblemCode code, params object[] args) => Problem.At(code, Index, Composite ? CompositeArgument : null, args);
        }

        private static LayerNode? Infer(LayerSpec layer, Site site, EquatableArray<long> input, List<Problem> problems)
        {
            switch (layer)
            {
                case Conv2dSpec c:
                    return Conv(site, input, c.OutChannels, c.Kernel, c.Stride, c.Padding, c.Dilation, c.Groups, c.Bias, problems);
                case BatchNorm2dSpec:
                    return BatchNorm(site, input, problems);
                case ActivationSpec a:
                    return Leaf(site, a.Kind, input, input, 0, 0);
                case DropoutSpec:
                    return Leaf(site, "Dropout", input, input, 0, 0);
                case Pool2dSpec p:
                    return Pool(site, p.Kind, input, p.Kernel, p.EffectiveStride, p.Padding, p.Dilation, p.CeilMode, problems);
                case AdaptiveAvgPool2dSpec a:
                    return AdaptivePool(site, input, a.OutputSize, problems);
                case FlattenSpec:
                    return Flatten(site, input);
                case LinearSpec l:
                    return Linear(site, input, l.OutFeatures, l.InFeatures, l.Bias, problems);
                case StemSpec s:
                    return Stem(site, input, s, problems);
                case ResidualSpec r:
                    return Residual(site, input, r.Channels, r.Use1x1Conv, r.Stride, r.Bias, "Use1x1Conv", problems);
                case ResidualStageSpec st:
                    return Stage(site, input, st, problems);
                case ClassifierHeadSpec h:
                    return Head(site, input, h.Classes, problems);
                default:
                    return null;
            }
        }

        private static LayerNode Leaf(Site site, string type, EquatableArray<long> input, EquatableArray<long> output, long parameters, long macs) =>
            new(site.Name, site.Path, type, site.Depth, input, output, parameters, macs, EquatableArray<LayerNode>.Empty);

        private static LayerNode Composite(Site site, string type, EquatableArray<long> input, IReadOnlyList<LayerNode> children, EquatableArray<long> output) =>
            new(site.Name, site.Path, type, site.Depth, input, output, children.Sum(c => c.Parameters), children.Sum(c => c.MultiplyAdds), children.ToEquatableArray());

        private static bool RequireImage(Site site, string kind, EquatableArray<long> input, List<Problem> problems)
        {
            if (input.Count == 3) return true;
            problems.Add(site.ReportWhole(ProblemCode.NeedsImageInput, site.Path, kind, Format(input)));
            return false;
        }

        public static string Format(EquatableArray<long> dims) => "[" + string.Join(", ", dims) + "]";

        private static string Size(long h, long w) => h + "x" + w;

        private static LayerNode? Conv(Site site, EquatableArray<long> input, long outChannels, long kernel, long stride, long padding, long dilation, long groups, bool bias, List<Problem> problems)
        {
            if (!RequireImage(site, "Conv2d", input, problems)) return null;
            long inChannels = input[0], h = input[1], w = input[2];
            if (inChannels % groups != 0 || outChannels % groups != 0)
            {
                problems.Add(site.Report(ProblemCode.GroupsDoNotDivide, "Groups", site.Path, groups, inChannels, outChannels));
                return null;
            }
            long effective = ShapeMath.EffectiveKernel(kernel, dilation);
            if (effective > h + 2 * padding || effective > w + 2 * padding)
            {
                problems.Add(site.Report(ProblemCode.KernelLargerThanInput, "kernel", site.Path, Size(effective, effective), Size(h + 2 * padding, w + 2 * padding)));
                return null;
            }
            long oh = ShapeMath.ConvOutput(h, kernel, stride, padding, dilation);
            long ow = ShapeMath.ConvOutput(w, kernel, stride, padding, dilation);
            if (oh < 1 || ow < 1)
            {
                problems.Add(site.Report(ProblemCode.OutputBelowOne, "kernel", site.Path, Size(h, w), Size(oh, ow)));
                return null;
            }
            long perOutput = inChannels / groups * kernel * kernel;
            long parameters = outChannels * perOutput + (bias ? outChannels : 0);
            long macs = outChannels * oh * ow * perOutput;
            return Leaf(site, "Conv2d", input, LayerNode.Dims(outChannels, oh, ow), parameters, macs);
        }

        private static LayerNode? BatchNorm(Site site, EquatableArray<long> input, List<Problem> problems)
        {
            if (!RequireImage(site, "BatchNorm2d", input, problems)) return null;
            return Leaf(site, "BatchNorm2d", input, input, 2 * input[0], 0);
        }

        private static LayerNode? Pool(Site site, string type, EquatableArray<long> input, long kernel, long stride, long padding, long dilation, bool ceilMode, List<Problem> problems)
        {
            if (!RequireImage(site, type, input, problems)) return null;
            long h = input[1], w = input[2];
            long oh = ShapeMath.PoolOutput(h, kernel, stride, padding, dilation, ceilMode);
            long ow = ShapeMath.PoolOutput(w, kernel, stride, padding, dilation, ceilMode);
            if (oh < 1 || ow < 1)
            {
                problems.Add(site.Report(ProblemCode.OutputBelowOne, "kernel", site.Path, Size(h, w), Size(oh, ow)));
                return null;
            }
            return Leaf(site, type, input, LayerNode.Dims(input[0], oh, ow), 0, 0);
        }

        private static LayerNode? AdaptivePool(Site site, EquatableArray<long> input, long outputSize, List<Problem> problems)
        {
            if (!RequireImage(site, "AdaptiveAvgPool2d", input, problems)) return null;
            return Leaf(site, "AdaptiveAvgPool2d", input, LayerNode.Dims(input[0], outputSize, outputSize), 0, 0);
        }

        private static LayerNode Flatten(Site site, EquatableArray<long> input) =>
            Leaf(site, "Flatten", input, LayerNode.Dims(input.Aggregate(1L, (a, b) => a * b)), 0, 0);

        private static LayerNode? Linear(Site site, EquatableArray<long> input, long outFeatures, long declaredIn, bool bias, List<Problem> problems)
        {
            if (input.Count != 1)
            {
                problems.Add(site.ReportWhole(ProblemCode.NeedsFlatInput, site.Path, Format(input)));
                return null;
            }
            long inFeatures = input[0];
            if (declaredIn != 0 && declaredIn != inFeatures)
            {
                problems.Add(site.Report(ProblemCode.LinearInFeaturesMismatch, "InFeatures", site.Path, declaredIn, inFeatures));
                return null;
            }
            return Leaf(site, "Linear", input, LayerNode.Dims(outFeatures), inFeatures * outFeatures + (bias ? outFeatures : 0), inFeatures * outFeatures);
        }

        /// <summary>Runs children in order; null when one of them fails.</summary>
        private static List<LayerNode>? Chain(EquatableArray<long> input, List<Problem> problems, params Func<EquatableArray<long>, LayerNode?>[] steps)
        {
            var nodes = new List<LayerNode>();
            var shape = input;
            foreach (var step in steps)
            {
                var node = step(shape);
                if (node is null) return null;
                nodes.Add(node);
                shape = node.Output;
            }
            return nodes;
        }

        private static LayerNode? Stem(Site site, EquatableArray<long> input, StemSpec s, List<Problem> problems)
        {
            if (!RequireImage(site, "Stem", input, problems)) return null;
            var inner = site.Composite ? site : new Site(site.Index, site.Name, site.Path, site.Depth, "Kernel", composite: true);
            var steps = new List<Func<EquatableArray<long>, LayerNode?>>
            {
                x => Conv(inner.Child("conv"), x, s.Channels, s.Kernel, s.Stride, s.Kernel / 2, 1, 1, s.Bias, problems),
                x => BatchNorm(inner.Child("bn"), x, problems),
                x => Leaf(inner.Child("relu"), "ReLU", x, x, 0, 0),
            };
            if (s.MaxPool) steps.Add(x => Pool(inner.Child("pool", "MaxPool"), "MaxPool2d", x, 3, 2, 1, 1, false, problems));
            var children = Chain(input, problems, steps.ToArray());
            return children is null ? null : Composite(site, "Stem", input, children, children[children.Count - 1].Output);
        }

        /// <summary>D2L Residual: conv1-bn1-relu-conv2-bn2 (+ conv3 1x1 shortcut), add, relu.</summary>
        private static LayerNode? Residual(Site site, EquatableArray<long> input, long channels, bool use1x1, long stride, bool bias, string fixArgument, List<Problem> problems)
        {
            if (!RequireImage(site, "Residual", input, problems)) return null;
            var inner = site.Composite ? site : new Site(site.Index, site.Name, site.Path, site.Depth, null, composite: true);
            var main = Chain(input, problems,
                x => Conv(inner.Child("conv1"), x, channels, 3, stride, 1, 1, 1, bias, problems),
                x => BatchNorm(inner.Child("bn1"), x, problems),
                x => Conv(inner.Child("conv2"), x, channels, 3, 1, 1, 1, 1, bias, problems),
                x => BatchNorm(inner.Child("bn2"), x, problems));
            if (main is null) return null;
            var mainOut = main[main.Count - 1].Output;
            var shortcutOut = input;
            if (use1x1)
            {
                var conv3 = Conv(inner.Child("conv3"), input, channels, 1, stride, 0, 1, 1, bias, problems);
                if (conv3 is null) return null;
                main.Add(conv3);
                shortcutOut = conv3.Output;
            }
            if (mainOut != shortcutOut)
            {
                string hint = site.Composite
                    ? "set Downsample = true on the stage, or give the previous layer " + channels + " output channels"
                    : "set Use1x1Conv = true, or give the previous layer " + channels + " output channels and use Stride = 1";
                string? argument = site.Composite ? site.CompositeArgument : fixArgument;
                problems.Add(Problem.At(ProblemCode.ResidualShapeMismatch, site.Index, argument, site.Path, Format(mainOut), Format(shortcutOut), hint));
                return null;
            }
            return Composite(site, "ResidualBlock", input, main, mainOut);
        }

        private static LayerNode? Stage(Site site, EquatableArray<long> input, ResidualStageSpec st, List<Problem> problems)
        {
            if (!RequireImage(site, "ResidualStage", input, problems)) return null;
            var blocks = new List<LayerNode>();
            var shape = input;
            for (int b = 0; b < st.Blocks; b++)
            {
                bool first = b == 0;
                var child = new Site(site.Index, site.Name, site.Path, site.Depth, "Downsample", composite: true).Child(b.ToString(System.Globalization.CultureInfo.InvariantCulture));
                var block = Residual(child, shape, st.Channels, first && st.Downsample, first && st.Downsample ? 2 : 1, st.Bias, "Downsample", problems);
                if (block is null) return null;
                blocks.Add(block);
                shape = block.Output;
            }
            return Composite(site, "ResidualStage", input, blocks, shape);
        }

        private static LayerNode? Head(Site site, EquatableArray<long> input, long classes, List<Problem> problems)
        {
            if (!RequireImage(site, "ClassifierHead", input, problems)) return null;
            var inner = new Site(site.Index, site.Name, site.Path, site.Depth, null, composite: true);
            var children = Chain(input, problems,
                x => AdaptivePool(inner.Child("pool"), x, 1, problems),
                x => Flatten(inner.Child("flatten"), x),
                x => Linear(inner.Child("fc"), x, classes, 0, true, problems));
            return children is null ? null : Composite(site, "ClassifierHead", input, children, children[children.Count - 1].Output);
        }
    }
}
