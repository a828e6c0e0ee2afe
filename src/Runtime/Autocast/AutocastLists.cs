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
    /// it for every module of a graph, and <see cref="MixedPrecision"/> applies the plan to the module. Every module kind
    /// declares its rule in its own file in the generator (its operations and its policy per device, with why) and the
    /// graph carries it (<see cref="ModuleRendering.Autocast"/>); this class keeps the rules of the forward steps between
    /// modules, which are operations of the graph rather than kinds.
    /// </summary>
    /// <remarks>
    /// On the CPU, PyTorch lists only matrix products and convolutions (lower precision), losses and a few numerically
    /// fragile operations (float32); normalisation and softmax are in neither list there and run in the type that
    /// arrives, their kernels accumulating in float32 with float32 statistics. The CUDA lists put layer_norm,
    /// group_norm and softmax in float32. A module whose graph declares no rule (a <c>[Custom]</c> layer, whose
    /// computation the graph does not have; any module without a graph) gets float32 inputs, as a region with autocast
    /// turned off.
    /// </remarks>
    public static class AutocastLists
    {
        private const CastPolicy Through = CastPolicy.FallThrough;

        /// <summary>Every forward step between modules (<see cref="GraphOps"/>' names), with its operations and policies.</summary>
        public static IReadOnlyList<AutocastRule> Steps { get; } = new AutocastRule[]
        {
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

        /// <summary>The policy for a module whose graph declares no rule (a custom layer): float32 inputs.</summary>
        public static AutocastRule Unknown(string kind) => new(kind, "(not in the graph)", CastPolicy.Float32, CastPolicy.Float32);

        private static readonly Dictionary<string, AutocastRule> ByStep = Steps.ToDictionary(r => r.Kind, StringComparer.Ordinal);

        /// <summary>The rule for a leaf of a graph: the one its kind declares (the graph's <c>renderings</c>), else <see cref="Unknown"/>.</summary>
        public static AutocastRule For(GraphNode leaf) => leaf.Declared?.Autocast ?? Unknown(leaf.Module);

        /// <summary>Whether a leaf's kind declares its rule.</summary>
        public static bool Knows(GraphNode leaf) => leaf.Declared?.Autocast is not null;

        /// <summary>The rule for a forward step other than a module call (a call follows its module's rule); <see cref="Unknown"/> for one <see cref="Steps"/> does not name.</summary>
        public static AutocastRule For(GraphOp op) => ByStep.TryGetValue(GraphOps.Name(op), out var rule) ? rule : Unknown(GraphOps.Name(op));
    }
}
