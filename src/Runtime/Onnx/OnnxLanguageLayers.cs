using Dsl.Runtime.Onnx.Proto;
using static Dsl.Runtime.Onnx.OnnxAttribute;
using static Dsl.Runtime.Onnx.OnnxTokenLayers;

namespace Dsl.Runtime.Onnx
{
    /// <summary>
    /// ONNX functions of the language-model layers: an <c>Embedding</c>'s token ids, <c>PositionTable</c> (the first L rows
    /// of the table, L read from the input's shape so the sequence length stays free), GPT-2's <c>FusedSelfAttention</c>
    /// and a causal mask (decomposed as <c>MultiheadSelfAttention</c>), <c>TiedLinear</c> (the tied layer's initializer, once).
    /// </summary>
    internal static class OnnxLanguageLayers
    {
        /// <summary>An Embedding's token ids, remembered for the padding mask of a later attention layer; passes them on.</summary>
        [OnnxFunction("token_ids")]
        public static string TokenIds(OnnxLayerContext c)
        {
            c.RecordEmbeddingInput();
            return c.Input;
        }

        /// <summary><c>x + table[:L]</c>, L the input's sequence length at run time.</summary>
        [OnnxFunction("position_table")]
        public static string PositionTable(OnnxLayerContext c)
        {
            long maxLength = c.Node.Int("max_length"), dim = c.Node.Int("dim");
            string table;
            if (c.Node.Bool("sinusoidal", false))
            {
                using var values = Dsl.Layers.PositionTable.Sinusoid(maxLength, dim);
                table = c.Constant(values.data<float>().ToArray(), maxLength, dim);
            }
            else
            {
                table = c.Weight("weight");
            }
            var length = c.Op("Shape", new[] { c.Input }, Int("start", 1), Int("end", 2));
            var rows = c.Op("Slice", new[] { table, Int64s(c, 0), length, Int64s(c, 0) });
            return c.Op("Add", new[] { c.Input, rows });
        }

        /// <summary>GPT-2's attention: <c>c_attn</c>, q k v split into heads, softmax(q k^T / sqrt(d)) (causal when asked) v, heads joined, <c>c_proj</c>.</summary>
        [OnnxFunction("fused_self_attention")]
        public static string FusedSelfAttention(OnnxLayerContext c) =>
            SelfAttention(c, x => Linear(c, x, "c_attn.weight", "c_attn.bias"), x => Linear(c, x, "c_proj.weight", "c_proj.bias"));

        /// <summary>
        /// Attention scores [N, H, L, L] with -inf where a query would see a later key: a constant [max, max] mask (the
        /// declared length) cut to the run-time L, so every row keeps its diagonal.
        /// </summary>
        public static string MaskLater(OnnxLayerContext c, string scores, long maxLength)
        {
            var mask = new float[maxLength * maxLength];
            for (long i = 0; i < maxLength; i++)
                for (long j = i + 1; j < maxLength; j++) mask[i * maxLength + j] = float.NegativeInfinity;
            var table = c.Constant(mask, maxLength, maxLength);
            var length = c.Op("Shape", new[] { scores }, Int("start", 2), Int("end", 3));
            var ends = c.Op("Concat", new[] { length, length }, Int("axis", 0));
            var cut = c.Op("Slice", new[] { table, Int64s(c, 0, 0), ends, Int64s(c, 0, 1) });
            return c.Op("Add", new[] { scores, cut });
        }

        /// <summary>
        /// Attention scores [N, H, L, L] with -inf at the keys that are padding tokens (the ids the Embedding named by
        /// <c>padding_of</c> read, equal to <c>padding_idx</c>) except on the diagonal (a padding token attends to
        /// itself); the scores unchanged without a padding mask.
        /// </summary>
        public static string MaskPadding(OnnxLayerContext c, string scores)
        {
            if (c.Node.Args.FirstOrDefault(a => a.Name == "padding_of") is null) return scores;
            long maxLength = c.Node.Input[0];
            var ids = c.EmbeddingInput(c.Node.Text("padding_of"));
            var padding = c.Op("Equal", new[] { ids, Int64Scalar(c, c.Node.Int("padding_idx")) });      // [N, L]
            var keys = c.Op("Unsqueeze", new[] { padding, Int64s(c, 1, 2) });                          // [N, 1, 1, L]
            var eye = new float[maxLength * maxLength];
            for (long i = 0; i < maxLength; i++) eye[i * maxLength + i] = 1;
            var length = c.Op("Shape", new[] { scores }, Int("start", 2), Int("end", 3));
            var ends = c.Op("Concat", new[] { length, length }, Int("axis", 0));
            var diagonal = c.Op("Slice", new[] { c.Constant(eye, maxLength, maxLength), Int64s(c, 0, 0), ends, Int64s(c, 0, 1) });
            var offDiagonal = c.Op("Equal", new[] { diagonal, FloatScalar(c, 0) });                    // [L, L]
            var blocked = c.Op("And", new[] { keys, offDiagonal });                                    // [N, 1, L, L]
            var added = c.Op("Where", new[] { blocked, FloatScalar(c, double.NegativeInfinity), FloatScalar(c, 0) });
            return c.Op("Add", new[] { scores, added });
        }

        /// <summary><c>x W^T + b</c> with the tied layer's weight (its initializer, shared with that layer).</summary>
        [OnnxFunction("tied_linear")]
        public static string TiedLinear(OnnxLayerContext c)
        {
            var weight = c.WeightAt(c.Node.Text("tied_to") + ".weight");
            return LinearOf(c, c.Input, weight, c.Node.Bool("bias", true) ? c.Weight("bias") : null);
        }

    }
}
