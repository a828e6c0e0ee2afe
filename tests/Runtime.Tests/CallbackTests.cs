using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Dsl.Runtime.Data;
using Dsl.Runtime.Training;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>Writes down every hook it sees, in order.</summary>
    internal sealed class HookRecorder : TrainingCallback
    {
        public List<string> Calls { get; } = new();

        public override void OnTrainStart(TrainingContext c) => Calls.Add($"start {c.StartEpoch}");
        public override void OnEpochStart(TrainingContext c) => Calls.Add($"epoch {c.Epoch}");
        public override void OnBatchEnd(TrainingContext c, BatchProgress p) => Calls.Add($"batch {p.Epoch}.{p.Batch}/{p.Batches}");
        public override void OnEpochEnd(TrainingContext c, EpochMetrics m) => Calls.Add($"end {m.Epoch} ({c.Metrics.Count} in history)");
        public override void OnTrainEnd(TrainingContext c, Exception? failure) => Calls.Add(failure is null ? "done" : "failed: " + failure.GetType().Name);
    }

    public class CallbackTests : IClassFixture<FashionFixture>
    {
        private readonly FashionFixture _data;

        public CallbackTests(FashionFixture data) => _data = data;

        internal static Sequential Mlp(long seed)
        {
            manual_seed(seed);
            return nn.Sequential(("flatten", nn.Flatten()), ("fc1", nn.Linear(784, 32)), ("relu", nn.ReLU()), ("fc2", nn.Linear(32, 10)));
        }

        internal static TrainOptions Options(string dir) => new()
        {
            OutputDir = dir,
            Epochs = 3,
            BatchSize = 64,
            LearningRate = 0.05,
            Seed = 1,
            Progress = ProgressMode.Silent,
            Plot = false,
            ReleaseMemoryEachEpoch = false,
            Transform = new ImageTransform { Mean = new[] { 0.286 }, Std = new[] { 0.353 } },
        };

        [Fact]
        public void A_user_callback_sees_every_hook_in_order()
        {
            string dir = TestData.TempDir("cb-hooks");
            using var model = Mlp(1);
            using var data = _data.Small.Take(256); // 4 batches of 64
            var recorder = new HookRecorder();
            Trainer.Fit(model, data, _data.SmallVal, Options(dir) with { Epochs = 2, ReadEveryBatches = 2, Callbacks = new[] { recorder } });
            Assert.Equal(new[]
            {
                "start 1",
                "epoch 1", "batch 1.2/4", "batch 1.4/4", "end 1 (1 in history)",
                "epoch 2", "batch 2.2/4", "batch 2.4/4", "end 2 (2 in history)",
                "done",
            }, recorder.Calls);
        }

        [Fact]
        public void A_callbacks_state_is_restored_from_the_checkpoint_when_the_run_resumes()
        {
            string dir = TestData.TempDir("cb-resume");
            using var data = _data.Small.Take(256);
            var first = new TargetAccuracy(target: 2.0); // unreachable: never stops the run
            using (var model = Mlp(2))
                Trainer.Fit(model, data, _data.SmallVal, Options(dir) with { StopAfterEpoch = 2, Callbacks = new[] { first } });
            Assert.Equal(2, first.EpochsSeen);

            // A new process would build a new callback: it starts at 0 and gets its count back from the checkpoint.
            var resumed = new TargetAccuracy(target: 2.0);
            var recorder = new HookRecorder();
            FitResult result;
            using (var model = Mlp(3))
                result = Trainer.Resume(model, data, _data.SmallVal, Options(dir) with { Callbacks = new TrainingCallback[] { resumed, recorder } });
            Assert.True(result.Completed);
            Assert.Equal(2, result.ResumedFromEpoch);
            Assert.Equal(3, resumed.EpochsSeen);
            Assert.Equal("start 3", recorder.Calls[0]);
            Assert.Equal(3, CheckpointFile.Load(result.CheckpointPath).Header.Callbacks["TargetAccuracy"]!["epochsSeen"]!.GetValue<int>());
        }

        [Fact]
        public void A_callback_can_stop_the_run_after_its_epoch_is_checkpointed()
        {
            string dir = TestData.TempDir("cb-stop");
            using var model = Mlp(4);
            var result = Trainer.Fit(model, _data.Small, _data.SmallVal, Options(dir) with { Callbacks = new[] { new TargetAccuracy(target: 0.3) } });
            Assert.False(result.Completed);
            Assert.StartsWith("reached ", result.StopReason);
            Assert.Contains("after 1 epochs", result.StopReason);
            Assert.Equal(1, CheckpointFile.Load(result.CheckpointPath).Header.Epoch);
            Assert.Equal(2, File.ReadAllLines(result.MetricsCsvPath).Length);
        }

        [Fact]
        public void Two_callbacks_with_the_same_state_key_are_refused_when_the_checkpoint_is_written()
        {
            string dir = TestData.TempDir("cb-dup");
            using var model = Mlp(5);
            using var data = _data.Small.Take(128);
            var e = Assert.Throws<InvalidOperationException>(() => Trainer.Fit(model, data, null,
                Options(dir) with { Callbacks = new[] { new TargetAccuracy(2), new TargetAccuracy(2) } }));
            Assert.Contains("'TargetAccuracy'", e.Message);
            Assert.False(File.Exists(Path.Combine(dir, CheckpointFile.FileName)));
        }

        [Fact]
        public void A_checkpoint_written_before_callbacks_existed_restores_early_stopping()
        {
            string dir = TestData.TempDir("cb-legacy");
            using var data = _data.Small.Take(256);
            var options = Options(dir) with { Epochs = 6, EarlyStoppingPatience = 2, EarlyStoppingMinDelta = 10 };
            using (var model = Mlp(6))
                Trainer.Fit(model, data, _data.SmallVal, options with { StopAfterEpoch = 1 });

            // Rewrite the checkpoint as the format stood before: early stopping in three header fields, no callbacks.
            string path = Path.Combine(dir, CheckpointFile.FileName);
            var old = CheckpointFile.Load(path);
            old.Header.Callbacks = new Dictionary<string, JsonNode?>();
            (old.Header.BestMetric, old.Header.BestEpoch, old.Header.EpochsWithoutImprovement) = (-1.0, 1, 1);
            CheckpointFile.Save(path, old);

            using var resumedModel = Mlp(7);
            var result = Trainer.Resume(resumedModel, data, _data.SmallVal, options);
            // One epoch without improvement was carried over, so the second makes two: stop after epoch 2.
            Assert.False(result.Completed);
            Assert.Equal(2, result.Metrics.Count);
            Assert.Equal(1, result.BestEpoch);
            Assert.Contains("early stopping", result.StopReason);
        }

        [Fact]
        public void The_readme_shows_the_callback_exactly_as_it_is_compiled_here()
        {
            string source = File.ReadAllText(Path.Combine(TestData.RepoRoot, "tests", "Runtime.Tests", "Snippets", "TargetAccuracy.cs")).Replace("\r\n", "\n");
            int begin = source.IndexOf("// README:begin\n", StringComparison.Ordinal) + "// README:begin\n".Length;
            int end = source.IndexOf("// README:end", StringComparison.Ordinal);
            string snippet = source[begin..end];
            string readme = File.ReadAllText(Path.Combine(TestData.RepoRoot, "README.md")).Replace("\r\n", "\n");
            Assert.Contains("```csharp\n" + snippet, readme);
            Assert.Contains("Callbacks = new[] { stopAt90 }", readme);
        }
    }
}
