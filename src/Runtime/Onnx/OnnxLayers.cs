using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
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

        public OnnxExportException Unsupported(string reason) => new(Node.Path, Node.Module, reason);

        /// <summary>Records this layer's input as the token ids of the Embedding at its path.</summary>
        public void RecordEmbeddingInput() => _graph.EmbeddingInputs[Node.Path] = Input;

        /// <summary>The token ids the Embedding at <paramref name="path"/> read (exported before this layer).</summary>
        public string EmbeddingInput(string path) => _graph.EmbeddingInputs.TryGetValue(path, out var ids) ? ids
            : throw Unsupported($"it masks the padding of '{path}', which is not an Embedding exported before it");
    }

    /// <summary>
    /// How each leaf layer of the network graph (its <c>module</c>) becomes ONNX operators (opset
    /// <see cref="OnnxExporter.Opset"/>), in eval mode. A simple kind declares its rendering in its own file in the
    /// generator (one operator, attributes from its arguments), which the graph carries (<see cref="GraphNode.Rendering"/>)
    /// and <see cref="Generic"/> writes; the others have one entry in <see cref="Map"/> (docs/onnx.md). A mapping returns
    /// the name of the layer's output; returning its input means the layer is an identity at inference.
    /// </summary>
    internal static class OnnxLayers
    {
        /// <summary>The mapping of <paramref name="node"/>: its declared rendering, else its entry in <see cref="Map"/>.</summary>
        public static bool TryGet(GraphNode node, out Func<OnnxLayerContext, string> map)
        {
            if (node.Rendering is { } rendering)
            {
                map = c => Generic(c, rendering);
                return true;
            }
            return Map.TryGetValue(node.Module, out map!);
        }

        /// <summary>
        /// A declared rendering: one operator on the input, each attribute from the leaf's argument or a constant. A float
        /// attribute of 0 is written as 0, never left out and read back as the operator's default: onnx.proto gives every
        /// attribute value explicit presence, for every mapping at once.
        /// </summary>
        internal static string Generic(OnnxLayerContext c, LeafRendering rendering) =>
            c.Op(rendering.OnnxOperator, new[] { c.Input }, rendering.OnnxAttributes.Select(a =>
            {
                if (a.Arg is not null && !c.Node.HasArg(a.Arg))
                    throw c.Unsupported($"its ONNX attribute '{a.Name}' reads the argument '{a.Arg}', which the graph does not give it");
                return a.IsFloat ? Float(a.Name, a.Arg is null ? a.Constant : c.Node.Double(a.Arg))
                    : Int(a.Name, a.Arg is null ? (long)a.Constant : c.Node.Int(a.Arg));
            }).ToArray());

        public static readonly IReadOnlyDictionary<string, Func<OnnxLayerContext, string>> Map =
            new Dictionary<string, Func<OnnxLayerContext, string>>(StringComparer.Ordinal)
            {
                ["Conv2d"] = Conv2d,
                ["BatchNorm2d"] = BatchNorm2d,
                // Opset 17's LayerNormalization over the last axis, with the layer's scale and shift.
                ["LayerNorm"] = c => c.Op("LayerNormalization", new[] { c.Input, c.Weight("weight"), c.Weight("bias") },
                    Int("axis", -1), Float("epsilon", c.Node.Double("eps"))),
                // relu(clip(x, max 6)): Clip's min left out ("" is ONNX's name for an omitted optional input), the Relu is the lower bound.
                ["ReLU6"] = c => c.Op("Relu", new[] { c.Op("Clip", new[] { c.Input, "", Scalar(c, 6) }) }),
                ["SiLU"] = c => c.Op("Mul", new[] { c.Input, c.Op("Sigmoid", new[] { c.Input }) }),
                ["GELU"] = Gelu,
                ["Identity"] = c => c.Input,
                ["MaxPool2d"] = MaxPool2d,
                ["AvgPool2d"] = AvgPool2d,
                ["AdaptiveAvgPool2d"] = AdaptiveAvgPool2d,
                ["Linear"] = Linear,
                // Dropout does nothing in eval mode.
                ["Dropout"] = c => c.Input,
                ["Conv1d"] = OnnxSequenceLayers.Conv1d,
                ["BatchNorm1d"] = BatchNorm2d,
                ["GroupNorm"] = OnnxSequenceLayers.GroupNorm,
                ["MaxPool1d"] = OnnxSequenceLayers.MaxPool1d,
                ["AvgPool1d"] = OnnxSequenceLayers.AvgPool1d,
                ["AdaptiveAvgPool1d"] = OnnxSequenceLayers.AdaptiveAvgPool1d,
                ["Custom"] = OnnxSequenceLayers.Custom,
                ["ConvTranspose2d"] = ConvTranspose2d,
                ["Upsample"] = Upsample,
                // torchvision's Permute: the dims count the batch, as ONNX's perm does.
                ["Permute"] = c => c.Op("Transpose", new[] { c.Input }, Ints("perm", c.Node.Longs("dims"))),
                // torchvision's LayerNorm2d: channels-last, LayerNormalization over the last axis, back.
                ["LayerNorm2d"] = c => c.Op("Transpose", new[] { c.Op("LayerNormalization",
                    new[] { c.Op("Transpose", new[] { c.Input }, Ints("perm", 0, 2, 3, 1)), c.Weight("weight"), c.Weight("bias") },
                    Int("axis", -1), Float("epsilon", c.Node.Double("eps"))) }, Ints("perm", 0, 3, 1, 2)),
                // Stochastic depth is the identity in eval mode.
                ["StochasticDepth"] = c => c.Input,
                ["Tokens"] = OnnxTokenLayers.Tokens,
                ["SelectToken"] = OnnxTokenLayers.SelectToken,
                ["MultiheadSelfAttention"] = OnnxTokenLayers.MultiheadSelfAttention,
                ["LSTM"] = OnnxRecurrentLayers.Lstm,
                ["GRU"] = OnnxRecurrentLayers.Gru,
                ["Embedding"] = OnnxLanguageLayers.Embedding,
                ["PositionTable"] = OnnxLanguageLayers.PositionTable,
                ["FusedSelfAttention"] = OnnxLanguageLayers.FusedSelfAttention,
                ["TiedLinear"] = OnnxLanguageLayers.TiedLinear,
            };

        /// <summary>A constant int64 vector (Pad's pads, Reshape's shape).</summary>
        private static string Longs(OnnxLayerContext c, params long[] values) => c.Op("Constant", Array.Empty<string>(), Ints("value_ints", values));

        /// <summary>A float scalar constant (opset 17 has no Gelu, and Clip takes its bounds as inputs).</summary>
        private static string Scalar(OnnxLayerContext c, double value) => c.Op("Constant", Array.Empty<string>(), Float("value_float", value));

        /// <summary>The exact GELU, x * (1 + erf(x / sqrt 2)) / 2, as PyTorch's default.</summary>
        private static string Gelu(OnnxLayerContext c)
        {
            if (c.Node.HasArg("approximate")) return OnnxLanguageLayers.GeluTanh(c);
            var erf = c.Op("Erf", new[] { c.Op("Div", new[] { c.Input, Scalar(c, Math.Sqrt(2)) }) });
            var onePlus = c.Op("Add", new[] { erf, Scalar(c, 1) });
            return c.Op("Mul", new[] { c.Op("Mul", new[] { c.Input, onePlus }), Scalar(c, 0.5) });
        }

        private static string Conv2d(OnnxLayerContext c)
        {
            var n = c.Node;
            var (kh, kw) = n.Pair("kernel_size");
            var (sh, sw) = n.Pair("stride");
            var (ph, pw) = n.Pair("padding");
            var (dh, dw) = n.Pair("dilation");
            var inputs = new List<string> { c.Input, c.Weight("weight") };
            if (n.Bool("bias")) inputs.Add(c.Weight("bias"));
            return c.Op("Conv", inputs,
                Ints("kernel_shape", kh, kw), Ints("strides", sh, sw), Ints("pads", ph, pw, ph, pw),
                Ints("dilations", dh, dw), Int("group", n.Int("groups")));
        }

        private static string BatchNorm2d(OnnxLayerContext c) =>
            // Eval mode: normalise with the running statistics (training_mode 0, the default). ONNX's momentum weighs
            // the old statistic, PyTorch's the new one; it only matters in training and is written for completeness.
            c.Op("BatchNormalization",
                new[] { c.Input, c.Weight("weight"), c.Weight("bias"), c.Weight("running_mean"), c.Weight("running_var") },
                Float("epsilon", c.Node.Double("eps")), Float("momentum", 1 - c.Node.Double("momentum")));

        private static string MaxPool2d(OnnxLayerContext c)
        {
            var n = c.Node;
            var (kh, kw) = n.Pair("kernel_size");
            var (sh, sw) = n.Pair("stride");
            var (ph, pw) = n.Pair("padding");
            var (dh, dw) = n.Pair("dilation");
            return CeilWindows(c, c.Op("MaxPool", new[] { c.Input },
                Ints("kernel_shape", kh, kw), Ints("strides", sh, sw), Ints("pads", ph, pw, ph, pw),
                Ints("dilations", dh, dw), Int("ceil_mode", n.Bool("ceil_mode") ? 1 : 0)));
        }

        /// <summary>
        /// A pool with ceil_mode cut to the layer's output size. PyTorch leaves out a last window that would start in
        /// the end padding; ONNX Runtime's ceil mode keeps it, one value too many at the end of the axis, which the slice
        /// drops (where both agree it cuts nothing). Without ceil_mode nothing is added.
        /// </summary>
        internal static string CeilWindows(OnnxLayerContext c, string pooled)
        {
            if (!c.Node.Bool("ceil_mode")) return pooled;
            var output = c.Node.Output;
            int spatial = output.Count - 1;
            var ends = Enumerable.Range(1, spatial).Select(i => output[i]).ToArray();
            var axes = Enumerable.Range(2, spatial).Select(a => (long)a).ToArray();
            return c.Op("Slice", new[] { pooled, Longs(c, new long[spatial]), Longs(c, ends), Longs(c, axes) });
        }

        private static string AvgPool2d(OnnxLayerContext c)
        {
            var n = c.Node;
            var (kh, kw) = n.Pair("kernel_size");
            var (sh, sw) = n.Pair("stride");
            var (ph, pw) = n.Pair("padding");
            // PyTorch and TorchSharp count the zero padding in the divisor by default; ONNX does not unless asked.
            return CeilWindows(c, c.Op("AveragePool", new[] { c.Input },
                Ints("kernel_shape", kh, kw), Ints("strides", sh, sw), Ints("pads", ph, pw, ph, pw),
                Int("ceil_mode", n.Bool("ceil_mode") ? 1 : 0), Int("count_include_pad", 1)));
        }

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

        private static string Linear(OnnxLayerContext c)
        {
            // On tokens [N, L, F] or channels-last [N, H, W, C]: MatMul with the transposed weight, which broadcasts (Gemm takes matrices only).
            if (c.Node.Input.Count > 1) return OnnxTokenLayers.Linear(c, c.Input, "weight", c.Node.Bool("hasBias") ? "bias" : null);
            // TorchSharp stores the weight as [out, in]: Y = X W^T + b, which is Gemm with transB.
            var inputs = new List<string> { c.Input, c.Weight("weight") };
            if (c.Node.Bool("hasBias")) inputs.Add(c.Weight("bias"));
            return c.Op("Gemm", inputs, Int("transB", 1));
        }
    

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
        /// Resize with constant scales [1, 1, s, s]: output floor(n * s) as PyTorch. Nearest is PyTorch's legacy nearest
        /// (source index floor(i / s): asymmetric, floor); bilinear maps centres (pytorch_half_pixel) or corners.
        /// </summary>
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

        private static string Upsample(OnnxLayerContext c)
        {
            var n = c.Node;
            double scale = n.Double("scale_factor");
            string mode = n.Text("mode");
            var scales = new AttributeProto { Name = "value_floats", Type = AttributeProto.Types.AttributeType.Floats };
            scales.Floats.AddRange(new[] { 1f, 1f, (float)scale, (float)scale });
            var scalesValue = c.Op("Constant", Array.Empty<string>(), scales);
            var inputs = new[] { c.Input, "", scalesValue };
            return mode switch
            {
                "nearest" => c.Op("Resize", inputs, Text("mode", "nearest"), Text("coordinate_transformation_mode", "asymmetric"), Text("nearest_mode", "floor")),
                // half_pixel, not pytorch_half_pixel: with the scale given (not sizes), PyTorch maps every output index,
                // one of an axis of length 1 included, to (i + 0.5) / scale - 0.5, clamped at 0 as ONNX Runtime clamps.
                "bilinear" => c.Op("Resize", inputs, Text("mode", "linear"),
                    Text("coordinate_transformation_mode", n.Bool("align_corners") ? "align_corners" : "half_pixel")),
                _ => throw c.Unsupported($"upsampling mode '{mode}' has no ONNX mapping (known: nearest, bilinear)."),
            };
        }

        private static AttributeProto Text(string name, string value) =>
            new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
    }
}
