using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Onnx
{
    /// <summary>
    /// Runs an ONNX model with ONNX Runtime on the CPU. It is a TorchSharp module (images in, logits out), so it takes
    /// the same tensors as the trained network and goes wherever a model does (<c>Trainer.Evaluate</c>); for callers
    /// without TorchSharp tensors, <see cref="Predict(float[], int)"/> takes and returns plain arrays.
    /// </summary>
    /// <remarks>
    /// It has no parameters: <c>train()</c>/<c>eval()</c> change nothing, the exported model is always in eval mode.
    /// </remarks>
    public sealed class OnnxPredictor : nn.Module<Tensor, Tensor>
    {
        private readonly InferenceSession _session;
        private readonly string _inputName;
        private readonly string _outputName;
        private readonly RunOptions _run = new();

        /// <summary>Loads the ONNX model file <paramref name="modelPath"/>.</summary>
        /// <param name="modelPath">An ONNX model with one float32 input [batch, ...] and one float32 output.</param>
        /// <param name="threads">Threads for one call (ONNX Runtime's intra-op threads); 0 = one per core.</param>
        public OnnxPredictor(string modelPath, int threads = 0)
            : this(new InferenceSession(modelPath, SessionOptionsFor(threads)), modelPath)
        {
        }

        /// <summary>Loads a serialised ONNX model (<see cref="OnnxExporter.ToOnnx(IDeclaredNetwork)"/>).</summary>
        /// <param name="model">The model's bytes.</param>
        /// <param name="threads">Threads for one call (ONNX Runtime's intra-op threads); 0 = one per core.</param>
        public OnnxPredictor(byte[] model, int threads = 0)
            : this(new InferenceSession(model, SessionOptionsFor(threads)), "ONNX model")
        {
        }

        private OnnxPredictor(InferenceSession session, string name) : base(nameof(OnnxPredictor))
        {
            _session = session;
            OutputNames = session.OutputMetadata.Keys.ToArray();
            // Several outputs (a network with [Output]s): the exporter names the main one in the model's metadata.
            string? main = OutputNames.Count == 1 ? OutputNames[0]
                : session.ModelMetadata.CustomMetadataMap.TryGetValue(OnnxExporter.MainOutputKey, out var m) && OutputNames.Contains(m) ? m : null;
            if (session.InputMetadata.Count != 1 || main is null)
            {
                session.Dispose();
                throw new ArgumentException($"{name} has {session.InputMetadata.Count} inputs and {OutputNames.Count} outputs" +
                    (session.InputMetadata.Count == 1 ? $" ({string.Join(", ", OutputNames)}) and no '{OnnxExporter.MainOutputKey}' metadata naming the one to return" : "") +
                    "; the predictor runs models with one input and one output, or several outputs of which the metadata names the main one (as Dsl's exporter writes).");
            }
            var (inputName, input) = session.InputMetadata.Single();
            _inputName = inputName;
            _outputName = main;
            InputShape = input.Dimensions.Skip(1).Select(d => (long)d).ToArray();
            TakesTokens = input.ElementDataType == TensorElementType.Int64;
        }

        /// <summary>The model's outputs, by name, in the model's order (one, or a network's declared outputs as in evaluation mode).</summary>
        public IReadOnlyList<string> OutputNames { get; }

        /// <summary>The output <see cref="forward"/> returns: the only one, or the network's main output.</summary>
        public string MainOutput => _outputName;

        /// <summary>Whether the model takes token ids (an int64 input, a language model's) rather than float32 values.</summary>
        public bool TakesTokens { get; }

        /// <summary>ONNX Runtime settings for fast CPU inference: all graph optimisations (Conv+BatchNorm+ReLU fusion,
        /// constant folding, layout changes) and <paramref name="threads"/> intra-op threads (0 = one per core).</summary>
        public static SessionOptions SessionOptionsFor(int threads = 0) => new()
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads > 0 ? threads : Environment.ProcessorCount,
            // A single branch of operators: parallelism is inside each operator, none between them.
            InterOpNumThreads = 1,
        };

        /// <summary>Exports <paramref name="network"/> with its current weights and loads it (no file is written).</summary>
        public static OnnxPredictor For(IDeclaredNetwork network, int threads = 0) => new(network.ToOnnx(), threads);

        /// <summary>The shape of one input sample (batch excluded), e.g. [1, 96, 96]; -1 for a free dimension.</summary>
        public long[] InputShape { get; }

        /// <summary>Logits [N, ...] for images [N, ...<see cref="InputShape"/>] (any device and float type; run on the CPU in float32).</summary>
        /// <exception cref="ArgumentException">The images do not have the model's input shape.</exception>
        public override Tensor forward(Tensor input) => Run(input, new[] { _outputName })[0];

        /// <summary>
        /// Every output of the model for <paramref name="input"/>, by name in the model's order (<see cref="OutputNames"/>):
        /// all of a network's outputs in evaluation mode, where <see cref="forward"/> returns the main one.
        /// </summary>
        /// <exception cref="ArgumentException">The input does not have the model's input shape.</exception>
        public IReadOnlyDictionary<string, Tensor> Outputs(Tensor input)
        {
            var tensors = Run(input, OutputNames.ToArray());
            return OutputNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => tensors[p.i], StringComparer.Ordinal);
        }

        /// <summary>The outputs <paramref name="names"/> for images, or token ids [N, L] (int64 into ONNX Runtime), on <paramref name="input"/>'s device.</summary>
        private Tensor[] Run(Tensor input, string[] names)
        {
            CheckShape(input.shape);
            using var scope = torch.NewDisposeScope();
            var x = TakesTokens ? input.detach().to_type(ScalarType.Int64, copy: true).cpu().contiguous() : input.detach().to_type(ScalarType.Float32).cpu().contiguous();
            // One copy of the input into ONNX Runtime's buffer (a few microseconds next to the network).
            using var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TakesTokens ? TensorElementType.Int64 : TensorElementType.Float, x.shape);
            x.bytes.CopyTo(TakesTokens ? MemoryMarshal.AsBytes(value.GetTensorMutableDataAsSpan<long>()) : MemoryMarshal.AsBytes(value.GetTensorMutableDataAsSpan<float>()));
            using var results = _session.Run(_run, new[] { _inputName }, new[] { value }, names);
            var outputs = new Tensor[names.Length];
            for (int i = 0; i < names.Length; i++)
            {
                var output = torch.empty(results[i].GetTensorTypeAndShape().Shape, ScalarType.Float32);
                MemoryMarshal.AsBytes(results[i].GetTensorDataAsSpan<float>()).CopyTo(output.bytes);
                outputs[i] = output.to(input.device).MoveToOuterDisposeScope();
            }
            return outputs;
        }

        /// <summary>Outputs for <paramref name="batch"/> images stored one after another (row-major [batch, ...<see cref="InputShape"/>]).</summary>
        /// <returns>The outputs, row-major: [batch, classes] for a classifier.</returns>
        /// <exception cref="ArgumentException">The array's length is not <paramref name="batch"/> times the size of one image.</exception>
        public float[] Predict(float[] images, int batch)
        {
            long perImage = InputShape.Aggregate(1L, (a, d) => a * d);
            if (batch < 1 || perImage <= 0 || images.LongLength != batch * perImage)
                throw new ArgumentException($"Expected {batch} image(s) of shape {Shape.Format(InputShape)} ({batch} x {perImage} = {batch * perImage} values); got {images.LongLength} values.", nameof(images));
            long[] shape = new[] { (long)batch }.Concat(InputShape).ToArray();
            using var value = OrtValue.CreateTensorValueFromMemory(images, shape);
            using var results = _session.Run(_run, new[] { _inputName }, new[] { value }, new[] { _outputName });
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }

        private void CheckShape(long[] shape)
        {
            bool fits = shape.Length == InputShape.Length + 1 && shape.Skip(1).Zip(InputShape, (a, e) => e < 0 || a == e).All(ok => ok);
            if (!fits)
                throw new ArgumentException($"The ONNX model takes input [N, {string.Join(", ", InputShape)}]; got {Shape.Format(shape)}.");
        }

        /// <inheritdoc/>
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _session.Dispose();
                _run.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
