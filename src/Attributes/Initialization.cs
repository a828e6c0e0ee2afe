using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// One initialisation rule as the generated constructor passes it to <see cref="Initialization.Apply"/>: the
    /// generator has checked it against the network (the target matches, the arguments fit the scheme) and resolved
    /// presets and defaults, so every value here is the one applied.
    /// </summary>
    public sealed class InitRule
    {
        /// <param name="target">A layer kind (when <see cref="IsKind"/>) or a glob over module and parameter paths.</param>
        /// <param name="scheme">How the selected weights are filled.</param>
        public InitRule(string target, InitScheme scheme)
        {
            Target = target ?? throw new ArgumentNullException(nameof(target));
            Scheme = scheme;
        }

        /// <summary>A layer kind (the module's class name: <c>Conv2d</c>) or a path glob.</summary>
        public string Target { get; }

        /// <summary>How the selected weights are filled.</summary>
        public InitScheme Scheme { get; }

        /// <summary>Whether <see cref="Target"/> is a layer kind (else a path glob).</summary>
        public bool IsKind { get; set; }

        /// <summary>Kaiming: the fan.</summary>
        public FanMode Mode { get; set; }

        /// <summary>Kaiming: <c>calculate_gain</c>'s nonlinearity.</summary>
        public string Nonlinearity { get; set; } = "leaky_relu";

        /// <summary>Kaiming: the leaky ReLU's negative slope.</summary>
        public double NegativeSlope { get; set; }

        /// <summary>Xavier: the gain.</summary>
        public double Gain { get; set; } = 1;

        /// <summary>Normal, truncated normal: the mean.</summary>
        public double Mean { get; set; }

        /// <summary>Normal, truncated normal: the standard deviation.</summary>
        public double Std { get; set; } = 1;

        /// <summary>Uniform: the lower bound; truncated normal: the lower cut-off (absolute).</summary>
        public double Min { get; set; }

        /// <summary>Uniform: the upper bound; truncated normal: the upper cut-off (absolute).</summary>
        public double Max { get; set; } = 1;

        /// <summary>Constant: the value.</summary>
        public double Value { get; set; }

        /// <summary>The value the selected modules' biases start at; null leaves them.</summary>
        public double? Bias { get; set; }

        /// <inheritdoc/>
        public override string ToString() => (IsKind ? "kind " : "path ") + Target + ": " + Scheme;
    }

    /// <summary>
    /// Applies a network's initialisation rules (<see cref="InitAttribute"/>, <see cref="InitPresetAttribute"/>) after its
    /// layers are created: the generated constructor calls it last. Each scheme is written with PyTorch's formula
    /// (<c>torch/nn/init.py</c>: the fans, <c>calculate_gain</c>, the truncated normal's inverse-CDF sampling) on
    /// <c>normal_</c> and <c>uniform_</c> of torch's default generator, so a seed makes the weights reproducible.
    /// </summary>
    public static class Initialization
    {
        /// <summary>Applies <paramref name="rules"/> in order to the modules and parameters of <paramref name="network"/>; a later rule overwrites an earlier one.</summary>
        public static void Apply(nn.Module network, IReadOnlyList<InitRule> rules)
        {
            if (network is null) throw new ArgumentNullException(nameof(network));
            if (rules is null) throw new ArgumentNullException(nameof(rules));
            var modules = network.named_modules().Where(m => m.name.Length > 0).ToList();
            var parameters = network.named_parameters().ToList();
            using var noGrad = torch.no_grad();
            foreach (var rule in rules)
            {
                if (rule.IsKind)
                {
                    foreach (var (_, module) in modules)
                        if (KindOf(module) == rule.Target) ApplyToModule(module, rule);
                    continue;
                }
                var pattern = GlobRegex(rule.Target);
                foreach (var (name, module) in modules)
                    if (pattern.IsMatch(name)) ApplyToModule(module, rule);
                foreach (var (name, parameter) in parameters)
                    if (pattern.IsMatch(name)) Fill(parameter, rule, name);
            }
        }

        /// <summary>The layer kind of a module: its class name (<c>Conv2d</c>, <c>Linear</c>, <c>BatchNorm2d</c>, <c>MultiheadSelfAttention</c>).</summary>
        public static string KindOf(nn.Module module) => module.GetType().Name;

        /// <summary>The regular expression of a path glob (<see cref="PathGlob"/>).</summary>
        public static Regex GlobRegex(string glob) => PathGlob.ToRegex(glob);

        /// <summary>The weight a rule on a module fills, and its bias: <c>weight</c>/<c>bias</c>, or an attention's <c>in_proj_weight</c>/<c>in_proj_bias</c>.</summary>
        private static (Parameter? Weight, Parameter? Bias) WeightAndBias(nn.Module module)
        {
            var own = module.named_parameters(recurse: false).ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            own.TryGetValue("weight", out var weight);
            own.TryGetValue("bias", out var bias);
            if (weight is null && own.TryGetValue("in_proj_weight", out var inProj)) { weight = inProj; own.TryGetValue("in_proj_bias", out bias); }
            return (weight, bias);
        }

        private static void ApplyToModule(nn.Module module, InitRule rule)
        {
            var (weight, bias) = WeightAndBias(module);
            if (weight is null) return; // a container or a layer without parameters that a path glob also selects
            if (rule.Scheme == InitScheme.Default)
            {
                if (weight.dim() >= 2 && KindOf(module) != "MultiheadSelfAttention")
                {
                    // PyTorch's reset_parameters of Conv and Linear: kaiming_uniform_(a=sqrt(5)) is U(±1/sqrt(fan_in)), the bias too.
                    double bound = 1.0 / Math.Sqrt(Fans(weight).FanIn);
                    weight.uniform_(-bound, bound);
                    bias?.uniform_(-bound, bound);
                }
                else if (weight.dim() >= 2)
                {
                    Xavier(weight, 1.0, uniform: true);
                    bias?.zero_();
                }
                else
                {
                    weight.fill_(1.0);
                    bias?.zero_();
                }
            }
            else
            {
                Fill(weight, rule, KindOf(module));
            }
            if (rule.Bias is double b) bias?.fill_(b);
        }

        /// <summary>Fills one tensor with the rule's scheme.</summary>
        private static void Fill(Tensor tensor, InitRule rule, string what)
        {
            switch (rule.Scheme)
            {
                case InitScheme.KaimingNormal:
                case InitScheme.KaimingUniform:
                {
                    var (fanIn, fanOut) = Fans(tensor, what);
                    double std = Gain(rule.Nonlinearity, rule.NegativeSlope) / Math.Sqrt(rule.Mode == FanMode.FanIn ? fanIn : fanOut);
                    if (rule.Scheme == InitScheme.KaimingNormal) tensor.normal_(0.0, std);
                    else tensor.uniform_(-Math.Sqrt(3.0) * std, Math.Sqrt(3.0) * std);
                    break;
                }
                case InitScheme.XavierUniform:
                case InitScheme.XavierNormal:
                    Xavier(tensor, rule.Gain, rule.Scheme == InitScheme.XavierUniform, what);
                    break;
                case InitScheme.Normal:
                    tensor.normal_(rule.Mean, rule.Std);
                    break;
                case InitScheme.TruncNormal:
                    TruncNormal(tensor, rule.Mean, rule.Std, rule.Min, rule.Max);
                    break;
                case InitScheme.Uniform:
                    tensor.uniform_(rule.Min, rule.Max);
                    break;
                case InitScheme.Constant:
                    tensor.fill_(rule.Value);
                    break;
                case InitScheme.Zeros:
                    tensor.zero_();
                    break;
                case InitScheme.Ones:
                    tensor.fill_(1.0);
                    break;
                case InitScheme.Default:
                    // A parameter selected by path: as Conv and Linear weights (the analyzer refuses it for rank-1 tensors).
                    double bound = 1.0 / Math.Sqrt(Fans(tensor, what).FanIn);
                    tensor.uniform_(-bound, bound);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(rule), rule.Scheme, "Unknown initialisation scheme.");
            }
        }

        private static void Xavier(Tensor tensor, double gain, bool uniform, string what = "tensor")
        {
            var (fanIn, fanOut) = Fans(tensor, what);
            double std = gain * Math.Sqrt(2.0 / (fanIn + fanOut));
            if (uniform) tensor.uniform_(-Math.Sqrt(3.0) * std, Math.Sqrt(3.0) * std);
            else tensor.normal_(0.0, std);
        }

        /// <summary>
        /// torch.nn.init.trunc_normal_: uniform between the normal CDF at the cut-offs, through the inverse error function,
        /// scaled and shifted, clamped to [min, max] (the cut-offs are absolute values, not in standard deviations).
        /// </summary>
        private static void TruncNormal(Tensor tensor, double mean, double std, double min, double max)
        {
            double low = NormCdf((min - mean) / std), high = NormCdf((max - mean) / std);
            tensor.uniform_(2 * low - 1, 2 * high - 1);
            tensor.erfinv_();
            tensor.mul_(std * Math.Sqrt(2.0));
            tensor.add_(mean);
            tensor.clamp_(min, max);
        }

        private static double NormCdf(double x)
        {
            using var t = torch.tensor(x / Math.Sqrt(2.0), torch.float64);
            using var erf = t.erf();
            return (1.0 + erf.item<double>()) / 2.0;
        }

        /// <summary>PyTorch's <c>_calculate_fan_in_and_fan_out</c>: (shape[1], shape[0]) times the receptive field (the dimensions after the second).</summary>
        public static (long FanIn, long FanOut) Fans(Tensor tensor, string what = "tensor")
        {
            if (tensor.dim() < 2)
                throw new ArgumentException($"The fans of '{what}' cannot be computed: its tensor has {tensor.dim()} dimension(s), at least 2 are needed.");
            long receptive = 1;
            for (int d = 2; d < tensor.dim(); d++) receptive *= tensor.shape[d];
            return (tensor.shape[1] * receptive, tensor.shape[0] * receptive);
        }

        /// <summary>torch.nn.init.calculate_gain.</summary>
        public static double Gain(string nonlinearity, double negativeSlope = 0) => nonlinearity switch
        {
            "linear" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d" or "sigmoid" => 1.0,
            "tanh" => 5.0 / 3,
            "relu" => Math.Sqrt(2.0),
            "leaky_relu" => Math.Sqrt(2.0 / (1 + negativeSlope * negativeSlope)),
            "selu" => 3.0 / 4,
            _ => throw new ArgumentException($"Unsupported nonlinearity '{nonlinearity}': use linear, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, sigmoid, tanh, relu, leaky_relu or selu.", nameof(nonlinearity)),
        };
    }
}
