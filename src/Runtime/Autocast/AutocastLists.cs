using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Runtime.Graph;

namespace Dsl.Runtime.Autocast
{
    /// <summary>What autocast does to the inputs of one operation (the policy names of PyTorch's <c>autocast_mode.cpp</c>).</summary>
    public enum CastPolicy
    {
        /// <summary><c>lower_precision_fp</c>: floating inputs and weights are cast to the 16-bit type; the result is 16-bit.</summary>
        LowerPrecision,

        /// <summary><c>fp32</c>: 16-bit inputs are cast to float32; the result is float32.</summary>
        Float32,

        /// <summary>In no list: the operation runs in the type it receives (its kernel may accumulate in float32 inside).</summary>
        FallThrough,

        /// <summary><c>promote</c>: inputs of mixed types are cast to the widest of them (<c>cat</c>, <c>stack</c>).</summary>
        Promote,
    }

    /// <summary>Where the network runs: autocast keeps one list per device type.</summary>
    public enum AutocastDevice
    {
        /// <summary>The CPU (<c>AutocastCPU</c>, bfloat16).</summary>
        Cpu,

        /// <summary>An NVIDIA GPU (<c>AutocastCUDA</c>, float16 or bfloat16).</summary>
        Cuda,
    }

    /// <summary>
    /// One kind of module or forward step: the ATen operations it runs and autocast's policy for them on each device.
    /// </summary>
    /// <param name="Kind">The graph's module name (<c>Conv2d</c>) or step name (<c>concat</c>).</param>
    /// <param name="Ops">The ATen operations, as PyTorch's lists name them.</param>
    /// <param name="Cpu">The policy on the CPU.</param>
    /// <param name="Cuda">The policy on CUDA.</param>
    public sealed record AutocastRule(string Kind, string Ops, CastPolicy Cpu, CastPolicy Cuda)
    {
        /// <summary>The policy on <paramref name="device"/>.</summary>
        public CastPolicy On(AutocastDevice device) => device == AutocastDevice.Cpu ? Cpu : Cuda;
    }

    /// <summary>
    /// PyTorch's autocast lists (<c>aten/src/ATen/autocast_mode.cpp</c> and <c>autocast_mode.h</c>, PyTorch 2.x), for the
    /// modules and forward steps a network graph can hold. What mixed precision follows: <see cref="AutocastPlan"/> reads
    /// it for every module of a graph, and <see cref="MixedPrecision"/> applies the plan to the module. A simple leaf kind
    /// (ReLU, ELU, Softmax, ...) declares its rule with its rendering in its own file in the generator and the graph
    /// carries it (<see cref="LeafRendering.Autocast"/>); <see cref="For(GraphNode)"/> reads that first, so such a kind
    /// has no row here.
    /// </summary>
    /// <remarks>
    /// On the CPU, PyTorch lists only matrix products and convolutions (lower precision), losses and a few numerically
    /// fragile operations (float32); normalisation and softmax are in neither list there and run in the type that
    /// arrives, their kernels accumulating in float32 with float32 statistics. The CUDA lists put layer_norm,
    /// group_norm and softmax in float32. A module the lists do not know (a <c>[Custom]</c> layer, whose computation
    /// the graph does not have) gets float32 inputs, as a region with autocast turned off.
    /// </remarks>
    public static class AutocastLists
    {
        private const CastPolicy Low = CastPolicy.LowerPrecision, F32 = CastPolicy.Float32, Through = CastPolicy.FallThrough;

        /// <summary>
        /// Every module kind of the graph vocabulary whose kind declares no rendering, and every forward step, with its
        /// operations and policies (Generator.Tests' AutocastCoverageTests fails when a module a kind builds has neither).
        /// </summary>
        public static IReadOnlyList<AutocastRule> Rules { get; } = new AutocastRule[]
        {
            // lower_precision_fp on both devices
            new("Conv1d", "conv1d", Low, Low),
            new("Conv2d", "conv2d", Low, Low),
            new("ConvTranspose2d", "conv_transpose2d", Low, Low),
            new("Linear", "linear", Low, Low),
            new("MultiheadSelfAttention", "linear, scaled_dot_product_attention", Low, Low),
            new("FusedSelfAttention", "linear, scaled_dot_product_attention", Low, Low),
            new("TiedLinear", "linear", Low, Low),
            // This library's recurrent layers compute their gates with their own cells, not through the ATen recurrent
            // operations the lists name (mkldnn_rnn_layer on the CPU, lstm_cell and gru_cell on CUDA): float32, as an
            // operation autocast does not know.
            new("LSTM", "this library's LSTM cells", F32, F32),
            new("GRU", "this library's GRU cells", F32, F32),
            // float32 on CUDA only
            new("LayerNorm", "layer_norm", Through, F32),
            new("LayerNorm2d", "layer_norm", Through, F32),
            new("GroupNorm", "group_norm", Through, F32),
            // in no list
            new("BatchNorm1d", "batch_norm", Through, Through),
            new("BatchNorm2d", "batch_norm", Through, Through),
            new("ReLU6", "hardtanh", Through, Through),
            new("SiLU", "silu", Through, Through),
            new("GELU", "gelu", Through, Through),
            new("MaxPool1d", "max_pool1d", Through, Through),
            new("MaxPool2d", "max_pool2d", Through, Through),
            new("AvgPool1d", "avg_pool1d", Through, Through),
            new("AvgPool2d", "avg_pool2d", Through, Through),
            new("AdaptiveAvgPool1d", "adaptive_avg_pool1d", Through, Through),
            new("AdaptiveAvgPool2d", "adaptive_avg_pool2d", Through, Through),
            new("Upsample", "upsample_nearest2d, upsample_bilinear2d", Through, Through),
            new("Dropout", "dropout", Through, Through),
            new("Embedding", "embedding", Through, Through),
            new("PositionTable", "add", Through, Through),
            new("Identity", "(none)", Through, Through),
            new("Permute", "permute", Through, Through),
            new("Tokens", "flatten, transpose", Through, Through),
            new("SelectToken", "select", Through, Through),
            new("StochasticDepth", "bernoulli, mul", Through, Through),
            // forward steps between modules (GraphOps' names)
            new("relu", "relu_", Through, Through),
            new("add", "add_", Through, Through),
            new("mul", "mul", Through, Through),
            new("param_add", "add", Through, Through),
            new("param_mul", "mul", Through, Through),
            new("interpolate", "upsample_bilinear2d", Through, Through),
            new("param_prepend", "cat", CastPolicy.Promote, Through),
            new("concat", "cat", CastPolicy.Promote, Through),
        };

        /// <summary>
        /// The losses the trainer computes after the network, in float32 on both devices (the tasks' losses:
        /// <c>cross_entropy_loss</c>, <c>nll_loss</c>, <c>mse_loss</c>, <c>l1_loss</c>, <c>huber_loss</c> are all in the fp32 lists).
        /// </summary>
        public static IReadOnlyList<string> Float32Losses { get; } = new[] { "cross_entropy_loss", "nll_loss", "mse_loss", "l1_loss", "huber_loss" };

        /// <summary>The policy for a module or step the table does not name (a custom layer): float32 inputs.</summary>
        public static AutocastRule Unknown(string kind) => new(kind, "(not in the graph)", F32, F32);

        private static readonly Dictionary<string, AutocastRule> ByKind = Rules.ToDictionary(r => r.Kind, StringComparer.Ordinal);

        /// <summary>
        /// The rule for a leaf of a graph: the one its kind declares (the graph's <c>renderings</c>), else this table's
        /// row for its module, else <see cref="Unknown"/>.
        /// </summary>
        public static AutocastRule For(GraphNode leaf) => leaf.Rendering?.Autocast ?? For(leaf.Module);

        /// <summary>Whether a leaf's kind declares its rule or this table names its module.</summary>
        public static bool Knows(GraphNode leaf) => leaf.Rendering?.Autocast is not null || Knows(leaf.Module);

        /// <summary>
        /// The rule for a module kind or step name in this table; <see cref="Unknown"/> when it does not name it (a kind
        /// that declares its rule with its rendering is read from a graph's leaf, <see cref="For(GraphNode)"/>).
        /// </summary>
        public static AutocastRule For(string kind) => ByKind.TryGetValue(kind, out var rule) ? rule : Unknown(kind);

        /// <summary>Whether the table names <paramref name="kind"/>.</summary>
        public static bool Knows(string kind) => ByKind.ContainsKey(kind);

        /// <summary>The rule for a forward step other than a module call (a call follows its module's rule).</summary>
        public static AutocastRule For(GraphOp op) => For(GraphOps.Name(op));
    }
}
