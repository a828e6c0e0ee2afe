using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Dsl.Runtime.Data;
using Dsl.Runtime.Interop;
using Dsl.Runtime.PyTorch;
using Dsl.Runtime.Tests.Data;
using Dsl.Runtime.Tests.PyTorch;
using Dsl.Runtime.Training;
using ResNetSample;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// Fine-tuning the catalogue's torchvision ResNet-18 from a state dict torchvision wrote: the loaded weights equal
    /// the file's, the head is replaced for 5 classes, frozen parameters and frozen BatchNorm statistics stay
    /// bit-identical through training while the rest change, and every optimizer group runs at its own rate times the
    /// schedule's factor; the same flow from the command line and in the twin's train.py; and the errors.
    /// </summary>
    public sealed class FineTuningTests : IDisposable
    {
        private static readonly string[] FrozenPatterns = { "conv1.*", "bn1.*", "layer1.*", "layer2.*" };
        private readonly string _dir = TestData.TempDir("fine-tuning");

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        /// <summary>
        /// torchvision's resnet18 with a fixed seed, its BatchNorm statistics and affine parameters set away from the
        /// defaults (as a trained network's), saved with torch.save(state_dict); beside it, per key, the shape, the sum and
        /// the first values as torch computed them.
        /// </summary>
        private (string Pth, Dictionary<string, JsonElement> Stats) TorchvisionResNet18()
        {
            string pth = Path.Combine(_dir, "resnet18.pth"), stats = Path.Combine(_dir, "resnet18.json");
            var result = PythonTorch.Run(new[] { "-c", $$"""
                import json, torch, torchvision
                torch.manual_seed(7)
                m = torchvision.models.resnet18()
                with torch.no_grad():
                    for mod in m.modules():
                        if isinstance(mod, torch.nn.BatchNorm2d):
                            mod.running_mean.uniform_(-0.1, 0.1); mod.running_var.uniform_(0.5, 1.5); mod.num_batches_tracked.fill_(1000)
                            mod.weight.uniform_(0.5, 1.5); mod.bias.uniform_(-0.1, 0.1)
                sd = m.state_dict()
                torch.save(sd, {{JsonSerializer.Serialize(pth)}})
                json.dump({k: {"shape": list(v.shape), "sum": float(v.double().sum()), "first": v.flatten()[:4].double().tolist()} for k, v in sd.items()},
                          open({{JsonSerializer.Serialize(stats)}}, "w"))
                """ }, TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, result.ToString());
            using var doc = JsonDocument.Parse(File.ReadAllText(stats));
            return (pth, doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()));
        }

        /// <summary>A tiny 5-class set of 3x32x32 images: 40 seeded random images, labels 0..4 in turn.</summary>
        private static ImageDataset TinyFiveClassSet()
        {
            var generator = new torch.Generator(11);
            var images = torch.randint(0, 256, new long[] { 40, 3, 32, 32 }, generator: generator).to(ScalarType.Byte);
            var labels = torch.arange(40, ScalarType.Int64).remainder(5);
            return new ImageDataset("five", images, labels);
        }

        private static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
            model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());

        /// <summary>Bit-identical: same shape, dtype and every element equal.</summary>
        private static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

        private static bool IsFrozen(string key) => FrozenPatterns.Any(p => key.StartsWith(p[..^1], StringComparison.Ordinal));

        /// <summary>Records every optimizer group's current learning rate after each batch.</summary>
        private sealed class RateRecorder : TrainingCallback
        {
            public List<(int Epoch, string?[] Patterns, double[] Rates)> Seen { get; } = new();

            public override void OnBatchEnd(TrainingContext context, BatchProgress progress) =>
                Seen.Add((progress.Epoch, context.ParameterGroups.Select(g => g.Pattern).ToArray(), context.ParameterGroups.Select(g => g.CurrentLearningRate).ToArray()));
        }

        private TrainOptions Options(string run, params TrainingCallback[] callbacks) => new()
        {
            Epochs = 2,
            BatchSize = 8,
            LearningRate = 0.05,
            Schedule = LrScheduleKind.Step,
            StepEpochs = 1,
            StepGamma = 0.5,
            Freeze = FrozenPatterns,
            LearningRates = new Dictionary<string, double> { ["fc.*"] = 0.01 },
            OutputDir = Path.Combine(_dir, run),
            Progress = ProgressMode.Silent,
            ReadEveryBatches = 1,
            Plot = false,
            Prefetch = 0,
            Seed = 3,
            Callbacks = callbacks,
        };

        [SkippableFact]
        public void ResNet18_from_a_torchvision_pth_fine_tunes_with_frozen_weights_and_statistics_unchanged()
        {
            string? reason = PythonTorch.MissingReason;
            Skip.If(reason != null, reason);
            var (pth, stats) = TorchvisionResNet18();
            using var model = new ResNet18();

            var head = FineTuning.ReplaceClassifier(model, 5, seed: 1);
            Assert.Equal("fc: 1000 -> 5 classes", head.ToString());
            Assert.Equal(new long[] { 5, 512 }, model.fc.weight!.shape);
            Assert.Equal(new long[] { 5 }, model.fc.bias!.shape);

            var load = FineTuning.LoadPretrained(model, pth);
            Assert.Equal(new[] { "fc.bias", "fc.weight" }, load.Skipped.Select(s => s.Key).OrderBy(k => k, StringComparer.Ordinal));
            Assert.Equal(new long[] { 1000, 512 }, load.Skipped.Single(s => s.Key == "fc.weight").Actual);
            Assert.Equal(stats.Count - 2, load.Loaded.Count);

            // The loaded (non-head) weights are torchvision's: shape, sum and first values as torch computed them.
            var state = model.state_dict();
            foreach (var (key, expected) in stats)
            {
                if (key.StartsWith("fc.", StringComparison.Ordinal)) continue;
                var tensor = state[key];
                Assert.Equal(expected.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()), tensor.shape);
                double sum = tensor.to_type(ScalarType.Float64).sum().item<double>();
                double want = expected.GetProperty("sum").GetDouble();
                Assert.True(Math.Abs(sum - want) <= 1e-6 * Math.Max(1, Math.Abs(want)), $"{key}: sum {sum}, torch {want}");
                var first = tensor.flatten().to_type(ScalarType.Float64).data<double>().Take(4).ToArray();
                Assert.Equal(expected.GetProperty("first").EnumerateArray().Select(v => v.GetDouble()), first);
            }

            var before = Snapshot(model);
            var recorder = new RateRecorder();
            using var data = TinyFiveClassSet();
            var result = Trainer.Fit(model, data, null, Options("run", recorder));
            Assert.True(result.Completed, result.StopReason);

            var after = model.state_dict();
            var trainable = model.named_parameters().Select(p => p.name).Where(n => !IsFrozen(n)).ToList();
            foreach (var (key, old) in before)
            {
                if (IsFrozen(key))
                    Assert.True(Same(old, after[key]), $"{key} changed although frozen");
            }
            foreach (var key in trainable)
                Assert.False(Same(before[key], after[key]), $"{key} did not change although trainable");
            // BatchNorm layers that train keep updating their statistics; the frozen ones (checked above) do not.
            Assert.False(Same(before["layer3.0.bn1.running_mean"], after["layer3.0.bn1.running_mean"]));
            Assert.Equal(1000 + 10, after["layer3.0.bn1.num_batches_tracked"].item<long>());
            Assert.Equal(1000, after["layer1.0.bn1.num_batches_tracked"].item<long>());
            Assert.All(model.named_parameters(), p => Assert.Equal(!IsFrozen(p.name), p.parameter.requires_grad));
            Assert.Equal(new long[] { 5, 512 }, model.fc.weight!.shape);

            // Two groups: the unmatched trainable parameters at LearningRate, fc.* at 0.01; each halved in epoch 2.
            Assert.Equal(10, recorder.Seen.Count);
            foreach (var (epoch, patterns, rates) in recorder.Seen)
            {
                Assert.Equal(new string?[] { null, "fc.*" }, patterns);
                double factor = epoch == 1 ? 1 : 0.5;
                Assert.Equal(0.05 * factor, rates[0], 12);
                Assert.Equal(0.01 * factor, rates[1], 12);
            }

            // The checkpoint records the head, so the declared network loads it.
            var header = CheckpointFile.Load(result.CheckpointPath).Header;
            Assert.Equal(new[] { new HeadReplacement("fc", 512, 1000, 5) }, header.Heads);
            using var reloaded = new ResNet18();
            Trainer.LoadWeights(reloaded, result.CheckpointPath);
            Assert.True(Same(reloaded.fc.weight!, model.fc.weight!));
        }

        [Fact]
        public void A_resumed_run_applies_freezing_again_and_refuses_other_groups()
        {
            using var data = TinyFiveClassSet();
            using var model = new ResNet18();
            FineTuning.ReplaceClassifier(model, 5);
            var options = Options("resume") with { StopAfterEpoch = 1 };
            var first = Trainer.Fit(model, data, null, options);
            Assert.False(first.Completed);
            var frozenAfterEpoch1 = Snapshot(model).Where(p => IsFrozen(p.Key)).ToList();

            // A new process: a fresh network, the head replaced again, the same options; Fit freezes it again.
            using var fresh = new ResNet18();
            FineTuning.ReplaceClassifier(fresh, 5);
            var resumed = Trainer.Fit(fresh, data, null, Options("resume") with { Resume = true });
            Assert.True(resumed.Completed, resumed.StopReason);
            Assert.Equal(1, resumed.ResumedFromEpoch);
            var state = fresh.state_dict();
            foreach (var (key, value) in frozenAfterEpoch1)
                Assert.True(Same(value, state[key]), $"{key} changed after resuming");

            using var other = new ResNet18();
            FineTuning.ReplaceClassifier(other, 5);
            var e = Assert.Throws<CheckpointException>(() => Trainer.Fit(other, data, null, Options("resume") with { Resume = true, Epochs = 3, Freeze = new[] { "conv1.*" } }));
            Assert.Contains("it was trained with the parameter groups (other)=0.05 (", e.Message);
            Assert.Contains("(Freeze [conv1.*, bn1.*, layer1.*, layer2.*]); this run has", e.Message);

            using var declared = new ResNet18();
            e = Assert.Throws<CheckpointException>(() => Trainer.Fit(declared, data, null, Options("resume") with { Resume = true, Epochs = 3 }));
            Assert.Contains("its fc has 5 classes (a replaced classifier, fc: 1000 -> 5 classes), the model's has 1000", e.Message);
        }

        [Fact]
        public void A_freeze_pattern_matching_nothing_names_it_and_some_parameters_before_anything_is_written()
        {
            using var model = new ResNet18();
            var e = Assert.Throws<InvalidOptionException>(() => FineTuning.Freeze(model, new[] { "layer1.*", "layer9.*" }));
            Assert.Equal("Freeze must be patterns matching parameter names of ResNet18 (such as conv1.weight, bn1.weight, bn1.bias, layer1.0.conv1.weight, ..., fc.bias); got 'layer9.*', which matches none.", e.Message);

            using var data = TinyFiveClassSet();
            var options = Options("nothing") with { Freeze = new[] { "Layer1.*" } };
            e = Assert.Throws<InvalidOptionException>(() => Trainer.Fit(model, data, null, options));
            Assert.Contains("got 'Layer1.*', which matches none", e.Message);
            Assert.False(Directory.Exists(options.OutputDir));

            options = Options("frozen-rate") with { LearningRates = new Dictionary<string, double> { ["layer1.*"] = 0.1 } };
            e = Assert.Throws<InvalidOptionException>(() => Trainer.Fit(model, data, null, options));
            Assert.Contains("got 'layer1.*', which matches only frozen parameters", e.Message);

            options = Options("twice") with { Freeze = Array.Empty<string>(), LearningRates = new Dictionary<string, double> { ["layer4.*"] = 0.1, ["*.weight"] = 0.2 } };
            e = Assert.Throws<InvalidOptionException>(() => Trainer.Fit(model, data, null, options));
            Assert.Equal("LearningRates must be patterns that match each parameter at most once; got '*.weight' and 'layer4.*', which both match layer4.0.conv1.weight.", e.Message);
        }

        [Theory]
        [InlineData("layer1.*", "layer1.0.conv1.weight", true)]
        [InlineData("layer1.*", "layer10.0.conv1.weight", false)]
        [InlineData("layer1.*", "xlayer1.0.conv1.weight", false)]
        [InlineData("fc.?eight", "fc.weight", true)]
        [InlineData("layer[12].*", "layer2.0.bn1.bias", true)]
        [InlineData("layer[!12].*", "layer2.0.bn1.bias", false)]
        [InlineData("layer[!12].*", "layer3.0.bn1.bias", true)]
        [InlineData("*.bn?.*", "layer3.0.bn2.weight", true)]
        [InlineData("fc.weight", "fc.weight", true)]
        [InlineData("[fc.weight", "[fc.weight", true)]
        public void Patterns_are_fnmatch_globs_where_a_star_crosses_dots(string pattern, string name, bool matches) =>
            Assert.Equal(matches, FineTuning.Matches(pattern, name));

        [Fact]
        public void A_state_dict_with_a_wrong_shape_outside_the_head_or_missing_keys_is_refused_naming_them()
        {
            using var source = new ResNet18();
            var tensors = source.state_dict().ToDictionary(p => p.Key, p => p.Value);
            tensors["layer1.0.conv1.weight"] = torch.zeros(64, 64, 1, 1);
            string wrongShape = Path.Combine(_dir, "wrong-shape.pth");
            PyTorchCheckpoint.SaveTensors(tensors, wrongShape);

            using var model = new ResNet18();
            FineTuning.ReplaceClassifier(model, 5);
            var before = Snapshot(model);
            var e = Assert.Throws<StateDictMismatchException>(() => FineTuning.LoadPretrained(model, wrongShape));
            Assert.Equal($"The checkpoint {wrongShape} does not fit the module: shape mismatches (1): layer1.0.conv1.weight: expected [64, 64, 3, 3], file has [64, 64, 1, 1].", e.Message);
            Assert.All(model.state_dict(), p => Assert.True(Same(before[p.Key], p.Value), $"{p.Key} was changed by a refused load"));

            tensors = source.state_dict().Where(p => p.Key != "layer4.1.bn2.running_var").ToDictionary(p => p.Key, p => p.Value);
            string missing = Path.Combine(_dir, "missing.pth");
            PyTorchCheckpoint.SaveTensors(tensors, missing);
            e = Assert.Throws<StateDictMismatchException>(() => FineTuning.LoadPretrained(model, missing));
            Assert.Equal(new[] { "layer4.1.bn2.running_var" }, e.MissingKeys);
            Assert.Empty(e.ShapeMismatches);

            // Without a replaced head, a head of another size in the file is skipped too (the file's is not forced in).
            using var declared = new ResNet18();
            var replacedFile = Path.Combine(_dir, "five.pth");
            PyTorchCheckpoint.Save(model, replacedFile);
            var load = FineTuning.LoadPretrained(declared, replacedFile);
            Assert.Equal(new[] { "fc.weight", "fc.bias" }, load.Skipped.Select(s => s.Key));
        }

        [SkippableFact]
        public void The_command_line_fine_tunes_and_evaluate_rebuilds_the_head_from_the_checkpoint()
        {
            string? reason = PythonTorch.MissingReason;
            Skip.If(reason != null, reason);
            var (pth, _) = TorchvisionResNet18();
            string data = WriteImageFolder();
            string run = Path.Combine(_dir, "cli-run");
            var (code, output, error) = CommandLineTests.Cli("train", "--model", "resnet18", "--init-from", pth, "--classes", "5",
                "--freeze", "conv1.*,bn1.*", "--freeze", "layer1.*,layer2.*", "--lr-for", "fc.*=0.01", "--data", data,
                "--epochs", "1", "--batch-size", "8", "--threads", "1", "--schedule", "constant", "--out", run);
            Assert.True(code == 0, error + output);
            Assert.Contains("fc: 1000 -> 5 classes", output);
            Assert.Contains($"init: loaded 120 tensors from {pth}; kept the replaced head's fc.weight [5, 512] (file [1000, 512]), fc.bias [5] (file [1000])", output);
            Assert.Contains("frozen: conv1.*, bn1.*, layer1.*, layer2.*: 30 parameter tensors (683,072 values); 10,496,005 values to train; 10 BatchNorm layers keep their statistics", output);

            // The trained checkpoint keeps torchvision's frozen tensors exactly.
            using var model = new ResNet18();
            Trainer.LoadWeights(model, Path.Combine(run, "checkpoint.ckpt"));
            var file = PyTorchCheckpoint.ReadTensors(pth);
            var state = model.state_dict();
            foreach (var (key, value) in file.Where(p => IsFrozen(p.Key)))
                Assert.True(Same(value, state[key]), $"{key} differs from the .pth after training");
            Assert.False(Same(file["layer4.1.conv2.weight"], state["layer4.1.conv2.weight"]));

            (code, output, error) = CommandLineTests.Cli("evaluate", "--checkpoint", Path.Combine(run, "checkpoint.ckpt"), "--data", data);
            Assert.True(code == 0, error + output);
            Assert.Contains("fc: 1000 -> 5 classes", output);
            Assert.Contains("on 20 images", output);

            (code, _, error) = CommandLineTests.Cli("train", "--model", "resnet18", "--freeze", "layer9.*", "--data", data, "--epochs", "1", "--out", Path.Combine(_dir, "cli-bad"));
            Assert.Equal(2, code);
            Assert.Contains("error: --freeze must be patterns matching parameter names of ResNet18", error);
            (code, _, error) = CommandLineTests.Cli("train", "--model", "resnet18", "--lr-for", "fc.*", "--data", data, "--out", Path.Combine(_dir, "cli-bad"));
            Assert.Equal(2, code);
            Assert.Contains("error: --lr-for must be PATTERN=RATE pairs separated by commas, e.g. 'fc.*=0.01'; got 'fc.*'.", error);
        }

        /// <summary>An image folder of 5 classes x 4 RGB 32x32 PNGs (SkiaSharp), each class a different colour plus noise.</summary>
        private string WriteImageFolder()
        {
            string root = Path.Combine(_dir, "five-classes");
            var random = new Random(5);
            for (int c = 0; c < 5; c++)
                for (int i = 0; i < 4; i++)
                {
                    var pixels = new byte[3 * 32 * 32];
                    for (int k = 0; k < pixels.Length; k++) pixels[k] = (byte)Math.Clamp(50 * c + (k / 1024) * 30 + random.Next(-20, 20), 0, 255);
                    ImageFiles.Write(Path.Combine(root, "class" + c, $"{i}.png"), pixels, 3, 32, 32);
                }
            return root;
        }

        [SkippableFact]
        public void Train_py_fine_tunes_with_the_same_options_and_keeps_frozen_tensors()
        {
            string? reason = PythonTorch.MissingReason;
            Skip.If(reason != null, reason);
            var (pth, _) = TorchvisionResNet18();
            string data = WriteImageFolder();
            string twin = Path.Combine(_dir, "twin");
            var (code, output, error) = CommandLineTests.Cli("export", "resnet18", "--format", "pytorch", "--out", twin);
            Assert.True(code == 0, error + output);
            string run = Path.Combine(_dir, "twin-run");
            var result = PythonTorch.Run(new[] { Path.Combine(twin, "train.py"), "--data", data, "--epochs", "1", "--batch-size", "8",
                "--init-from", pth, "--classes", "5", "--freeze", "conv1.*,bn1.*,layer1.*,layer2.*", "--lr-for", "fc.*=0.01",
                "--schedule", "constant", "--out", run }, TimeSpan.FromMinutes(4));
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("fc: 1000 -> 5 classes", result.Output);
            Assert.Contains($"init: loaded 120 tensors from {pth}; kept the replaced head's fc.bias, fc.weight", result.Output);

            var trained = PyTorchCheckpoint.ReadTensors(Path.Combine(run, "model.safetensors"));
            var file = PyTorchCheckpoint.ReadTensors(pth);
            Assert.Equal(new long[] { 5, 512 }, trained["fc.weight"].shape);
            foreach (var (key, value) in file.Where(p => IsFrozen(p.Key)))
                Assert.True(Same(value, trained[key]), $"{key} changed in train.py although frozen");
            Assert.False(Same(file["layer3.0.bn1.running_mean"], trained["layer3.0.bn1.running_mean"]));
            Assert.False(Same(file["layer4.1.conv2.weight"], trained["layer4.1.conv2.weight"]));

            result = PythonTorch.Run(new[] { Path.Combine(twin, "train.py"), "--data", data, "--epochs", "1", "--freeze", "layer9.*", "--out", Path.Combine(_dir, "twin-bad") }, TimeSpan.FromMinutes(2));
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("error: --freeze must be patterns matching parameter names of ResNet18 (such as conv1.weight, bn1.weight, bn1.bias, layer1.0.conv1.weight, ..., fc.bias); got 'layer9.*', which matches none", result.Error);
        }
    }
}
