using System.Runtime.InteropServices;
using Dsl.Runtime.Data;
using Dsl.Runtime.Graph;
using Dsl.Runtime.Onnx.Proto;
using Dsl.Runtime.Training;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace Dsl.Runtime.Onnx
{
    /// <summary>How <see cref="OnnxQuantizer"/> calibrates and quantizes.</summary>
    public sealed record QuantizationOptions
    {
        /// <summary>Samples of the calibration data whose activations set the ranges (a seeded random choice; all when fewer).</summary>
        public int CalibrationSamples { get; init; } = 512;

        /// <summary>Samples per calibration batch.</summary>
        public int BatchSize { get; init; } = 32;

        /// <summary>Seed of the choice of calibration samples.</summary>
        public long Seed { get; init; } = 42;

        /// <summary>Workers reading the calibration samples (0 = one per core).</summary>
        public int Workers { get; init; }
    }

    /// <summary>
    /// Writes a network as a statically quantized int8 ONNX model in QDQ form (QuantizeLinear/DequantizeLinear pairs),
    /// which ONNX Runtime fuses into its integer kernels (QLinearConv, QGemm, QLinearAdd, ...). docs/onnx.md, "int8".
    /// </summary>
    /// <remarks>
    /// The float model is the exporter's (<see cref="OnnxExporter"/>), with every BatchNormalization that follows a Conv
    /// folded into its weights first. Then:
    /// <list type="bullet">
    /// <item>weights of Conv, Gemm and MatMul: int8, symmetric (zero point 0, range ±127), one scale per output channel;</item>
    /// <item>biases: int32 with scale input scale x weight scale, as the integer kernels accumulate;</item>
    /// <item>activations (the inputs and outputs of Conv, Gemm, MatMul, Add, Concat and the pools): uint8, asymmetric, one
    /// scale per tensor, from the minimum and maximum the tensor takes on the calibration samples (min-max calibration,
    /// the range widened to include 0 so that 0 is exact);</item>
    /// <item>a ReLU after a Conv, Gemm, MatMul or Add whose output it alone reads is removed: its output's range starts at 0,
    /// so the uint8 quantization (zero point 0) clamps the negative values exactly as the ReLU did;</item>
    /// <item>MaxPool's output keeps its input's quantization, so it runs on uint8 directly.</item>
    /// </list>
    /// </remarks>
    public static class OnnxQuantizer
    {
        /// <summary>The int8 QDQ model of <paramref name="network"/> with its current weights, activation ranges calibrated on <paramref name="calibration"/>.</summary>
        /// <param name="network">A generated network (a TorchSharp module).</param>
        /// <param name="calibration">Samples as the network takes them after <paramref name="transform"/> (a training or validation set); targets are not read.</param>
        /// <param name="transform">The batch transform the network is evaluated with (resize, normalisation); none when null.</param>
        /// <param name="options">How many samples, batch size, seed.</param>
        /// <exception cref="OnnxExportException">A layer has no ONNX equivalent.</exception>
        /// <exception cref="ArgumentException">The calibration data is empty.</exception>
        public static byte[] ToOnnxInt8(this IDeclaredNetwork network, Dataset calibration, ImageTransform? transform = null, QuantizationOptions? options = null)
        {
            var module = network as nn.Module
                ?? throw new ArgumentException($"{network.GetType().Name} implements IDeclaredNetwork but is not a TorchSharp module; export needs its weights.", nameof(network));
            var model = OnnxExporter.Build(NetworkGraph.Of(network), module.state_dict());
            return Quantize(model, Batches(calibration, transform, options ?? new QuantizationOptions())).ToByteArray();
        }

        /// <summary>Writes <see cref="ToOnnxInt8"/>'s model to <paramref name="path"/>.</summary>
        /// <returns>The model written, e.g. to load in an <see cref="OnnxPredictor"/> and measure its accuracy.</returns>
        /// <exception cref="OutputWriteException">The file could not be written (an earlier file at the path is left as it was).</exception>
        public static byte[] ExportOnnxInt8(this IDeclaredNetwork network, string path, Dataset calibration, ImageTransform? transform = null, QuantizationOptions? options = null)
        {
            byte[] model = network.ToOnnxInt8(calibration, transform, options);
            AtomicFile.Write(path, s => s.Write(model));
            return model;
        }

        /// <summary>The calibration batches: a seeded random choice of samples, transformed as for evaluation, on the CPU in float32.</summary>
        private static IEnumerable<Tensor> Batches(Dataset data, ImageTransform? transform, QuantizationOptions options)
        {
            if (data.Count == 0) throw new ArgumentException($"The calibration data {data.Name} is empty; int8 quantization needs samples to measure activation ranges.", nameof(data));
            if (options.CalibrationSamples < 1 || options.BatchSize < 1)
                throw new ArgumentException($"CalibrationSamples and BatchSize must be at least 1; got {options.CalibrationSamples} and {options.BatchSize}.", nameof(options));
            var chosen = BatchLoader.Order(options.Seed, 1, data.Count).Take(options.CalibrationSamples).ToArray();
            var loader = new BatchLoader(data.Subset(chosen, data.Name + " (calibration)"), options.BatchSize, shuffle: false, transform: transform, workers: options.Workers);
            foreach (var batch in loader.Epoch(1))
            {
                using (batch)
                    yield return batch.X.detach().to_type(ScalarType.Float32, copy: true).cpu().contiguous();
            }
        }

        /// <summary>The QDQ int8 form of <paramref name="floatModel"/> (left unchanged), calibrated on <paramref name="batches"/> (inputs [N, ...]; disposed here).</summary>
        internal static ModelProto Quantize(ModelProto floatModel, IEnumerable<Tensor> batches)
        {
            var model = floatModel.Clone();
            var g = model.Graph;
            FoldBatchNorms(g);
            RemoveUnusedInitializers(g);
            var removed = RemovableRelus(g);
            var quantized = g.Node.Where(n => !removed.Contains(n) && IsQuantizable(g, n)).ToList();

            // The activation tensors that get a QuantizeLinear/DequantizeLinear pair: every input and output of a quantized
            // node, named as in the float model (a removed ReLU's output is then its producer's).
            var inits = g.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            var tensors = new List<string>();
            foreach (var node in quantized)
            {
                var inputs = IsWeighted(node) ? new[] { node.Input[0] } : node.Input.ToArray();
                foreach (var name in inputs.Concat(new[] { FinalOutput(node, removed) }))
                    if (!inits.Contains(name) && !tensors.Contains(name)) tensors.Add(name);
            }
            var ranges = Calibrate(g, tensors, batches);

            // Remove the ReLUs the quantization replaces: the producer writes the ReLU's output.
            foreach (var relu in removed)
            {
                var producer = g.Node.Single(n => n.Output.Contains(relu.Input[0]));
                producer.Output[producer.Output.IndexOf(relu.Input[0])] = relu.Output[0];
                g.Node.Remove(relu);
            }

            var parameters = new Dictionary<string, (float Scale, byte Zero)>(StringComparer.Ordinal);
            (float Scale, byte Zero) Params(string tensor)
            {
                if (parameters.TryGetValue(tensor, out var p)) return p;
                // MaxPool selects values: its output keeps its input's quantization, so ONNX Runtime runs it on uint8.
                var producer = g.Node.FirstOrDefault(n => n.Output.Contains(tensor));
                p = producer is { OpType: "MaxPool" } && tensors.Contains(producer.Input[0])
                    ? Params(producer.Input[0])
                    : ActivationParams(ranges[tensor].Min, ranges[tensor].Max);
                return parameters[tensor] = p;
            }

            var nodes = new List<NodeProto>();
            var newInits = new List<TensorProto>();
            string input = g.Input[0].Name;
            var rename = new Dictionary<string, string>(StringComparer.Ordinal);
            if (tensors.Contains(input))
            {
                rename[input] = input + "_dequantized";
                nodes.AddRange(QuantizePair(input, input + "_dequantized", Params(input), newInits));
            }
            var initByName = g.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
            foreach (var node in g.Node)
            {
                string first = node.Input.Count > 0 ? node.Input[0] : "";
                for (int i = 0; i < node.Input.Count; i++)
                    if (rename.TryGetValue(node.Input[i], out var r)) node.Input[i] = r;
                if (IsWeighted(node) && quantized.Contains(node))
                    nodes.AddRange(QuantizeWeights(node, Params(first).Scale, initByName, newInits));
                nodes.Add(node);
                for (int o = 0; o < node.Output.Count; o++)
                {
                    string t = node.Output[o];
                    if (!tensors.Contains(t)) continue;
                    node.Output[o] = t + "_float";
                    nodes.AddRange(QuantizePair(t + "_float", t, Params(t), newInits));
                }
            }
            g.Node.Clear();
            g.Node.AddRange(nodes);
            g.Initializer.AddRange(newInits);
            RemoveUnusedInitializers(g);

            model.DocString += " Quantized to int8 (QDQ: per-channel symmetric int8 weights, uint8 activations, min-max calibration).";
            model.MetadataProps.Add(new StringStringEntryProto { Key = "quantization", Value = "int8 QDQ, per-channel int8 weights, uint8 activations, min-max calibration" });
            return model;
        }

        /// <summary>Drops the initializers no node reads (the float weights replaced by folded or int8 ones).</summary>
        private static void RemoveUnusedInitializers(GraphProto g)
        {
            var used = g.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
            foreach (var unused in g.Initializer.Where(i => !used.Contains(i.Name)).ToList()) g.Initializer.Remove(unused);
        }

        /// <summary>Conv, Gemm and MatMul with their weights (and biases) in initializers: the nodes whose weights become int8.</summary>
        private static bool IsWeighted(NodeProto n) => n.OpType is "Conv" or "Gemm" or "MatMul";

        private static bool IsQuantizable(GraphProto g, NodeProto n)
        {
            bool Init(int i) => n.Input.Count > i && g.Initializer.Any(t => t.Name == n.Input[i]);
            bool Activation(string name) => name.Length > 0 && g.Initializer.All(t => t.Name != name) && !g.Node.Any(p => p.OpType == "Constant" && p.Output.Contains(name));
            switch (n.OpType)
            {
                case "Conv":
                    return Init(1) && (n.Input.Count < 3 || Init(2));
                case "Gemm":
                    // The exporter's Gemm: Y = X W^T (+ b), alpha = beta = 1, b per output column.
                    return Attr(n, "transA", 0) == 0 && Attr(n, "transB", 0) == 1 && !n.Attribute.Any(a => a.Name is "alpha" or "beta")
                           && Init(1) && (n.Input.Count < 3 || Init(2) && g.Initializer.First(t => t.Name == n.Input[2]).Dims.Count == 1);
                case "MatMul":
                    return Init(1) && g.Initializer.First(t => t.Name == n.Input[1]).Dims.Count == 2;
                case "Add" or "Concat" or "MaxPool" or "AveragePool" or "GlobalAveragePool":
                    // Not the int64 sizes an interpolate step concatenates for its Resize.
                    return n.Input.All(Activation) && !n.Input.Any(i => IsShapeValue(g, i));
                default:
                    return false;
            }
        }

        /// <summary>Whether <paramref name="name"/> is a tensor's sizes (int64): a Shape's output, or a Slice or Concat of one.</summary>
        private static bool IsShapeValue(GraphProto g, string name)
        {
            var producer = g.Node.FirstOrDefault(p => p.Output.Contains(name));
            return producer is not null && (producer.OpType == "Shape"
                || (producer.OpType is "Slice" or "Concat" && producer.Input.Count > 0 && IsShapeValue(g, producer.Input[0])));
        }

        /// <summary>The ReLUs whose input only they read, written by a node that is quantized and whose output range then starts at 0.</summary>
        private static HashSet<NodeProto> RemovableRelus(GraphProto g)
        {
            var outputs = g.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            var result = new HashSet<NodeProto>();
            foreach (var relu in g.Node.Where(n => n.OpType == "Relu"))
            {
                string x = relu.Input[0];
                var producer = g.Node.FirstOrDefault(n => n.Output.Contains(x));
                if (producer is null || producer.OpType is not ("Conv" or "Gemm" or "MatMul" or "Add") || !IsQuantizable(g, producer)) continue;
                if (outputs.Contains(x) || g.Node.Count(n => n.Input.Contains(x)) != 1) continue;
                result.Add(relu);
            }
            return result;
        }

        /// <summary>The tensor <paramref name="node"/>'s result ends up in: its output, or the output of the ReLU removed after it.</summary>
        private static string FinalOutput(NodeProto node, HashSet<NodeProto> removed) =>
            removed.FirstOrDefault(r => r.Input[0] == node.Output[0])?.Output[0] ?? node.Output[0];

        /// <summary>
        /// Folds each BatchNormalization that alone reads a Conv's output into that Conv: w' = w * g / sqrt(v + eps),
        /// b' = (b - m) * g / sqrt(v + eps) + beta, per output channel (the inference-time identity ONNX Runtime applies to
        /// float models too). Quantizing the folded weights is what lets the integer kernel compute both.
        /// </summary>
        private static void FoldBatchNorms(GraphProto g)
        {
            var inits = g.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
            var outputs = g.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var bn in g.Node.Where(n => n.OpType == "BatchNormalization").ToList())
            {
                string x = bn.Input[0];
                var conv = g.Node.FirstOrDefault(n => n.Output.Contains(x));
                if (conv is not { OpType: "Conv" } || outputs.Contains(x) || g.Node.Count(n => n.Input.Contains(x)) != 1) continue;
                if (!inits.ContainsKey(conv.Input[1]) || conv.Input.Count > 2 && !inits.ContainsKey(conv.Input[2])) continue;
                if (bn.Input.Skip(1).Any(i => !inits.ContainsKey(i)) || bn.Output.Count != 1) continue;
                double eps = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5;
                var weight = inits[conv.Input[1]];
                float[] w = Floats(weight);
                int channels = (int)weight.Dims[0];
                int per = w.Length / channels;
                float[] b = conv.Input.Count > 2 ? Floats(inits[conv.Input[2]]) : new float[channels];
                float[] gamma = Floats(inits[bn.Input[1]]), beta = Floats(inits[bn.Input[2]]), mean = Floats(inits[bn.Input[3]]), variance = Floats(inits[bn.Input[4]]);
                for (int c = 0; c < channels; c++)
                {
                    double k = gamma[c] / Math.Sqrt(variance[c] + eps);
                    for (int j = 0; j < per; j++) w[c * per + j] = (float)(w[c * per + j] * k);
                    b[c] = (float)((b[c] - mean[c]) * k + beta[c]);
                }
                var folded = FloatTensor(bn.Output[0] + "_folded_weight", weight.Dims, w);
                var bias = FloatTensor(bn.Output[0] + "_folded_bias", new long[] { channels }, b);
                g.Initializer.Add(folded);
                g.Initializer.Add(bias);
                inits[folded.Name] = folded;
                inits[bias.Name] = bias;
                conv.Input[1] = folded.Name;
                if (conv.Input.Count > 2) conv.Input[2] = bias.Name;
                else conv.Input.Add(bias.Name);
                conv.Output[0] = bn.Output[0];
                g.Node.Remove(bn);
            }
        }

        /// <summary>Runs the float model on <paramref name="batches"/> and returns each tensor's minimum and maximum.</summary>
        private static Dictionary<string, (float Min, float Max)> Calibrate(GraphProto g, IReadOnlyList<string> tensors, IEnumerable<Tensor> batches)
        {
            var probe = new ModelProto { IrVersion = OnnxExporter.IrVersion, Graph = g.Clone() };
            probe.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxExporter.Opset });
            string input = g.Input[0].Name;
            var existing = probe.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var t in tensors.Where(t => t != input && !existing.Contains(t)))
                probe.Graph.Output.Add(new ValueInfoProto { Name = t, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });

            var ranges = tensors.ToDictionary(t => t, _ => (Min: float.PositiveInfinity, Max: float.NegativeInfinity), StringComparer.Ordinal);
            // Basic optimisations only: they keep every requested output, and the float kernels are the same.
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC, IntraOpNumThreads = Environment.ProcessorCount };
            using var session = new InferenceSession(probe.ToByteArray(), options);
            var names = tensors.Where(t => t != input).ToArray();
            int count = 0;
            foreach (var x in batches)
            {
                using (x)
                {
                    float[] data = x.data<float>().ToArray();
                    count += (int)x.shape[0];
                    Widen(ranges, input, data);
                    using var value = OrtValue.CreateTensorValueFromMemory(data, x.shape);
                    using var results = session.Run(new RunOptions(), new[] { input }, new[] { value }, names);
                    for (int i = 0; i < names.Length; i++) Widen(ranges, names[i], results[i].GetTensorDataAsSpan<float>());
                }
            }
            if (count == 0) throw new ArgumentException("The calibration data gave no batch; int8 quantization needs samples to measure activation ranges.");
            return ranges;
        }

        private static void Widen(Dictionary<string, (float Min, float Max)> ranges, string name, ReadOnlySpan<float> values)
        {
            if (!ranges.TryGetValue(name, out var r)) return;
            float lo = r.Min, hi = r.Max;
            foreach (float v in values)
            {
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
            ranges[name] = (lo, hi);
        }

        /// <summary>uint8 scale and zero point for values in [min, max]: the range widened to include 0 (so 0, padding and ReLU's floor, is exact).</summary>
        internal static (float Scale, byte Zero) ActivationParams(float min, float max)
        {
            double lo = Math.Min(0, min), hi = Math.Max(0, max);
            if (!(hi - lo > 1e-12)) return (1f, 0);
            double scale = (hi - lo) / 255;
            return ((float)scale, (byte)Math.Clamp(Math.Round(-lo / scale), 0, 255));
        }

        /// <summary>QuantizeLinear(<paramref name="from"/>) then DequantizeLinear into <paramref name="to"/>, with per-tensor uint8 parameters.</summary>
        private static IEnumerable<NodeProto> QuantizePair(string from, string to, (float Scale, byte Zero) p, List<TensorProto> inits)
        {
            string scale = to + "_scale", zero = to + "_zero_point", q = to + "_quantized";
            inits.Add(FloatTensor(scale, Array.Empty<long>(), new[] { p.Scale }));
            inits.Add(new TensorProto { Name = zero, DataType = (int)TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom(p.Zero) });
            yield return Node("QuantizeLinear", to + "_QuantizeLinear", new[] { from, scale, zero }, q);
            yield return Node("DequantizeLinear", to + "_DequantizeLinear", new[] { q, scale, zero }, to);
        }

        /// <summary>
        /// Replaces the weight (and bias) inputs of <paramref name="node"/> by DequantizeLinear of int8 per-channel weights
        /// (and int32 biases with scale input scale x weight scale); returns the DequantizeLinear nodes.
        /// </summary>
        private static IEnumerable<NodeProto> QuantizeWeights(NodeProto node, float inputScale, Dictionary<string, TensorProto> inits, List<TensorProto> added)
        {
            var weight = inits[node.Input[1]];
            float[] w = Floats(weight);
            // Output channels: axis 0 of Conv's [out, in, kh, kw] and of Gemm's transposed [out, in]; axis 1 of MatMul's [in, out].
            int axis = node.OpType == "MatMul" ? 1 : 0;
            int channels = (int)weight.Dims[axis];
            Func<int, int> channelOf = axis == 0 ? i => i / (w.Length / channels) : i => i % channels;
            var amax = new float[channels];
            for (int i = 0; i < w.Length; i++) amax[channelOf(i)] = Math.Max(amax[channelOf(i)], Math.Abs(w[i]));
            var scales = amax.Select(a => a > 0 ? a / 127f : 1f).ToArray();
            var q = new sbyte[w.Length];
            for (int i = 0; i < w.Length; i++) q[i] = (sbyte)Math.Clamp(Math.Round(w[i] / scales[channelOf(i)]), -127, 127);

            string name = node.Input[1];
            added.Add(new TensorProto { Name = name + "_quantized", DataType = (int)TensorProto.Types.DataType.Int8, Dims = { weight.Dims }, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(q.AsSpan())) });
            added.Add(FloatTensor(name + "_scale", new long[] { channels }, scales));
            added.Add(new TensorProto { Name = name + "_zero_point", DataType = (int)TensorProto.Types.DataType.Int8, Dims = { channels }, RawData = ByteString.CopyFrom(new byte[channels]) });
            yield return Node("DequantizeLinear", name + "_DequantizeLinear", new[] { name + "_quantized", name + "_scale", name + "_zero_point" }, name + "_dequantized", OnnxAttribute.Int("axis", axis));
            node.Input[1] = name + "_dequantized";

            if (node.Input.Count < 3) yield break;
            string biasName = node.Input[2];
            float[] b = Floats(inits[biasName]);
            var biasScales = scales.Select(s => inputScale * s).ToArray();
            var qb = b.Select((v, c) => (int)Math.Clamp(Math.Round(v / biasScales[c]), int.MinValue + 1, int.MaxValue)).ToArray();
            added.Add(new TensorProto { Name = biasName + "_quantized", DataType = (int)TensorProto.Types.DataType.Int32, Dims = { channels }, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(qb.AsSpan())) });
            added.Add(FloatTensor(biasName + "_scale", new long[] { channels }, biasScales));
            added.Add(new TensorProto { Name = biasName + "_zero_point", DataType = (int)TensorProto.Types.DataType.Int32, Dims = { channels }, RawData = ByteString.CopyFrom(new byte[4 * channels]) });
            yield return Node("DequantizeLinear", biasName + "_DequantizeLinear", new[] { biasName + "_quantized", biasName + "_scale", biasName + "_zero_point" }, biasName + "_dequantized", OnnxAttribute.Int("axis", 0));
            node.Input[2] = biasName + "_dequantized";
        }

        private static NodeProto Node(string op, string name, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var n = new NodeProto { OpType = op, Name = name };
            n.Input.AddRange(inputs);
            n.Output.Add(output);
            n.Attribute.AddRange(attributes);
            return n;
        }

        private static long Attr(NodeProto n, string name, long fallback) => n.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? fallback;

        private static float[] Floats(TensorProto t)
        {
            if (t.DataType != (int)TensorProto.Types.DataType.Float) throw new InvalidOperationException($"Initializer {t.Name} is not float32.");
            return t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();
        }

        private static TensorProto FloatTensor(string name, IEnumerable<long> dims, float[] values)
        {
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
            t.Dims.AddRange(dims);
            return t;
        }
    }
}
