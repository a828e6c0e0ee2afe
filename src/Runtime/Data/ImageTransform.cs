using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// Batch preprocessing to float32 [B, C, H, W]: scale uint8 to [0, 1] (divide by 255; float input, which per-sample
    /// transforms produce, is taken as already scaled), optional bilinear
    /// resize to <see cref="Resize"/> x <see cref="Resize"/> (align_corners = false, on the whole batch), then optional
    /// per-channel normalisation (x - mean) / std.
    /// </summary>
    public sealed record ImageTransform
    {
        /// <summary>Target side length for a square bilinear resize (e.g. 96 for D2L's ResNet on Fashion-MNIST); null keeps the size.</summary>
        public int? Resize { get; init; }

        /// <summary>Per-channel mean (one value is broadcast to every channel); null skips normalisation.</summary>
        public double[]? Mean { get; init; }

        /// <summary>Per-channel standard deviation; required when <see cref="Mean"/> is set.</summary>
        public double[]? Std { get; init; }

        /// <summary>Only scaling to [0, 1].</summary>
        public static ImageTransform ScaleOnly { get; } = new();

        /// <summary>
        /// Applies the transform to a batch: uint8 is scaled to [0, 1], float is taken as scaled. Returns a new float32
        /// tensor. Input that is not an image batch ([B, F] rows of a table) passes through as float32 when the transform
        /// has neither a resize nor a normalisation, and integer token ids [B, L] as int64.
        /// </summary>
        public Tensor Apply(Tensor batch)
        {
            using var scope = torch.NewDisposeScope();
            if (batch.dim() != 4)
            {
                // Token ids (language models) index an embedding: they stay whole numbers.
                if (Resize is null && Mean is null && batch.dtype is ScalarType.Int64 or ScalarType.Int32)
                    return batch.to_type(ScalarType.Int64, copy: true).MoveToOuterDisposeScope();
                if (Resize is null && Mean is null)
                    return (batch.dtype == ScalarType.Byte ? batch.to_type(ScalarType.Float32).div_(255.0) : batch.to_type(ScalarType.Float32, copy: true)).MoveToOuterDisposeScope();
                throw new ArgumentException($"expected a [B, C, H, W] batch, got {Dsl.Shape.Format(batch.shape)}.", nameof(batch));
            }
            var x = batch.dtype == ScalarType.Byte ? batch.to_type(ScalarType.Float32).div_(255.0) : batch.to_type(ScalarType.Float32, copy: true);
            if (Resize is int size && (batch.shape[2] != size || batch.shape[3] != size))
            {
                if (size <= 0) throw new ArgumentOutOfRangeException(nameof(Resize), size, "Resize must be positive.");
                x = nn.functional.interpolate(x, new long[] { size, size }, mode: InterpolationMode.Bilinear, align_corners: false);
            }
            if (Mean is not null)
            {
                if (Std is null || Std.Length != Mean.Length)
                    throw new ArgumentException("Normalisation needs Std with as many values as Mean.");
                if (Std.Any(s => s <= 0)) throw new ArgumentException("Every Std value must be positive.");
                long c = batch.shape[1];
                if (Mean.Length != 1 && Mean.Length != c)
                    throw new ArgumentException($"Mean has {Mean.Length} values but the batch has {c} channels.");
                using var mean = torch.tensor(Mean.Select(v => (float)v).ToArray()).reshape(1, -1, 1, 1);
                using var std = torch.tensor(Std.Select(v => (float)v).ToArray()).reshape(1, -1, 1, 1);
                x = x.sub_(mean).div_(std);
            }
            return x.MoveToOuterDisposeScope();
        }

        /// <inheritdoc/>
        public override string ToString()
        {
            var parts = new System.Collections.Generic.List<string> { "scale /255" };
            if (Resize is int r) parts.Add($"resize {r}x{r} bilinear");
            if (Mean is not null && Std is not null)
                parts.Add("normalize mean " + string.Join("/", Mean.Select(m => m.ToString(CultureInfo.InvariantCulture))) +
                          " std " + string.Join("/", Std.Select(m => m.ToString(CultureInfo.InvariantCulture))));
            return string.Join(", ", parts);
        }
    }
}
