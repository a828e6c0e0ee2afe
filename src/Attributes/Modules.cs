using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Layers
{
    // Modules the generated code uses where TorchSharp has none with the same keys and a Tensor -> Tensor forward.
    // Their PyTorch twins (Dsl.Runtime's PyTorchLayers) have the same state_dict keys.

    /// <summary>An image [N, C, H, W] as tokens [N, H*W, C]: flatten the positions, then transpose (ViT's patch tokens).</summary>
    public sealed class Tokens : nn.Module<Tensor, Tensor>
    {
        /// <summary>Creates the module (no parameters).</summary>
        public Tokens() : base(nameof(Tokens)) { }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input) => input.flatten(2).transpose(1, 2);
    }

    /// <summary>One token of [N, L, ...]: <c>x[:, index]</c>, giving [N, ...].</summary>
    public sealed class SelectToken : nn.Module<Tensor, Tensor>
    {
        private readonly long _index;

        /// <param name="index">Which token, from 0.</param>
        public SelectToken(long index = 0) : base(nameof(SelectToken)) => _index = index;

        /// <inheritdoc/>
        public override Tensor forward(Tensor input) => input.select(1, _index);
    }

    /// <summary>
    /// What the self-attention modules (<see cref="MultiheadSelfAttention"/>, <see cref="FusedSelfAttention"/>) share:
    /// the heads, checked against the embedding dimension; the dropout probability; the causal mask; the key padding
    /// mask; and the attention of the projected queries, keys and values. Each subclass holds its projections under
    /// the state_dict keys of the PyTorch module it mirrors.
    /// </summary>
    public abstract class SelfAttentionModule : nn.Module<Tensor, Tensor>
    {
        private readonly long _heads;
        private readonly bool _causal;

        private protected SelfAttentionModule(string name, long embed_dim, long num_heads, double dropout, bool causal, string padding_of, long padding_idx)
            : base(name)
        {
            Padding = new KeyPadding(padding_of, padding_idx);
            _heads = SelfAttention.Heads(embed_dim, num_heads);
            DropoutProbability = dropout;
            _causal = causal;
        }

        /// <summary>The padding mask's source (<see cref="KeyPadding.padding_of"/> empty: none).</summary>
        public KeyPadding Padding { get; }

        /// <summary>The dropout probability while training.</summary>
        private protected double DropoutProbability { get; }

        /// <summary>Attends with the queries, keys and values [N, L, E] each; the heads joined again, [N, L, E].</summary>
        private protected Tensor Attend(Tensor[] qkv) => SelfAttention.Attend(qkv, _heads, Padding, _causal, training ? DropoutProbability : 0.0);
    }

    /// <summary>
    /// Multi-head self-attention on tokens [N, L, E], as PyTorch's
    /// <c>nn.MultiheadAttention(E, heads, dropout, batch_first=True)(x, x, x, need_weights=False)[0]</c>, with its
    /// parameters and state_dict keys: <c>in_proj_weight</c> [3E, E], <c>in_proj_bias</c> [3E], <c>out_proj</c> (Linear E to E).
    /// </summary>
    public sealed class MultiheadSelfAttention : SelfAttentionModule
    {
        /// <summary>The query, key and value projections stacked: [3E, E].</summary>
        public readonly Parameter in_proj_weight;

        /// <summary>The query, key and value biases stacked: [3E].</summary>
        public readonly Parameter in_proj_bias;

        /// <summary>The output projection.</summary>
        public readonly Linear out_proj;

        /// <param name="embed_dim">The embedding dimension E (the tokens' last dimension).</param>
        /// <param name="num_heads">Heads; must divide <paramref name="embed_dim"/>.</param>
        /// <param name="dropout">Dropout on the attention weights while training.</param>
        /// <param name="causal">Whether each token attends only to itself and the tokens before it (PyTorch's causal <c>attn_mask</c>).</param>
        /// <param name="padding_of">The path of the Embedding whose padding ids are masked as keys (PyTorch's <c>key_padding_mask</c>); empty for none.</param>
        /// <param name="padding_idx">That Embedding's padding index: the id of a padding token.</param>
        public MultiheadSelfAttention(long embed_dim, long num_heads, double dropout = 0.0, bool causal = false, string padding_of = "", long padding_idx = -1)
            : base(nameof(MultiheadSelfAttention), embed_dim, num_heads, dropout, causal, padding_of, padding_idx)
        {
            // PyTorch's initialisation: Xavier-uniform projections, zero biases.
            in_proj_weight = new Parameter(torch.empty(3 * embed_dim, embed_dim));
            in_proj_bias = new Parameter(torch.zeros(3 * embed_dim));
            out_proj = nn.Linear(embed_dim, embed_dim);
            nn.init.xavier_uniform_(in_proj_weight);
            nn.init.zeros_(out_proj.bias!);
            register_parameter(nameof(in_proj_weight), in_proj_weight);
            register_parameter(nameof(in_proj_bias), in_proj_bias);
            register_module(nameof(out_proj), out_proj);
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            // Under mixed precision the input arrives in a 16-bit type while the weights stay float32 (master
            // weights): the projections use their weights in the input's type, as autocast's linear does.
            Tensor? As(Tensor? w) => InputType.Of(w, input);
            var qkv = nn.functional.linear(input, As(in_proj_weight)!, As(in_proj_bias)).chunk(3, -1);
            var attended = Attend(qkv);
            // As PyTorch, the output projection's weights are used directly (out_proj is not called as a module).
            var output = nn.functional.linear(attended, As(out_proj.weight)!, As(out_proj.bias));
            return output.MoveToOuterDisposeScope();
        }
    }

    // Layers that PyTorch's vocabulary has (in torchvision) but TorchSharp does not (ConvNeXt's): their names, parameters
    // and behaviour are torchvision's, so state_dicts move between the two.

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

    /// <summary>
    /// TorchSharp layers created with PyTorch's initial values where TorchSharp's own constructor does not set them; the
    /// generated code creates those layers here (the module is TorchSharp's, with its keys).
    /// </summary>
    public static class Initialized
    {
        /// <summary>
        /// <c>nn.GroupNorm</c> with weight 1 and bias 0, as PyTorch's: TorchSharp 0.107's constructor leaves both
        /// uninitialised (whatever the memory held, NaN included), so a network would start from garbage.
        /// </summary>
        /// <param name="num_groups">Groups the channels are split into.</param>
        /// <param name="num_channels">Channels of the input.</param>
        /// <param name="eps">Added to the variance.</param>
        /// <param name="affine">Whether the layer has a learned weight and bias.</param>
        public static GroupNorm GroupNorm(long num_groups, long num_channels, double eps = 1e-5, bool affine = true)
        {
            var module = nn.GroupNorm(num_groups, num_channels, eps, affine);
            using (no_grad())
            {
                module.weight?.fill_(1);
                module.bias?.zero_();
            }
            return module;
        }
    }
}

namespace Dsl.Layers
{
    /// <summary>
    /// Under mixed precision a layer's input arrives in a 16-bit type while its weights stay float32 (master weights):
    /// this library's layers with weights use them in the input's type, as autocast's matrix products do (the cast is
    /// an autograd operation, so the gradients reach the float32 parameters).
    /// </summary>
    /// <summary>
    /// What <see cref="MultiheadSelfAttention"/> and <see cref="FusedSelfAttention"/> share: the check of the heads and
    /// the attention itself, between their (differently stored) projections.
    /// </summary>
    internal static class SelfAttention
    {
        /// <summary><paramref name="heads"/>, when it divides <paramref name="embed"/>; else the error naming both.</summary>
        public static long Heads(long embed, long heads) =>
            heads >= 1 && embed % heads == 0 ? heads : throw new ArgumentException($"{heads} heads do not divide the embedding dimension {embed}.", "num_heads");

        /// <summary>
        /// Scaled dot-product attention of the projected queries, keys and values [N, L, E], each split into
        /// <paramref name="heads"/> heads; causal when asked, padding keys masked; the heads joined again: [N, L, E].
        /// </summary>
        public static Tensor Attend(IReadOnlyList<Tensor> qkv, long heads, KeyPadding padding, bool causal, double dropout)
        {
            long n = qkv[0].shape[0], length = qkv[0].shape[1], embed = qkv[0].shape[2], head = embed / heads;
            Tensor Split(Tensor t) => t.reshape(n, length, heads, head).transpose(1, 2);
            var mask = padding.Allowed(n, length, causal, qkv[0].device);
            var attended = nn.functional.scaled_dot_product_attention(Split(qkv[0]), Split(qkv[1]), Split(qkv[2]), mask, dropout, causal && mask is null);
            return attended.transpose(1, 2).reshape(n, length, embed);
        }
    }

    internal static class InputType
    {
        /// <summary><paramref name="weight"/> in <paramref name="input"/>'s floating type (itself when it already is, or for integer input).</summary>
        public static Tensor? Of(Tensor? weight, Tensor input) =>
            weight is null || weight.dtype == input.dtype || !input.is_floating_point() ? weight : weight.to(input.dtype);
    }
}
