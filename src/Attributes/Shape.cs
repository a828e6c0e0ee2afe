using System;
using System.Linq;

namespace Dsl
{
    /// <summary>
    /// The shape of one sample flowing through a network, without the batch dimension:
    /// (channels, height, width) for image-like tensors, (features) after a flatten.
    /// </summary>
    public sealed class Shape : IEquatable<Shape>
    {
        private readonly long[] _dims;

        /// <summary>Creates a shape from its dimensions (batch excluded).</summary>
        public Shape(params long[] dims)
        {
            if (dims is null) throw new ArgumentNullException(nameof(dims));
            _dims = (long[])dims.Clone();
        }

        /// <summary>Number of dimensions, batch excluded (3 for C,H,W; 1 for features).</summary>
        public int Rank => _dims.Length;

        /// <summary>The size of dimension <paramref name="index"/>.</summary>
        public long this[int index] => _dims[index];

        /// <summary>Number of elements in one sample.</summary>
        public long Elements => _dims.Aggregate(1L, (a, b) => a * b);

        /// <summary>A copy of the dimensions, batch excluded.</summary>
        public long[] ToArray() => (long[])_dims.Clone();

        /// <summary>The dimensions with a leading batch dimension, e.g. {1, 64, 24, 24}.</summary>
        public long[] WithBatch(long batch)
        {
            var result = new long[_dims.Length + 1];
            result[0] = batch;
            Array.Copy(_dims, 0, result, 1, _dims.Length);
            return result;
        }

        /// <summary>Formats dimensions as PyTorch prints a size list: <c>[1, 64, 24, 24]</c>.</summary>
        public static string Format(long[] dims) => "[" + string.Join(", ", dims) + "]";

        /// <summary>The shape with a batch dimension, formatted like <c>[1, 64, 24, 24]</c>.</summary>
        public string ToString(long batch) => Format(WithBatch(batch));

        /// <summary>The shape without batch dimension, formatted like <c>[64, 24, 24]</c>.</summary>
        public override string ToString() => Format(_dims);

        /// <inheritdoc/>
        public bool Equals(Shape? other) => other is not null && _dims.SequenceEqual(other._dims);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is Shape s && Equals(s);

        /// <inheritdoc/>
        public override int GetHashCode()
        {
            unchecked
            {
                int h = 17;
                foreach (var d in _dims) h = h * 31 + d.GetHashCode();
                return h;
            }
        }
    }
}
