using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Runtime.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Autocast
{
    /// <summary>How training lays out a network's 4-d tensors (<see cref="Training.TrainOptions.MemoryFormat"/>).</summary>
    public enum MemoryFormat
    {
        /// <summary>
        /// Channels-last for a 2-d convolutional network (<see cref="ChannelsLast.Suits"/>) trained in a 16-bit
        /// precision on the CPU, where oneDNN's bf16 convolutions measured faster in NHWC; contiguous otherwise, so
        /// float32 training computes what it always did.
        /// </summary>
        Auto,
        /// <summary>PyTorch's default NCHW layout.</summary>
        Contiguous,
        /// <summary>NHWC strides (<see cref="ChannelsLast"/>), in any precision; measured faster for float32 too (BENCHMARKS.md, 3d).</summary>
        ChannelsLast,
    }

    /// <summary>
    /// The channels-last memory format (NHWC strides under the NCHW shape, PyTorch's <c>torch.channels_last</c>) for
    /// 2-d convolutional networks: oneDNN's CPU convolutions, batch norm and pooling run in NHWC without reordering, and
    /// libtorch keeps the format from one operation to the next. TorchSharp has no <c>memory_format</c> argument to
    /// <c>contiguous</c>, so <see cref="Of"/> copies into a tensor with those strides.
    /// </summary>
    public static class ChannelsLast
    {
        /// <summary>
        /// Module kinds that read a network's 4-d activations as a sequence of tokens or normalise them through
        /// permutes: a network with one of them stays contiguous (channels-last would only add layout copies around
        /// them; it would compute the same, as no library layer depends on the layout).
        /// </summary>
        public static IReadOnlyCollection<string> TokenKinds { get; } = new[]
        {
            "Permute", "Tokens", "SelectToken", "LayerNorm2d", "MultiheadSelfAttention", "FusedSelfAttention",
            "PositionTable", "Embedding", "LSTM", "GRU",
        };

        /// <summary>
        /// Whether a network is 2-d convolutional, as channels-last wants: a <c>Conv2d</c> takes a 4-d activation, and
        /// no layer treats the activations as tokens (<see cref="TokenKinds"/>). Read from the graph, before the network runs.
        /// </summary>
        public static bool Suits(NetworkGraph graph)
        {
            var leaves = graph.Root.Descendants().Prepend(graph.Root).Where(n => n.Form == NodeForm.Leaf).ToList();
            return leaves.Any(n => n.Module == "Conv2d" && n.Input.Count == 3) && !leaves.Any(n => TokenKinds.Contains(n.Module));
        }

        /// <summary>
        /// Whether training runs <paramref name="model"/> channels-last with <paramref name="format"/> in
        /// <paramref name="precision"/>: <see cref="MemoryFormat.Auto"/> for a generated 2-d convolutional network in a
        /// 16-bit precision on the CPU.
        /// </summary>
        public static bool Planned(nn.Module model, MemoryFormat format, Precision precision, bool cuda) => format switch
        {
            MemoryFormat.ChannelsLast => true,
            MemoryFormat.Auto => precision != Precision.Float32 && !cuda && model is IDeclaredNetwork network && Suits(NetworkGraph.Of(network)),
            _ => false,
        };

        /// <summary>
        /// <paramref name="x"/> with channels-last strides (same shape, same values), or <paramref name="x"/> itself
        /// when it is not 4-d or already channels-last. An autograd operation: gradients flow through it.
        /// </summary>
        public static Tensor Of(Tensor x)
        {
            if (x.dim() != 4 || Is(x)) return x;
            // A permuted copy (x.permute(0, 2, 3, 1).contiguous()) would be a no-op for one channel, whose NHWC and NCHW
            // bytes are the same: libtorch still tells the two apart by the channel's stride, so the strides are set here.
            long c = x.shape[1], h = x.shape[2], w = x.shape[3];
            var cl = torch.empty_strided(x.shape, new[] { h * w * c, 1, w * c, c }, x.dtype, x.device);
            return cl.copy_(x);
        }

        /// <summary>
        /// Whether libtorch takes <paramref name="x"/> for channels-last (its <c>suggest_memory_format</c>): 4-d, strides
        /// increasing from channels over width and height to batch. Ambiguous strides count as contiguous, as libtorch
        /// counts them: a one-channel image laid out contiguously is not channels-last (its channel stride must be 1).
        /// </summary>
        public static bool Is(Tensor x)
        {
            if (x.dim() != 4) return false;
            var sizes = x.shape;
            var strides = x.stride();
            // libtorch's is_channels_last_strides_2d_s4, step by step.
            if (strides[1] == 0) return false;
            long min = 0;
            foreach (int d in new[] { 1, 3, 2, 0 })
            {
                if (sizes[d] == 0 || strides[d] < min) return false;
                if (d == 0 && min == strides[1]) return false;
                min = strides[d];
                if (sizes[d] > 1) min *= sizes[d];
            }
            return true;
        }

        /// <summary>
        /// Runs <paramref name="model"/> channels-last until the result is disposed: a 4-d input is converted as it
        /// enters, and with <paramref name="weights"/> every 4-d parameter (the convolutions' kernels) is re-laid out in
        /// place (the same <see cref="TorchSharp.Modules.Parameter"/> objects, so an optimizer built before keeps them). Disposing lays the
        /// parameters out contiguously again, so what is saved afterwards is byte for byte what a contiguous run saves.
        /// </summary>
        public static IDisposable Enable(nn.Module model, bool weights = true)
        {
            if (model is not nn.Module<Tensor, Tensor> single)
                throw new NotSupportedException($"{model.GetType().Name} does not take one tensor, so channels-last cannot convert its input.");
            return new Scope(single, weights);
        }

        /// <summary>Lays out <paramref name="parameters"/> (4-d ones only) channels-last or contiguous, in place.</summary>
        public static void Relayout(IEnumerable<Tensor> parameters, bool channelsLast)
        {
            using var _ = torch.no_grad();
            foreach (var p in parameters.Where(p => p.dim() == 4))
            {
                if (Is(p) == channelsLast && (channelsLast || p.is_contiguous())) continue;
                using var copy = channelsLast ? Of(p.detach()) : p.detach().contiguous();
                p.set_(copy);
            }
        }

        private sealed class Scope : IDisposable
        {
            private readonly nn.Module<Tensor, Tensor> _model;
            private readonly bool _weights;
            private Action? _removeHook;

            public Scope(nn.Module<Tensor, Tensor> model, bool weights)
            {
                _model = model;
                _weights = weights;
                if (weights) Relayout(model.parameters(), channelsLast: true);
                var hook = model.register_forward_pre_hook((_, x) => x.is_floating_point() ? Of(x) : x);
                _removeHook = hook.remove;
            }

            public void Dispose()
            {
                if (_removeHook is null) return;
                _removeHook();
                _removeHook = null;
                if (_weights) Relayout(_model.parameters(), channelsLast: false);
            }
        }
    }
}
