using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// One mini-batch: float32 images [B, C, H, W] and int64 labels [B] on the CPU. The batch owns its tensors,
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
    /// Cuts batches out of an <see cref="ImageDataset"/> with <c>index_select</c>, in an order that depends only on
    /// (seed, epoch), and prepares the next batches on a background task while the model computes.
    /// </summary>
    /// <remarks>
    /// Thread hand-over: a batch is built inside a dispose scope on the producer thread and its two result tensors are
    /// detached from that scope, so nothing else owns them; the consumer disposes the <see cref="Batch"/>.
    /// Batches not consumed (early stop, exception) are disposed when the enumeration is disposed.
    /// </remarks>
    public sealed class BatchLoader
    {
        /// <summary>Creates a loader.</summary>
        /// <param name="data">The data set (kept in memory).</param>
        /// <param name="batchSize">Samples per batch.</param>
        /// <param name="shuffle">Shuffle each epoch (from <paramref name="seed"/> and the epoch number).</param>
        /// <param name="seed">Seed of the data order.</param>
        /// <param name="transform">Preprocessing; null means scaling to [0, 1] only.</param>
        /// <param name="dropLast">Drop the last incomplete batch.</param>
        /// <param name="prefetch">Batches prepared ahead on a background task; 0 builds them on the calling thread.</param>
        public BatchLoader(ImageDataset data, int batchSize, bool shuffle = true, long seed = 42, ImageTransform? transform = null, bool dropLast = false, int prefetch = 2)
        {
            if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive.");
            if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "prefetch must be 0 or more.");
            Data = data;
            BatchSize = batchSize;
            Shuffle = shuffle;
            Seed = seed;
            Transform = transform ?? ImageTransform.ScaleOnly;
            DropLast = dropLast;
            Prefetch = prefetch;
        }

        /// <summary>The data set.</summary>
        public ImageDataset Data { get; }

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
            return Prefetch == 0 ? Synchronous(order) : Prefetched(order, cancellation);
        }

        private IEnumerable<Batch> Synchronous(int[] order)
        {
            int n = BatchesPerEpoch;
            for (int b = 0; b < n; b++) yield return Build(order, b);
        }

        private IEnumerable<Batch> Prefetched(int[] order, CancellationToken outer)
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
                        var batch = Build(order, b);
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

        private Batch Build(int[] order, int b)
        {
            int start = b * BatchSize;
            int size = Math.Min(BatchSize, order.Length - start);
            var idx = new long[size];
            for (int i = 0; i < size; i++) idx[i] = order[start + i];
            using var scope = torch.NewDisposeScope();
            var index = torch.tensor(idx, ScalarType.Int64);
            var raw = Data.Images.index_select(0, index);
            var x = Transform.Apply(raw);
            var y = Data.Labels.index_select(0, index);
            return new Batch(b, x.DetachFromDisposeScope(), y.DetachFromDisposeScope());
        }
    }
}
