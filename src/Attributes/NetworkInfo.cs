using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Dsl
{
    /// <summary>Compile-time facts about one layer of a generated network (generated code creates them).</summary>
    public sealed class LayerInfo(string name, string type, int depth, Shape outputShape, long parameters, long multiplyAdds)
    {
        /// <summary>Dotted module path, the same as the state_dict prefix: <c>stage2.0.conv1</c>.</summary>
        public string Name { get; } = name;

        /// <summary>The layer type: <c>Conv2d</c>, <c>ResidualBlock</c>, <c>ResidualStage</c>...</summary>
        public string Type { get; } = type;

        /// <summary>Nesting depth: 0 for the parts declared by attributes on the network class.</summary>
        public int Depth { get; } = depth;

        /// <summary>Output shape of one sample (batch excluded).</summary>
        public Shape OutputShape { get; } = outputShape;

        /// <summary>Trainable parameters of this layer, including its children.</summary>
        public long Parameters { get; } = parameters;

        /// <summary>Multiply-accumulate operations of convolutions and linear layers for one sample, including children.</summary>
        public long MultiplyAdds { get; } = multiplyAdds;

        /// <inheritdoc/>
        public override string ToString() => $"{Name} ({Type}) {OutputShape}";
    }

    /// <summary>Compile-time facts about a generated network: shapes, parameters and multiply-adds of every layer.</summary>
    public sealed class NetworkInfo
    {
        /// <summary>Creates the record (generated code calls this).</summary>
        public NetworkInfo(string name, Shape inputShape, IReadOnlyList<LayerInfo> layers)
            : this(name, inputShape, layers, null)
        {
        }

        /// <summary>Creates the record with the network graph (generated code calls this).</summary>
        public NetworkInfo(string name, Shape inputShape, IReadOnlyList<LayerInfo> layers, string? graph)
            : this(name, inputShape, layers, graph, 0)
        {
        }

        /// <summary>
        /// Creates the record of a network that holds learned tensors itself, besides its layers' (ViT's class token):
        /// <paramref name="ownParameters"/> counts them (generated code calls this).
        /// </summary>
        public NetworkInfo(string name, Shape inputShape, IReadOnlyList<LayerInfo> layers, string? graph, long ownParameters)
            : this(name, inputShape, layers, graph, ownParameters, null)
        {
        }

        /// <summary>Creates the record with what a training step saves for the backward pass (generated code calls this).</summary>
        public NetworkInfo(string name, Shape inputShape, IReadOnlyList<LayerInfo> layers, string? graph, long ownParameters, SavedActivations? saved)
            : this(name, inputShape, layers, graph, ownParameters, saved, null, null)
        {
        }

        /// <summary>
        /// Creates the record of a network with several inputs or declared outputs, or whose forward ends with a step after
        /// its last layer (generated code calls this): null <paramref name="inputs"/> means the one input of
        /// <paramref name="inputShape"/>, null <paramref name="outputs"/> one output; a non-null <paramref name="outputShape"/>
        /// is the network's output when it is not the last layer's (an <c>[Interpolate]</c> to the input's size).
        /// </summary>
        public NetworkInfo(string name, Shape inputShape, IReadOnlyList<LayerInfo> layers, string? graph, long ownParameters, SavedActivations? saved,
            IReadOnlyList<InputInfo>? inputs, IReadOnlyList<OutputInfo>? outputs, Shape? outputShape = null)
        {
            Inputs = inputs ?? new[] { new InputInfo("input", inputShape) };
            Outputs = outputs ?? Array.Empty<OutputInfo>();
            Saved = saved;
            OwnParameters = ownParameters;
            Graph = graph;
            Name = name;
            InputShape = inputShape;
            Layers = layers;
            TopLevel = layers.Where(l => l.Depth == 0).ToArray();
            OutputShape = outputShape ?? Outputs.FirstOrDefault(o => o.Main)?.Shape ?? (TopLevel.Count > 0 ? TopLevel[TopLevel.Count - 1].OutputShape : inputShape);
            TotalParameters = TopLevel.Sum(l => l.Parameters) + ownParameters;
            TotalMultiplyAdds = TopLevel.Sum(l => l.MultiplyAdds);
        }

        /// <summary>What a training step saves for the backward pass, counted at compile time; null for a network generated without it.</summary>
        public SavedActivations? Saved { get; }

        /// <summary>
        /// The memory of one training step at batch <paramref name="batch"/>: parameters, gradients and optimizer state
        /// (float32) and the activations saved for backward in <paramref name="precision"/>. See <see cref="Dsl.MemoryPlan"/>.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The batch is below 1.</exception>
        /// <exception cref="InvalidOperationException">The network was generated without the saved-tensor counts.</exception>
        public MemoryPlan MemoryPlan(long batch, Precision precision = Precision.Float32, OptimizerMemory optimizer = OptimizerMemory.SgdMomentum)
        {
            if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch must be at least 1.");
            var saved = Saved ?? throw new InvalidOperationException($"{Name} was generated without its saved-tensor counts; rebuild it with this version of the Dsl generator.");
            long parameters = checked(TotalParameters * 4);
            long state = optimizer switch { OptimizerMemory.Sgd => 0, OptimizerMemory.SgdMomentum => parameters, _ => 2 * parameters };
            return new MemoryPlan(batch, precision, optimizer, parameters, parameters, state, saved.Bytes(batch, precision));
        }

        /// <summary>The largest batch whose <see cref="MemoryPlan"/> total fits in <paramref name="bytes"/>; 0 when not even one sample fits.</summary>
        public long LargestBatch(long bytes, Precision precision = Precision.Float32, OptimizerMemory optimizer = OptimizerMemory.SgdMomentum)
        {
            // The total grows linearly in the batch: fixed bytes plus bytes per sample.
            long perSample = MemoryPlan(2, precision, optimizer).Total - MemoryPlan(1, precision, optimizer).Total;
            long fixedBytes = MemoryPlan(1, precision, optimizer).Total - perSample;
            if (bytes < fixedBytes + perSample) return 0;
            return perSample <= 0 ? long.MaxValue : (bytes - fixedBytes) / perSample;
        }

        /// <summary>The inputs in the forward's order (one, named <c>input</c>, unless the network declares several).</summary>
        public IReadOnlyList<InputInfo> Inputs { get; }

        /// <summary>The declared outputs, the main one among them (<see cref="OutputAttribute"/>); empty: one output, the forward's result.</summary>
        public IReadOnlyList<OutputInfo> Outputs { get; }

        /// <summary>The network's class name.</summary>
        public string Name { get; }

        /// <summary>
        /// The network graph the generator built, as JSON (modules with their constructor arguments, shapes and
        /// every block's forward as steps; format in docs/graph-format.md). Exporters (ONNX, PyTorch) read it.
        /// </summary>
        public string? Graph { get; }

        /// <summary>Declared input shape (channels, height, width), batch excluded.</summary>
        public Shape InputShape { get; }

        /// <summary>Output shape of one sample.</summary>
        public Shape OutputShape { get; }

        /// <summary>Every layer, depth-first, parents before children.</summary>
        public IReadOnlyList<LayerInfo> Layers { get; }

        /// <summary>The parts declared on the network class, in order.</summary>
        public IReadOnlyList<LayerInfo> TopLevel { get; }

        /// <summary>Parameters of the network's own learned tensors, not in any layer (ViT's class token); usually 0.</summary>
        public long OwnParameters { get; }

        /// <summary>Total trainable parameters.</summary>
        public long TotalParameters { get; }

        /// <summary>Total multiply-accumulate operations for one sample.</summary>
        public long TotalMultiplyAdds { get; }

        /// <summary>The layer with the given dotted name.</summary>
        /// <exception cref="KeyNotFoundException">No layer has that name.</exception>
        public LayerInfo this[string name] =>
            Layers.FirstOrDefault(l => l.Name == name)
            ?? throw new KeyNotFoundException($"{Name} has no layer named '{name}'. Layers: {string.Join(", ", TopLevel.Select(l => l.Name))}.");

        /// <summary>
        /// One line per top-level part with its output shape, like D2L's <c>layer_summary</c>:
        /// <c>stage1   ResidualStage   output shape: [1, 64, 24, 24]</c>.
        /// </summary>
        public string LayerSummary(long batch = 1)
        {
            int nameWidth = Math.Max(4, TopLevel.Select(l => l.Name.Length).DefaultIfEmpty(0).Max());
            int typeWidth = Math.Max(4, TopLevel.Select(l => l.Type.Length).DefaultIfEmpty(0).Max());
            var sb = new StringBuilder();
            foreach (var layer in TopLevel)
            {
                sb.Append(layer.Name.PadRight(nameWidth)).Append("  ")
                  .Append(layer.Type.PadRight(typeWidth)).Append("  output shape: ")
                  .Append(layer.OutputShape.ToString(batch)).Append('\n');
            }
            return sb.ToString();
        }

        /// <summary>A torchinfo-style table of every layer (name, type, output shape, parameters) ending with the totals.</summary>
        public string Table(long batch = 1)
        {
            var rows = new List<string[]> { new[] { "Layer (type)", "Output Shape", "Param #" } };
            foreach (var layer in Layers)
            {
                string indent = new string(' ', 2 * layer.Depth);
                rows.Add(new[]
                {
                    $"{indent}{layer.Name} ({layer.Type})",
                    layer.OutputShape.ToString(batch),
                    layer.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                });
            }
            int[] widths = Enumerable.Range(0, 3).Select(c => rows.Max(r => r[c].Length)).ToArray();
            int total = widths.Sum() + 4;
            var sb = new StringBuilder();
            string rule = new string('=', total);
            sb.Append(rule).Append('\n');
            for (int i = 0; i < rows.Count; i++)
            {
                var r = rows[i];
                sb.Append(r[0].PadRight(widths[0])).Append("  ")
                  .Append(r[1].PadRight(widths[1])).Append("  ")
                  .Append(r[2].PadLeft(widths[2])).Append('\n');
                if (i == 0) sb.Append(rule).Append('\n');
            }
            sb.Append(rule).Append('\n');
            if (Inputs.Count > 1)
                foreach (var input in Inputs) sb.Append("Input ").Append(input.Name).Append(": ").Append(input.Shape.ToString(batch)).Append('\n');
            else sb.Append("Input shape: ").Append(InputShape.ToString(batch)).Append('\n');
            foreach (var output in Outputs)
            {
                sb.Append("Output ").Append(output.Name).Append(": ").Append(output.Shape.ToString(batch));
                if (output.Main) sb.Append(" (main)");
                if (output.Auxiliary) sb.Append(" (training only)");
                if (!output.Main && output.LossWeight != 0) sb.Append(" (loss weight ").Append(output.LossWeight.ToString(CultureInfo.InvariantCulture)).Append(')');
                sb.Append('\n');
            }
            sb.Append("Total params: ").Append(TotalParameters.ToString("N0", CultureInfo.InvariantCulture)).Append('\n');
            sb.Append("Total mult-adds (M): ").Append((batch * TotalMultiplyAdds / 1e6).ToString("F2", CultureInfo.InvariantCulture)).Append('\n');
            sb.Append(rule).Append('\n');
            return sb.ToString();
        }

        /// <summary>The layer summary followed by the table.</summary>
        public string Summary(long batch = 1) => LayerSummary(batch) + "\n" + Table(batch) + MemorySummary(batch);

        /// <summary>
        /// The training memory plan at <paramref name="batch"/> (float32 and bf16 activations, SGD with momentum and Adam);
        /// empty for a network generated without the saved-tensor counts.
        /// </summary>
        public string MemorySummary(long batch = 1)
        {
            if (Saved is null || batch < 1) return "";
            var sb = new StringBuilder();
            var f32 = MemoryPlan(batch, Precision.Float32);
            var bf16 = MemoryPlan(batch, Precision.BFloat16);
            string F(long b) => Dsl.MemoryPlan.Format(b);
            sb.Append("Training memory, batch ").Append(batch.ToString(CultureInfo.InvariantCulture)).Append(" (computed at compile time):\n");
            sb.Append("  parameters ").Append(F(f32.ParameterBytes)).Append(", gradients ").Append(F(f32.GradientBytes))
              .Append(", optimizer state ").Append(F(f32.OptimizerStateBytes)).Append(" (SGD momentum; Adam ")
              .Append(F(MemoryPlan(batch, Precision.Float32, OptimizerMemory.Adam).OptimizerStateBytes)).Append(")\n");
            sb.Append("  activations saved for backward: ").Append(F(f32.ActivationBytes)).Append(" float32, ").Append(F(bf16.ActivationBytes)).Append(" bf16\n");
            sb.Append("  total (SGD momentum): ").Append(F(f32.Total)).Append(" float32, ").Append(F(bf16.Total)).Append(" bf16\n");
            return sb.ToString();
        }
    }

    /// <summary>Thrown by a generated network's <c>forward</c> when the input tensor has the wrong shape.</summary>
    /// <param name="network">The network that rejected the input.</param>
    /// <param name="expected">The declared shape of one sample.</param>
    /// <param name="actual">The shape of the tensor that was passed, batch included.</param>
    /// <param name="anySize">Whether the network accepts any spatial size (the channels must match).</param>
    public sealed class InputShapeException(string network, Shape expected, long[] actual, bool anySize)
        : ArgumentException(BuildMessage(network, expected, actual, anySize))
    {
        /// <summary>Creates the exception for a network that accepts one input size.</summary>
        public InputShapeException(string network, Shape expected, long[] actual)
            : this(network, expected, actual, anySize: false)
        {
        }

        /// <summary>The network that rejected the input.</summary>
        public string Network { get; } = network;

        /// <summary>The declared shape of one sample: (channels, height, width), (channels, length) or (features).</summary>
        public Shape Expected { get; } = expected;

        /// <summary>Whether the network accepts any spatial size (only the rank and the channels were checked).</summary>
        public bool AnySize { get; } = anySize;

        /// <summary>The shape of the tensor that was passed, batch included.</summary>
        public long[] Actual { get; } = actual;

        /// <summary>Builds the message: which network, expected and actual shapes, and a hint.</summary>
        public static string BuildMessage(string network, Shape expected, long[] actual) => BuildMessage(network, expected, actual, anySize: false);

        /// <summary>
        /// Builds the message; with <paramref name="anySize"/> the network accepts any spatial size (it pools globally
        /// before any size-dependent layer, or resizes its outputs to the input's size) and only the rank and the channels
        /// must match.
        /// </summary>
        public static string BuildMessage(string network, Shape expected, long[] actual, bool anySize)
        {
            var dims = expected.ToArray();
            string expectedText = anySize && dims.Length > 1
                ? "[N, " + dims[0] + ", " + string.Join(", ", DimNames(dims.Length).Skip(1)) + "] (any " + string.Join(" and ", DimNames(dims.Length).Skip(1)) + ")"
                : "[N, " + string.Join(", ", dims) + "]";
            string hint = actual.Length != expected.Rank + 1
                ? $"pass a {expected.Rank + 1}-D batch (batch, {string.Join(", ", DimNames(expected.Rank))}); add a batch dimension with unsqueeze(0) for a single sample"
                : anySize ? $"pass {dims[0]} channels, or change the [Input] declaration"
                : "resize or reshape the input, or change the [Input] declaration";
            return $"{network} expects input of shape {expectedText} but got {Shape.Format(actual)}: {hint}.";
        }

        private static string[] DimNames(int rank) => rank switch
        {
            3 => new[] { "channels", "height", "width" },
            2 => new[] { "channels", "length" },
            _ => Enumerable.Repeat("features", rank).ToArray(),
        };
    }

    /// <summary>Checks used by generated <c>forward</c> methods.</summary>
    public static class Guard
    {
        /// <summary>Throws <see cref="InputShapeException"/> unless <paramref name="actual"/> is (N, ...expected).</summary>
        public static void InputShape(string network, Shape expected, long[] actual)
        {
            bool ok = actual.Length == expected.Rank + 1;
            for (int i = 0; ok && i < expected.Rank; i++) ok = actual[i + 1] == expected[i];
            if (!ok) throw new InputShapeException(network, expected, actual);
        }

        /// <summary>
        /// With <paramref name="anySize"/> (the generator found a global pooling before any layer that depends on the
        /// spatial size, as in torchvision's ResNets), checks only the rank and the channels: the height and width, or
        /// the length, may differ from the declared ones, which are those checked at compile time. Otherwise as
        /// <see cref="InputShape(string, Shape, long[])"/>.
        /// </summary>
        public static void InputShape(string network, Shape expected, long[] actual, bool anySize)
        {
            if (!anySize)
            {
                InputShape(network, expected, actual);
                return;
            }
            bool ok = actual.Length == expected.Rank + 1 && expected.Rank > 0 && actual[1] == expected[0];
            for (int i = 1; ok && i < expected.Rank; i++) ok = actual[i + 1] >= 1;
            if (!ok) throw new InputShapeException(network, expected, actual, anySize: true);
        }

        /// <summary>
        /// Throws <see cref="InvalidOperationException"/> unless the hand-written module <paramref name="layer"/> of
        /// <paramref name="network"/> returned (N, ...declared): its declared contract ([Custom]) is what the layers after
        /// it were checked against at compile time.
        /// </summary>
        public static void LayerOutput(string network, string layer, Shape declared, long[] actual)
        {
            if (actual is null) throw NullOutput(network, layer);
            bool ok = actual.Length == declared.Rank + 1;
            for (int i = 0; ok && i < declared.Rank; i++) ok = actual[i + 1] == declared[i];
            if (!ok)
                throw new InvalidOperationException(
                    $"{network}: the custom layer '{layer}' returned {Shape.Format(actual)}, but its declared output shape is [N, {string.Join(", ", declared.ToArray())}]; " +
                    "fix the module, or its OutputShape in [Custom].");
        }

        /// <summary>
        /// Returns <paramref name="output"/>, the result of the hand-written module <paramref name="layer"/> of
        /// <paramref name="network"/>, after checking it is a tensor of shape (<paramref name="batch"/>, ...declared):
        /// the batch of the input it received and its declared contract ([Custom]), which the layers after it were checked
        /// against at compile time. Throws <see cref="InvalidOperationException"/> naming the layer otherwise (a null
        /// result included, which would fail later as a bare null reference).
        /// </summary>
        public static TorchSharp.torch.Tensor LayerOutput(string network, string layer, Shape declared, long batch, TorchSharp.torch.Tensor? output)
        {
            if (output is null) throw NullOutput(network, layer);
            var actual = output.shape;
            bool ok = actual.Length == declared.Rank + 1 && actual[0] == batch;
            for (int i = 0; ok && i < declared.Rank; i++) ok = actual[i + 1] == declared[i];
            if (!ok)
                throw new InvalidOperationException(
                    $"{network}: the custom layer '{layer}' returned {Shape.Format(actual)} for a batch of {batch}, but its declared output shape is [{batch}, {string.Join(", ", declared.ToArray())}] "
                    + "(the batch of its input, then its OutputShape); fix the module, or its OutputShape in [Custom].");
            return output;
        }

        /// <summary>
        /// Returns <paramref name="module"/>, a hand-written module (<c>[Custom]</c>) that a Sequential calls, after registering
        /// a forward hook that checks every result as <see cref="LayerOutput(string, string, Shape, long, TorchSharp.torch.Tensor?)"/>
        /// does: a Sequential runs its children itself, so the check cannot be written around the call. A module that returns
        /// its input tensor itself gets an alias of it passed on, because TorchSharp's Sequential disposes each child's
        /// input once the child has run (the tensor would be disposed under the next child).
        /// </summary>
        public static TModule Checked<TModule>(TModule module, string network, string layer, Shape declared)
            where TModule : TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>
        {
            module.register_forward_hook((_, input, output) =>
            {
                var result = LayerOutput(network, layer, declared, input.shape[0], output);
                return ReferenceEquals(result, input) ? result.alias() : result;
            });
            return module;
        }

        private static InvalidOperationException NullOutput(string network, string layer) =>
            new($"{network}: the custom layer '{layer}' returned null instead of a tensor; its forward must return its output tensor.");
    }
}
