using System;
using System.IO;
using System.Text.RegularExpressions;
using Dsl.Runtime.Onnx;
using ResNetSample;

namespace Dsl.Onnx.Tests
{
    /// <summary>The sample's <c>export --format onnx</c> and <c>evaluate --engine onnx</c>, through its real entry point.</summary>
    public class CommandLineTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "dsl-onnx-cli-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        }

        private static (int ExitCode, string Output, string Error) Run(params string[] args) => Dsl.Tests.Shared.SampleCli.Run(args);

        [Fact]
        public void A_trained_checkpoint_exports_and_evaluates_to_the_same_accuracy_on_onnx_runtime()
        {
            var (code, _, error) = Run("train", "--model", "resnet-mini", "--epochs", "1", "--limit", "2048", "--batch-size", "64", "--out", _dir, "--threads", "1");
            Assert.True(code == 0, error);
            string checkpoint = Path.Combine(_dir, "checkpoint.ckpt");
            string onnxFile = Path.Combine(_dir, "resnet-mini.onnx");

            var export = Run("export", "resnet-mini", "--format", "onnx", "--out", onnxFile, "--checkpoint", checkpoint);
            var torchEval = Run("evaluate", "--checkpoint", checkpoint);
            var onnxEval = Run("evaluate", "--checkpoint", checkpoint, "--engine", "onnx");

            Assert.True(export.ExitCode == 0, export.Error);
            Assert.Contains("resnet-mini as ONNX (opset 17, input 'input' [batch, 1, 28, 28], output 'output' [batch, 10])", export.Output);
            Assert.Contains($"weights of {checkpoint} (epoch 1)", export.Output);
            Assert.True(new FileInfo(onnxFile).Length > 4 * ResNetMini.ParameterCount, "the file holds every weight as float32");
            Assert.True(onnxEval.ExitCode == 0, onnxEval.Error);
            Assert.Contains("(epoch 1) on ONNX Runtime: test accuracy", onnxEval.Output);
            Assert.Equal(Accuracy(torchEval.Output), Accuracy(onnxEval.Output));

            // The same checkpoint as int8: calibrated on the built-in subset's test images.
            string int8File = Path.Combine(_dir, "resnet-mini-int8.onnx");
            var int8 = Run("export", "resnet-mini", "--format", "onnx", "--quantize", "int8", "--calibrate", "builtin", "--out", int8File, "--checkpoint", checkpoint);
            Assert.True(int8.ExitCode == 0, int8.Error);
            Assert.Matches(@"calibrated on 512 samples of .*fashion-mnist-subset \(min-max activation ranges\)", int8.Output);
            Assert.Matches(@"accuracy on 1,000 samples of .*: float32 \d+\.\d\d %, int8 \d+\.\d\d %, drop [-+]?\d+\.\d\d points", int8.Output);
            Assert.Contains("resnet-mini as int8 ONNX (QDQ, opset 17", int8.Output);
            Assert.True(new FileInfo(int8File).Length < 2 * ResNetMini.ParameterCount, "the weights are stored as int8");

            // Measured here, independently of what the command printed: both files on ONNX Runtime, the subset's test split.
            var (_, test) = Dsl.Runtime.Data.Mnist.Load(Dsl.Cli.TrainCommand.BuiltInData, Dsl.Runtime.Data.MnistVariant.FashionMnist);
            using (test)
            {
                var transform = new Dsl.Runtime.Data.ImageTransform { Mean = new[] { 0.2860 }, Std = new[] { 0.3530 } };
                using var float32 = new OnnxPredictor(onnxFile);
                using var quantized = new OnnxPredictor(int8File);
                double floatAccuracy = Dsl.Runtime.Training.Trainer.Evaluate(float32, test, 250, transform).Accuracy;
                double int8Accuracy = Dsl.Runtime.Training.Trainer.Evaluate(quantized, test, 250, transform).Accuracy;
                Assert.Equal(Accuracy(onnxEval.Output), $"{floatAccuracy:P2}");
                // What the export printed is what the two files score.
                Assert.Contains($"float32 {floatAccuracy:P2}, int8 {int8Accuracy:P2}", int8.Output);
                // The 1-point target belongs to a trained model (QuantizationTests); this one-epoch checkpoint (about 56 %)
                // sits where small changes flip many predictions: measured 1.5 points apart on an AMD EPYC without
                // AVX-512, where ONNX Runtime's integer kernels take another path than on one with VNNI.
                Assert.True(Math.Abs(floatAccuracy - int8Accuracy) <= 0.02, $"float32 {floatAccuracy:P2}, int8 {int8Accuracy:P2}: more than 2 points apart");
            }
        }

        [Fact]
        public void Quantize_without_calibration_data_says_what_to_pass()
        {
            var (code, _, error) = Run("export", "lenet", "--format", "onnx", "--quantize", "int8", "--out", Path.Combine(_dir, "x.onnx"));

            Assert.Equal(2, code);
            Assert.Contains("--quantize int8 needs --calibrate DATA: a few hundred samples of it set the activation ranges (pass 'builtin' for the built-in Fashion-MNIST subset).", error);
        }

        private static string Accuracy(string output) => Regex.Match(output, @"test accuracy (\d+\.\d\d ?%)").Groups[1].Value is { Length: > 0 } a ? a : throw new Xunit.Sdk.XunitException("no accuracy in: " + output);

        [Fact]
        public void An_unknown_format_lists_the_formats()
        {
            var (code, _, error) = Run("export", "lenet", "--format", "tflite", "--out", Path.Combine(_dir, "x"));

            Assert.Equal(2, code);
            Assert.Contains("Unknown export format 'tflite'. Formats: onnx, pytorch.", error);
        }
    }
}
