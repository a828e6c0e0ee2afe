using static Dsl.Runtime.Onnx.OnnxAttribute;
using static Dsl.Runtime.Onnx.OnnxTokenLayers;

namespace Dsl.Runtime.Onnx
{
    /// <summary>
    /// ONNX functions of the recurrent layers (<c>LSTM</c>, <c>GRU</c>): one ONNX <c>LSTM</c>/<c>GRU</c> node per layer,
    /// reading PyTorch's weights with the gates put in ONNX's order at load time (Slice and Concat of the initializers,
    /// which ONNX Runtime folds into constants).
    /// </summary>
    internal static class OnnxRecurrentLayers
    {
        /// <summary>PyTorch stacks the LSTM gates i, f, g, o; ONNX wants i, o, f, c (c is PyTorch's g).</summary>
        private static readonly int[] LstmGates = { 0, 3, 1, 2 };

        /// <summary>PyTorch stacks the GRU gates r, z, n; ONNX wants z, r, h.</summary>
        private static readonly int[] GruGates = { 1, 0, 2 };

        [OnnxFunction("lstm")]
        public static string Lstm(OnnxLayerContext c) => Recurrent(c, "LSTM", LstmGates);

        /// <summary>PyTorch's GRU applies the reset gate after the hidden projection: ONNX's <c>linear_before_reset = 1</c>.</summary>
        [OnnxFunction("gru")]
        public static string Gru(OnnxLayerContext c) => Recurrent(c, "GRU", GruGates, Int("linear_before_reset", 1));

        private static string Recurrent(OnnxLayerContext c, string op, int[] gateOrder, params Proto.AttributeProto[] extra)
        {
            long hidden = c.Node.Int("hidden_size"), layers = c.Node.Int("num_layers");
            bool bidirectional = c.Node.Bool("bidirectional"), bias = c.Node.Bool("bias"), lastStep = c.Node.Bool("last_step");
            long directions = bidirectional ? 2 : 1;
            var suffixes = bidirectional ? new[] { "", "_reverse" } : new[] { "" };
            var attributes = new List<Proto.AttributeProto> { Int("hidden_size", hidden), Text("direction", bidirectional ? "bidirectional" : "forward") };
            attributes.AddRange(extra);

            // ONNX recurrences read [L, N, F]: steps first.
            var x = c.Op("Transpose", new[] { c.Input }, Ints("perm", 1, 0, 2));
            string y = x;
            for (long layer = 0; layer < layers; layer++)
            {
                string Stacked(Func<string, string> tensor) =>
                    directions == 1 ? tensor(suffixes[0]) : c.Op("Concat", suffixes.Select(tensor).ToArray(), Int("axis", 0));
                // W [D, G*H, F], R [D, G*H, H], B [D, 2*G*H] (input then hidden biases).
                var w = Stacked(s => Unsqueezed(c, Reordered(c, c.Weight($"weight_ih_l{layer}{s}"), gateOrder, hidden)));
                var r = Stacked(s => Unsqueezed(c, Reordered(c, c.Weight($"weight_hh_l{layer}{s}"), gateOrder, hidden)));
                var b = bias
                    ? Stacked(s => Unsqueezed(c, c.Op("Concat", new[]
                    {
                        Reordered(c, c.Weight($"bias_ih_l{layer}{s}"), gateOrder, hidden),
                        Reordered(c, c.Weight($"bias_hh_l{layer}{s}"), gateOrder, hidden),
                    }, Int("axis", 0))))
                    : "";
                // Y [L, D, N, H] to the next layer's input [L, N, D*H].
                y = c.Op(op, new[] { x, w, r, b }, attributes.ToArray());
                x = c.Op("Reshape", new[] { c.Op("Transpose", new[] { y }, Ints("perm", 0, 2, 1, 3)), Int64s(c, 0, 0, directions * hidden) });
            }
            if (!lastStep) return c.Op("Transpose", new[] { x }, Ints("perm", 1, 0, 2));
            // The final hidden states from Y: the forward direction's at the last step, the backward one's at the first.
            string Final(long step, long direction) =>
                c.Op("Gather", new[] { c.Op("Gather", new[] { y, Int64Scalar(c, step) }, Int("axis", 0)), Int64Scalar(c, direction) }, Int("axis", 0));
            return bidirectional
                ? c.Op("Concat", new[] { Final(-1, 0), Final(0, 1) }, Int("axis", 1))
                : Final(-1, 0);
        }

        /// <summary>A stack of gates [G*H, ...] with its G blocks of H rows taken in <paramref name="order"/>.</summary>
        private static string Reordered(OnnxLayerContext c, string weight, int[] order, long hidden) =>
            c.Op("Concat", order.Select(g => c.Op("Slice", new[] { weight, Int64s(c, g * hidden), Int64s(c, (g + 1) * hidden), Int64s(c, 0) })).ToArray(), Int("axis", 0));

        /// <summary>A new leading axis of size 1 (the direction axis).</summary>
        private static string Unsqueezed(OnnxLayerContext c, string tensor) => c.Op("Unsqueeze", new[] { tensor, Int64s(c, 0) });
    }
}
