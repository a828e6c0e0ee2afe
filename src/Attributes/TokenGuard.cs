using System;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>The run-time check generated code makes on a token input (<c>[Input(length, Vocabulary = v)]</c>).</summary>
    public static class TokenGuard
    {
        /// <summary>
        /// Throws unless <paramref name="input"/> is a batch of token ids [N, L]: an integer tensor whose length is the
        /// declared <paramref name="length"/> (or, with <paramref name="anyLength"/>, between 1 and it) and whose ids are in
        /// [0, <paramref name="vocabulary"/>). A wrong shape is an <see cref="InputShapeException"/>; a wrong type or id an
        /// <see cref="ArgumentException"/> naming the network and the fix.
        /// </summary>
        public static void Check(string network, long length, long vocabulary, Tensor input, bool anyLength)
        {
            var shape = input.shape;
            bool ok = shape.Length == 2 && (anyLength ? shape[1] >= 1 && shape[1] <= length : shape[1] == length);
            if (!ok && !anyLength) throw new InputShapeException(network, new Shape(length), shape);
            if (!ok)
                throw new ArgumentException($"{network} takes a batch of at most {length} token ids per sample, [N, L] with 1 <= L <= {length}, but received {Shape.Format(shape)}.", nameof(input));
            if (input.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte))
                throw new ArgumentException($"{network} takes token ids: an integer tensor [N, L] (int64), not {input.dtype}; convert with .to(ScalarType.Int64).", nameof(input));
            if (input.numel() == 0) return;
            long min = input.min().item<long>(), max = input.max().item<long>();
            if (min < 0 || max >= vocabulary)
                throw new ArgumentException($"{network} takes token ids in [0, {vocabulary}); the input holds {(min < 0 ? min : max)}.", nameof(input));
        }
    }
}
