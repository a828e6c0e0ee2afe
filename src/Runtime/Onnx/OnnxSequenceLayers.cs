using static Dsl.Runtime.Onnx.OnnxAttribute;

namespace Dsl.Runtime.Onnx
{
    /// <summary>
    /// The ONNX functions of adaptive 1-d pooling and the refusal of hand-written modules (their kinds'
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

        /// <summary>A hand-written module ([Custom&lt;T&gt;]): the graph knows its shape contract, not its computation.</summary>
        [OnnxFunction("custom")]
        public static string Custom(OnnxLayerContext c)
        {
            string type = c.Node.HasArg("module") ? c.Node.Text("module") : "a hand-written module";
            throw c.Unsupported($"it is the hand-written module {type}, used through [Custom<T>]; the network graph declares only its shape contract, " +
                                "not what it computes, so no ONNX operators can be written for it. Export the network without the custom layer, " +
                                "or declare the layer with the DSL's attributes.");
        }
    }
}
