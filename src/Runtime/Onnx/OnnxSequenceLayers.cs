using System;
using System.Collections.Generic;
using System.Linq;
using static Dsl.Runtime.Onnx.OnnxAttribute;

namespace Dsl.Runtime.Onnx
{
    /// <summary>
    /// The ONNX functions of adaptive 1-d pooling and GroupNorm, and the refusal of hand-written modules (their kinds'
    /// renderings call them by name).
    /// </summary>
    internal static class OnnxSequenceLayers
    {
        /// <summary>Adaptive pooling to a length: global, a fixed average pool where it divides the input, or a product with the averaging matrix.</summary>
        [OnnxFunction("adaptive_avg_pool1d")]
        public static string AdaptiveAvgPool1d(OnnxLayerContext c)
        {
            long output = c.Node.Int("output_size"), length = c.Node.Input[^1];
            if (output == 1) return c.Op("GlobalAveragePool", new[] { c.Input });
            if (length % output == 0)
                return c.Op("AveragePool", new[] { c.Input }, Ints("kernel_shape", length / output), Ints("strides", length / output));
            // Windows of different sizes: a product with the averaging matrix, [N, C, L] x [L, output] (as AdaptiveAvgPool2d).
            return c.Op("MatMul", new[] { c.Input, c.Constant(OnnxLayers.AdaptiveAverage(length, output), length, output) });
        }

        /// <summary>
        /// GroupNorm (opset 17 has no GroupNormalization): the sample reshaped to [N, G, rest], normalised over the last
        /// axis with the biased variance, as PyTorch, reshaped back and scaled and shifted per channel.
        /// </summary>
        [OnnxFunction("group_norm")]
        public static string GroupNorm(OnnxLayerContext c)
        {
            var n = c.Node;
            long groups = n.Int("num_groups"), channels = n.Input[0];
            var grouped = c.Op("Reshape", new[] { c.Input, Longs(c, 0, groups, -1) });
            var mean = c.Op("ReduceMean", new[] { grouped }, Ints("axes", 2), Int("keepdims", 1));
            var centred = c.Op("Sub", new[] { grouped, mean });
            var variance = c.Op("ReduceMean", new[] { c.Op("Mul", new[] { centred, centred }) }, Ints("axes", 2), Int("keepdims", 1));
            var std = c.Op("Sqrt", new[] { c.Op("Add", new[] { variance, Scalar(c, n.Double("eps")) }) });
            var normalised = c.Op("Reshape", new[] { c.Op("Div", new[] { centred, std }), Longs(c, new long[] { 0 }.Concat(n.Input).ToArray()) });
            // One scale and shift per channel, broadcast over the positions: [C, 1, ...].
            var perChannel = Longs(c, new[] { channels }.Concat(Enumerable.Repeat(1L, n.Input.Count - 1)).ToArray());
            var weight = c.Op("Reshape", new[] { c.Weight("weight"), perChannel });
            var bias = c.Op("Reshape", new[] { c.Weight("bias"), perChannel });
            return c.Op("Add", new[] { c.Op("Mul", new[] { normalised, weight }), bias });
        }

        /// <summary>A hand-written module ([Custom&lt;T&gt;]): the graph knows its shape contract, not its computation.</summary>
        [OnnxFunction("custom")]
        public static string Custom(OnnxLayerContext c)
        {
            string type = c.Node.HasArg("module") ? c.Node.Text("module") : "a hand-written module";
            throw c.Unsupported($"it is the hand-written module {type}, used through [Custom<T>]; the network graph declares only its shape contract, " +
                                "not what it computes, so no ONNX operators can be written for it. Export the network without the custom layer, " +
                                "or declare the layer with the DSL's attributes.");
        }

        private static string Scalar(OnnxLayerContext c, double value) => c.Op("Constant", Array.Empty<string>(), Float("value_float", value));

        private static string Longs(OnnxLayerContext c, params long[] values) => c.Op("Constant", Array.Empty<string>(), Ints("value_ints", values));
    }
}
