using System.Globalization;

namespace Dsl.Generator.Graph
{
    /// <summary>
    /// What autograd keeps for the backward pass of a training step, counted from the graph at compile time: the
    /// tensors each operation saves (PyTorch's rules, below) de-duplicated by storage, as a storage saved by two
    /// operations (a ReLU's output and the next convolution's input) is held once. All counts are per sample except
    /// <see cref="FixedStatistics"/>. docs/memory.md lists the rules.
    /// </summary>
    /// <param name="Activations">Elements of saved activations, in the training precision (float32 or bfloat16).</param>
    /// <param name="Statistics">Elements of saved per-sample normalisation statistics (LayerNorm, GroupNorm mean and 1/std), always float32.</param>
    /// <param name="Indices">Elements of saved int64 indices (max pooling's argmax).</param>
    /// <param name="FixedStatistics">Elements of saved BatchNorm batch statistics (mean and 1/std per channel), float32, whatever the batch.</param>
    internal sealed record SavedTensors(long Activations, long Statistics, long Indices, long FixedStatistics)
    {
        /// <summary>The saved tensors of a training step through <paramref name="root"/> (never throws: an unknown kind counts as saving its input).</summary>
        public static SavedTensors Of(NetworkModel model)
        {
            try
            {
                var walk = new Walk(model.Root, model.InputVar);
                // The trainer runs every output (ForwardOutputs) when another output than the main one has a loss weight,
                // and the main output's steps alone (forward) otherwise: a head nothing is trained against does not run.
                if (model.Outputs.Count > 0 && !model.Outputs.Any(o => o.Var != model.Root.Result && o.LossWeight != 0))
                    walk.RootSteps = Liveness.Needed(model.Root.Body, new[] { model.Root.Result }, out _);
                // A network's other inputs arrive as tensors of their own.
                foreach (var input in model.Inputs.Skip(1)) walk.RootInputs[input.Var] = walk.Fresh(input.Shape);
                walk.Emit(model.Root, walk.Fresh(model.Root.Input));
                return new SavedTensors(walk.Saved.Values.Sum(), walk.Statistics, walk.Indices, walk.FixedStatistics);
            }
            catch (Exception e) when (e is OverflowException or InvalidOperationException or KeyNotFoundException or FormatException or ArgumentException or IndexOutOfRangeException or NullReferenceException)
            {
                // The graph is checked before emission; a shape this walk cannot follow leaves the plan unknown rather than wrong.
                return new SavedTensors(-1, -1, -1, -1);
            }
        }

        /// <summary>A tensor of the forward: its storage (views share it), the storage's elements per sample, its shape.</summary>
        private sealed record Value(int Storage, long StorageElements, long[] Shape);

        /// <summary>
        /// The rules, per leaf kind and step; one place. "input"/"output" is the tensor autograd keeps (the storage it
        /// belongs to is counted once); "view" means the output shares its input's storage.
        /// </summary>
        private sealed class Walk
        {
            private readonly GraphNode _root;
            private readonly string _rootInput;
            private int _next;

            public Walk(GraphNode root, string rootInput) => (_root, _rootInput) = (root, rootInput);

            public readonly Dictionary<int, long> Saved = new();
            public long Statistics, Indices, FixedStatistics;

            /// <summary>The network's inputs after the first, by variable.</summary>
            public readonly Dictionary<string, Value> RootInputs = new(StringComparer.Ordinal);

            /// <summary>The root's steps a training step runs (null: all of them).</summary>
            public bool[]? RootSteps;

            public Value Fresh(IEnumerable<long> shape)
            {
                var dims = shape.ToArray();
                return new Value(_next++, Elements(dims), dims);
            }

            private static long Elements(long[] shape) => shape.Aggregate(1L, (a, d) => checked(a * d));

            private void Save(Value v) => Saved[v.Storage] = v.StorageElements;

            private static Value View(Value x, IEnumerable<long> shape) => x with { Shape = shape.ToArray() };

            public Value Emit(GraphNode node, Value x)
            {
                switch (node.Form)
                {
                    case NodeForm.Sequential:
                        return node.Children.Aggregate(x, (v, child) => Emit(child, v));
                    case NodeForm.Block:
                        return Block(node, x);
                    default:
                        return Leaf(node, x);
                }
            }

            private Value Block(GraphNode node, Value x)
            {
                // A block reads its input as "x"; the network's forward as its own input variable.
                var values = new Dictionary<string, Value>(StringComparer.Ordinal) { ["x"] = x, [ReferenceEquals(node, _root) ? _rootInput : "x"] = x };
                if (ReferenceEquals(node, _root)) foreach (var input in RootInputs) values[input.Key] = input.Value;
                Value In(Step s, int i) => values[s.Inputs[i]];
                GraphNode? Child(Step s) => node.Find(s.Module);
                for (int i = 0; i < node.Body.Count; i++)
                {
                    var step = node.Body[i];
                    if (ReferenceEquals(node, _root) && RootSteps is { } run && !run[i]) continue;
                    switch (step.Op)
                    {
                        case StepOp.Call:
                            values[step.Output] = Emit(Child(step) ?? throw new KeyNotFoundException(step.Module), In(step, 0));
                            break;
                        case StepOp.OptionalCall:
                            values[step.Output] = Child(step) is { } child ? Emit(child, In(step, 0)) : In(step, 1);
                            break;
                        case StepOp.ReluInPlace:
                            // relu_ saves its result, which is its input's storage.
                            Save(In(step, 0));
                            values[step.Output] = In(step, 0);
                            break;
                        case StepOp.AddInPlace:
                            values[step.Output] = In(step, 0);                     // add_ saves nothing and writes in place
                            break;
                        case StepOp.Add:
                        case StepOp.ParamAdd:
                            values[step.Output] = Fresh(In(step, 0).Shape);         // addition saves nothing
                            break;
                        case StepOp.Concat:
                        {
                            // cat saves only the sizes; it concatenates along the first dimension after the batch.
                            var shapes = step.Inputs.Select(v => values[v].Shape).ToArray();
                            var shape = (long[])shapes[0].Clone();
                            shape[0] = shapes.Sum(s => s[0]);
                            values[step.Output] = Fresh(shape);
                            break;
                        }
                        case StepOp.Multiply:
                        {
                            // Both factors need gradients, so each is saved for the other's.
                            var (a, b) = (In(step, 0), In(step, 1));
                            Save(a);
                            Save(b);
                            values[step.Output] = Fresh(Elements(a.Shape) >= Elements(b.Shape) ? a.Shape : b.Shape);
                            break;
                        }
                        case StepOp.ParamMul:
                            Save(In(step, 0));                                     // the parameter is counted with the parameters
                            values[step.Output] = Fresh(In(step, 0).Shape);
                            break;
                        case StepOp.Interpolate:
                        {
                            // upsample_bilinear2d saves only the sizes; the output takes the reference's height and width.
                            var (resized, reference) = (In(step, 0), In(step, 1));
                            values[step.Output] = Fresh(new[] { resized.Shape[0], reference.Shape[1], reference.Shape[2] });
                            break;
                        }
                        case StepOp.ParamPrepend:
                        {
                            var shape = (long[])In(step, 0).Shape.Clone();
                            shape[0] += 1;
                            values[step.Output] = Fresh(shape);                    // cat of the expanded token: sizes only
                            break;
                        }
                        default:
                            throw new InvalidOperationException(step.Op.ToString());
                    }
                }
                return values[node.Result];
            }

            private Value Leaf(GraphNode node, Value x)
            {
                long[] output = node.Output.ToArray();
                bool inplace = Bool(node, "inplace");
                // The element-wise and view kinds state their rule where they add the leaf.
                switch (node.Saves)
                {
                    case SavedForBackward.View:
                        return View(x, output);                                    // nothing saved, same storage
                    case SavedForBackward.Input:
                        Save(x);                                                   // in place: the result, the same storage
                        return inplace ? View(x, output) : Fresh(output);
                    case SavedForBackward.Result:
                    {
                        var y = inplace ? View(x, output) : Fresh(output);         // in place, the result is the input's storage
                        Save(y);
                        return y;
                    }
                }
                switch (node.ModuleType)
                {
                    case "Conv1d":
                    case "Conv2d":
                    case "ConvTranspose2d":
                    case "Linear":
                        Save(x);                                                   // the input (the weight is a parameter)
                        return Fresh(output);
                    case "BatchNorm1d":
                    case "BatchNorm2d":
                        Save(x);                                                   // the input and the batch mean and 1/std per channel
                        FixedStatistics += 2 * node.Input[0];
                        return Fresh(output);
                    case "LayerNorm":
                        Save(x);                                                   // the input, mean and 1/std per normalised row
                        Statistics += 2 * Elements(x.Shape) / Math.Max(1, x.Shape[x.Shape.Length - 1]);
                        return Fresh(output);
                    case "LayerNorm2d":
                        Save(x);                                                   // layer_norm of a permuted view: the input's storage
                        Statistics += 2 * Elements(x.Shape) / Math.Max(1, x.Shape[0]);
                        return Fresh(output);
                    case "GroupNorm":
                        Save(x);
                        Statistics += 2 * Int(node, "num_groups", 1);
                        return Fresh(output);
                    case "MaxPool1d":
                    case "MaxPool2d":
                        Save(x);                                                   // the input and the argmax of every output (int64)
                        Indices += Elements(output);
                        return Fresh(output);
                    case "AvgPool1d":
                    case "AvgPool2d":
                    case "AdaptiveAvgPool1d":
                    case "AdaptiveAvgPool2d":
                        Save(x);                                                   // the input, also for a global pool to size 1
                        return Fresh(output);
                    case "Upsample":
                        return Fresh(output);                                      // nearest and bilinear save only sizes
                    case "Dropout":
                        // On the CPU, dropout multiplies by a scaled random mask of the input's size and type, which it saves.
                        if (Double(node, "p") == 0) return View(x, output);
                        Save(Fresh(x.Shape));
                        return Fresh(output);
                    case "StochasticDepth":
                        // In training, x * noise with one noise value per sample ("row") or per batch; p = 0 is the identity.
                        if (Double(node, "p") == 0) return View(x, output);
                        Save(Fresh(Text(node, "mode") == "batch" ? new long[] { 0 } : new long[] { 1 }));
                        return Fresh(output);
                    case "MultiheadSelfAttention":
                    {
                        // nn.MultiheadAttention in training (measured with torch 1.13): the in-projection's input (a
                        // contiguous copy of the transposed tokens, L x E), the scaled queries, the keys and the values (each
                        // L x E, copies), the attention weights after softmax (H x L x L, and their dropout mask when
                        // dropout > 0) and the out-projection's input (L x E).
                        long length = x.Shape[0], embed = x.Shape[x.Shape.Length - 1], heads = Int(node, "num_heads", 1);
                        Save(Fresh(new[] { 5 * length, embed }));
                        Save(Fresh(new[] { heads, length, length }));
                        if (Double(node, "dropout") > 0) Save(Fresh(new[] { heads, length, length }));
                        return Fresh(output);
                    }
                    case "LSTM":
                    case "GRU":
                    {
                        // nn.LSTM and nn.GRU in training (measured with torch 1.13 on the CPU, both cells alike): each layer
                        // saves its input (L x F, once for both directions) and 7 H values per step and direction; with
                        // dropout between layers, each mask.
                        long length = x.Shape[0], hidden = Int(node, "hidden_size", 1), layers = Int(node, "num_layers", 1);
                        long directions = Bool(node, "bidirectional") ? 2 : 1;
                        var input = x;
                        for (long layer = 0; layer < layers; layer++)
                        {
                            Save(input);
                            Save(Fresh(new[] { directions * length, 7 * hidden }));
                            input = Fresh(new[] { length, directions * hidden });
                            if (layer < layers - 1 && Double(node, "dropout") > 0)
                            {
                                Save(Fresh(input.Shape));   // the mask; the masked output is the next layer's input
                                input = Fresh(input.Shape);
                            }
                        }
                        return Fresh(output);
                    }
                    case "Embedding":
                        Indices += Elements(x.Shape);                              // the token ids (int64); the table is a parameter
                        return Fresh(output);
                    case "PositionTable":
                        return Fresh(output);                                      // x + table[:L]: an add saves nothing
                    case "TiedLinear":
                        Save(x);                                                   // F.linear with the tied parameter: the input
                        return Fresh(output);
                    case "FusedSelfAttention":
                    {
                        // The twin's GPT-2 attention in training (torch 1.13): c_attn's input; the copies matmul makes of the
                        // queries, keys and values split into heads and c_proj's input (each L x E); the softmax weights
                        // (H x L x L) and, with dropout, their dropout mask and result and the mask of the output's dropout.
                        // The causal mask is one bool [L, L] whatever the batch, left out.
                        long length = x.Shape[0], embed = x.Shape[x.Shape.Length - 1], heads = Int(node, "num_heads", 1);
                        Save(x);
                        Save(Fresh(new[] { 4 * length, embed }));
                        Save(Fresh(new[] { heads, length, length }));
                        if (Double(node, "dropout") > 0)
                        {
                            Save(Fresh(new[] { 2 * heads, length, length }));
                            Save(Fresh(new[] { length, embed }));
                        }
                        return Fresh(output);
                    }
                    default:
                        // A custom or unknown layer: counted as saving its input.
                        Save(x);
                        return Fresh(output);
                }
            }

            private static LeafArg? Arg(GraphNode node, string name) => node.Args.FirstOrDefault(a => a.Name == name);

            private static bool Bool(GraphNode node, string name) => Arg(node, name)?.Value == "true";

            private static long Int(GraphNode node, string name, long fallback) =>
                Arg(node, name) is { } a && long.TryParse(a.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : fallback;

            private static double Double(GraphNode node, string name) =>
                Arg(node, name) is { } a && double.TryParse(a.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : 0;

            private static string Text(GraphNode node, string name) => (Arg(node, name)?.Value ?? "").Trim('"');
        }
    }
}
