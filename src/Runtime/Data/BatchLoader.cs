using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// One mini-batch on the CPU: inputs (float32 images [B, C, H, W], or float32 [B, ...] for tables and arrays) and
    /// targets (int64 [B] classes, float32 [B, K] values, or int64 [B, H, W] masks). The batch owns its tensors,
    /// which belong to no dispose scope: dispose the batch when done with it.
    /// </summary>
    public sealed class Batch : IDisposable
    {
        internal Batch(int index, Tensor x, Tensor y)
        {
            Index = index;
            X = x;
            Y = y;
        }

        /// <summary>Position of the batch within its epoch (0-based).</summary>
        public int Index { get; }

        /// <summary>Preprocessed images.</summary>
        public Tensor X { get; }

        /// <summary>Labels.</summary>
        public Tensor Y { get; }

        /// <summary>Number of samples.</summary>
        public int Size => (int)Y.shape[0];

        /// <summary>Releases both tensors.</summary>
        public void Dispose()
        {
            X.Dispose();
            Y.Dispose();
        }
    }

    /// <summary>
    /// Makes batches of a <see cref="Dataset"/> in an order that depends only on (seed, epoch), and prepares the next
    /// batches on a background task while the model computes. The samples of a batch are read and transformed by
    /// <see cref="Workers"/> threads at once (decoding and augmenting images is the slow part), then stacked; the batch
    /// transform (<see cref="ImageTransform"/>) runs on the stacked batch. An in-memory set without per-sample transforms
    /// is cut with one <c>index_select</c> instead. Memory is bounded by the batches in flight: <see cref="Prefetch"/> + 1.
    /// </summary>
    /// <remarks>
    /// Thread hand-over: a batch is built inside a dispose scope on the producer thread and its two result tensors are
    /// detached from that scope, so nothing else owns them; the consumer disposes the <see cref="Batch"/>.
    /// Batches not consumed (early stop, exception) are disposed when the enumeration is disposed.
    /// </remarks>
    public sealed class BatchLoader
    {
        /// <summary>Creates a loader.</summary>
        /// <param name="data">The data set.</param>
        /// <param name="batchSize">Samples per batch.</param>
        /// <param name="shuffle">Shuffle each epoch (from <paramref name="seed"/> and the epoch number).</param>
        /// <param name="seed">Seed of the data order.</param>
        /// <param name="transform">Preprocessing; null means scaling to [0, 1] only.</param>
        /// <param name="dropLast">Drop the last incomplete batch.</param>
        /// <param name="prefetch">Batches prepared ahead on a background task; 0 builds them on the calling thread.</param>
        /// <param name="workers">Threads that read and transform the samples of a batch; 0 uses one per core.</param>
        public BatchLoader(Dataset data, int batchSize, bool shuffle = true, long seed = 42, ImageTransform? transform = null, bool dropLast = false, int prefetch = 2, int workers = 0)
        {
            if (workers < 0) throw new ArgumentOutOfRangeException(nameof(workers), workers, "workers must be 0 (one per core) or more.");
            if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive.");
            if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "prefetch must be 0 or more.");
            Data = data;
            BatchSize = batchSize;
            Shuffle = shuffle;
            Seed = seed;
            Transform = transform ?? ImageTransform.ScaleOnly;
            DropLast = dropLast;
            Prefetch = prefetch;
            Workers = workers == 0 ? Environment.ProcessorCount : workers;
        }

        /// <summary>The data set.</summary>
        public Dataset Data { get; }

        /// <summary>Samples per batch.</summary>
        public int BatchSize { get; }

        /// <summary>Whether each epoch is shuffled.</summary>
        public bool Shuffle { get; }

        /// <summary>Seed of the data order.</summary>
        public long Seed { get; }

        /// <summary>Preprocessing applied to each batch.</summary>
        public ImageTransform Transform { get; }

        /// <summary>Whether the last incomplete batch is dropped.</summary>
        public bool DropLast { get; }

        /// <summary>Batches prepared ahead.</summary>
        public int Prefetch { get; }

        /// <summary>Threads reading and transforming the samples of one batch.</summary>
        public int Workers { get; }

        /// <summary>Batches in one epoch.</summary>
        public int BatchesPerEpoch => DropLast ? Data.Count / BatchSize : (Data.Count + BatchSize - 1) / BatchSize;

        /// <summary>
        /// The sample order of epoch <paramref name="epoch"/> (1-based): a Fisher-Yates shuffle driven by SplitMix64
        /// seeded from (seed, epoch) only, so any epoch can be reproduced without replaying earlier ones.
        /// </summary>
        public static int[] Order(long seed, int epoch, int count, bool shuffle = true)
        {
            var order = new int[count];
            for (int i = 0; i < count; i++) order[i] = i;
            if (!shuffle) return order;
            ulong state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)epoch * 0xD1B54A32D192ED03UL ^ 0x632BE59BD9B4E019UL);
            for (int i = count - 1; i > 0; i--)
            {
                ulong r = SplitMix64(ref state);
                int j = (int)(r % (ulong)(i + 1));
                (order[i], order[j]) = (order[j], order[i]);
            }
            return order;
        }

        private static ulong SplitMix64(ref ulong state)
        {
            unchecked
            {
                ulong z = state += 0x9E3779B97F4A7C15UL;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                return z ^ (z >> 31);
            }
        }

        /// <summary>
        /// The batches of epoch <paramref name="epoch"/> (1-based). Dispose every batch after use; disposing the
        /// enumerator early stops the producer and frees prepared batches.
        /// </summary>
        public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancellation = default)
        {
            int[] order = Order(Seed, epoch, Data.Count, Shuffle);
            return Prefetch == 0 ? Synchronous(order, epoch) : Prefetched(order, epoch, cancellation);
        }

        private IEnumerable<Batch> Synchronous(int[] order, int epoch)
        {
            int n = BatchesPerEpoch;
            for (int b = 0; b < n; b++) yield return Build(order, b, epoch);
        }

        private IEnumerable<Batch> Prefetched(int[] order, int epoch, CancellationToken outer)
        {
            int n = BatchesPerEpoch;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
            using var queue = new BlockingCollection<Batch>(Prefetch);
            var producer = Task.Factory.StartNew(() =>
            {
                try
                {
                    for (int b = 0; b < n && !cts.IsCancellationRequested; b++)
                    {
                        var batch = Build(order, b, epoch);
                        try { queue.Add(batch, cts.Token); }
                        catch (OperationCanceledException) { batch.Dispose(); break; }
                    }
                }
                finally { queue.CompleteAdding(); }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            try
            {
                // No token here: cancellation stops the producer, which completes the queue and ends this loop.
                foreach (var batch in queue.GetConsumingEnumerable())
                    yield return batch;
                if (!cts.IsCancellationRequested) producer.GetAwaiter().GetResult(); // surfaces producer exceptions
            }
            finally
            {
                cts.Cancel();
                try { producer.Wait(); } catch (AggregateException) { /* already reported or cancelled */ }
                while (queue.TryTake(out var left)) left.Dispose();
            }
        }

        private Batch Build(int[] order, int b, int epoch)
        {
            int start = b * BatchSize;
            int size = Math.Min(BatchSize, order.Length - start);
            var idx = new long[size];
            for (int i = 0; i < size; i++) idx[i] = order[start + i];
            using var scope = torch.NewDisposeScope();
            Tensor raw, y;
            if (Data.ReadBatch(idx) is var (bx, by))
            {
                raw = bx;
                y = by;
            }
            else
            {
                (raw, y) = Collate(Data, idx, Seed, epoch, Workers);
            }
            var x = Transform.Apply(raw);
            return new Batch(b, x.DetachFromDisposeScope(), y.DetachFromDisposeScope());
        }

        /// <summary>
        /// Reads samples <paramref name="idx"/> on up to <paramref name="workers"/> threads and stacks them. The result
        /// tensors belong to the caller's dispose scope.
        /// </summary>
        /// <exception cref="System.IO.InvalidDataException">Two samples differ in shape (named, with the fix).</exception>
        internal static (Tensor Input, Tensor Target) Collate(Dataset data, long[] idx, long seed, int epoch, int workers)
        {
            var examples = new Example?[idx.Length];
            try
            {
                if (workers <= 1 || idx.Length == 1)
                {
                    for (int i = 0; i < idx.Length; i++) examples[i] = data.Get((int)idx[i], seed, epoch);
                }
                else
                {
                    Parallel.For(0, idx.Length, new ParallelOptions { MaxDegreeOfParallelism = workers },
                        i => examples[i] = data.Get((int)idx[i], seed, epoch));
                }
                var first = examples[0]!;
                var inputs = new Tensor[idx.Length];
                var targets = new Tensor[idx.Length];
                for (int i = 0; i < idx.Length; i++)
                {
                    var e = examples[i]!;
                    if (!SameShape(e.Input, first.Input))
                        throw new System.IO.InvalidDataException(
                            $"{data.Name}: {e.Source} is {Dsl.Shape.Format(e.Input.shape)} but {first.Source} is {Dsl.Shape.Format(first.Input.shape)}; " +
                            "samples are stacked into batches, so they must have one shape. Add a Resize (with a CenterCrop or RandomResizedCrop) to the transforms, or use a preset such as 'imagenet'.");
                    if (!SameShape(e.Target, first.Target))
                        throw new System.IO.InvalidDataException(
                            $"{data.Name}: the target of {e.Source} is {Dsl.Shape.Format(e.Target.shape)} but that of {first.Source} is {Dsl.Shape.Format(first.Target.shape)}; targets of one batch must have one shape.");
                    inputs[i] = e.Input;
                    targets[i] = e.Target;
                }
                return (torch.stack(inputs), torch.stack(targets));
            }
            finally
            {
                foreach (var e in examples) e?.Dispose();
            }
        }

        private static bool SameShape(Tensor a, Tensor b)
        {
            if (a.dim() != b.dim()) return false;
            for (int d = 0; d < a.dim(); d++) if (a.shape[d] != b.shape[d]) return false;
            return true;
        }
    }
}
