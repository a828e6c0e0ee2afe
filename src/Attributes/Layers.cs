using System;
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
    /// Multi-head self-attention on tokens [N, L, E], as PyTorch's
    /// <c>nn.MultiheadAttention(E, heads, dropout, batch_first=True)(x, x, x, need_weights=False)[0]</c>, with its
    /// parameters and state_dict keys: <c>in_proj_weight</c> [3E, E], <c>in_proj_bias</c> [3E], <c>out_proj</c> (Linear E to E).
    /// </summary>
    public sealed class MultiheadSelfAttention : nn.Module<Tensor, Tensor>
    {
        private readonly long _heads;
        private readonly double _dropout;

        /// <summary>The query, key and value projections stacked: [3E, E].</summary>
        public readonly Parameter in_proj_weight;

        /// <summary>The query, key and value biases stacked: [3E].</summary>
        public readonly Parameter in_proj_bias;

        /// <summary>The output projection.</summary>
        public readonly Linear out_proj;

        /// <param name="embed_dim">The embedding dimension E (the tokens' last dimension).</param>
        /// <param name="num_heads">Heads; must divide <paramref name="embed_dim"/>.</param>
        /// <param name="dropout">Dropout on the attention weights while training.</param>
        public MultiheadSelfAttention(long embed_dim, long num_heads, double dropout = 0.0) : base(nameof(MultiheadSelfAttention))
        {
            if (num_heads < 1 || embed_dim % num_heads != 0)
                throw new ArgumentException($"{num_heads} heads do not divide the embedding dimension {embed_dim}.", nameof(num_heads));
            _heads = num_heads;
            _dropout = dropout;
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
            long n = input.shape[0], length = input.shape[1], embed = input.shape[2], head = embed / _heads;
            var qkv = nn.functional.linear(input, in_proj_weight, in_proj_bias).chunk(3, -1);
            Tensor Heads(Tensor t) => t.reshape(n, length, _heads, head).transpose(1, 2);
            var attended = nn.functional.scaled_dot_product_attention(Heads(qkv[0]), Heads(qkv[1]), Heads(qkv[2]), null, training ? _dropout : 0.0, false);
            // As PyTorch, the output projection's weights are used directly (out_proj is not called as a module).
            var output = nn.functional.linear(attended.transpose(1, 2).reshape(n, length, embed), out_proj.weight, out_proj.bias);
            return output.MoveToOuterDisposeScope();
        }
    }
}
