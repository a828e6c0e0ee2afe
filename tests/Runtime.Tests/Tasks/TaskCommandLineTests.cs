using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace Dsl.Runtime.Tests.Tasks
{
    /// <summary>
    /// The catalogue's non-classifiers trained from the command line to a target, each on the data the README names:
    /// the small U-Net on the synthetic shapes (segmentation, mean IoU), the regression MLP on the synthetic table
    /// (R²), and the row-sequence network on MNIST read row by row (sequence classification, accuracy). Kept small:
    /// fewer samples than the README's runs, the same settings otherwise.
    /// </summary>
    public class TaskCommandLineTests
    {
        private readonly ITestOutputHelper _log;

        public TaskCommandLineTests(ITestOutputHelper log) => _log = log;

        private (int ExitCode, string Output, string Error) Cli(params string[] args)
        {
            var r = Dsl.Tests.Shared.SampleCli.Run(args);
            _log.WriteLine(r.Output);
            _log.WriteLine(r.Error);
            return r;
        }

        private static Dictionary<string, double> LastRow(string dir)
        {
            var lines = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
            var names = lines[0].Split(',');
            var cells = lines[^1].Split(',');
            return names.Zip(cells).Where(p => p.Second.Length > 0).ToDictionary(p => p.First, p => double.Parse(p.Second, CultureInfo.InvariantCulture));
        }

        [Fact]
        public void Unet_reaches_a_mean_iou_of_0_8_on_the_synthetic_shapes()
        {
            string data = TestData.TempDir("shapes");
            ResNetSample.SyntheticData.Shapes(data, train: 800, val: 200);
            string run = Path.Combine(TestData.TempDir("shapes-run"), "run");
            var (code, output, error) = Cli("train", "--model", "unet-bilinear", "--data", data, "--image-mode", "grey",
                "--epochs", "3", "--batch-size", "32", "--lr", "0.01", "--threads", "2", "--out", run);
            Assert.True(code == 0, error);
            Assert.Contains("800 training samples, 200 validation samples (the val/ folder), 2 classes", output);
            Assert.Contains("task: segmentation (2 classes, per-pixel cross-entropy, ignore index 255; mean IoU and pixel accuracy)", output);
            var last = LastRow(run);
            Assert.Equal("epoch,train_loss,train_miou,val_loss,val_miou,lr,seconds,val_pixel_acc", File.ReadLines(Path.Combine(run, "metrics.csv")).First());
            Assert.True(last["val_miou"] >= 0.8, $"mean IoU {last["val_miou"]}");
            Assert.True(last["val_pixel_acc"] >= last["val_miou"], "pixel accuracy is at least the mean IoU on two classes");
            Assert.True(File.Exists(Path.Combine(run, "predictions.png")));

            var (evalCode, evalOutput, evalError) = Cli("evaluate", "--checkpoint", Path.Combine(run, "checkpoint.ckpt"), "--data", data, "--image-mode", "grey");
            Assert.True(evalCode == 0, evalError);
            Assert.Contains($"test mean IoU {last["val_miou"].ToString("F4", CultureInfo.InvariantCulture)}", evalOutput);
            Assert.Contains("on 200 images", evalOutput);
        }

        [Theory]
        [InlineData("fcn_resnet50")]
        [InlineData("deeplabv3_resnet50")]
        public void Torchvision_segmentation_networks_train_on_segmentation_folders(string model)
        {
            // The synthetic shapes at the networks' declared 64x64, read as RGB: one short epoch runs the segmentation task
            // through the dilated backbone, the head and the resizing to the input, forward and backward.
            string data = TestData.TempDir("shapes-64");
            ResNetSample.SyntheticData.Shapes(data, train: 8, val: 4, size: 64);
            string run = Path.Combine(TestData.TempDir(model + "-run"), "run");
            var (code, output, error) = Cli("train", "--model", model, "--data", data, "--image-mode", "rgb",
                "--epochs", "1", "--batch-size", "4", "--lr", "0.01", "--threads", "2", "--out", run);
            Assert.True(code == 0, error);
            Assert.Contains("task: segmentation (21 classes, per-pixel cross-entropy, ignore index 255; mean IoU and pixel accuracy)", output);
            var last = LastRow(run);
            Assert.True(double.IsFinite(last["train_loss"]) && last["train_loss"] > 0, $"train loss {last["train_loss"]}");
            Assert.InRange(last["val_pixel_acc"], 0, 1);
        }

        [Fact]
        public void Regression_mlp_reaches_an_r2_of_0_9_on_the_synthetic_table()
        {
            string csv = Path.Combine(TestData.TempDir("regression"), "regression.csv");
            ResNetSample.SyntheticData.Regression(csv, rows: 3000);
            string run = Path.Combine(TestData.TempDir("regression-run"), "run");
            var (code, output, error) = Cli("train", "--model", "regression-mlp", "--data", csv, "--val-fraction", "0.2",
                "--epochs", "20", "--batch-size", "64", "--lr", "0.01", "--optimizer", "adam", "--weight-decay", "0", "--threads", "2", "--out", run);
            Assert.True(code == 0, error);
            Assert.Contains("2,400 training samples, 600 validation samples", output);
            Assert.Contains("task: regression (MSE; R² and MAE)", output);
            Assert.Equal("epoch,train_loss,train_r2,val_loss,val_r2,lr,seconds,val_mae", File.ReadLines(Path.Combine(run, "metrics.csv")).First());
            var last = LastRow(run);
            Assert.True(last["val_r2"] >= 0.9, $"R² {last["val_r2"]}");
            // MSE and MAE of one run agree: MAE^2 <= MSE (Jensen).
            Assert.True(last["val_mae"] * last["val_mae"] <= last["val_loss"] + 1e-9);
        }

        [SkippableFact]
        public void Row_sequence_network_reaches_95_percent_on_mnist_rows()
        {
            string? shared = TestData.SharedData;
            Skip.If(shared is null || !Directory.Exists(Path.Combine(shared, "mnist")), "shared/data/mnist is not beside the repository");
            string run = Path.Combine(TestData.TempDir("rows-run"), "run");
            var (code, output, error) = Cli("train", "--model", "row-sequence-net", "--data", Path.Combine(shared!, "mnist"), "--dataset", "Mnist",
                "--transforms", "Normalize(mean=[0.1307], std=[0.3081]); ImageToSequence()", "--epochs", "1", "--limit", "20000",
                "--batch-size", "128", "--threads", "2", "--out", run);
            Assert.True(code == 0, error);
            Assert.Contains("transforms: train Normalize(mean=[0.1307], std=[0.3081]); ImageToSequence(); evaluation Normalize(mean=[0.1307], std=[0.3081]); ImageToSequence()", output);
            var last = LastRow(run);
            Assert.True(last["val_acc"] >= 0.95, $"accuracy {last["val_acc"]}");
        }

        [Fact]
        public void Loss_and_label_smoothing_fit_their_tasks_only()
        {
            var (code, _, error) = Cli("train", "--model", "lenet", "--task", "classification", "--loss", "mae", "--out", Path.Combine(TestData.TempDir("loss"), "run"));
            Assert.Equal(2, code);
            Assert.Contains("--loss must be used with regression (value targets); classification and segmentation use cross-entropy; got --loss with classification.", error);
            (code, _, error) = Cli("train", "--model", "lenet", "--task", "ranking", "--out", Path.Combine(TestData.TempDir("task"), "run"));
            Assert.Equal(2, code);
            Assert.Contains("--task must be classification, sequence-classification, segmentation, regression or language-model; got ranking.", error);
        }
    }
}
