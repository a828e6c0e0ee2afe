using System;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Layers
{
    // Modules of the language-model layers TorchSharp has none of with the same keys (GPT-2's attention, the position
    // table, a Linear tied to an embedding). Their PyTorch twins (Dsl.Runtime's PyTorchLayers) have the same keys.

    /// <summary>
    /// Position vectors added to tokens [N, L, D]: the first L rows of a table [max_length, D]. Learned: the parameter
    /// <c>weight</c> (<c>nn.Embedding</c>'s key and layout, GPT-2's <c>wpe</c>); sinusoidal: the fixed sine and cosine
    /// table, computed where it is used (no parameter, no buffer).
    /// </summary>
    public sealed class PositionTable : nn.Module<Tensor, Tensor>
    {
        private readonly long _maxLength, _dim;

        /// <summary>The learned table [max_length, D]; null when sinusoidal.</summary>
        public readonly Parameter? weight;

        /// <param name="max_length">Rows of the table: the longest sequence.</param>
        /// <param name="dim">The model dimension D.</param>
        /// <param name="sinusoidal">The fixed sine and cosine table instead of a learned one.</param>
        /// <param name="std">Standard deviation of the learned table's normal initialisation.</param>
        public PositionTable(long max_length, long dim, bool sinusoidal = false, double std = 0.02) : base(nameof(PositionTable))
        {
            if (max_length < 1 || dim < 1) throw new ArgumentException($"A position table needs at least one row and one column, not [{max_length}, {dim}].");
            _maxLength = max_length;
            _dim = dim;
            if (sinusoidal) return;
            weight = new Parameter(torch.empty(max_length, dim));
            using (torch.no_grad()) weight.normal_(0, std);
            register_parameter(nameof(weight), weight);
        }

        /// <summary>The sine and cosine table [length, D] of "Attention Is All You Need": even columns sin(p / 10000^(2i/D)), odd ones cos.</summary>
        public static Tensor Sinusoid(long length, long dim, ScalarType dtype = ScalarType.Float32, Device? device = null)
        {
            using var scope = torch.NewDisposeScope();
            var position = torch.arange(length, dtype: ScalarType.Float64).unsqueeze(1);
            var rate = torch.exp(torch.arange(0, dim, 2, dtype: ScalarType.Float64) * (-Math.Log(10000.0) / dim));
            var angles = position * rate;
            var table = torch.zeros(length, dim, dtype: ScalarType.Float64);
            table[TensorIndex.Colon, TensorIndex.Slice(0, null, 2)] = torch.sin(angles);
            table[TensorIndex.Colon, TensorIndex.Slice(1, null, 2)] = torch.cos(angles).narrow(1, 0, dim / 2);
            return table.to(dtype, device ?? torch.CPU).MoveToOuterDisposeScope();
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            long length = input.shape[1];
            if (length > _maxLength) throw new ArgumentException($"The sequence has {length} tokens; the position table has {_maxLength} rows.", nameof(input));
            if (weight is not null) return input + weight.narrow(0, 0, length);
            using var table = Sinusoid(length, _dim, input.dtype, input.device);
            return input + table;
        }
    }

    /// <summary>
    /// GPT-2's multi-head self-attention on tokens [N, L, E] (nanoGPT's <c>CausalSelfAttention</c>): <c>c_attn</c> (Linear E
    /// to 3E) gives q, k and v in that order, each split into heads; scaled dot-product attention, causal when asked;
    /// heads joined; <c>c_proj</c> (Linear E to E). Dropout on the attention weights (<c>attn_dropout</c>) and on the
    /// result (<c>resid_dropout</c>) while training.
    /// </summary>
    public sealed class FusedSelfAttention : SelfAttentionModule
    {
        /// <summary>The query, key and value projections in one Linear, E to 3E.</summary>
        public readonly Linear c_attn;

        /// <summary>The output projection, E to E.</summary>
        public readonly Linear c_proj;

        /// <summary>Dropout on the attention weights (used through the attention's dropout probability).</summary>
        public readonly Dropout attn_dropout;

        /// <summary>Dropout on the output projection's result.</summary>
        public readonly Dropout resid_dropout;

        /// <param name="embed_dim">The embedding dimension E (the tokens' last dimension).</param>
        /// <param name="num_heads">Heads; must divide <paramref name="embed_dim"/>.</param>
        /// <param name="dropout">Dropout on the attention weights and the result while training.</param>
        /// <param name="causal">Whether each token attends only to itself and the tokens before it.</param>
        /// <param name="padding_of">The path of the Embedding whose padding ids are masked as keys; empty for none.</param>
        /// <param name="padding_idx">That Embedding's padding index: the id of a padding token.</param>
        public FusedSelfAttention(long embed_dim, long num_heads, double dropout = 0.0, bool causal = false, string padding_of = "", long padding_idx = -1)
            : base(nameof(FusedSelfAttention), embed_dim, num_heads, dropout, causal, padding_of, padding_idx)
        {
            c_attn = nn.Linear(embed_dim, 3 * embed_dim);
            c_proj = nn.Linear(embed_dim, embed_dim);
            attn_dropout = nn.Dropout(dropout);
            resid_dropout = nn.Dropout(dropout);
            register_module(nameof(c_attn), c_attn);
            register_module(nameof(c_proj), c_proj);
            register_module(nameof(attn_dropout), attn_dropout);
            register_module(nameof(resid_dropout), resid_dropout);
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            // As MultiheadSelfAttention, the projections' weights are used directly (the Linear modules hold the keys, and
            // are not called as modules: the attention is one layer of the graph).
            // Under mixed precision the weights are used in the input's 16-bit type (InputType).
            var qkv = nn.functional.linear(input, InputType.Of(c_attn.weight, input)!, InputType.Of(c_attn.bias, input)).split(input.shape[2], 2);
            var attended = Attend(qkv);
            var projected = nn.functional.linear(attended, InputType.Of(c_proj.weight, input)!, InputType.Of(c_proj.bias, input));
            var output = nn.functional.dropout(projected, DropoutProbability, training);
            return output.MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// A Linear whose weight is another layer's (<c>tied_to</c>, an Embedding's [out, in] or a Linear's): GPT-2's output
    /// projection sharing the token embedding. The weight stays a parameter of that layer only (one tensor, counted once,
    /// one state_dict key); this module holds only its bias. <see cref="TieAll"/> connects it once the network is built.
    /// </summary>
    public sealed class TiedLinear : nn.Module<Tensor, Tensor>
    {
        private nn.Module? _source;

        /// <summary>The bias [out_features]; null without one.</summary>
        public readonly Parameter? bias;

        /// <param name="in_features">Input features.</param>
        /// <param name="out_features">Output features.</param>
        /// <param name="bias">Whether the layer adds a learnable bias.</param>
        /// <param name="tied_to">The path of the layer whose weight this one uses.</param>
        public TiedLinear(long in_features, long out_features, bool bias = true, string tied_to = "") : base(nameof(TiedLinear))
        {
            this.in_features = in_features;
            this.out_features = out_features;
            this.tied_to = tied_to;
            if (!bias) return;
            this.bias = new Parameter(torch.zeros(out_features));
            register_parameter(nameof(bias), this.bias);
        }

        /// <summary>Input features.</summary>
        public long in_features { get; }

        /// <summary>Output features.</summary>
        public long out_features { get; }

        /// <summary>The path of the layer whose weight this one uses.</summary>
        public string tied_to { get; }

        /// <summary>The shared weight [out_features, in_features] (the source layer's current <c>weight</c>, also after <c>to(...)</c>).</summary>
        public Tensor weight => _source?.get_parameter("weight")
            ?? throw new InvalidOperationException($"This Linear is tied to '{tied_to}', which is not connected: call TiedLinear.TieAll on the network after building it.");

        /// <summary>Uses <paramref name="source"/>'s <c>weight</c> (not registered here, so it stays one parameter of the source).</summary>
        public void Tie(nn.Module source)
        {
            var w = source.get_parameter("weight") ?? throw new ArgumentException($"'{tied_to}' has no weight to tie to.", nameof(source));
            if (w.dim() != 2 || w.shape[0] != out_features || w.shape[1] != in_features)
                throw new ArgumentException($"'{tied_to}'.weight is [{string.Join(", ", w.shape)}]; a Linear from {in_features} to {out_features} features needs [{out_features}, {in_features}].", nameof(source));
            _source = source;
        }

        /// <summary>Connects every <see cref="TiedLinear"/> of <paramref name="network"/> to the layer its <see cref="tied_to"/> names.</summary>
        public static void TieAll(nn.Module network)
        {
            var modules = network.named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
            foreach (var pair in modules)
            {
                string path = pair.Key;
                if (pair.Value is not TiedLinear tied) continue;
                if (!modules.TryGetValue(tied.tied_to, out var source))
                    throw new InvalidOperationException($"'{path}' is tied to '{tied.tied_to}', which the network does not have.");
                tied.Tie(source);
            }
        }

        /// <inheritdoc/>
        public override Tensor forward(Tensor input) => nn.functional.linear(input, InputType.Of(weight, input)!, InputType.Of(bias, input));
    }

    /// <summary>
    /// The padding mask of a self-attention layer: which keys are padding tokens, read from the ids entering the Embedding
    /// at <see cref="padding_of"/> (a forward pre-hook on it, connected by <see cref="ConnectAll"/>), ids equal to its
    /// padding index. No token attends to a padding token but the padding token itself, so no row of attention weights is
    /// empty (PyTorch's <c>key_padding_mask</c> gives such rows NaN); the other tokens' outputs are PyTorch's.
    /// </summary>
    public sealed class KeyPadding
    {
        private Tensor? _padding;   // bool [N, L]: the last ids' padding positions
        private bool _connected;

        /// <param name="padding_of">The path of the Embedding whose ids are read; empty for no mask.</param>
        /// <param name="padding_idx">The id of a padding token (that Embedding's padding index).</param>
        public KeyPadding(string padding_of, long padding_idx)
        {
            this.padding_of = padding_of ?? "";
            this.padding_idx = padding_idx;
        }

        /// <summary>The path of the Embedding whose padding ids are masked; empty for no mask.</summary>
        public string padding_of { get; }

        /// <summary>The id of a padding token.</summary>
        public long padding_idx { get; }

        /// <summary>
        /// Where each query may attend, bool [N, 1, L, L] (true: attend), causal when asked; null without a mask.
        /// </summary>
        /// <exception cref="InvalidOperationException">The layer is not connected, or the last ids do not fit these tokens.</exception>
        public Tensor? Allowed(long n, long length, bool causal, Device device)
        {
            if (padding_of.Length == 0) return null;
            if (!_connected)
                throw new InvalidOperationException($"This attention masks the padding of '{padding_of}', which is not connected: call KeyPadding.ConnectAll on the network after building it.");
            if (_padding is null || _padding.shape[0] != n || _padding.shape[1] != length)
                throw new InvalidOperationException(
                    $"This attention masks the padding of '{padding_of}', but that Embedding last read ids {(_padding is null ? "never" : "[" + string.Join(", ", _padding.shape) + "]")}, not [{n}, {length}]: run the network from its input.");
            var keys = _padding.to(device).logical_not().reshape(n, 1, 1, length);
            var own = torch.eye(length, dtype: ScalarType.Bool, device: device);
            var allowed = keys.logical_or(own);
            return causal ? allowed.logical_and(torch.ones(length, length, dtype: ScalarType.Bool, device: device).tril()) : allowed;
        }

        private void Read(Tensor ids)
        {
            var previous = _padding;
            using (torch.no_grad()) _padding = ids.eq(padding_idx).DetachFromDisposeScope();
            previous?.Dispose();
        }

        /// <summary>Connects every attention of <paramref name="network"/> that masks padding to the Embedding its <see cref="padding_of"/> names.</summary>
        public static void ConnectAll(nn.Module network)
        {
            var modules = network.named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
            foreach (var pair in modules)
            {
                var padding = (pair.Value as SelfAttentionModule)?.Padding;
                if (padding is null || padding.padding_of.Length == 0) continue;
                if (!modules.TryGetValue(padding.padding_of, out var source) || source is not nn.Module<Tensor, Tensor> embedding)
                    throw new InvalidOperationException($"'{pair.Key}' masks the padding of '{padding.padding_of}', which the network does not have.");
                embedding.register_forward_pre_hook((_, ids) => { padding.Read(ids); return null!; });
                padding._connected = true;
            }
        }
    }
}
