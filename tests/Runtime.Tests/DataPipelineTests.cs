using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Runtime.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    public class DataPipelineTests
    {
        private static ImageDataset Synthetic(int n)
        {
            var images = torch.arange(n * 1 * 4 * 4, ScalarType.Int64).remainder(256).to_type(ScalarType.Byte).reshape(n, 1, 4, 4);
            var labels = torch.arange(n, ScalarType.Int64).remainder(10);
            return new ImageDataset("synthetic", images, labels);
        }

        [Fact]
        public void Scales_by_255_normalizes_and_resizes_whole_batches()
        {
            using var batch = torch.tensor(new byte[] { 0, 255, 51, 102 }, new long[] { 1, 1, 2, 2 });
            using var scaled = ImageTransform.ScaleOnly.Apply(batch);
            Assert.Equal(ScalarType.Float32, scaled.dtype);
            Assert.Equal(new[] { 0f, 1f, 0.2f, 0.4f }, scaled.data<float>().ToArray());

            var t = new ImageTransform { Mean = new[] { 0.5 }, Std = new[] { 0.5 } };
            using var norm = t.Apply(batch);
            Assert.Equal(new[] { -1f, 1f, -0.6f, -0.2f }, norm.data<float>().ToArray().Select(v => MathF.Round(v, 5)).ToArray());

            using var many = torch.zeros(new long[] { 3, 1, 28, 28 }, ScalarType.Byte);
            using var resized = new ImageTransform { Resize = 96 }.Apply(many);
            Assert.Equal(new long[] { 3, 1, 96, 96 }, resized.shape);
        }

        [Fact]
        public void Order_depends_only_on_seed_and_epoch()
        {
            var a = BatchLoader.Order(42, 3, 1000);
            Assert.Equal(a, BatchLoader.Order(42, 3, 1000));
            Assert.NotEqual(a, BatchLoader.Order(42, 4, 1000));
            Assert.NotEqual(a, BatchLoader.Order(43, 3, 1000));
            Assert.Equal(Enumerable.Range(0, 1000), a.OrderBy(i => i));
            Assert.Equal(Enumerable.Range(0, 10), BatchLoader.Order(42, 1, 10, shuffle: false));
        }

        [Theory]
        [InlineData(0)]
        [InlineData(2)]
        public void Batches_cover_every_sample_once_in_the_epoch_order(int prefetch)
        {
            using var data = Synthetic(103);
            var loader = new BatchLoader(data, 10, shuffle: true, seed: 5, prefetch: prefetch);
            Assert.Equal(11, loader.BatchesPerEpoch);
            var labels = new List<long>();
            var firstPixels = new List<float>();
            foreach (var b in loader.Epoch(2))
            {
                using (b)
                {
                    Assert.Equal(ScalarType.Float32, b.X.dtype);
                    labels.AddRange(b.Y.data<long>().ToArray());
                    firstPixels.AddRange(b.X[.., 0, 0, 0].data<float>().ToArray());
                }
            }
            var order = BatchLoader.Order(5, 2, 103);
            Assert.Equal(order.Select(i => (long)(i % 10)), labels);
            Assert.Equal(order.Select(i => (float)((i * 16) % 256) / 255f), firstPixels);
        }

        [Fact]
        public void Stopping_early_disposes_prefetched_batches()
        {
            using var data = Synthetic(200);
            var loader = new BatchLoader(data, 10, prefetch: 3);
            long before = torch.Tensor.TotalCount;
            foreach (var b in loader.Epoch(1))
            {
                b.Dispose();
                break;
            }
            Assert.True(torch.Tensor.TotalCount <= before, $"live tensors {before} -> {torch.Tensor.TotalCount}");
        }
   
        [Fact]
        public async System.Threading.Tasks.Task Cancelled_epoch_ends_without_hanging()
        {
            using var data = Synthetic(50);
            var loader = new BatchLoader(data, 10, prefetch: 2);
            using var cts = new System.Threading.CancellationTokenSource();
            cts.Cancel();
            var task = System.Threading.Tasks.Task.Run(() =>
            {
                int n = 0;
                foreach (var b in loader.Epoch(1, cts.Token)) { b.Dispose(); n++; }
                return n;
            });
            var first = await System.Threading.Tasks.Task.WhenAny(task, System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(20)));
            Assert.True(first == task, "a cancelled epoch must end, not wait for batches forever");
            Assert.Equal(0, await task);
        }
    }
}
