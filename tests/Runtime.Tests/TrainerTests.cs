using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Dsl.Runtime.Data;
using Dsl.Runtime.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>A model that returns NaN logits after a given number of training forward passes.</summary>
    internal sealed class NanAfterModel : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc;
        private readonly int _nanAfter;
        private int _calls;

        public NanAfterModel(int nanAfter) : base(nameof(NanAfterModel))
        {
            fc = nn.Linear(784, 10);
            _nanAfter = nanAfter;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var y = fc.forward(x.flatten(1));
            if (training && ++_calls > _nanAfter) return y.mul(float.NaN);
            return y;
        }
    }

    /// <summary>Shares the loaded Fashion-MNIST subset between tests.</summary>
    public sealed class FashionFixture : IDisposable
    {
        public FashionFixture()
        {
            var (train, test) = Mnist.Load(TestData.FashionSubset, MnistVariant.FashionMnist);
            Train = train;
            Test = test;
            Small = train.Take(2000);
            SmallVal = test.Take(500);
        }

        public ImageDataset Train { get; }
        public ImageDataset Test { get; }
        public ImageDataset Small { get; }
        public ImageDataset SmallVal { get; }

        public void Dispose()
        {
            Train.Dispose();
            Test.Dispose();
            Small.Dispose();
            SmallVal.Dispose();
        }
    }

    public class TrainerTests : IClassFixture<FashionFixture>
    {
        private readonly FashionFixture _data;
        private readonly ITestOutputHelper _out;

        public TrainerTests(FashionFixture data, ITestOutputHelper output)
        {
            _data = data;
            _out = output;
        }

        private static Sequential Mlp(long seed)
        {
            torch.manual_seed(seed);
            return nn.Sequential(
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(784, 64)),
                ("relu", nn.ReLU()),
                ("drop", nn.Dropout(0.2)),
                ("fc2", nn.Linear(64, 10)));
        }

        private TrainOptions Options(string dir) => new()
        {
            OutputDir = dir,
            Epochs = 1,
            BatchSize = 64,
            Optimizer = OptimizerKind.Sgd,
            LearningRate = 0.1,
            Momentum = 0.9,
            Seed = 1,
            Progress = ProgressMode.Plain,
            Log = new StringWriter(CultureInfo.InvariantCulture),
            Transform = new ImageTransform { Mean = new[] { 0.286 }, Std = new[] { 0.353 } },
        };

        private static string[] CsvLines(string dir) => File.ReadAllLines(Path.Combine(dir, Trainer.MetricsCsvName));

        [Fact]
        public void One_epoch_beats_chance_and_writes_metrics_plot_and_checkpoint()
        {
            string dir = TestData.TempDir("fit-one");
            using var model = Mlp(3);
            var log = new StringWriter(CultureInfo.InvariantCulture);
            var result = Trainer.Fit(model, _data.Train, _data.Test, Options(dir) with { Log = log, LearningRate = 0.03 });
            _out.WriteLine(log.ToString());

            Assert.True(result.Completed);
            var m = Assert.Single(result.Metrics);
            _out.WriteLine($"val acc {m.ValAccuracy:F3}, {m.ImagesPerSecond:F0} img/s");
            Assert.True(m.ValAccuracy > 0.6, $"val accuracy {m.ValAccuracy} should clearly beat chance (0.1)");
            Assert.True(m.TrainAccuracy > 0.5, $"train accuracy {m.TrainAccuracy}");
            Assert.Contains("epoch 1/1: train loss", log.ToString());

            var lines = CsvLines(dir);
            Assert.Equal("epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds,val_top5", lines[0]);
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("1,", lines[1]);
            var cells = lines[1].Split(',');
            Assert.Equal(8, cells.Length);
            double top1 = double.Parse(cells[4], System.Globalization.CultureInfo.InvariantCulture), top5 = double.Parse(cells[7], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(top5 >= top1 && top5 <= 1, $"top-5 {top5} must be at least top-1 {top1}");
            Assert.Equal(m.ValExtra!["top5"], top5, 6);

            byte[] png = File.ReadAllBytes(result.PlotPath);
            Assert.True(png.Length > 1000);
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png.Take(8).ToArray());

            var ckpt = CheckpointFile.Load(result.CheckpointPath);
            Assert.Equal(1, ckpt.Header.Epoch);
            Assert.Equal(1, ckpt.Header.Seed);
            Assert.Equal(94, ckpt.Header.GlobalStep); // ceil(6000 / 64)
            Assert.Single(ckpt.Header.Metrics);

            // The checkpoint's weights reproduce the validation accuracy.
            using var reloaded = Mlp(99);
            Trainer.LoadWeights(reloaded, result.CheckpointPath);
            var eval = Trainer.Evaluate(reloaded, _data.Test, transform: Options(dir).Transform);
            Assert.Equal(m.ValAccuracy, eval.Accuracy, 6);
            Assert.Equal(m.ValLoss, eval.Loss, 4);
            Assert.Equal(1000, eval.Count);
        }

        [Theory]
        [InlineData(OptimizerKind.Sgd, 0.1)]
        [InlineData(OptimizerKind.AdamW, 0.003)]
        public void Resumed_run_matches_an_uninterrupted_run(OptimizerKind optimizer, double lr)
        {
            var opts = Options("") with
            {
                Optimizer = optimizer,
                LearningRate = lr,
                Epochs = 2,
                Schedule = LrScheduleKind.Cosine,
                ClipGradNorm = 5.0,
                WeightDecay = 1e-4,
            };

            string straight = TestData.TempDir("fit-straight");
            using (var model = Mlp(11))
                Trainer.Fit(model, _data.Small, _data.SmallVal, opts with { OutputDir = straight });

            string interrupted = TestData.TempDir("fit-resume");
            using (var model = Mlp(11))
            {
                var first = Trainer.Fit(model, _data.Small, _data.SmallVal, opts with { OutputDir = interrupted, StopAfterEpoch = 1 });
                Assert.False(first.Completed);
                Assert.Contains("stopped after epoch 1", first.StopReason);
                Assert.Equal(2, CsvLines(interrupted).Length);
            }
            FitResult resumed;
            using (var model = Mlp(12345)) // different initial weights: everything must come from the checkpoint
                resumed = Trainer.Resume(model, _data.Small, _data.SmallVal, opts with { OutputDir = interrupted });

            Assert.True(resumed.Completed);
            Assert.Equal(1, resumed.ResumedFromEpoch);
            Assert.Equal(new[] { 1, 2 }, resumed.Metrics.Select(m => m.Epoch));
            var a = CsvLines(straight);
            var b = CsvLines(interrupted);
            Assert.Equal(3, b.Length);
            Assert.Equal(new[] { "1", "2" }, b.Skip(1).Select(l => l.Split(',')[0]));
            for (int row = 1; row <= 2; row++)
            {
                var x = a[row].Split(',');
                var y = b[row].Split(',');
                for (int col = 1; col <= 5; col++)
                    Assert.Equal(double.Parse(x[col], CultureInfo.InvariantCulture), double.Parse(y[col], CultureInfo.InvariantCulture), 4);
            }
            _out.WriteLine(string.Join("\n", a) + "\n--\n" + string.Join("\n", b));
        }

        [Fact]
        public void Interrupted_checkpoint_write_keeps_the_previous_one_and_corrupt_files_fail_clearly()
        {
            string dir = TestData.TempDir("fit-ckpt");
            using var model = Mlp(5);
            var result = Trainer.Fit(model, _data.Small, null, Options(dir));
            string path = result.CheckpointPath;
            var good = CheckpointFile.Load(path);

            // A write that fails halfway (disk full) leaves the old file untouched and removes its temp file.
            good.Header.Epoch = 99;
            var e = Assert.Throws<OutputWriteException>(() => CheckpointFile.Save(path, good, (_, s) => new FaultStream(s, 1000, FaultStream.DiskFull)));
            Assert.Contains("No space left on device", e.Message);
            Assert.Contains(path, e.Message);
            Assert.False(File.Exists(path + ".tmp"));
            Assert.Equal(1, CheckpointFile.Load(path).Header.Epoch);

            // A temp file left by a killed process is ignored on resume and later replaced.
            File.WriteAllBytes(path + ".tmp", new byte[] { 1, 2, 3 });
            using (var again = Mlp(6))
            {
                var r = Trainer.Resume(again, _data.Small, null, Options(dir) with { Epochs = 2 });
                Assert.Equal(2, r.Metrics.Count);
            }
            Assert.False(File.Exists(path + ".tmp"));
            Assert.Equal(2, CheckpointFile.Load(path).Header.Epoch);

            byte[] bytes = File.ReadAllBytes(path);
            string truncated = Path.Combine(dir, "truncated.ckpt");
            File.WriteAllBytes(truncated, bytes.Take(bytes.Length / 2).ToArray());
            var t = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(truncated));
            Assert.Contains(truncated, t.Message);
            Assert.Contains("truncated", t.Message);

            string garbage = Path.Combine(dir, "garbage.ckpt");
            File.WriteAllBytes(garbage, Enumerable.Range(0, 5000).Select(i => (byte)(i * 31)).ToArray());
            var g = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(garbage));
            Assert.Contains(garbage, g.Message);
            Assert.Contains("not a checkpoint", g.Message);

            string flipped = Path.Combine(dir, "flipped.ckpt");
            var copy = (byte[])bytes.Clone();
            copy[copy.Length / 2] ^= 0xFF;
            File.WriteAllBytes(flipped, copy);
            var f = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(flipped));
            Assert.Contains("checksum", f.Message);

            // Resuming from a corrupt checkpoint names it.
            File.WriteAllBytes(path, bytes.Take(100).ToArray());
            using var third = Mlp(7);
            var r2 = Assert.Throws<CheckpointException>(() => Trainer.Resume(third, _data.Small, null, Options(dir) with { Epochs = 3 }));
            Assert.Contains(path, r2.Message);
        }

        [Fact]
        public void Nan_loss_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint()
        {
            string dir = TestData.TempDir("fit-nan");
            using var model = new NanAfterModel(nanAfter: 40); // 32 batches per epoch: batch 9 of epoch 2 goes bad
            var opts = Options(dir) with { Epochs = 3, LearningRate = 0.05, ReadEveryBatches = 5 };
            var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(model, _data.Small, _data.SmallVal, opts));
            _out.WriteLine(e.Message);
            Assert.Contains("loss became NaN in epoch 2, batch 9 of 32", e.Message);
            Assert.Contains("learning rate 0.05", e.Message);
            Assert.Contains("Lower the learning rate or enable gradient clipping", e.Message);
            Assert.Contains("(epoch 1)", e.Message);
            Assert.Equal((2, 9), (e.Epoch, e.Batch));

            var ckpt = CheckpointFile.Load(Path.Combine(dir, CheckpointFile.FileName));
            Assert.Equal(1, ckpt.Header.Epoch);
            Assert.Equal(2, CsvLines(dir).Length);
            using var fresh = new NanAfterModel(1000);
            Trainer.LoadWeights(fresh, e.LastGoodCheckpoint!);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(2)]
        public void Live_tensor_count_stays_flat_across_epochs(int prefetch)
        {
            string dir = TestData.TempDir("fit-memory");
            using var model = Mlp(8);
            var live = new List<long>();
            var total = new List<long>();
            var opts = Options(dir) with
            {
                Epochs = 4,
                Optimizer = OptimizerKind.AdamW,
                LearningRate = 0.002,
                Schedule = LrScheduleKind.OneCycle,
                ClipGradNorm = 1.0,
                Prefetch = prefetch,
                OnEpochEnd = _ =>
                {
                    live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
                    total.Add(torch.Tensor.TotalCount);
                },
            };
            using var small = _data.Small.Take(1000);
            DisposeScopeManager.Statistics.Reset();
            Trainer.Fit(model, small, _data.SmallVal, opts);
            _out.WriteLine("thread live: " + string.Join(", ", live) + "; total: " + string.Join(", ", total));
            Assert.Equal(4, live.Count);
            Assert.True(total[3] <= total[1], $"live tensors (all threads) grew from epoch 2 ({total[1]}) to epoch 4 ({total[3]})");
            if (prefetch == 0)
            {
                // Everything runs on this thread, so its dispose-scope statistics see every tensor's whole life.
                Assert.True(live[3] <= live[1], $"live tensors on the training thread grew from epoch 2 ({live[1]}) to epoch 4 ({live[3]})");
            }
        }

        [Fact]
        public void Early_stopping_ends_the_run_when_validation_stops_improving()
        {
            string dir = TestData.TempDir("fit-early");
            using var model = Mlp(9);
            // A min delta no epoch can reach: only the first epoch counts as an improvement.
            var opts = Options(dir) with { Epochs = 6, EarlyStoppingPatience = 2, EarlyStoppingMinDelta = 10, EarlyStoppingMetric = EarlyStoppingMetric.ValLoss };
            using var small = _data.Small.Take(500);
            var r = Trainer.Fit(model, small, _data.SmallVal, opts);
            Assert.False(r.Completed);
            Assert.Equal(3, r.Metrics.Count);
            Assert.Equal(1, r.BestEpoch);
            Assert.Contains("early stopping", r.StopReason);
        }

        [Fact]
        public void Plain_progress_prints_periodic_and_epoch_lines()
        {
            string dir = TestData.TempDir("fit-plain");
            using var model = Mlp(12);
            var log = new StringWriter(CultureInfo.InvariantCulture);
            using var small = _data.Small.Take(512);
            Trainer.Fit(model, small, null, Options(dir) with { Log = log, PlainLineSeconds = 0, ReadEveryBatches = 2 });
            string text = log.ToString();
            Assert.Contains("epoch 1/1 batch 2/8: loss ", text);
            Assert.Contains("img/s", text);
            Assert.Contains("epoch 1/1: train loss ", text);
            Assert.DoesNotContain("val loss", text);
        }

        [Fact]
        public void Cancellation_stops_between_batches_and_keeps_the_last_checkpoint()
        {
            string dir = TestData.TempDir("fit-cancel");
            using var model = Mlp(10);
            using var cts = new System.Threading.CancellationTokenSource();
            var opts = Options(dir) with { Epochs = 3, Cancellation = cts.Token, OnEpochEnd = m => { if (m.Epoch == 1) cts.Cancel(); } };
            var r = Trainer.Fit(model, _data.Small, null, opts);
            Assert.False(r.Completed);
            Assert.Contains("cancelled during epoch 2", r.StopReason);
            Assert.Single(r.Metrics);
            Assert.Equal(1, CheckpointFile.Load(r.CheckpointPath).Header.Epoch);
            Assert.Equal(2, CsvLines(dir).Length);
        }

        [Theory]
        [InlineData(LrScheduleKind.Constant)]
        [InlineData(LrScheduleKind.Step)]
        [InlineData(LrScheduleKind.Cosine)]
        [InlineData(LrScheduleKind.OneCycle)]
        public void Schedules_follow_their_definitions(LrScheduleKind kind)
        {
            var o = new TrainOptions { Epochs = 4, LearningRate = 0.1, Schedule = kind, StepEpochs = 2, StepGamma = 0.5, MinLearningRate = 0.001 };
            double At(long step) => LrSchedule.At(o, step, stepsPerEpoch: 10);
            switch (kind)
            {
                case LrScheduleKind.Constant:
                    Assert.Equal(0.1, At(37));
                    break;
                case LrScheduleKind.Step:
                    Assert.Equal(0.1, At(19), 12);
                    Assert.Equal(0.05, At(20), 12);
                    Assert.Equal(0.05, At(39), 12);
                    break;
                case LrScheduleKind.Cosine:
                    Assert.Equal(0.1, At(0), 12);
                    Assert.Equal(0.0505, At(20), 12);
                    Assert.Equal(0.001, At(40), 12);
                    break;
                case LrScheduleKind.OneCycle:
                    Assert.Equal(0.1 / 25, At(0), 12);
                    Assert.Equal(0.1, At(12), 12);
                    Assert.True(At(6) > At(1) && At(6) < At(12));
                    Assert.Equal(0.1 / 25 / 1e4, At(40), 12);
                    break;
            }
        }
    }
}
