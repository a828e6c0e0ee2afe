using System;
using System.IO;
using System.Text.RegularExpressions;
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
