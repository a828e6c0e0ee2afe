using System.Globalization;

namespace Dsl.Generator.Graph
{
    /// <summary>
    /// What a leaf's backward keeps (PyTorch's derivatives.yaml, measured where the formula is not written there), as its
    /// kind states it where it adds the leaf (<see cref="GraphBuilder.Leaf"/>, argument <c>saves</c>): the memory plan
    /// (<see cref="SavedTensors"/>, docs/memory.md) reads it and keeps no table of kinds. The common rules are the
    /// static members; a kind whose backward keeps more (statistics, indices, masks, several copies) declares its own
    /// rule next to its leaf, deriving from this record. Every leaf states one (KindChecklistTests); a record compares by
    /// value, so the graph stays comparable for the incremental generator.
    /// </summary>
    internal abstract record SavedForBackward
    {
        /// <summary>The input (in place: the result, the same storage): convolutions, Linear, average pools, ReLU6, ELU, SiLU, GELU, a custom layer...</summary>
        public static readonly SavedForBackward Input = new KeepsInput();

        /// <summary>The result (in place: the input's storage): ReLU, Sigmoid, Tanh, Softmax.</summary>
        public static readonly SavedForBackward Result = new KeepsResult();

        /// <summary>Nothing; the output is a view of the input's storage (Flatten, Identity, Permute, ...).</summary>
        public static readonly SavedForBackward View = new IsView();

        /// <summary>Only sizes; the output is a new tensor (nearest and bilinear upsampling, adding a table).</summary>
        public static readonly SavedForBackward Sizes = new KeepsSizes();

        /// <summary>Records on <paramref name="tape"/> what the backward of <paramref name="node"/> keeps when it runs on <paramref name="x"/>; returns its output.</summary>
        public abstract BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x);

        /// <summary>
        /// A random mask's rule (dropout, stochastic depth): with a drop probability <c>p</c> of 0 the identity (the output
        /// a view, nothing saved); otherwise the mask of <paramref name="mask"/> elements per sample, kept for the backward.
        /// </summary>
        protected static BackwardTape.Tensor Masked(BackwardTape tape, GraphNode node, BackwardTape.Tensor x, long[] mask)
        {
            if (BackwardTape.Double(node, "p") == 0) return BackwardTape.View(x, node.Output);
            tape.Save(tape.Fresh(mask));
            return tape.Fresh(node.Output);
        }

        private sealed record KeepsInput : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x)
            {
                tape.Save(x);
                return tape.Written(node, x);
            }
        }

        private sealed record KeepsResult : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x)
            {
                var y = tape.Written(node, x);
                tape.Save(y);
                return y;
            }
        }

        private sealed record IsView : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x) => BackwardTape.View(x, node.Output);
        }

        private sealed record KeepsSizes : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x) => tape.Fresh(node.Output);
        }
    }

    /// <summary>
    /// The tensors a training step keeps for its backward, as the memory plan counts them: storages saved (a storage
    /// saved by two operations is held once) and the per-sample statistics and indices, all per sample except
    /// <see cref="FixedStatistics"/>. Kinds record on it through their <see cref="SavedForBackward"/>.
    /// </summary>
    internal class BackwardTape
    {
        /// <summary>A tensor of the forward: its storage (views share it), the storage's elements per sample, its shape.</summary>
        internal sealed record Tensor(int Storage, long StorageElements, long[] Shape);

        private int _next;

        /// <summary>Elements of each saved storage, by storage.</summary>
        public readonly Dictionary<int, long> Saved = new();

        /// <summary>Per-sample normalisation statistics (float32), int64 indices, and the batch statistics whatever the batch.</summary>
        public long Statistics, Indices, FixedStatistics;

        /// <summary>A new tensor with a storage of its own.</summary>
        public Tensor Fresh(IEnumerable<long> shape)
        {
            var dims = shape.ToArray();
            return new Tensor(_next++, Elements(dims), dims);
        }

        /// <summary>A view of <paramref name="x"/>'s storage with another shape.</summary>
        public static Tensor View(Tensor x, IEnumerable<long> shape) => x with { Shape = shape.ToArray() };

        public static long Elements(long[] shape) => shape.Aggregate(1L, (a, d) => checked(a * d));

        /// <summary>Keeps <paramref name="x"/>'s storage for the backward.</summary>
        public void Save(Tensor x) => Saved[x.Storage] = x.StorageElements;

        /// <summary>The output of <paramref name="node"/>: written into its input's storage when its <c>inplace</c> argument is true, a new tensor otherwise.</summary>
        public Tensor Written(GraphNode node, Tensor x) => Bool(node, "inplace") ? View(x, node.Output) : Fresh(node.Output);

        private static LeafArg? Arg(GraphNode node, string name) => node.Args.FirstOrDefault(a => a.Name == name);

        /// <summary>A leaf's argument as the graph writes it (false, 0 or "" when left out at TorchSharp's default).</summary>
        public static bool Bool(GraphNode node, string name) => Arg(node, name)?.Value == "true";

        public static long Int(GraphNode node, string name, long fallback) =>
            Arg(node, name) is { } a && long.TryParse(a.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : fallback;

        public static double Double(GraphNode node, string name) =>
            Arg(node, name) is { } a && double.TryParse(a.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : 0;

        public static string Text(GraphNode node, string name) => (Arg(node, name)?.Value ?? "").Trim('"');
    }
}
