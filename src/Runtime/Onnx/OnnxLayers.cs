using System;
using System.Collections.Generic;
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

        public OnnxExportException Unsupported(string reason) => new(Node.Path, Node.Module, reason);
    }

    /// <summary>
    /// How each leaf layer of the network graph (its <c>module</c>) becomes ONNX operators (opset
    /// <see cref="OnnxExporter.Opset"/>), in eval mode. One entry per layer kind: a new kind of the graph format only
    /// adds an entry here (docs/onnx.md). A mapping returns the name of the layer's output; returning its input
    /// means the layer is an identity at inference.
    /// </summary>
    internal static class OnnxLayers
    {
        public static readonly IReadOnlyDictionary<string, Func<OnnxLayerContext, string>> Map =
            new Dictionary<string, Func<OnnxLayerContext, string>>(StringComparer.Ordinal)
            {
                ["Conv2d"] = Conv2d,
                ["BatchNorm2d"] = BatchNorm2d,
                // Opset 17's LayerNormalization over the last axis, with the layer's scale and shift.
                ["LayerNorm"] = c => c.Op("LayerNormalization", new[] { c.Input, c.Weight("weight"), c.Weight("bias") },
                    Int("axis", -1), Float("epsilon", c.Node.Double("eps"))),
                ["ReLU"] = c => c.Op("Relu", new[] { c.Input }),
                ["Sigmoid"] = c => c.Op("Sigmoid", new[] { c.Input }),
                ["Tanh"] = c => c.Op("Tanh", new[] { c.Input }),
                // relu(clip(x, max 6)): the ONNX file leaves out a float attribute of 0 (proto3), so no constant 0 is written;
                // "" is ONNX's name for an omitted optional input (Clip's min).
                ["ReLU6"] = c => c.Op("Relu", new[] { c.Op("Clip", new[] { c.Input, "", Scalar(c, 6) }) }),
                ["SiLU"] = c => c.Op("Mul", new[] { c.Input, c.Op("Sigmoid", new[] { c.Input }) }),
                ["GELU"] = Gelu,
                ["Hardswish"] = c => c.Op("HardSwish", new[] { c.Input }),
                // PyTorch's hardsigmoid is relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1).
                ["Hardsigmoid"] = c => c.Op("HardSigmoid", new[] { c.Input }, Float("alpha", 1.0 / 6), Float("beta", 0.5)),
                ["LeakyReLU"] = c => c.Op("LeakyRelu", new[] { c.Input }, Float("alpha", c.Node.Double("negative_slope"))),
                ["Identity"] = c => c.Input,
                ["MaxPool2d"] = MaxPool2d,
                ["AvgPool2d"] = AvgPool2d,
                ["AdaptiveAvgPool2d"] = AdaptiveAvgPool2d,
                // TorchSharp's Flatten keeps the batch and flattens the rest (start_dim 1): ONNX Flatten with axis 1.
                ["Flatten"] = c => c.Op("Flatten", new[] { c.Input }, Int("axis", 1)),
                ["Linear"] = Linear,
                // Dropout does nothing in eval mode.
                ["Dropout"] = c => c.Input,
                ["Conv1d"] = OnnxSequenceLayers.Conv1d,
                ["BatchNorm1d"] = BatchNorm2d,
                ["GroupNorm"] = OnnxSequenceLayers.GroupNorm,
                // ONNX's Softmax (opset 13 on) normalises along one axis, as PyTorch's; the graph's dim counts the batch too.
                ["Softmax"] = c => c.Op("Softmax", new[] { c.Input }, Int("axis", c.Node.Int("dim"))),
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
            };

        /// <summary>A float scalar constant (opset 17 has no Gelu, and Clip takes its bounds as inputs).</summary>
        private static string Scalar(OnnxLayerContext c, double value) => c.Op("Constant", Array.Empty<string>(), Float("value_float", value));

        /// <summary>The exact GELU, x * (1 + erf(x / sqrt 2)) / 2, as PyTorch's default.</summary>
        private static string Gelu(OnnxLayerContext c)
        {
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
            return c.Op("MaxPool", new[] { c.Input },
                Ints("kernel_shape", kh, kw), Ints("strides", sh, sw), Ints("pads", ph, pw, ph, pw),
                Ints("dilations", dh, dw), Int("ceil_mode", n.Bool("ceil_mode") ? 1 : 0));
        }

        private static string AvgPool2d(OnnxLayerContext c)
        {
            var n = c.Node;
            var (kh, kw) = n.Pair("kernel_size");
            var (sh, sw) = n.Pair("stride");
            var (ph, pw) = n.Pair("padding");
            // PyTorch and TorchSharp count the zero padding in the divisor by default; ONNX does not unless asked.
            return c.Op("AveragePool", new[] { c.Input },
                Ints("kernel_shape", kh, kw), Ints("strides", sh, sw), Ints("pads", ph, pw, ph, pw),
                Int("ceil_mode", n.Bool("ceil_mode") ? 1 : 0), Int("count_include_pad", 1));
        }

        private static string AdaptiveAvgPool2d(OnnxLayerContext c)
        {
            var (oh, ow) = c.Node.Pair("output_size");
            if (oh == 1 && ow == 1) return c.Op("GlobalAveragePool", new[] { c.Input });
            long h = c.Node.Input[^2], w = c.Node.Input[^1];
            // Adaptive pooling is a fixed average pool exactly when the output size divides the input size: windows
            // of size/out at stride size/out. Otherwise its windows overlap unevenly, which no ONNX pool expresses.
            if (h % oh != 0 || w % ow != 0)
                throw c.Unsupported($"adaptive average pooling from {h}x{w} to {oh}x{ow} has windows of unequal size, which no ONNX operator expresses; " +
                                    "it can be exported only when the output size divides the input size (or is 1).");
            return c.Op("AveragePool", new[] { c.Input },
                Ints("kernel_shape", h / oh, w / ow), Ints("strides", h / oh, w / ow));
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
            // PyTorch's weight [in, out / groups, kH, kW] is ONNX ConvTranspose's layout.
            var inputs = new List<string> { c.Input, c.Weight("weight") };
            if (n.Bool("bias")) inputs.Add(c.Weight("bias"));
            return c.Op("ConvTranspose", inputs,
                Ints("kernel_shape", kh, kw), Ints("strides", sh, sw), Ints("pads", ph, pw, ph, pw),
                Ints("output_padding", oh, ow), Ints("dilations", dh, dw), Int("group", n.Int("groups")));
        }

        /// <summary>
        /// Resize with constant scales [1, 1, s, s]: output floor(n * s) as PyTorch. Nearest is PyTorch's legacy nearest
        /// (source index floor(i / s): asymmetric, floor); bilinear maps centres (pytorch_half_pixel) or corners.
        /// </summary>
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
                "bilinear" => c.Op("Resize", inputs, Text("mode", "linear"),
                    Text("coordinate_transformation_mode", n.Bool("align_corners") ? "align_corners" : "pytorch_half_pixel")),
                _ => throw c.Unsupported($"upsampling mode '{mode}' has no ONNX mapping (known: nearest, bilinear)."),
            };
        }

        private static AttributeProto Text(string name, string value) =>
            new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
    }
}
