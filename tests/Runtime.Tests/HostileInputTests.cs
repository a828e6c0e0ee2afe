using System;
using System.IO;
using System.Linq;
using Dsl.Runtime.Data;
using Dsl.Runtime.Device;
using Dsl.Runtime.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>A linear model whose logits become NaN in eval mode after a number of eval forward passes.</summary>
    internal sealed class NanInEvalModel : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc;
        private readonly int _nanAfter;
        private int _evalCalls;

        public NanInEvalModel(int nanAfterEvalCalls) : base(nameof(NanInEvalModel))
        {
            fc = nn.Linear(784, 10);
            _nanAfter = nanAfterEvalCalls;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var y = fc.forward(x.flatten(1));
            return !training && ++_evalCalls > _nanAfter ? y.mul(float.NaN) : y;
        }
    }

    /// <summary>Bad settings, bad data, divergence and failing disks: clear errors, nothing earlier lost.</summary>
    public class HostileInputTests : IClassFixture<FashionFixture>
    {
        private readonly FashionFixture _data;

        public HostileInputTests(FashionFixture data) => _data = data;

        private static string NewRunDir(string name) => Path.Combine(TestData.TempDir(name), "run");

        [Theory]
        [InlineData("LearningRate", double.NaN, "a finite number greater than 0", "NaN")]
        [InlineData("LearningRate", -0.1, "a finite number greater than 0", "-0.1")]
        [InlineData("LearningRate", double.PositiveInfinity, "a finite number greater than 0", "Infinity")]
        [InlineData("WeightDecay", -1e-4, "a finite number of 0 or more", "-0.0001")]
        [InlineData("WeightDecay", double.NaN, "a finite number of 0 or more", "NaN")]
        [InlineData("ClipGradNorm", 0.0, "a finite number greater than 0", "0")]
        [InlineData("ClipGradNorm", double.NaN, "a finite number greater than 0", "NaN")]
        [InlineData("Momentum", 1.5, "a number in [0, 1)", "1.5")]
        [InlineData("Epochs", -3.0, "a whole number of at least 1", "-3")]
        [InlineData("BatchSize", 0.0, "a whole number of at least 1", "0")]
        [InlineData("EarlyStoppingPatience", 0.0, "a whole number of at least 1", "0")]
        [InlineData("EarlyStoppingMinDelta", -1.0, "a finite number of 0 or more", "-1")]
        public void A_setting_that_cannot_work_is_named_with_its_range_before_anything_is_written(string option, double value, string range, string shown)
        {
            string dir = NewRunDir("bad-option");
            var o = CallbackTests.Options(dir);
            o = option switch
            {
                "LearningRate" => o with { LearningRate = value },
                "WeightDecay" => o with { WeightDecay = value },
                "ClipGradNorm" => o with { ClipGradNorm = value },
                "Momentum" => o with { Momentum = value },
                "Epochs" => o with { Epochs = (int)value },
                "BatchSize" => o with { BatchSize = (int)value },
                "EarlyStoppingPatience" => o with { EarlyStoppingPatience = (int)value },
                "EarlyStoppingMinDelta" => o with { EarlyStoppingMinDelta = value },
                _ => throw new ArgumentException(option),
            };
            using var model = CallbackTests.Mlp(1);
            var e = Assert.Throws<InvalidOptionException>(() => Trainer.Fit(model, _data.SmallVal, null, o));
            Assert.Equal(option, e.Option);
            Assert.Equal($"{option} must be {range}; got {shown}.", e.Message);
            Assert.False(Directory.Exists(dir));
        }

        [Fact]
        public void An_output_folder_that_is_a_file_and_resume_with_overwrite_are_refused()
        {
            string file = Path.Combine(TestData.TempDir("out-file"), "results.txt");
            File.WriteAllText(file, "keep me");
            using var model = CallbackTests.Mlp(1);
            var e = Assert.Throws<InvalidOptionException>(() => Trainer.Fit(model, _data.SmallVal, null, CallbackTests.Options(file)));
            Assert.Equal($"OutputDir must be a folder; got {file}, which is a file.", e.Message);
            Assert.Equal("keep me", File.ReadAllText(file));

            var both = Assert.Throws<InvalidOptionException>(() => Trainer.Fit(model, _data.SmallVal, null, CallbackTests.Options(NewRunDir("both")) with { Resume = true, Overwrite = true }));
            Assert.Equal("Overwrite", both.Option);
        }

        [Theory]
        [InlineData(-1)]
        [InlineData(1_000_000)]
        public void A_thread_count_the_machine_cannot_run_is_refused_with_the_valid_range(int threads)
        {
            var e = Assert.Throws<InvalidOptionException>(() => DeviceSetup.Create("cpu", threads: threads));
            Assert.Equal("threads", e.Option);
            Assert.Contains($"between 1 and {4 * Environment.ProcessorCount}", e.Message);
            Assert.Contains($"got {threads}", e.Message);
        }

        [Fact]
        public void A_label_outside_the_classes_is_reported_at_load_with_the_file_and_index()
        {
            string dir = TestData.TempDir("bad-label");
            IdxReader.WriteImages(Path.Combine(dir, "img.gz"), new byte[3 * 28 * 28], 3, 28, 28, gzip: true);
            IdxReader.WriteLabels(Path.Combine(dir, "lbl.gz"), new byte[] { 1, 12, 3 }, gzip: true);
            var e = Assert.Throws<InvalidDataException>(() =>
                ImageDataset.FromIdx(Path.Combine(dir, "img.gz"), Path.Combine(dir, "lbl.gz"), "tiny", Mnist.DigitClassNames));
            Assert.StartsWith("lbl.gz: label 12 at index 1 is outside [0, 10)", e.Message);
        }

        [Fact]
        public void A_label_the_model_cannot_output_is_reported_before_training_with_the_set_and_index()
        {
            string dir = NewRunDir("model-label");
            var labels = torch.tensor(new long[] { 3, 4, 10, 1 });
            using var data = new ImageDataset("four images", torch.zeros(4, 1, 28, 28, ScalarType.Byte), labels);
            using var model = CallbackTests.Mlp(1);
            var e = Assert.Throws<InvalidDataException>(() => Trainer.Fit(model, data, null, CallbackTests.Options(dir)));
            Assert.Equal("Label 10 at index 2 of the training set 'four images' is outside [0, 10): Sequential outputs 10 classes.", e.Message);
            Assert.False(Directory.Exists(dir));
        }

        [Fact]
        public void A_test_set_of_the_wrong_image_size_is_found_before_the_first_batch()
        {
            string dir = NewRunDir("val-shape");
            using var val = new ImageDataset("big test", torch.zeros(8, 1, 32, 32, ScalarType.Byte), torch.zeros(8, ScalarType.Int64));
            using var model = CallbackTests.Mlp(1);
            var recorder = new HookRecorder();
            var e = Assert.Throws<InvalidDataException>(() => Trainer.Fit(model, _data.SmallVal, val, CallbackTests.Options(dir) with { Callbacks = new[] { recorder } }));
            Assert.StartsWith("The validation set 'big test' does not fit Sequential: its images are [1, 32, 32]", e.Message);
            Assert.Empty(recorder.Calls); // not a single batch was trained
            Assert.False(Directory.Exists(dir));

            // With a resize to the model's 28x28 the same images are accepted.
            var resized = CallbackTests.Options(dir) with { Epochs = 1, Transform = new ImageTransform { Resize = 28 } };
            var r = Trainer.Fit(model, _data.SmallVal, val, resized);
            Assert.True(r.Completed);
        }

        [Fact]
        public void Empty_data_sets_are_refused_by_name()
        {
            using var model = CallbackTests.Mlp(1);
            using var empty = _data.SmallVal.Take(0);
            var train = Assert.Throws<InvalidDataException>(() => Trainer.Fit(model, empty, _data.SmallVal, CallbackTests.Options(NewRunDir("empty"))));
            Assert.Equal("The training set 'fashion-mnist test' is empty: it holds no samples.", train.Message);
            var val = Assert.Throws<InvalidDataException>(() => Trainer.Fit(model, _data.SmallVal, empty, CallbackTests.Options(NewRunDir("empty"))));
            Assert.StartsWith("The validation set ", val.Message);
            var limit = Assert.Throws<InvalidOptionException>(() => _data.SmallVal.Take(-5));
            Assert.Contains("got -5", limit.Message);
        }

        [Fact]
        public void A_non_finite_validation_loss_stops_the_run_and_keeps_the_last_good_checkpoint()
        {
            string dir = NewRunDir("val-nan");
            // 2 probe passes, then 2 validation batches of 256 per epoch: epoch 2's validation is the first to go bad.
            using var model = new NanInEvalModel(nanAfterEvalCalls: 4);
            var o = CallbackTests.Options(dir) with { EvalBatchSize = 256 };
            var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(model, _data.SmallVal, _data.SmallVal, o));
            Assert.Contains("Training stopped: the validation loss became NaN after epoch 2", e.Message);
            Assert.Contains($"The last good checkpoint {Path.Combine(dir, CheckpointFile.FileName)} (epoch 1)", e.Message);
            Assert.Equal((2, 0), (e.Epoch, e.Batch));
            Assert.Equal(1, CheckpointFile.Load(e.LastGoodCheckpoint!).Header.Epoch);
            Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, Trainer.MetricsCsvName)).Length);

            string first = NewRunDir("val-nan-first");
            using var bad = new NanInEvalModel(nanAfterEvalCalls: 2);
            var e1 = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(bad, _data.SmallVal, _data.SmallVal, o with { OutputDir = first }));
            Assert.Contains("after epoch 1", e1.Message);
            Assert.Contains("No checkpoint had been written yet", e1.Message);
            Assert.Null(e1.LastGoodCheckpoint);
            Assert.False(File.Exists(Path.Combine(first, CheckpointFile.FileName)));
        }

        [Fact]
        public void A_checkpoint_holding_nan_weights_is_never_resumed()
        {
            string dir = NewRunDir("nan-ckpt");
            using var model = CallbackTests.Mlp(1);
            var o = CallbackTests.Options(dir) with { Epochs = 2, StopAfterEpoch = 1 };
            Trainer.Fit(model, _data.SmallVal, null, o);
            string path = Path.Combine(dir, CheckpointFile.FileName);
            var data = CheckpointFile.Load(path);
            using (torch.no_grad()) model.parameters().First().fill_(float.NaN);
            CheckpointFile.Save(path, new CheckpointData(data.Header, Trainer.SaveModelState(model), data.OptimizerState));

            using var again = CallbackTests.Mlp(2);
            var e = Assert.Throws<CheckpointException>(() => Trainer.Resume(again, _data.SmallVal, null, o));
            Assert.Contains(path, e.Message);
            Assert.Contains("NaN or infinite weights", e.Message);
        }

        [Fact]
        public void A_failed_checkpoint_write_keeps_the_previous_checkpoint_and_metrics_and_leaves_no_temp_file()
        {
            string dir = NewRunDir("disk-full");
            int writes = 0;
            var o = CallbackTests.Options(dir) with
            {
                Epochs = 3,
                // The second checkpoint (epoch 2) hits a full disk after 1,000 bytes.
                WriteFilter = (path, s) => path.EndsWith(CheckpointFile.FileName, StringComparison.Ordinal) && ++writes == 2
                    ? new FaultStream(s, 1000, FaultStream.DiskFull) : s,
            };
            using var model = CallbackTests.Mlp(1);
            var e = Assert.Throws<OutputWriteException>(() => Trainer.Fit(model, _data.SmallVal, _data.SmallVal, o));
            string checkpoint = Path.Combine(dir, CheckpointFile.FileName);
            Assert.StartsWith($"Could not write {checkpoint}: No space left on device", e.Message);
            Assert.Equal(1, CheckpointFile.Load(checkpoint).Header.Epoch);
            Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, Trainer.MetricsCsvName)).Length);
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));

            // Once the disk has room again the run resumes from epoch 1.
            using var again = CallbackTests.Mlp(2);
            var r = Trainer.Resume(again, _data.SmallVal, _data.SmallVal, o with { WriteFilter = null });
            Assert.Equal(1, r.ResumedFromEpoch);
            Assert.Equal(4, File.ReadAllLines(Path.Combine(dir, Trainer.MetricsCsvName)).Length);
        }

        [Fact]
        public void A_new_run_into_a_folder_with_a_checkpoint_is_refused_unless_asked_to_overwrite()
        {
            string dir = NewRunDir("existing");
            using var model = CallbackTests.Mlp(1);
            var o = CallbackTests.Options(dir) with { Epochs = 1 };
            Trainer.Fit(model, _data.SmallVal, null, o);
            string checkpoint = Path.Combine(dir, CheckpointFile.FileName), csv = Path.Combine(dir, Trainer.MetricsCsvName);
            byte[] before = File.ReadAllBytes(checkpoint);
            string csvBefore = File.ReadAllText(csv);

            var e = Assert.Throws<ExistingCheckpointException>(() => Trainer.Fit(model, _data.SmallVal, null, o with { Epochs = 2 }));
            Assert.Equal(checkpoint, e.Path);
            Assert.Contains("set Resume to continue that run, or Overwrite", e.Message);
            Assert.Equal(before, File.ReadAllBytes(checkpoint));
            Assert.Equal(csvBefore, File.ReadAllText(csv));

            var fresh = Trainer.Fit(model, _data.SmallVal, null, o with { Epochs = 2, Overwrite = true });
            Assert.Null(fresh.ResumedFromEpoch);
            Assert.Equal(new[] { 1, 2 }, fresh.Metrics.Select(m => m.Epoch));
        }
    }
}
