using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Layers
{
    // Layers that PyTorch's vocabulary has (in torchvision) but TorchSharp does not. Generated code creates them like
    // TorchSharp's own layers; their names, parameters and behaviour are torchvision's, so state_dicts move between
    // the two. They live here because generated code depends on TorchSharp and this assembly only.

    /// <summary>
    /// torchvision's <c>Permute</c>: <c>x.permute(dims)</c>, the dimensions counted with the batch (<c>Permute(0, 2, 3, 1)</c>
    /// turns [N, C, H, W] into channels-last [N, H, W, C]). No parameters.
    /// </summary>
    public sealed class Permute : nn.Module<Tensor, Tensor>
    {
        private readonly long[] _dims;

        /// <param name="dims">The new order of the dimensions, batch included.</param>
        public Permute(params long[] dims) : base(nameof(Permute))
        {
            if (dims is null || dims.Length == 0) throw new ArgumentException("Permute needs the order of the dimensions.", nameof(dims));
            _dims = dims.ToArray();
        }

        /// <summary>The new order of the dimensions, batch included.</summary>
        public long[] dims => _dims.ToArray();

        /// <inheritdoc/>
        public override Tensor forward(Tensor x) => x.permute(_dims);
    }

    /// <summary>
    /// torchvision's <c>LayerNorm2d</c>: layer normalization over the channels of [N, C, H, W] at every position, with a
    /// learned scale (<c>weight</c>, ones) and shift (<c>bias</c>, zeros) per channel; computed channels-last as torchvision does.
    /// </summary>
    public sealed class LayerNorm2d : nn.Module<Tensor, Tensor>
    {
        private readonly long[] _shape;

        /// <param name="normalized_shape">The channels.</param>
        /// <param name="eps">Added to the variance for numerical stability.</param>
        public LayerNorm2d(long normalized_shape, double eps = 1e-5) : base(nameof(LayerNorm2d))
        {
            _shape = new[] { normalized_shape };
            this.eps = eps;
            weight = new TorchSharp.Modules.Parameter(ones(normalized_shape));
            bias = new TorchSharp.Modules.Parameter(zeros(normalized_shape));
            register_parameter("weight", weight);
            register_parameter("bias", bias);
        }

        /// <summary>The scale per channel (state_dict key <c>weight</c>).</summary>
        public TorchSharp.Modules.Parameter weight { get; }

        /// <summary>The shift per channel (state_dict key <c>bias</c>).</summary>
        public TorchSharp.Modules.Parameter bias { get; }

        /// <summary>Added to the variance.</summary>
        public double eps { get; }

        /// <inheritdoc/>
        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = nn.functional.layer_norm(x.permute(0, 2, 3, 1), _shape, weight, bias, eps).permute(0, 3, 1, 2);
            return y.MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// torchvision's <c>StochasticDepth</c> (<c>torchvision.ops.stochastic_depth</c>): in training, each sample (mode
    /// <c>"row"</c>) or the whole batch (<c>"batch"</c>) is zeroed with probability <c>p</c> and the rest scaled by
    /// <c>1 / (1 - p)</c>; in evaluation, the identity. No parameters.
    /// </summary>
    public sealed class StochasticDepth : nn.Module<Tensor, Tensor>
    {
        /// <param name="p">The probability of zeroing, in [0, 1].</param>
        /// <param name="mode"><c>"row"</c> or <c>"batch"</c>.</param>
        public StochasticDepth(double p, string mode = "row") : base(nameof(StochasticDepth))
        {
            if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "The drop probability must be in [0, 1].");
            if (mode != "row" && mode != "batch") throw new ArgumentException($"mode must be \"row\" or \"batch\", not \"{mode}\".", nameof(mode));
            this.p = p;
            this.mode = mode;
        }

        /// <summary>The probability of zeroing.</summary>
        public double p { get; }

        /// <summary><c>"row"</c> or <c>"batch"</c>.</summary>
        public string mode { get; }

        /// <inheritdoc/>
        public override Tensor forward(Tensor x)
        {
            if (!training || p == 0.0) return x.alias();
            double survival = 1.0 - p;
            var size = mode == "row"
                ? new[] { x.shape[0] }.Concat(Enumerable.Repeat(1L, (int)x.dim() - 1)).ToArray()
                : Enumerable.Repeat(1L, (int)x.dim()).ToArray();
            using var scope = NewDisposeScope();
            var noise = empty(size, x.dtype, x.device).bernoulli_(survival);
            if (survival > 0.0) noise.div_(survival);
            return (x * noise).MoveToOuterDisposeScope();
        }
    }
}
