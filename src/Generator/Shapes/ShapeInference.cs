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
            var names = ResolveNames(layers, problems, spec.Naming);

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
                var node = Infer(layers[i], new Site(i, names[i], names[i], 0, null, composite: false, spec.Naming), shape, problems);
                if (node is null) { flowing = false; continue; }
                nodes.Add(node);
                shape = node.Output;
            }

            return new NetworkModel(spec, nodes.ToEquatableArray(), problems.ToEquatableArray());
        }

        /// <summary>Explicit names, or per-kind numbering: conv1, conv2, bn1, stage1..., stem, head.</summary>
        public static string[] ResolveNames(EquatableArray<LayerSpec> layers, List<Problem> problems, Naming naming = Naming.D2L)
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
                var (prefix, numbered) = naming == Naming.TorchVision ? TorchVisionPrefix(layer) : (layer.NamePrefix, layer.NumberedName);
                do
                {
                    counters.TryGetValue(prefix, out int n);
                    counters[prefix] = ++n;
                    candidate = !numbered && n == 1 ? prefix : prefix + n;
                }
                while (taken.Contains(candidate));
                names[i] = candidate;
                seen.Add(candidate);
            }
            return names;
        }

        /// <summary>
        /// torchvision's automatic names: conv1, bn1 and layer1.. are numbered from the first; relu, maxpool,
        /// avgpool, flatten, fc, stem, head are plain and numbered from the second of their kind.
        /// </summary>
        private static (string Prefix, bool Numbered) TorchVisionPrefix(LayerSpec layer) => layer switch
        {
            Conv2dSpec => ("conv", true),
            BatchNorm2dSpec => ("bn", true),
            ResidualStageSpec or BasicStageSpec or BottleneckStageSpec or PreActStageSpec => ("layer", true),
            ResidualSpec or ResNeXtBlockSpec => ("block", true),
            AdaptiveAvgPool2dSpec => ("avgpool", false),
            _ => (layer.NamePrefix, false),
        };

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
                case BasicStageSpec bs:
                    AtLeast("blocks", bs.Blocks, 1); AtLeast("channels", bs.Channels, 1); AtLeast("Stride", bs.Stride, 1);
                    break;
                case BottleneckStageSpec bn:
                {
                    int before = problems.Count;
                    AtLeast("blocks", bn.Blocks, 1); AtLeast("planes", bn.Planes, 1); AtLeast("Stride", bn.Stride, 1);
                    AtLeast("Groups", bn.Groups, 1); AtLeast("BaseWidth", bn.BaseWidth, 1); AtLeast("Expansion", bn.Expansion, 1);
                    if (problems.Count == before) WidthAtLeastOne(bn.Planes, bn.BaseWidth);
                    break;
                }
                case PreActStageSpec pa:
                {
                    int before = problems.Count;
                    AtLeast("blocks", pa.Blocks, 1); AtLeast("planes", pa.Planes, 1); AtLeast("Stride", pa.Stride, 1);
                    AtLeast("Groups", pa.Groups, 1); AtLeast("BaseWidth", pa.BaseWidth, 1);
                    if (problems.Count == before && pa.Bottleneck) WidthAtLeastOne(pa.Planes, pa.BaseWidth);
                    if (pa.Options.ZeroInitLastBatchNorm)
                        problems.Add(Problem.At(ProblemCode.InvalidValue, i, "ZeroInitLastBatchNorm", name, "ZeroInitLastBatchNorm", "true", "false: a pre-activation block ends with a convolution, not a BatchNorm"));
                    if (!pa.Bottleneck && pa.Groups != 1)
                        problems.Add(Problem.At(ProblemCode.InvalidValue, i, "Groups", name, "Groups", pa.Groups, "1 unless Bottleneck = true"));
                    break;
                }
                case ResNeXtBlockSpec rx:
                {
                    int before = problems.Count;
                    AtLeast("channels", rx.Channels, 1); AtLeast("groupWidth", rx.GroupWidth, 1); AtLeast("Stride", rx.Stride, 1);
                    if (!(rx.BottleneckMultiplier > 0) || double.IsInfinity(rx.BottleneckMultiplier))
                        problems.Add(Problem.At(ProblemCode.InvalidValue, i, "bottleneckMultiplier", name, "bottleneckMultiplier", rx.BottleneckMultiplier, "greater than 0"));
                    if (problems.Count != before) break;
                    long b = BottleneckChannels(rx);
                    if (b < 1)
                        problems.Add(Problem.At(ProblemCode.InvalidValue, i, "bottleneckMultiplier", name, "bottleneckMultiplier", rx.BottleneckMultiplier, "large enough that round(channels * bottleneckMultiplier) is at least 1"));
                    else if (rx.GroupWidth > b)
                        problems.Add(Problem.At(ProblemCode.InvalidValue, i, "groupWidth", name, "groupWidth", rx.GroupWidth, "at most the bottleneck channels (" + b + "): it is the number of channels per group"));
                    break;
                }
            }

            void WidthAtLeastOne(long planes, long baseWidth)
            {
                if (planes * baseWidth / 64 < 1)
                {
                    long min = (64 + planes - 1) / planes;
                    problems.Add(Problem.At(ProblemCode.InvalidValue, i, "BaseWidth", name, "BaseWidth", baseWidth, "at least " + min + " so that int(planes * BaseWidth / 64) is at least 1"));
                }
            }
        }

        /// <summary>D2L's <c>int(round(num_channels * bot_mul))</c> (Python rounds half to even, as Math.Round).</summary>
        internal static long BottleneckChannels(ResNeXtBlockSpec rx)
        {
            double b = Math.Round(rx.Channels * rx.BottleneckMultiplier, MidpointRounding.ToEven);
            return b >= long.MaxValue ? long.MaxValue : (long)b;
        }

        /// <summary>
        /// Where a node sits: the declared attribute it comes from, its dotted path and depth.
        /// Inside a composite every problem points at the composite's attribute (argument
        /// <see cref="CompositeArgument"/>, or the whole attribute).
        /// </summary>
        private readonly struct Site
        {
            public Site(int index, string name, string path, int depth, string? compositeArgument, bool composite, Naming naming = Naming.D2L)
            {
                Index = index; Name = name; Path = path; Depth = depth; CompositeArgument = compositeArgument; Composite = composite; Naming = naming;
            }

            public Naming Naming { get; }

            public int Index { get; }
            public string Name { get; }
            public string Path { get; }
            public int Depth { get; }
            public string? CompositeArgument { get; }
            public bool Composite { get; }

            public Site Child(string name, string? compositeArgument = null) =>
                new(Index, name, Path + "." + name, Depth + 1, compositeArgument ?? CompositeArgument, composite: true, Naming);

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
                case BasicStageSpec or BottleneckStageSpec or PreActStageSpec:
                    return FamilyStage(layer, site, input, problems);
                case ResNeXtBlockSpec rx:
                {
                    if (!RequireImage(site, "ResNeXtBlock", input, problems)) return null;
                    var design = Designs(rx, input[0], site.Naming)[0];
                    return Block(new Site(site.Index, site.Name, site.Path, site.Depth, null, composite: true, site.Naming), input, design, "groupWidth", "Use1x1Conv", problems);
                }
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
    
        /// <summary>
        /// The blocks a ResNet-family stage (or a single D2L ResNeXt block) expands into, given the channels that
        /// arrive. Shared by shape inference and the emitter so both build the same modules.
        /// </summary>
        internal static IReadOnlyList<BlockDesign> Designs(LayerSpec layer, long inChannels, Naming naming)
        {
            var designs = new List<BlockDesign>();
            bool downsample = naming == Naming.TorchVision;
            switch (layer)
            {
                case BasicStageSpec bs:
                    for (int b = 0; b < bs.Blocks; b++)
                    {
                        long stride = b == 0 ? bs.Stride : 1, cin = b == 0 ? inChannels : bs.Channels;
                        designs.Add(new BlockDesign(BlockKind.Basic, cin, bs.Channels, bs.Channels, stride, 1, false, stride != 1 || cin != bs.Channels, bs.Options, downsample));
                    }
                    break;
                case BottleneckStageSpec bn:
                {
                    long width = (long)bn.Planes * bn.BaseWidth / 64 * bn.Groups, output = (long)bn.Planes * bn.Expansion;
                    for (int b = 0; b < bn.Blocks; b++)
                    {
                        long stride = b == 0 ? bn.Stride : 1, cin = b == 0 ? inChannels : output;
                        designs.Add(new BlockDesign(BlockKind.Bottleneck, cin, width, output, stride, bn.Groups, bn.StrideOnFirst1x1, stride != 1 || cin != output, bn.Options, downsample));
                    }
                    break;
                }
                case PreActStageSpec pa:
                {
                    long width = pa.Bottleneck ? (long)pa.Planes * pa.BaseWidth / 64 * pa.Groups : pa.Planes;
                    long output = pa.Bottleneck ? (long)pa.Planes * 4 : pa.Planes;
                    for (int b = 0; b < pa.Blocks; b++)
                    {
                        long stride = b == 0 ? pa.Stride : 1, cin = b == 0 ? inChannels : output;
                        designs.Add(new BlockDesign(pa.Bottleneck ? BlockKind.PreActBottleneck : BlockKind.PreActBasic, cin, width, output, stride, pa.Bottleneck ? pa.Groups : 1, false,
                            stride != 1 || cin != output, pa.Options, downsample));
                    }
                    break;
                }
                case ResNeXtBlockSpec rx:
                {
                    long width = BottleneckChannels(rx);
                    long groups = Math.Max(1, width / Math.Max(1, rx.GroupWidth));
                    designs.Add(new BlockDesign(BlockKind.Bottleneck, inChannels, width, rx.Channels, rx.Stride, groups, false, rx.Use1x1Conv, rx.Options, downsample));
                    break;
                }
            }
            return designs;
        }

        private static LayerNode? FamilyStage(LayerSpec layer, Site site, EquatableArray<long> input, List<Problem> problems)
        {
            if (!RequireImage(site, layer.Kind, input, problems)) return null;
            var blocks = new List<LayerNode>();
            var shape = input;
            var stage = new Site(site.Index, site.Name, site.Path, site.Depth, null, composite: true, site.Naming);
            var designs = Designs(layer, input[0], site.Naming);
            for (int b = 0; b < designs.Count; b++)
            {
                var block = Block(stage.Child(b.ToString(System.Globalization.CultureInfo.InvariantCulture)), shape, designs[b], "Groups", null, problems);
                if (block is null) return null;
                blocks.Add(block);
                shape = block.Output;
            }
            return Composite(site, layer.Kind, input, blocks, shape);
        }

        /// <summary>
        /// One ResNet-family block: main branch, projection shortcut (named conv/bn N+1 or downsample.0/1), add.
        /// Post-activation blocks end with ReLU after the addition; pre-activation blocks do not. ReLUs are
        /// functional (no modules, no parameters), as torchvision's shared <c>relu</c>.
        /// </summary>
        private static LayerNode? Block(Site site, EquatableArray<long> input, BlockDesign d, string groupsArgument, string? shortcutArgument, List<Problem> problems)
        {
            if (!RequireImage(site, d.TypeName, input, problems)) return null;
            bool bias = d.Options.Bias;
            long s1 = d.StrideOnFirst1x1 ? d.Stride : 1, s3 = d.StrideOnFirst1x1 ? 1 : d.Stride;
            var steps = new List<Func<EquatableArray<long>, LayerNode?>>();
            switch (d.Kind)
            {
                case BlockKind.Basic:
                    steps.Add(x => Conv(site.Child("conv1"), x, d.OutChannels, 3, d.Stride, 1, 1, 1, bias, problems));
                    steps.Add(x => BatchNorm(site.Child("bn1"), x, problems));
                    steps.Add(x => Conv(site.Child("conv2"), x, d.OutChannels, 3, 1, 1, 1, 1, bias, problems));
                    steps.Add(x => BatchNorm(site.Child("bn2"), x, problems));
                    break;
                case BlockKind.Bottleneck:
                    steps.Add(x => Conv(site.Child("conv1"), x, d.Width, 1, s1, 0, 1, 1, bias, problems));
                    steps.Add(x => BatchNorm(site.Child("bn1"), x, problems));
                    steps.Add(x => Conv(site.Child("conv2", groupsArgument), x, d.Width, 3, s3, 1, 1, d.Groups, bias, problems));
                    steps.Add(x => BatchNorm(site.Child("bn2"), x, problems));
                    steps.Add(x => Conv(site.Child("conv3"), x, d.OutChannels, 1, 1, 0, 1, 1, bias, problems));
                    steps.Add(x => BatchNorm(site.Child("bn3"), x, problems));
                    break;
                case BlockKind.PreActBasic:
                    steps.Add(x => BatchNorm(site.Child("bn1"), x, problems));
                    steps.Add(x => Conv(site.Child("conv1"), x, d.OutChannels, 3, d.Stride, 1, 1, 1, bias, problems));
                    steps.Add(x => BatchNorm(site.Child("bn2"), x, problems));
                    steps.Add(x => Conv(site.Child("conv2"), x, d.OutChannels, 3, 1, 1, 1, 1, bias, problems));
                    break;
                case BlockKind.PreActBottleneck:
                    steps.Add(x => BatchNorm(site.Child("bn1"), x, problems));
                    steps.Add(x => Conv(site.Child("conv1"), x, d.Width, 1, 1, 0, 1, 1, bias, problems));
                    steps.Add(x => BatchNorm(site.Child("bn2"), x, problems));
                    steps.Add(x => Conv(site.Child("conv2", groupsArgument), x, d.Width, 3, d.Stride, 1, 1, d.Groups, bias, problems));
                    steps.Add(x => BatchNorm(site.Child("bn3"), x, problems));
                    steps.Add(x => Conv(site.Child("conv3"), x, d.OutChannels, 1, 1, 0, 1, 1, bias, problems));
                    break;
            }
            var main = Chain(input, problems, steps.ToArray());
            if (main is null) return null;
            var mainOut = main[main.Count - 1].Output;
            var shortcutOut = input;
            if (d.Projection)
            {
                // The projection of a pre-activation block sees the pre-activated input: same shape as the input.
                var (convName, bnName) = d.ShortcutNames;
                var parent = d.Downsample ? site.Child("downsample") : site;
                var projection = new List<LayerNode>();
                var conv = Conv(parent.Child(convName), input, d.OutChannels, 1, d.Stride, 0, 1, 1, bias, problems);
                if (conv is null) return null;
                projection.Add(conv);
                if (d.Options.ProjectionBatchNorm)
                {
                    var bn = BatchNorm(parent.Child(bnName), conv.Output, problems);
                    if (bn is null) return null;
                    projection.Add(bn);
                }
                shortcutOut = conv.Output;
                if (d.Downsample) main.Add(Composite(parent, "Sequential", input, projection, shortcutOut));
                else main.AddRange(projection);
            }
            if (mainOut != shortcutOut)
            {
                string hint = shortcutArgument is null
                    ? "give the previous layer " + d.OutChannels + " output channels"
                    : "set " + shortcutArgument + " = true, or give the previous layer " + d.OutChannels + " output channels and use Stride = 1";
                problems.Add(Problem.At(ProblemCode.ResidualShapeMismatch, site.Index, site.Composite && site.CompositeArgument is not null ? site.CompositeArgument : shortcutArgument, site.Path, Format(mainOut), Format(shortcutOut), hint));
                return null;
            }
            return Composite(site, d.TypeName, input, main, mainOut);
        }
}
}
