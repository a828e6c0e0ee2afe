using Dsl.Runtime.Graph;
using Dsl.Runtime.Onnx.Proto;
using static Dsl.Runtime.Onnx.OnnxAttribute;

namespace Dsl.Runtime.Onnx
{
    /// <summary>
    /// The ONNX function of <c>MultiheadSelfAttention</c> (ViT's, decomposed into MatMul, Softmax and reshapes since opset
    /// 17 has no fused attention) and of the steps that use a module's own
    /// learned tensors (<c>param_add</c>, <c>param_prepend</c>, <c>param_mul</c>), whose tensors become initializers named by their key.
    /// </summary>
    internal static class OnnxTokenLayers
    {
        /// <summary>
        /// PyTorch's multi-head self-attention in eval mode: q, k, v = x W_in^T + b_in split in three; per head
        /// softmax(q k^T / sqrt(d)) v; heads joined; then the output projection.
        /// </summary>
        [OnnxFunction("multihead_self_attention")]
        public static string MultiheadSelfAttention(OnnxLayerContext c) =>
            SelfAttention(c, x => Linear(c, x, "in_proj_weight", "in_proj_bias"), x => Linear(c, x, "out_proj.weight", "out_proj.bias"));

        /// <summary>
        /// The self-attention both attention layers export, between their own projections: <paramref name="project"/>
        /// gives q, k and v stacked [N, L, 3E]; each split into heads; softmax(q k^T / sqrt(d)) v, causal when the layer
        /// says so and with padding keys masked; heads joined; then <paramref name="output"/>.
        /// </summary>
        public static string SelfAttention(OnnxLayerContext c, Func<string, string> project, Func<string, string> output)
        {
            long embed = c.Node.Int("embed_dim"), heads = c.Node.Int("num_heads"), head = embed / heads;
            var projected = project(c.Input);
            string Part(long index, params long[] perm)
            {
                var slice = c.Op("Slice", new[] { projected, Int64s(c, index * embed), Int64s(c, (index + 1) * embed), Int64s(c, 2) });
                var split = c.Op("Reshape", new[] { slice, Int64s(c, 0, 0, heads, head) });   // [N, L, H, d]
                return c.Op("Transpose", new[] { split }, Ints("perm", perm));
            }
            var q = Part(0, 0, 2, 1, 3);   // [N, H, L, d]
            var kT = Part(1, 0, 2, 3, 1);  // [N, H, d, L]
            var v = Part(2, 0, 2, 1, 3);   // [N, H, L, d]
            var scores = c.Op("Mul", new[] { c.Op("MatMul", new[] { q, kT }), FloatScalar(c, 1 / Math.Sqrt(head)) });
            if (c.Node.Bool("causal", false)) scores = OnnxLanguageLayers.MaskLater(c, scores, c.Node.Input[0]);
            scores = OnnxLanguageLayers.MaskPadding(c, scores);
            var weights = c.Op("Softmax", new[] { scores }, Int("axis", -1));
            var attended = c.Op("Transpose", new[] { c.Op("MatMul", new[] { weights, v }) }, Ints("perm", 0, 2, 1, 3));
            var joined = c.Op("Reshape", new[] { attended, Int64s(c, 0, 0, embed) });
            return output(joined);
        }

        /// <summary><c>x W^T + b</c> for any rank (Gemm only takes matrices), from the layer's parameter names.</summary>
        public static string Linear(OnnxLayerContext c, string input, string weight, string? bias) =>
            LinearOf(c, input, c.Weight(weight), bias is null ? null : c.Weight(bias));

        /// <summary><c>x W^T + b</c> for any rank, from initializer names (a tied layer's weight is another layer's).</summary>
        public static string LinearOf(OnnxLayerContext c, string input, string weight, string? bias)
        {
            var transposed = c.Op("Transpose", new[] { weight }, Ints("perm", 1, 0));
            var product = c.Op("MatMul", new[] { input, transposed });
            return bias is null ? product : c.Op("Add", new[] { product, bias });
        }

        /// <summary>
        /// A step that uses the block's own tensor <c>step.Param</c>: <c>param_add</c> adds it (broadcasting over the batch);
        /// <c>param_mul</c> multiplies by it (a layer scale, broadcasting); <c>param_prepend</c> repeats it for every sample ([1, 1, D] to [N, 1, D]) and puts it before the tokens.
        /// </summary>
        public static string ParamStep(OnnxGraphBuilder graph, GraphNode block, GraphStep step, string input, string hint)
        {
            string param = step.Param ?? throw new OnnxExportException(block.Path, block.Module, $"step '{GraphOps.Name(step.Op)}' names no tensor.");
            var tensor = block.Tensors.FirstOrDefault(t => t.Name == param)
                ?? throw new OnnxExportException(block.Path, block.Module, $"step '{GraphOps.Name(step.Op)}' uses tensor '{param}', which the block does not declare.");
            string weight;
            try
            {
                weight = graph.Initializer(block.Key(tensor.Name));
            }
            catch (System.Collections.Generic.KeyNotFoundException e)
            {
                throw new OnnxExportException(block.Path, block.Module, e.Message + ", which the graph says this block has");
            }
            if (step.Op == GraphOp.ParamAdd) return graph.Add("Add", hint + "_add", new[] { input, weight });
            if (step.Op == GraphOp.ParamMul) return graph.Add("Mul", hint + "_mul", new[] { input, weight });
            // Expand to [N, 1, 1, ...]: the batch from the input's shape, ones for the other axes of the tensor.
            var batch = graph.Add("Shape", hint + "_batch", new[] { input }, Int("start", 0), Int("end", 1));
            var ones = graph.Add("Constant", hint + "_ones", Array.Empty<string>(), Int64Tensor(Enumerable.Repeat(1L, tensor.Shape.Count - 1).ToArray(), scalar: false));
            var shape = graph.Add("Concat", hint + "_shape", new[] { batch, ones }, Int("axis", 0));
            var repeated = graph.Add("Expand", hint + "_expand", new[] { weight, shape });
            return graph.Add("Concat", hint + "_prepend", new[] { repeated, input }, Int("axis", 1));
        }

        /// <summary>A constant int64 vector (shapes, slice bounds, axes).</summary>
        internal static string Int64s(OnnxLayerContext c, params long[] values) =>
            c.Op("Constant", Array.Empty<string>(), Int64Tensor(values, scalar: false));

        /// <summary>A constant int64 scalar (Gather's index).</summary>
        internal static string Int64Scalar(OnnxLayerContext c, long value) =>
            c.Op("Constant", Array.Empty<string>(), Int64Tensor(new[] { value }, scalar: true));

        internal static string FloatScalar(OnnxLayerContext c, double value) =>
            c.Op("Constant", Array.Empty<string>(), Float("value_float", value));

        /// <summary>A <c>value</c> attribute holding an int64 tensor (a vector, or a scalar without dimensions).</summary>
        private static AttributeProto Int64Tensor(long[] values, bool scalar)
        {
            var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64 };
            if (!scalar) tensor.Dims.Add(values.Length);
            tensor.Int64Data.AddRange(values);
            return new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor };
        }
    }
}
