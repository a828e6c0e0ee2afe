using Dsl.Runtime.Graph;
using Dsl.Runtime.Onnx.Proto;
using Dsl.Runtime.Training;
using Google.Protobuf;
using static TorchSharp.torch;

namespace Dsl.Runtime.Onnx
{
    /// <summary>
    /// Writes a generated network as an ONNX model, from its compile-time graph (<see cref="NetworkInfo.Graph"/>) and
    /// the module's current weights: no tracing, no Python. The model computes the network's eval-mode forward
    /// (BatchNorm with running statistics, no dropout) for any batch size. See docs/onnx.md.
    /// </summary>
    public static class OnnxExporter
    {
        /// <summary>The ONNX operator set the models use.</summary>
        /// <remarks>17 is the newest opset that Debian 12's onnx 1.12 (its checker) knows; every operator used exists there unchanged.</remarks>
        public const int Opset = 17;

        /// <summary>The IR version that goes with <see cref="Opset"/> (ONNX 1.12).</summary>
        public const int IrVersion = 8;

        /// <summary>Name of the model's input: images [batch, channels, height, width], float32.</summary>
        public const string InputName = "input";

        /// <summary>Name of the model's output: [batch, ..the network's output shape], float32.</summary>
        public const string OutputName = "output";

        /// <summary>
        /// The metadata entry naming the main output of a model with declared outputs (<c>[Output]</c>): the one the
        /// network's <c>forward</c> returns, which <see cref="OnnxPredictor"/> returns and evaluation scores.
        /// </summary>
        public const string MainOutputKey = "main_output";

        /// <summary>Name of the free batch dimension of the input and output.</summary>
        public const string BatchDimension = "batch";

        /// <summary>Writes <paramref name="network"/> with its current weights to <paramref name="path"/> as an ONNX model.</summary>
        /// <exception cref="OnnxExportException">A layer has no ONNX equivalent; the message names its path and kind.</exception>
        /// <exception cref="OutputWriteException">The file could not be written (an earlier file at the path is left as it was).</exception>
        public static void ExportOnnx(this IDeclaredNetwork network, string path)
        {
            byte[] model = network.ToOnnx();
            AtomicFile.Write(path, s => s.Write(model));
        }

        /// <summary>The ONNX model of <paramref name="network"/> with its current weights, serialised.</summary>
        /// <exception cref="OnnxExportException">A layer has no ONNX equivalent; the message names its path and kind.</exception>
        public static byte[] ToOnnx(this IDeclaredNetwork network)
        {
            var module = network as nn.Module
                ?? throw new ArgumentException($"{network.GetType().Name} implements IDeclaredNetwork but is not a TorchSharp module; export needs its weights.", nameof(network));
            var state = module.state_dict();
            return ToOnnx(NetworkGraph.Of(network), state);
        }

        /// <summary>The ONNX model of <paramref name="graph"/> with the weights <paramref name="stateDict"/> (keyed as the module's state_dict).</summary>
        /// <exception cref="OnnxExportException">A layer has no ONNX equivalent; the message names its path and kind.</exception>
        /// <exception cref="ArgumentException">The weights do not match the graph (missing or unused entries).</exception>
        public static byte[] ToOnnx(NetworkGraph graph, IReadOnlyDictionary<string, Tensor> stateDict) =>
            Build(graph, stateDict).ToByteArray();

        internal static ModelProto Build(NetworkGraph graph, IReadOnlyDictionary<string, Tensor> stateDict)
        {
            var root = graph.Root;
            // Several inputs or declared outputs: the model's inputs and outputs are named as the network's (an auxiliary
            // output is left out: the model computes the eval-mode forward, where it does not exist).
            bool severalInputs = graph.Inputs.Count > 1;
            var inputNames = severalInputs ? graph.Inputs.Select(i => i.Name).ToArray() : new[] { InputName };
            var outputs = graph.HasOutputs ? graph.Outputs.Where(o => !o.Auxiliary).ToArray() : Array.Empty<GraphOutput>();
            var outputNames = graph.HasOutputs ? outputs.Select(o => o.Name).ToArray() : new[] { OutputName };
            var builder = new OnnxGraphBuilder(stateDict, inputNames.Concat(outputNames));
            var walker = new GraphWalker(builder);
            var seeds = severalInputs
                ? graph.Inputs.ToDictionary(i => i.Var, i => new Value(i.Name), StringComparer.Ordinal)
                : new Dictionary<string, Value>(StringComparer.Ordinal) { [root.InputVar ?? InputName] = new Value(InputName) };
            var values = walker.Forward(root, seeds);
            if (!graph.HasOutputs) builder.RenameOutput(Result(root, values).Name, OutputName);
            // Each output through an Identity of its name: two outputs may be one value, or an input.
            else foreach (var o in outputs) builder.AddNamed("Identity", o.Name, new[] { Result(root, values, o.Var).Name });

            // Every weight must be in the graph: an unused one means the module and its graph disagree, and the model
            // would silently compute something else. num_batches_tracked only counts training steps (see docs/onnx.md).
            // The layers only auxiliary outputs call are not in the eval-mode model.
            var trainingOnly = root.Body.Where(s => s.Training && s.Module is not null).Select(s => s.Module + ".").ToArray();
            var unused = stateDict.Keys.Where(k => !IsTrainingCounter(k) && !trainingOnly.Any(p => k.StartsWith(p, StringComparison.Ordinal))).Except(builder.UsedKeys).ToArray();
            if (unused.Length > 0)
                throw new ArgumentException($"The weights of {graph.Name} include {string.Join(", ", unused.Take(5))}{(unused.Length > 5 ? ", ..." : "")}, which its graph does not use: the module does not match the graph.");

            var onnxGraph = new GraphProto { Name = graph.Name };
            onnxGraph.Node.AddRange(builder.Nodes);
            onnxGraph.Initializer.AddRange(builder.Initializers);
            if (graph.IsTokens)
            {
                // Token ids: int64 [batch, L]; the sequence length is free (up to the declared one) when the network allows it.
                onnxGraph.Input.Add(TensorValue(InputName, root.Input, TensorProto.Types.DataType.Int64, graph.AnySize));
                onnxGraph.Output.Add(TensorValue(OutputName, root.Output, TensorProto.Types.DataType.Float, graph.AnySize && root.Output.Count > 1));
            }
            else
            {
                if (severalInputs) foreach (var i in graph.Inputs) onnxGraph.Input.Add(TensorValue(i.Name, i.Shape));
                else onnxGraph.Input.Add(TensorValue(InputName, root.Input));
                if (graph.HasOutputs) foreach (var o in outputs) onnxGraph.Output.Add(TensorValue(o.Name, o.Shape));
                else onnxGraph.Output.Add(TensorValue(OutputName, root.Output));
            }

            var model = new ModelProto
            {
                IrVersion = IrVersion,
                ProducerName = "Dsl",
                ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
                DocString = $"{graph.Name}, exported from its compile-time network graph (eval mode).",
                Graph = onnxGraph,
            };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
            model.MetadataProps.Add(new StringStringEntryProto { Key = "network", Value = graph.Name });
            // With several outputs, which one is the network's forward (what a predictor scores): the root's result.
            if (outputs.FirstOrDefault(o => o.Var == root.Result) is { } main)
                model.MetadataProps.Add(new StringStringEntryProto { Key = MainOutputKey, Value = main.Name });
            return model;
        }

        /// <summary>The value the root's forward returns as <paramref name="var"/> (default: its result).</summary>
        private static Value Result(GraphNode root, IReadOnlyDictionary<string, Value> values, string? var = null) =>
            values.TryGetValue(var ?? root.Result ?? "", out var v) ? v
                : throw new OnnxExportException(root.Path, root.Module, $"the network returns '{var ?? root.Result}', which no step wrote.");

        /// <summary>Whether the state_dict entry is BatchNorm's step counter, which inference never reads.</summary>
        internal static bool IsTrainingCounter(string key) => key == "num_batches_tracked" || key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

        /// <summary>The symbolic name of a token network's sequence dimension.</summary>
        public const string SequenceDimension = "sequence";

        /// <summary>A float32 tensor [batch, ..perSample].</summary>
        private static ValueInfoProto TensorValue(string name, IReadOnlyList<long> perSample) =>
            TensorValue(name, perSample, TensorProto.Types.DataType.Float, freeSequence: false);

        /// <summary>A tensor [batch, ..perSample] of <paramref name="type"/>; with <paramref name="freeSequence"/> the first per-sample dimension is symbolic (<see cref="SequenceDimension"/>).</summary>
        private static ValueInfoProto TensorValue(string name, IReadOnlyList<long> perSample, TensorProto.Types.DataType type, bool freeSequence)
        {
            var shape = new TensorShapeProto();
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
            for (int i = 0; i < perSample.Count; i++)
                shape.Dim.Add(freeSequence && i == 0 ? new TensorShapeProto.Types.Dimension { DimParam = SequenceDimension } : new TensorShapeProto.Types.Dimension { DimValue = perSample[i] });
            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
            };
        }

        /// <summary>
        /// A tensor of the eager forward, identified by object: names in a block body that refer to the same tensor share
        /// one <see cref="Value"/>. An in-place operation (<c>relu_</c>, <c>add_</c>, <c>ReLU(inplace: true)</c>) gives the
        /// tensor a new ONNX name, which every alias then sees, exactly as in TorchSharp.
        /// </summary>
        private sealed class Value
        {
            public Value(string name) => Name = name;

            /// <summary>The ONNX value holding the tensor's current contents.</summary>
            public string Name { get; set; }
        }

        /// <summary>Walks the network graph: sequentials in order, blocks step by step, leaves through <see cref="OnnxLayers.TryGet"/>.</summary>
        private sealed class GraphWalker
        {
            private readonly OnnxGraphBuilder _graph;

            public GraphWalker(OnnxGraphBuilder graph) => _graph = graph;

            public Value Emit(GraphNode node, Value input) => node.Form switch
            {
                NodeForm.Leaf => Leaf(node, input),
                NodeForm.Sequential => node.Children.Aggregate(input, (x, child) => Emit(child, x)),
                NodeForm.Block => Block(node, input),
                _ => throw new OnnxExportException(node.Path, node.Module, $"the graph gives it form '{node.Form}'."),
            };

            private Value Leaf(GraphNode node, Value input)
            {
                if (!OnnxLayers.TryGet(node, out var map))
                    throw new OnnxExportException(node.Path, node.Module,
                        $"no ONNX mapping for layer kind '{node.Module}'. The network graph declares no ONNX rendering for it: " +
                        "a kind declares its rendering in its own file in the generator (onnx: where it adds the leaf); docs/onnx.md describes how.");
                string output = map(new OnnxLayerContext(node, input.Name, _graph));
                if (output == input.Name) return input;             // an identity at inference: the same tensor
                if (node.HasArg("inplace") && node.Bool("inplace"))  // the layer overwrites its input
                {
                    input.Name = output;
                    return input;
                }
                return new Value(output);
            }

            private Value Block(GraphNode node, Value input)
            {
                if (node.InputVar is null || node.Result is null)
                    throw new OnnxExportException(node.Path, node.Module, "the graph gives this block no body (its forward).");
                var values = Forward(node, new Dictionary<string, Value>(StringComparer.Ordinal) { [node.InputVar] = input });
                return values.TryGetValue(node.Result, out var result) ? result
                    : throw new OnnxExportException(node.Path, node.Module, $"the block returns '{node.Result}', which no step wrote.");
            }

            /// <summary>
            /// The block's forward from the values it starts with (its input; a network's inputs), every value it writes by
            /// name. Steps only auxiliary outputs need are training-mode steps: the model is the eval-mode forward.
            /// </summary>
            public Dictionary<string, Value> Forward(GraphNode node, Dictionary<string, Value> values)
            {
                Value Read(GraphStep step, int i) =>
                    step.In.Count > i && values.TryGetValue(step.In[i], out var v) ? v
                        : throw new OnnxExportException(node.Path, node.Module, $"step '{GraphOps.Name(step.Op)}' reads '{(step.In.Count > i ? step.In[i] : "?")}', which no earlier step wrote.");
                GraphNode Child(GraphStep step) =>
                    node.Child(step.Module ?? "") ?? throw new OnnxExportException(node.Path, node.Module, $"step '{GraphOps.Name(step.Op)}' calls '{step.Module}', which is not a child of the block.");
                string Hint(string what) => node.Path.Length == 0 ? what : node.Path + "." + what;

                foreach (var step in node.Body.Where(s => !s.Training))
                {
                    switch (step.Op)
                    {
                        case GraphOp.Call:
                            values[step.Out] = Emit(Child(step), Read(step, 0));
                            break;
                        case GraphOp.OptionalCall:
                            // The child exists when the block's flag was set for this use; otherwise the step passes in[1] on.
                            values[step.Out] = node.Child(step.Module ?? "") is { } child ? Emit(child, Read(step, 0)) : Read(step, 1);
                            break;
                        case GraphOp.Relu:
                        {
                            var x = Read(step, 0);
                            x.Name = _graph.Add("Relu", Hint(step.Out + "_relu"), new[] { x.Name });
                            values[step.Out] = x;
                            break;
                        }
                        case GraphOp.Add:
                        {
                            var (a, b) = (Read(step, 0), Read(step, 1));
                            string sum = _graph.Add("Add", Hint(step.Out + "_add"), new[] { a.Name, b.Name });
                            // y.add_(identity) overwrites y (every holder of it sees the sum); out = x + y leaves x alone.
                            if (step.Out == step.In[0]) a.Name = sum;
                            values[step.Out] = step.Out == step.In[0] ? a : new Value(sum);
                            break;
                        }
                        case GraphOp.Multiply:
                        {
                            var (a, b) = (Read(step, 0), Read(step, 1));
                            values[step.Out] = new Value(_graph.Add("Mul", Hint(step.Out + "_mul"), new[] { a.Name, b.Name }));
                            break;
                        }
                        case GraphOp.Concat:
                        {
                            var inputs = step.In.Select((_, i) => Read(step, i).Name).ToArray();
                            values[step.Out] = new Value(_graph.Add("Concat", Hint(step.Out + "_concat"), inputs, OnnxAttribute.Int("axis", 1)));
                            break;
                        }
                        case GraphOp.ParamAdd:
                        case GraphOp.ParamPrepend:
                        case GraphOp.ParamMul:
                            values[step.Out] = new Value(OnnxTokenLayers.ParamStep(_graph, node, step, Read(step, 0).Name, Hint(step.Out)));
                            break;
                        case GraphOp.Interpolate:
                            values[step.Out] = new Value(OnnxLayers.ResizeTo(_graph, Read(step, 0).Name, Read(step, 1).Name, Hint(step.Out)));
                            break;
                        default:
                            throw new OnnxExportException(node.Path, node.Module, $"its forward uses step '{GraphOps.Name(step.Op)}', which the exporter does not know (known: {string.Join(", ", GraphOps.Names)}).");
                    }
                }
                return values;
            }
        }
    }
}
