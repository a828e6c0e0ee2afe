using Dsl.Runtime.Graph;
using Dsl.Runtime.Onnx.Proto;
using static Dsl.Runtime.Onnx.OnnxAttribute;

namespace Dsl.Runtime.Onnx
{
    /// <summary>What a layer mapping gets: the leaf's graph node, the ONNX name of its input, and the graph to add to.</summary>
    internal sealed class OnnxLayerContext
    {
        private readonly OnnxGraphBuilder _graph;

        public OnnxLayerContext(GraphNode node, string input, OnnxGraphBuilder graph)
        {
            Node = node;
            Input = input;
            _graph = graph;
        }

        public GraphNode Node { get; }

        /// <summary>The ONNX value the layer reads (shape [batch, ..Node.Input]).</summary>
        public string Input { get; }

        /// <summary>Adds one node reading <paramref name="inputs"/>; its output is named after the layer's path.</summary>
        public string Op(string opType, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
            _graph.Add(opType, Node.Path, inputs, attributes);

        /// <summary>The layer's state_dict tensor <paramref name="name"/> as an initializer (named by its state_dict key).</summary>
        public string Weight(string name)
        {
            try
            {
                return _graph.Initializer(Node.Key(name));
            }
            catch (KeyNotFoundException e)
            {
                throw Unsupported(e.Message + ", which the graph says this layer has");
            }
        }

        /// <summary>Another layer's state_dict tensor by its full key (a tied weight), as an initializer.</summary>
        public string WeightAt(string key)
        {
            try
            {
                return _graph.Initializer(key);
            }
            catch (KeyNotFoundException e)
            {
                throw Unsupported(e.Message + ", which the graph says this layer uses");
            }
        }

        /// <summary>A constant float tensor of shape <paramref name="dims"/> (row-major <paramref name="values"/>).</summary>
        public string Constant(float[] values, params long[] dims)
        {
            var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float };
            tensor.Dims.AddRange(dims);
            tensor.FloatData.AddRange(values);
            return Op("Constant", Array.Empty<string>(), new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor });
        }

        /// <summary>This layer's context reading <paramref name="input"/> (a node of its rendering that is a function).</summary>
        public OnnxLayerContext WithInput(string input) => new(Node, input, _graph);

        public OnnxExportException Unsupported(string reason) => new(Node.Path, Node.Module, reason);

        /// <summary>Records this layer's input as the token ids of the Embedding at its path.</summary>
        public void RecordEmbeddingInput() => _graph.EmbeddingInputs[Node.Path] = Input;

        /// <summary>The token ids the Embedding at <paramref name="path"/> read (exported before this layer).</summary>
        public string EmbeddingInput(string path) => _graph.EmbeddingInputs.TryGetValue(path, out var ids) ? ids
            : throw Unsupported($"it masks the padding of '{path}', which is not an Embedding exported before it");
    }

    /// <summary>
    /// How each leaf layer of the network graph (its <c>module</c>) becomes ONNX operators (opset
    /// <see cref="OnnxExporter.Opset"/>), in eval mode. Every kind declares its rendering in its own file in the generator,
    /// which the graph carries (<see cref="GraphNode.Onnx"/>) and <see cref="OnnxRenderer"/> writes. The renderings that are code
    /// are <see cref="OnnxFunctionAttribute"/> functions, here and in the files beside this one (docs/onnx.md). A rendering
    /// returns the name of the layer's output; returning its input means the layer is an identity at inference.
    /// </summary>
    internal static class OnnxLayers
    {
        /// <summary>The rendering of <paramref name="node"/>: its kind's declared ONNX rendering; false when it has none.</summary>
        public static bool TryGet(GraphNode node, out Func<OnnxLayerContext, string> map)
        {
            if (node.Onnx is { } onnx)
            {
                map = c => OnnxRenderer.Render(c, onnx);
                return true;
            }
            map = null!;
            return false;
        }

        /// <summary>A constant int64 vector (Pad's pads, Reshape's shape).</summary>
        private static string Longs(OnnxLayerContext c, params long[] values) => c.Op("Constant", Array.Empty<string>(), Ints("value_ints", values));

        /// <summary>
        /// A pool with ceil_mode cut to the layer's output size. PyTorch leaves out a last window that would start in
        /// the end padding; ONNX Runtime's ceil mode keeps it, one value too many at the end of the axis, which the slice
        /// drops (where both agree it cuts nothing). The pools' renderings call it only with ceil_mode.
        /// </summary>
        [OnnxFunction("ceil_windows")]
        internal static string CeilWindows(OnnxLayerContext c)
        {
            string pooled = c.Input;
            var output = c.Node.Output;
            int spatial = output.Count - 1;
            var ends = Enumerable.Range(1, spatial).Select(i => output[i]).ToArray();
            var axes = Enumerable.Range(2, spatial).Select(a => (long)a).ToArray();
            return c.Op("Slice", new[] { pooled, Longs(c, new long[spatial]), Longs(c, ends), Longs(c, axes) });
        }

        /// <summary>
        /// Adaptive pooling to [oh, ow]: a global or a fixed average pool where the output size divides the input size,
        /// otherwise products with averaging matrices.
        /// </summary>
        [OnnxFunction("adaptive_avg_pool2d")]
        private static string AdaptiveAvgPool2d(OnnxLayerContext c)
        {
            var (oh, ow) = c.Node.Pair("output_size");
            if (oh == 1 && ow == 1) return c.Op("GlobalAveragePool", new[] { c.Input });
            long h = c.Node.Input[^2], w = c.Node.Input[^1];
            // Adaptive pooling is a fixed average pool exactly when the output size divides the input size: windows
            // of size/out at stride size/out.
            if (h % oh == 0 && w % ow == 0)
                return c.Op("AveragePool", new[] { c.Input }, Ints("kernel_shape", h / oh, w / ow), Ints("strides", h / oh, w / ow));
            // Otherwise its windows differ in size, which no ONNX pool expresses; the mean over each window is separable,
            // so it is two products with averaging matrices: over the width ([N, C, H, W] x [W, ow]), then over the
            // height ([oh, H] x [N, C, H, ow], broadcast).
            var rows = c.Op("MatMul", new[] { c.Input, c.Constant(AdaptiveAverage(w, ow), w, ow) });
            return c.Op("MatMul", new[] { c.Constant(Transpose(AdaptiveAverage(h, oh), h, oh), oh, h), rows });
        }

        /// <summary>
        /// The [length, output] matrix whose product with a row averages PyTorch's adaptive pooling windows: output i
        /// averages positions floor(i * length / output) to ceil((i + 1) * length / output) - 1.
        /// </summary>
        internal static float[] AdaptiveAverage(long length, long output)
        {
            var matrix = new float[length * output];
            for (long i = 0; i < output; i++)
            {
                long start = i * length / output, end = ((i + 1) * length + output - 1) / output;
                for (long j = start; j < end; j++) matrix[j * output + i] = 1f / (end - start);
            }
            return matrix;
        }

        private static float[] Transpose(float[] matrix, long rows, long columns)
        {
            var result = new float[matrix.Length];
            for (long r = 0; r < rows; r++)
                for (long k = 0; k < columns; k++) result[k * rows + r] = matrix[r * columns + k];
            return result;
        }

        /// <summary>
        /// A transposed convolution past its full output: ConvTranspose2d's rendering calls this where its output padding
        /// is above its padding on some axis (it writes any transposed convolution).
        /// </summary>
        [OnnxFunction("conv_transpose2d")]
        private static string ConvTranspose2d(OnnxLayerContext c)
        {
            var n = c.Node;
            var (kh, kw) = n.Pair("kernel_size");
            var (sh, sw) = n.Pair("stride");
            var (ph, pw) = n.Pair("padding");
            var (oh, ow) = n.Pair("output_padding");
            var (dh, dw) = n.Pair("dilation");
            // PyTorch's weight [in, out / groups, kH, kW] is ONNX ConvTranspose's layout. PyTorch allows an output padding
            // below the stride or the dilation, ONNX Runtime only below the stride; so it is written as what it does: the
            // end of the full transposed convolution is cropped by padding - output_padding instead of padding, and past
            // the full output (output_padding > padding) the extra rows and columns hold only the bias.
            long eh = Math.Max(oh - ph, 0), ew = Math.Max(ow - pw, 0);
            bool beyond = eh > 0 || ew > 0;
            var inputs = new List<string> { c.Input, c.Weight("weight") };
            if (n.Bool("bias") && !beyond) inputs.Add(c.Weight("bias"));
            var y = c.Op("ConvTranspose", inputs,
                Ints("kernel_shape", kh, kw), Ints("strides", sh, sw), Ints("pads", ph, pw, Math.Max(ph - oh, 0), Math.Max(pw - ow, 0)),
                Ints("dilations", dh, dw), Int("group", n.Int("groups")));
            if (!beyond) return y;
            y = c.Op("Pad", new[] { y, Longs(c, 0, 0, 0, 0, 0, 0, eh, ew) });
            return n.Bool("bias") ? c.Op("Add", new[] { y, c.Op("Reshape", new[] { c.Weight("bias"), Longs(c, -1, 1, 1) }) }) : y;
        }

        /// <summary>
        /// The <c>interpolate</c> step: <paramref name="input"/> resized bilinearly to the height and width of
        /// <paramref name="reference"/>, read at run time (Shape, Slice), batch and channels kept. half_pixel, not
        /// pytorch_half_pixel: PyTorch maps an output of length 1 to the input's centre as half_pixel does.
        /// </summary>
        internal static string ResizeTo(OnnxGraphBuilder graph, string input, string reference, string hint)
        {
            string Ints64(params long[] values) => graph.Add("Constant", hint + "_const", Array.Empty<string>(), Ints("value_ints", values));
            var batchChannels = graph.Add("Slice", hint + "_nc", new[] { graph.Add("Shape", hint + "_shape", new[] { input }), Ints64(0), Ints64(2) });
            var size = graph.Add("Slice", hint + "_hw", new[] { graph.Add("Shape", hint + "_size", new[] { reference }), Ints64(2), Ints64(4) });
            var sizes = graph.Add("Concat", hint + "_sizes", new[] { batchChannels, size }, Int("axis", 0));
            return graph.Add("Resize", hint + "_resize", new[] { input, "", "", sizes }, Text("mode", "linear"), Text("coordinate_transformation_mode", "half_pixel"));
        }
    }
}
