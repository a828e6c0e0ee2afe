using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Dsl.Runtime.Interop;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Runtime.Training
{
    /// <summary>A classifier layer given a new weight and bias for another number of classes (<see cref="FineTuning.ReplaceClassifier"/>).</summary>
    /// <param name="Layer">The Linear layer's name in the module, e.g. <c>fc</c>.</param>
    /// <param name="InFeatures">Its input features (unchanged).</param>
    /// <param name="PreviousClasses">Its outputs before the replacement (the declared ones).</param>
    /// <param name="Classes">Its outputs now.</param>
    public sealed record HeadReplacement(string Layer, long InFeatures, long PreviousClasses, long Classes)
    {
        /// <inheritdoc/>
        public override string ToString() => $"{Layer}: {PreviousClasses} -> {Classes} classes";
    }

    /// <summary>What <see cref="FineTuning.LoadPretrained"/> copied into the module.</summary>
    /// <param name="Path">The state dict file.</param>
    /// <param name="Loaded">The state_dict keys copied from the file.</param>
    /// <param name="Skipped">The head's keys left as they were because their shape differs from the file's (a replaced classifier).</param>
    public sealed record PretrainedLoad(string Path, IReadOnlyList<string> Loaded, IReadOnlyList<ShapeMismatch> Skipped)
    {
        /// <inheritdoc/>
        public override string ToString() =>
            $"loaded {Loaded.Count} tensors from {Path}" + (Skipped.Count == 0 ? "" :
                "; kept the replaced head's " + string.Join(", ", Skipped.Select(s => $"{s.Key} [{string.Join(", ", s.Expected)}] (file [{string.Join(", ", s.Actual)}])")));
    }

    /// <summary>
    /// One optimizer parameter group of a run (<see cref="TrainingContext.ParameterGroups"/>): the trainable
    /// parameters one <see cref="TrainOptions.LearningRates"/> pattern matches, or those no pattern matches.
    /// </summary>
    public sealed class ParameterGroup
    {
        private readonly optim.ILearningRateController? _controller;

        internal ParameterGroup(string? pattern, double learningRate, IReadOnlyList<string> parameters, optim.ILearningRateController? controller)
        {
            Pattern = pattern;
            LearningRate = learningRate;
            Parameters = parameters;
            _controller = controller;
        }

        /// <summary>The <see cref="TrainOptions.LearningRates"/> pattern, or null for the parameters no pattern matches.</summary>
        public string? Pattern { get; }

        /// <summary>The group's base learning rate (the pattern's, or <see cref="TrainOptions.LearningRate"/>).</summary>
        public double LearningRate { get; }

        /// <summary>The names of the group's parameters, in the module's order.</summary>
        public IReadOnlyList<string> Parameters { get; }

        /// <summary>The rate of the optimizer step running now: <see cref="LearningRate"/> times the schedule's factor.</summary>
        public double CurrentLearningRate => _controller?.LearningRate ?? LearningRate;

        /// <inheritdoc/>
        public override string ToString() =>
            $"{Pattern ?? "(other)"}: lr {LearningRate.ToString("G6", CultureInfo.InvariantCulture)}, {Parameters.Count} parameter tensors";
    }

    /// <summary>
    /// Starting from a pretrained network: load a state dict in torchvision's layout, replace the classifier for
    /// another number of classes, freeze parameters by name pattern. The trainer does the rest from
    /// <see cref="TrainOptions.Freeze"/> and <see cref="TrainOptions.LearningRates"/>: only trainable parameters
    /// reach the optimizer, in groups with their own learning rates, and frozen BatchNorm layers stay in eval mode.
    /// </summary>
    /// <remarks>
    /// Patterns are shell globs over parameter names, as Python's <c>fnmatch.fnmatchcase</c>: <c>*</c> matches any
    /// characters including dots (<c>layer1.*</c> matches <c>layer1.0.conv1.weight</c>), <c>?</c> one character,
    /// <c>[abc]</c> / <c>[!abc]</c> a character of (not of) the set.
    /// <para>
    /// BatchNorm: in PyTorch, <c>requires_grad = False</c> does not stop a BatchNorm layer in training mode from
    /// updating its running mean and variance. Here a BatchNorm layer whose affine parameters are all frozen (or, for
    /// one without parameters, whose buffers a freeze pattern matches) counts as frozen and is kept in eval mode
    /// during training: it normalises with its stored statistics and leaves them unchanged.
    /// </para>
    /// <para>
    /// A replaced classifier changes the module, not its declaration: the compile-time <c>Info</c> and
    /// <c>Summary</c> still describe the declared head. The trainer records replaced heads in its checkpoint, and
    /// <see cref="Trainer.LoadWeights"/> replaces them again before loading.
    /// </para>
    /// </remarks>
    public static class FineTuning
    {
        private static readonly ConditionalWeakTable<nn.Module, List<HeadReplacement>> Replaced = new();

        /// <summary>The name of the module's last Linear layer (in registration order): the classifier of torchvision's networks.</summary>
        /// <exception cref="InvalidOptionException">The module has no Linear layer.</exception>
        public static string ClassifierOf(nn.Module model)
        {
            string? last = null;
            foreach (var (name, module) in model.named_modules())
                if (module is Linear && name.Length > 0) last = name;
            return last ?? throw new InvalidOptionException("classifier", $"the name of a Linear layer, but {model.GetType().Name} has none", "none");
        }

        /// <summary>
        /// Gives the classifier (the last Linear layer, or <paramref name="layer"/>) a new weight [classes, in] and bias
        /// [classes], initialised as PyTorch's <c>nn.Linear</c> does (both uniform in ±1/√in) from <paramref name="seed"/>,
        /// on the layer's device and dtype. The new tensors are trainable.
        /// </summary>
        /// <exception cref="InvalidOptionException"><paramref name="classes"/> is below 1, or the layer is not a Linear layer of the module.</exception>
        public static HeadReplacement ReplaceClassifier(nn.Module model, int classes, string? layer = null, long seed = 42)
        {
            if (classes < 1) throw new InvalidOptionException("classes", "a whole number of at least 1", classes.ToString(CultureInfo.InvariantCulture));
            string name = layer ?? ClassifierOf(model);
            var linear = FindLinear(model, name);
            var old = linear.weight ?? throw new InvalidOptionException("classifier", $"a Linear layer with a weight; {name} has none", name);
            long inFeatures = old.shape[1], previous = old.shape[0];
            var (dtype, device) = (old.dtype, old.device); // the setter disposes the old weight
            bool hasBias = linear.bias is not null;
            double bound = 1.0 / Math.Sqrt(inFeatures);
            using (torch.NewDisposeScope())
            {
                // PyTorch's nn.Linear.reset_parameters: kaiming_uniform_(a=sqrt(5)) gives the weight U(-1/sqrt(in), 1/sqrt(in)),
                // and the bias the same bound.
                var generator = new torch.Generator((ulong)seed);
                var w = torch.rand(new[] { (long)classes, inFeatures }, dtype, device, generator: generator).mul_(2 * bound).sub_(bound);
                linear.weight = (Parameter)new Parameter(w).DetachFromDisposeScope();
                if (hasBias)
                {
                    var b = torch.rand(new[] { (long)classes }, dtype, device, generator: generator).mul_(2 * bound).sub_(bound);
                    linear.bias = (Parameter)new Parameter(b).DetachFromDisposeScope();
                }
            }
            linear.out_features = classes;
            var list = Replaced.GetOrCreateValue(model);
            var earlier = list.FindIndex(h => h.Layer == name);
            var replacement = new HeadReplacement(name, inFeatures, earlier >= 0 ? list[earlier].PreviousClasses : previous, classes);
            if (earlier >= 0) list[earlier] = replacement;
            else list.Add(replacement);
            return replacement;
        }

        /// <summary>
        /// Loads a PyTorch (<c>.pth</c>) or safetensors state dict in the module's layout (torchvision's, for the
        /// catalogue's torchvision networks) into <paramref name="model"/>. The classifier's keys (the last Linear
        /// layer's, or <paramref name="head"/>'s) are skipped when their shape differs, so the file's 1000-class head
        /// does not overwrite a replaced one; every other key must be present with the same shape.
        /// </summary>
        /// <exception cref="StateDictMismatchException">Missing or unexpected keys, or a shape mismatch outside the head (the message names each key and both shapes).</exception>
        /// <exception cref="CheckpointFormatException">The file cannot be read.</exception>
        public static PretrainedLoad LoadPretrained(nn.Module model, string path, string? head = null)
        {
            string prefix = (head ?? ClassifierOfOrNull(model)) is string h ? h + "." : "\0";
            var (loaded, skipped) = PyTorchCheckpoint.LoadSkipping(model, path, strict: true, key => key.StartsWith(prefix, StringComparison.Ordinal) && key.IndexOf('.', prefix.Length) < 0);
            return new PretrainedLoad(path, loaded, skipped);
        }

        /// <summary>
        /// Freezes (<c>requires_grad = false</c>) every parameter whose name one of <paramref name="patterns"/> matches
        /// and returns their names. The trainer calls it for <see cref="TrainOptions.Freeze"/>.
        /// </summary>
        /// <exception cref="InvalidOptionException">A pattern matches no parameter (the message names it and some parameter names).</exception>
        public static IReadOnlyList<string> Freeze(nn.Module model, IEnumerable<string> patterns)
        {
            var parameters = model.named_parameters().ToList();
            var globs = patterns.Select(p => (Text: p, Regex: Glob(p))).ToList();
            foreach (var (text, regex) in globs)
            {
                if (!parameters.Any(p => regex.IsMatch(p.name)) && !model.named_buffers().Any(b => regex.IsMatch(b.name)))
                    throw new InvalidOptionException(nameof(TrainOptions.Freeze), $"patterns matching parameter names of {model.GetType().Name} (such as {Examples(parameters.Select(p => p.name).ToList())})", $"'{text}', which matches none");
            }
            var frozen = new List<string>();
            foreach (var (name, parameter) in parameters)
            {
                if (!globs.Any(g => g.Regex.IsMatch(name))) continue;
                parameter.requires_grad = false;
                frozen.Add(name);
            }
            return frozen;
        }

        /// <summary>True when the glob <paramref name="pattern"/> matches the whole <paramref name="name"/> (Python's <c>fnmatch.fnmatchcase</c>).</summary>
        public static bool Matches(string pattern, string name) => Glob(pattern).IsMatch(name);

        /// <summary>
        /// The BatchNorm layers that count as frozen: all their affine parameters frozen, or, without parameters,
        /// their buffers matched by one of <paramref name="freezePatterns"/>. The trainer keeps them in eval mode.
        /// </summary>
        public static IReadOnlyList<string> FrozenBatchNorms(nn.Module model, IEnumerable<string>? freezePatterns = null) =>
            FrozenNorms(model, freezePatterns).Select(n => n.Name).ToList();

        /// <summary>The heads replaced on <paramref name="model"/> so far (recorded in the trainer's checkpoint).</summary>
        public static IReadOnlyList<HeadReplacement> ReplacedHeads(nn.Module model) =>
            Replaced.TryGetValue(model, out var list) ? list.ToArray() : Array.Empty<HeadReplacement>();

        /// <summary>Replaces the heads a checkpoint records where the module's layer differs (before loading its weights).</summary>
        internal static void Reapply(nn.Module model, IEnumerable<HeadReplacement>? heads)
        {
            foreach (var head in heads ?? Array.Empty<HeadReplacement>())
            {
                if (FindLinearOrNull(model, head.Layer) is { } linear && linear.weight is { } w && w.shape[0] != head.Classes)
                    ReplaceClassifier(model, (int)head.Classes, head.Layer);
            }
        }

        /// <summary>The outputs of the Linear layer <paramref name="layer"/>, or null when the module has no such Linear layer.</summary>
        internal static long? OutputsOf(nn.Module model, string layer) => FindLinearOrNull(model, layer)?.weight?.shape[0];

        internal static List<(string Name, BatchNorm Module)> FrozenNorms(nn.Module model, IEnumerable<string>? freezePatterns)
        {
            var globs = (freezePatterns ?? Array.Empty<string>()).Select(Glob).ToList();
            var result = new List<(string, BatchNorm)>();
            foreach (var (name, module) in model.named_modules())
            {
                if (module is not BatchNorm norm) continue;
                var parameters = norm.named_parameters().ToList();
                bool frozen = parameters.Count > 0
                    ? parameters.All(p => !p.parameter.requires_grad)
                    : norm.named_buffers().Any(b => globs.Any(g => g.IsMatch(name + "." + b.name)));
                if (frozen) result.Add((name, norm));
            }
            return result;
        }

        private static string? ClassifierOfOrNull(nn.Module model)
        {
            string? last = null;
            foreach (var (name, module) in model.named_modules())
                if (module is Linear && name.Length > 0) last = name;
            return last;
        }

        private static Linear? FindLinearOrNull(nn.Module model, string name) =>
            model.named_modules().Where(m => m.name == name).Select(m => m.module).FirstOrDefault() as Linear;

        private static Linear FindLinear(nn.Module model, string name)
        {
            var modules = model.named_modules().ToList();
            var found = modules.FirstOrDefault(m => m.name == name).module;
            if (found is Linear linear) return linear;
            var linears = modules.Where(m => m.module is Linear && m.name.Length > 0).Select(m => m.name).ToList();
            string which = linears.Count == 0 ? $"{model.GetType().Name} has none" : "its Linear layers are " + Examples(linears);
            throw new InvalidOptionException("classifier", $"the name of a Linear layer of {model.GetType().Name} ({which})",
                found is null ? $"'{name}', which is not a layer of it" : $"'{name}', a {found.GetType().Name}");
        }

        private static string Examples(IReadOnlyList<string> names)
        {
            if (names.Count <= 6) return string.Join(", ", names);
            return string.Join(", ", names.Take(4)) + ", ..., " + names[names.Count - 1];
        }

        /// <summary>The glob as an anchored regular expression, with fnmatch's rules.</summary>
        internal static Regex Glob(string pattern)
        {
            var sb = new StringBuilder("^");
            for (int i = 0; i < pattern.Length; i++)
            {
                char c = pattern[i];
                if (c == '*') sb.Append(".*");
                else if (c == '?') sb.Append('.');
                else if (c == '[')
                {
                    // As fnmatch: a ']' right after '[' or '[!' belongs to the set; without a closing ']' the '[' is literal.
                    int j = i + 1;
                    if (j < pattern.Length && pattern[j] == '!') j++;
                    if (j < pattern.Length && pattern[j] == ']') j++;
                    int close = pattern.IndexOf(']', Math.Min(j, pattern.Length));
                    if (close < 0)
                    {
                        sb.Append("\\[");
                        continue;
                    }
                    string set = pattern.Substring(i + 1, close - i - 1);
                    bool negate = set.StartsWith('!');
                    if (negate) set = set.Substring(1);
                    sb.Append('[').Append(negate ? "^" : "").Append(set.Replace("\\", "\\\\").Replace("[", "\\[").Replace("]", "\\]").Replace("^", "\\^")).Append(']');
                    i = close;
                }
                else sb.Append(Regex.Escape(c.ToString()));
            }
            return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
        }
    }

    /// <summary>
    /// How a run trains the module's parameters: the trainable ones in optimizer groups with their base learning
    /// rates, and the BatchNorm layers kept in eval mode. Built before anything is written, so a pattern that
    /// cannot work stops the run at once.
    /// </summary>
    internal sealed class ParameterPlan
    {
        private ParameterPlan(IReadOnlyList<(string? Pattern, double LearningRate, string[] Names, Parameter[] Parameters)> groups, List<(string Name, BatchNorm Module)> frozenNorms)
        {
            Groups = groups;
            FrozenNorms = frozenNorms;
        }

        /// <summary>The optimizer's groups: the unmatched parameters first (when there are any), then each pattern's in ordinal order.</summary>
        public IReadOnlyList<(string? Pattern, double LearningRate, string[] Names, Parameter[] Parameters)> Groups { get; }

        /// <summary>BatchNorm layers kept in eval mode while training.</summary>
        public List<(string Name, BatchNorm Module)> FrozenNorms { get; }

        /// <summary>Every trainable parameter, in group order.</summary>
        public Parameter[] Trainable => Groups.SelectMany(g => g.Parameters).ToArray();

        /// <summary>Applies <see cref="TrainOptions.Freeze"/> and groups the trainable parameters by <see cref="TrainOptions.LearningRates"/>.</summary>
        /// <exception cref="InvalidOptionException">A pattern matches nothing, every parameter is frozen, or a parameter matches two learning-rate patterns.</exception>
        public static ParameterPlan Create(nn.Module model, TrainOptions o)
        {
            if (o.Freeze.Count > 0) FineTuning.Freeze(model, o.Freeze);
            var all = model.named_parameters().ToList();
            var trainable = all.Where(p => p.parameter.requires_grad).ToList();
            if (trainable.Count == 0)
                throw new InvalidOptionException(nameof(TrainOptions.Freeze), "patterns that leave some parameters to train", $"patterns freezing all {all.Count} parameter tensors of {model.GetType().Name}");

            var patterns = o.LearningRates.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (Text: p.Key, Rate: p.Value, Regex: FineTuning.Glob(p.Key))).ToList();
            var members = patterns.Select(_ => new List<(string, Parameter)>()).ToList();
            var rest = new List<(string, Parameter)>();
            foreach (var (name, parameter) in trainable)
            {
                var matching = Enumerable.Range(0, patterns.Count).Where(i => patterns[i].Regex.IsMatch(name)).ToList();
                if (matching.Count > 1)
                    throw new InvalidOptionException(nameof(TrainOptions.LearningRates), "patterns that match each parameter at most once",
                        $"'{patterns[matching[0]].Text}' and '{patterns[matching[1]].Text}', which both match {name}");
                (matching.Count == 1 ? members[matching[0]] : rest).Add((name, parameter));
            }
            for (int i = 0; i < patterns.Count; i++)
            {
                if (members[i].Count > 0) continue;
                bool frozenOnly = all.Any(p => patterns[i].Regex.IsMatch(p.name));
                throw new InvalidOptionException(nameof(TrainOptions.LearningRates), $"patterns matching trainable parameter names of {model.GetType().Name} (such as {string.Join(", ", trainable.Take(3).Select(p => p.name))})",
                    $"'{patterns[i].Text}', which matches {(frozenOnly ? "only frozen parameters" : "none")}");
            }

            var groups = new List<(string?, double, string[], Parameter[])>();
            if (rest.Count > 0) groups.Add((null, o.LearningRate, rest.Select(p => p.Item1).ToArray(), rest.Select(p => p.Item2).ToArray()));
            for (int i = 0; i < patterns.Count; i++)
                groups.Add((patterns[i].Text, patterns[i].Rate, members[i].Select(p => p.Item1).ToArray(), members[i].Select(p => p.Item2).ToArray()));
            return new ParameterPlan(groups, FineTuning.FrozenNorms(model, o.Freeze));
        }

        /// <summary>Training mode for the module, eval mode for its frozen BatchNorm layers (their statistics stay as they are).</summary>
        public void TrainMode(nn.Module model)
        {
            model.train();
            foreach (var (_, norm) in FrozenNorms) norm.eval();
        }

        /// <summary>The groups as the checkpoint header records them.</summary>
        public List<ParameterGroupRecord> Records() =>
            Groups.Select(g => new ParameterGroupRecord { Pattern = g.Pattern, LearningRate = g.LearningRate, Parameters = g.Names.Length }).ToList();
    }

    /// <summary>An optimizer parameter group as a checkpoint records it (a resumed run must group its parameters the same way).</summary>
    public sealed class ParameterGroupRecord
    {
        /// <summary>The learning-rate pattern, or null for the parameters no pattern matches.</summary>
        public string? Pattern { get; set; }

        /// <summary>The group's base learning rate.</summary>
        public double LearningRate { get; set; }

        /// <summary>How many parameter tensors the group holds.</summary>
        public int Parameters { get; set; }

        /// <inheritdoc/>
        public override string ToString() =>
            $"{Pattern ?? "(other)"}={LearningRate.ToString("G6", CultureInfo.InvariantCulture)} ({Parameters} tensors)";
    }
}
