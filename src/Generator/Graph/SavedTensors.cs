namespace Dsl.Generator.Graph
{
    /// <summary>
    /// What autograd keeps for the backward pass of a training step, counted from the graph at compile time: the
    /// tensors each operation saves (PyTorch's rules: a forward step's below, a leaf's as its kind states it,
    /// <see cref="GraphNode.Saves"/>) de-duplicated by storage, as a storage saved by two
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

        /// <summary>
        /// The walk through the forward: the steps' rules here, each leaf's its kind's (<see cref="GraphNode.Saves"/>); a
        /// storage saved twice is counted once.
        /// </summary>
        private sealed class Walk : BackwardTape
        {
            private readonly GraphNode _root;
            private readonly string _rootInput;

            public Walk(GraphNode root, string rootInput) => (_root, _rootInput) = (root, rootInput);

            /// <summary>The network's inputs after the first, by variable.</summary>
            public readonly Dictionary<string, Tensor> RootInputs = new(StringComparer.Ordinal);

            /// <summary>The root's steps a training step runs (null: all of them).</summary>
            public bool[]? RootSteps;

            public Tensor Emit(GraphNode node, Tensor x)
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

            private Tensor Block(GraphNode node, Tensor x)
            {
                // A block reads its input as "x"; the network's forward as its own input variable.
                var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["x"] = x, [ReferenceEquals(node, _root) ? _rootInput : "x"] = x };
                if (ReferenceEquals(node, _root)) foreach (var input in RootInputs) values[input.Key] = input.Value;
                Tensor In(Step s, int i) => values[s.Inputs[i]];
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

            // A leaf without a stated rule (none today, KindChecklistTests) counts as saving its input.
            private Tensor Leaf(GraphNode node, Tensor x) => (node.Saves ?? SavedForBackward.Input).Record(this, node, x);
        }
    }
}
