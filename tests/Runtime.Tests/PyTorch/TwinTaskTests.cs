using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dsl.Runtime.Data;
using Dsl.Runtime.Data.Transforms;
using Dsl.Runtime.PyTorch;
using Dsl.Runtime.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.PyTorch
{
    /// <summary>
    /// train.py's tasks against the .NET runtime's: the same losses, statistics and metrics on fixed outputs and targets
    /// (twin_task_check.py compare), the same option errors, and train.py's metrics.csv (the .NET columns per task) holding
    /// the validation metrics that numpy formulas give for the trained model.
    /// </summary>
    public sealed class TwinTaskTests : IDisposable
    {
        private readonly string _dir = TestData.TempDir("twin-tasks");
        private readonly string _train;

        public TwinTaskTests()
        {
            _train = Path.Combine(_dir, "train.py");
            File.WriteAllText(_train, PyTorchExport.TrainingScript);
        }

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

        private static string Check => Path.Combine(PythonTorch.Helpers, "twin_task_check.py");

        private static string Tiny => Path.Combine(PythonTorch.Helpers, "tiny_twins.py");

        /// <summary>One case: a .NET task and the outputs and targets both sides score.</summary>
        private sealed record Case(TrainingTask Task, string Name, Dictionary<string, object> Options, float[] Output, long[] OutputShape, double[] Target, long[] TargetShape);

        private static float[] Floats(Random r, int count, double scale) => Enumerable.Range(0, count).Select(_ => (float)((r.NextDouble() * 2 - 1) * scale)).ToArray();

        private static List<Case> Cases()
        {
            var r = new Random(20);
            var cases = new List<Case>();
            // Classification: 7 classes (top-5), with and without label smoothing; 3 classes (top-3).
            foreach (var (classes, smoothing) in new[] { (7, 0.0), (7, 0.1), (3, 0.3) })
            {
                var labels = Enumerable.Range(0, 12).Select(_ => (double)r.Next(classes)).ToArray();
                cases.Add(new Case(new ClassificationTask(smoothing), "classification", new() { ["label_smoothing"] = smoothing },
                    Floats(r, 12 * classes, 3), new long[] { 12, classes }, labels, new long[] { 12 }));
            }
            // Segmentation: 4 classes, masks of classes 0..2 with ignored pixels; class 3 scores lowest everywhere, so its
            // union is empty and it does not count in the mean IoU.
            {
                var logits = Floats(r, 2 * 4 * 5 * 6, 2);
                for (int n = 0; n < 2; n++)
                    for (int p = 0; p < 30; p++) logits[(n * 4 + 3) * 30 + p] = -10;
                var masks = Enumerable.Range(0, 60).Select(i => i % 7 == 3 ? 255.0 : r.Next(3)).ToArray();
                cases.Add(new Case(new SegmentationTask(4), "segmentation", new() { ["classes"] = 4 }, logits, new long[] { 2, 4, 5, 6 }, masks, new long[] { 2, 5, 6 }));
            }
            // Regression, 2 columns: errors beyond the Huber delta 1 and within it.
            foreach (var loss in new[] { RegressionLoss.Mse, RegressionLoss.Mae, RegressionLoss.Huber })
                cases.Add(new Case(new RegressionTask(loss), "regression", new() { ["loss"] = loss.ToString().ToLowerInvariant() },
                    Floats(r, 20, 2), new long[] { 10, 2 }, Floats(r, 20, 2).Select(v => (double)v).ToArray(), new long[] { 10, 2 }));
            // A constant target column has no R²: the mean over the columns is NaN on both sides.
            cases.Add(new Case(new RegressionTask(), "regression", new() { ["loss"] = "mse" },
                Floats(r, 8, 2), new long[] { 4, 2 }, new double[] { 1, 0.5, 1, -0.25, 1, 2, 1, 0 }, new long[] { 4, 2 }));
            return cases;
        }

        private static double? Number(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble();

        private static void Close(double expected, double? actual, double tolerance, string what)
        {
            if (double.IsNaN(expected))
            {
                Assert.True(actual is null, $"{what}: .NET gives NaN, train.py {actual}");
                return;
            }
            Assert.True(actual is double a && Math.Abs(a - expected) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: .NET gives {expected:R}, train.py {actual:R}");
        }

        [SkippableFact]
        public void Losses_statistics_and_metrics_equal_the_dotnet_tasks_on_the_same_outputs_and_image_to_sequence_equals_dotnets()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            var cases = Cases();
            var image = Enumerable.Range(0, 24).Select(i => (float)(i * 0.125 - 1)).ToArray();
            var json = cases.Select(c => (object)new Dictionary<string, object>
            {
                ["task"] = c.Name, ["options"] = c.Options, ["output"] = c.Output.Select(v => (double)v).ToArray(), ["output_shape"] = c.OutputShape,
                ["target"] = c.Target, ["target_shape"] = c.TargetShape,
            }).Append(new Dictionary<string, object> { ["transform"] = "ImageToSequence()", ["input"] = image.Select(v => (double)v).ToArray(), ["input_shape"] = new[] { 1, 4, 6 } }).ToList();
            string file = Path.Combine(_dir, "cases.json");
            File.WriteAllText(file, JsonSerializer.Serialize(json));

            var result = PythonTorch.Run(new[] { Check, "compare", _train, file }, Timeout);
            Assert.True(result.ExitCode == 0, result.ToString());
            var lines = Regex.Matches(result.Output, @"^case (\d+): (.*)$", RegexOptions.Multiline)
                .ToDictionary(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m => JsonDocument.Parse(m.Groups[2].Value).RootElement);
            Assert.Equal(cases.Count + 1, lines.Count);

            for (int i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                string what = $"case {i} ({c.Task})";
                using var scope = torch.NewDisposeScope();
                var output = torch.tensor(c.Output, c.OutputShape);
                var target = c.Name == "regression"
                    ? torch.tensor(c.Target.Select(v => (float)v).ToArray(), c.TargetShape)
                    : torch.tensor(c.Target.Select(v => (long)v).ToArray(), c.TargetShape);
                double loss = c.Task.Loss(output, target).item<float>();
                double[] sums = c.Task.Statistics(output, target).data<double>().ToArray();
                var (metric, extra) = c.Task.Compute(sums);

                var twin = lines[i];
                Close(loss, twin.GetProperty("loss").GetDouble(), 1e-6, what + " loss");
                var statistics = twin.GetProperty("statistics").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                Assert.Equal(sums.Length, statistics.Length);
                for (int j = 0; j < sums.Length; j++) Close(sums[j], statistics[j], 1e-12, $"{what} statistic {j}");
                Close(metric, Number(twin.GetProperty("metric")), 1e-9, what + " " + c.Task.MetricKey);
                var twinExtra = twin.GetProperty("extra").EnumerateArray().Select(Number).ToArray();
                Assert.Equal(c.Task.ExtraMetrics.Count, twinExtra.Length);
                for (int j = 0; j < extra.Length; j++) Close(extra[j], twinExtra[j], 1e-9, $"{what} {c.Task.ExtraMetrics[j]}");
            }
            // The fixed cases reach the paths they are for: an empty union, a top-5 miss, a NaN R².
            var confusion = lines[3].GetProperty("statistics").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(0, Enumerable.Range(0, 4).Sum(j => confusion[3 * 4 + j] + confusion[j * 4 + 3])); // class 3: neither true nor predicted
            Assert.True(lines[0].GetProperty("extra")[0].GetDouble() < 1, "every label was in the top 5");
            Assert.Equal(JsonValueKind.Null, lines[cases.Count - 1].GetProperty("metric").ValueKind);

            // ImageToSequence(): [1, 4, 6] becomes [6, 4] as the .NET transform makes it.
            using (torch.NewDisposeScope())
            {
                using var example = new Example(torch.tensor(image, new long[] { 1, 4, 6 }), torch.tensor(0L), TargetKind.Class, "image");
                using var sequence = TransformText.Parse("ImageToSequence()").Apply(example, new TransformRandom(1, 0, 0));
                var twin = lines[cases.Count];
                Assert.Equal("ImageToSequence()", twin.GetProperty("text").GetString());
                Assert.Equal(sequence.Input.shape, twin.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray());
                Assert.Equal(sequence.Input.data<float>().Select(v => (double)v).ToArray(), twin.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray());
            }
        }

        [SkippableFact]
        public void Task_options_are_refused_with_the_dotnet_messages()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            var arguments = new[]
            {
                new[] { "--data", _dir, "--task", "detection" },
                new[] { "--data", _dir, "--task", "segmentation", "--loss", "mae" },
                new[] { "--data", _dir, "--task", "regression", "--label-smoothing", "0.1" },
                new[] { "--data", _dir, "--label-smoothing", "1" },
                new[] { "--data", _dir, "--task", "Sequence-Classification", "--label-smoothing", "0.1" },
                new[] { "--data", _dir, "--loss", "huber" },
            };
            string file = Path.Combine(_dir, "options.json");
            File.WriteAllText(file, JsonSerializer.Serialize(arguments));
            var result = PythonTorch.Run(new[] { Check, "options", _train, file }, Timeout);
            Assert.True(result.ExitCode == 0, result.ToString());
            // The sample CLI's InvalidOptionException texts (TrainCommand.TaskFor, ClassificationTask).
            Assert.Contains("options 0: --task must be classification, sequence-classification, segmentation, regression or language-model; got detection\n", result.Output);
            Assert.Contains("options 1: --loss must be used with regression (value targets); classification and segmentation use cross-entropy; got --loss with segmentation\n", result.Output);
            Assert.Contains("options 2: --label-smoothing must be used with classification; got --label-smoothing with regression\n", result.Output);
            Assert.Contains("options 3: --label-smoothing must be a number in [0, 1), such as 0.1; got 1\n", result.Output);
            Assert.Contains("options 4: accepted\n", result.Output);
            Assert.Contains("options 5: accepted\n", result.Output); // --loss alone means regression
        }

        /// <summary>Writes arrays with numpy (seeded) into the test folder.</summary>
        private void Numpy(string code)
        {
            var result = PythonTorch.Run(new[] { "-c", "import numpy as np\nr = np.random.default_rng(5)\n" + code }, Timeout, _dir);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        /// <summary>Trains one epoch; returns the output, metrics.csv's lines and the independent validation scores.</summary>
        private (string Output, string[] Metrics, JsonElement Independent) Run(string model, params string[] arguments)
        {
            string run = Path.Combine(_dir, "run-" + model);
            var args = new List<string> { Check, "run", _train, "--", "--model-file", Tiny, "--model-class", model, "--epochs", "1", "--batch-size", "4",
                "--val-fraction", "0.25", "--out", run };
            args.AddRange(arguments);
            var result = PythonTorch.Run(args, Timeout);
            Assert.True(result.ExitCode == 0, "train.py failed: " + result);
            var independent = JsonDocument.Parse(Regex.Match(result.Output, @"^independent: (.*)$", RegexOptions.Multiline).Groups[1].Value).RootElement;
            return (result.Output, File.ReadAllLines(Path.Combine(run, "metrics.csv")), independent);
        }

        /// <summary>metrics.csv's validation cells equal the numpy scores (to the file's 6 decimals).</summary>
        private static void AssertValidation(TrainingTask task, string[] metrics, JsonElement independent)
        {
            Assert.Equal(MetricsCsv.HeaderFor(task), metrics[0]);
            Assert.Equal(2, metrics.Length);
            var header = metrics[0].Split(',');
            var cells = metrics[1].Split(',');
            double Cell(string column) => double.Parse(cells[Array.IndexOf(header, column)], CultureInfo.InvariantCulture);
            Assert.Equal(independent.GetProperty("val_loss").GetDouble(), Cell("val_loss"), 6);
            Assert.Equal(independent.GetProperty("val_metric").GetDouble(), Cell("val_" + task.MetricKey), 6);
            Assert.Equal(independent.GetProperty("val_extra")[0].GetDouble(), Cell("val_" + task.ExtraMetrics[0]), 6);
            Assert.True(double.IsFinite(Cell("train_" + task.MetricKey)), metrics[1]);
        }

        [SkippableFact]
        public void Each_task_writes_the_dotnet_columns_with_the_validation_metrics_of_the_trained_model()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            Numpy("x = r.normal(size=(24, 3)).astype(np.float32)\n" +
                  "y = np.stack([x[:, 0] + 2 * x[:, 1], x[:, 2] - x[:, 0]], 1) + 0.1 * r.normal(size=(24, 2))\n" +
                  "np.savez('values.npz', x=x, y=y.astype(np.float32))\n" +
                  "images = r.integers(0, 256, size=(24, 3, 16, 16), dtype=np.uint8)\n" +
                  "np.savez('classes.npz', x=images, y=np.arange(24) % 10)\n" +
                  "masks = r.integers(0, 3, size=(12, 16, 16))\nmasks[:, 0, :3] = 255\n" +
                  "np.savez('masks.npz', x=images[:12], y=masks)");

            var (output, metrics, independent) = Run("Regression2", "--data", Path.Combine(_dir, "values.npz"), "--loss", "huber", "--lr", "0.01");
            Assert.Contains("task: regression (Huber loss, delta 1; R² and MAE)", output);
            AssertValidation(new RegressionTask(RegressionLoss.Huber), metrics, independent);

            (output, metrics, independent) = Run("Segmenter3", "--data", Path.Combine(_dir, "masks.npz"));
            Assert.Contains("task: segmentation (3 classes, per-pixel cross-entropy, ignore index 255; mean IoU and pixel accuracy)", output);
            Assert.Matches(@"epoch 1/1: train loss \d+\.\d{4} miou \d\.\d{4} \| val loss \d+\.\d{4} miou \d\.\d{4} pixel_acc \d\.\d{4} \| lr ", output);
            AssertValidation(new SegmentationTask(3), metrics, independent);

            (output, metrics, independent) = Run("Colour10", "--data", Path.Combine(_dir, "classes.npz"), "--label-smoothing", "0.1");
            Assert.Contains("task: classification (cross-entropy, label smoothing 0.1; top-1 and top-5 accuracy)", output);
            AssertValidation(new ClassificationTask(0.1), metrics, independent);
            Assert.Equal(MetricsCsv.Header, metrics[0]);
        }

        [SkippableFact]
        public void A_task_that_does_not_fit_the_targets_and_image_to_sequence_on_masks_or_colour_are_refused()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            Numpy("images = r.integers(0, 256, size=(6, 3, 16, 16), dtype=np.uint8)\n" +
                  "np.savez('classes.npz', x=images, y=np.arange(6) % 10)\n" +
                  "np.savez('masks.npz', x=images, y=r.integers(0, 3, size=(6, 16, 16)))");
            string classes = Path.Combine(_dir, "classes.npz"), masks = Path.Combine(_dir, "masks.npz");

            string Refused(string model, params string[] arguments)
            {
                var args = new List<string> { _train, "--model-file", Tiny, "--model-class", model, "--epochs", "1", "--out", Path.Combine(_dir, "refused") };
                args.AddRange(arguments);
                var result = PythonTorch.Run(args, Timeout);
                Assert.True(result.ExitCode != 0, "train.py accepted it: " + result);
                return result.Error;
            }

            Assert.Contains($"error: --task segmentation does not fit {classes}[x], which holds class targets; classification fits them (leave --task out)",
                Refused("Colour10", "--data", classes, "--task", "segmentation"));
            Assert.Contains($"error: ImageToSequence: {masks}[x] has mask targets; a sequence has no pixels for a mask to follow. Leave ImageToSequence() out of the transforms",
                Refused("Segmenter3", "--data", masks, "--transforms", "ImageToSequence()"));
            Assert.Contains($"error: {classes}[x] sample 0: ImageToSequence: the sample is [3, 16, 16], not a one-channel image [1, H, W]; convert colour images with --image-mode grey (or Grayscale()) first",
                Refused("Colour10", "--data", classes, "--transforms", "ImageToSequence()"));
        }
    }
}
