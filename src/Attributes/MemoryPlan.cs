using System;
using System.Globalization;
using System.Text;

namespace Dsl
{
    /// <summary>
    /// The number type a training step computes and keeps its activations in. The two 16-bit types are mixed
    /// precision: matrix products and convolutions in the 16-bit type, weights, gradients and optimizer state in
    /// float32 (README, "Precision").
    /// </summary>
    public enum Precision
    {
        /// <summary>32-bit floats (4 bytes).</summary>
        Float32,

        /// <summary>bfloat16 (2 bytes): activations in bfloat16, weights, gradients and optimizer state in float32.</summary>
        BFloat16,

        /// <summary>float16 (2 bytes, CUDA only): as bfloat16, with a gradient scaler against float16's small range.</summary>
        Float16,
    }

    /// <summary>The optimizer state a training step keeps per parameter.</summary>
    public enum OptimizerMemory
    {
        /// <summary>Plain SGD: no state.</summary>
        Sgd,

        /// <summary>SGD with momentum (the sample's default): one buffer per parameter.</summary>
        SgdMomentum,

        /// <summary>Adam and AdamW: two buffers per parameter (first and second moments).</summary>
        Adam,
    }

    /// <summary>
    /// What autograd keeps for the backward pass of one training step through a network, counted at compile time from
    /// its graph (generated code creates it). Counts are elements per sample except <see cref="FixedStatistics"/>;
    /// a storage saved by several operations counts once. The per-operation rules are in docs/memory.md.
    /// </summary>
    public sealed class SavedActivations(long activations, long statistics, long indices, long fixedStatistics)
    {
        /// <summary>Elements of saved activations per sample (inputs and outputs of layers, dropout masks), in the training precision.</summary>
        public long Activations { get; } = activations;

        /// <summary>Elements of saved per-sample normalisation statistics (LayerNorm and GroupNorm mean and 1/std), float32.</summary>
        public long Statistics { get; } = statistics;

        /// <summary>Elements of saved int64 indices per sample (max pooling's argmax).</summary>
        public long Indices { get; } = indices;

        /// <summary>Elements of saved BatchNorm batch statistics (mean and 1/std per channel), float32, independent of the batch.</summary>
        public long FixedStatistics { get; } = fixedStatistics;

        /// <summary>Bytes saved for backward by a batch of <paramref name="batch"/> in <paramref name="precision"/>.</summary>
        public long Bytes(long batch, Precision precision) =>
            checked(batch * (Activations * MemoryPlan.BytesOf(precision) + Statistics * 4 + Indices * 8) + FixedStatistics * 4);
    }

    /// <summary>
    /// The memory of one training step, known before the first batch: parameters, their gradients, the optimizer's
    /// state, and the activations kept for the backward pass (<see cref="NetworkInfo.MemoryPlan"/>). It leaves out what
    /// the framework and the step's temporaries take (workspace of convolutions, the gradient of the activation being
    /// propagated), so treat <see cref="Total"/> as the floor a device must hold, not the peak.
    /// </summary>
    public sealed class MemoryPlan(long batch, Precision precision, OptimizerMemory optimizer, long parameterBytes, long gradientBytes, long optimizerStateBytes, long activationBytes)
    {
        /// <summary>Samples per step.</summary>
        public long Batch { get; } = batch;

        /// <summary>The precision of the saved activations.</summary>
        public Precision Precision { get; } = precision;

        /// <summary>The optimizer whose state is counted.</summary>
        public OptimizerMemory Optimizer { get; } = optimizer;

        /// <summary>Parameters (float32 master weights in both precisions).</summary>
        public long ParameterBytes { get; } = parameterBytes;

        /// <summary>One gradient per parameter, float32.</summary>
        public long GradientBytes { get; } = gradientBytes;

        /// <summary>The optimizer's buffers, float32: none (SGD), one per parameter (momentum), two (Adam).</summary>
        public long OptimizerStateBytes { get; } = optimizerStateBytes;

        /// <summary>The tensors autograd saves during the forward for the backward, de-duplicated by storage.</summary>
        public long ActivationBytes { get; } = activationBytes;

        /// <summary>The sum of the four.</summary>
        public long Total => ParameterBytes + GradientBytes + OptimizerStateBytes + ActivationBytes;

        /// <summary>Bytes of one element in <paramref name="precision"/>.</summary>
        public static int BytesOf(Precision precision) => precision == Precision.Float32 ? 4 : 2;

        internal static string Name(OptimizerMemory optimizer) => optimizer switch
        {
            OptimizerMemory.Sgd => "SGD",
            OptimizerMemory.SgdMomentum => "SGD with momentum",
            _ => "Adam",
        };

        /// <summary>The short name of <paramref name="precision"/> (<c>float32</c>, <c>bf16</c>, <c>fp16</c>), as the command line spells it.</summary>
        public static string Name(Precision precision) => precision switch
        {
            Precision.BFloat16 => "bf16",
            Precision.Float16 => "fp16",
            _ => "float32",
        };

        /// <summary>Bytes in binary units, as a person reads them: <c>12.3 MiB</c>.</summary>
        public static string Format(long bytes)
        {
            string[] units = { "B", "KiB", "MiB", "GiB", "TiB" };
            double value = bytes;
            int unit = 0;
            while (value >= 1024 && unit < units.Length - 1)
            {
                value /= 1024;
                unit++;
            }
            return unit == 0 ? $"{bytes} B" : value.ToString("F1", CultureInfo.InvariantCulture) + " " + units[unit];
        }

        /// <inheritdoc/>
        public override string ToString() =>
            $"batch {Batch}, {Name(Precision)}, {Name(Optimizer)}: parameters {Format(ParameterBytes)}, gradients {Format(GradientBytes)}, " +
            $"optimizer state {Format(OptimizerStateBytes)}, activations saved for backward {Format(ActivationBytes)}; total {Format(Total)}";
    }
}
