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
        /// Whether a network is 2-d convolutional, as channels-last wants: an image convolution (a kind whose rendering
        /// declares the <c>image</c> layout, Conv2d) takes a 4-d activation, and no layer reads the activations as tokens
        /// or normalises them through permutes (the <c>tokens</c> and <c>token_ids</c> layouts): with one of those the
        /// network stays contiguous, as channels-last would only add layout copies around them (it would compute the
        /// same, as no library layer depends on the layout). Read from the graph, before the network runs.
        /// </summary>
        public static bool Suits(NetworkGraph graph)
        {
            var leaves = graph.Root.Descendants().Prepend(graph.Root).Where(n => n.Form == NodeForm.Leaf).ToList();
            return leaves.Any(n => n.Declared?.Layout == ActivationLayout.Image && n.Input.Count == 3) && !leaves.Any(n => n.Declared?.ReadsTokens == true);
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
        /// <paramref name="x"/> with channels-last strides (same shape, same values), in <paramref name="type"/> (its
        /// own type when null); <paramref name="x"/> itself when it is not 4-d, or already channels-last in that type.
        /// One copy, recorded by autograd: gradients flow back to <paramref name="x"/> in its layout and type.
        /// </summary>
        public static Tensor Of(Tensor x, ScalarType? type = null)
        {
            var dtype = type ?? x.dtype;
            if (x.dim() != 4) return x;
            if (Is(x)) return dtype == x.dtype ? x : x.to(dtype);
            // A permuted copy (x.permute(0, 2, 3, 1).contiguous()) would be a no-op for one channel, whose NHWC and NCHW
            // bytes are the same: libtorch still tells the two apart by the channel's stride, so the strides are set here.
            long c = x.shape[1], h = x.shape[2], w = x.shape[3];
            var cl = torch.empty_strided(x.shape, new[] { h * w * c, 1, w * c, c }, dtype, x.device);
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
        /// Runs <paramref name="model"/> channels-last in <paramref name="precision"/> until the result is disposed (the
        /// scope of <see cref="MixedPrecision.Enable"/> with channels-last: the input and the convolutions' weights are
        /// channels-last copies; the parameters, their gradients and the optimizer's state keep their layout). For many
        /// steps, <see cref="ChannelsLastParameters.LayOut"/> as well saves the weight copies, as the trainer does.
        /// </summary>
        public static IDisposable Enable(nn.Module model, Precision precision = Precision.Float32) =>
            MixedPrecision.Enable(model, precision, channelsLast: true);
    }
}
