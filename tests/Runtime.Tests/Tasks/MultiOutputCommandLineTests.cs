using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Dsl.Runtime.Interop;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.Tests.PyTorch;
using Dsl.Runtime.Training;
using Dsl.Tests.Shared;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.Tasks
{
    /// <summary>
    /// A catalogue network with several outputs (fcn-aux-mini: <c>out</c> and its auxiliary head's <c>aux</c>, loss
    /// weight 0.5) through every command: train (the weighted loss, metrics on the main output), evaluate (TorchSharp and
    /// ONNX Runtime score the same main output), summary (every output), export to ONNX (both outputs named, the values
    /// of the checkpoint's module) and to the PyTorch twin, whose train.py trains it.
    /// </summary>
    public sealed class MultiOutputCommandLineTests(ITestOutputHelper log)
    {
        private const string Model = "fcn-aux-mini";

        private (int ExitCode, string Output, string Error) Cli(params string[] args)
        {
            var r = SampleCli.Run(args);
            log.WriteLine(r.Output);
            log.WriteLine(r.Error);
            return r;
        }

        [Fact]
        public void A_network_with_an_auxiliary_head_trains_evaluates_summarises_and_exports_every_output()
        {
            var info = ResNetSample.ModelCatalog.Find(Model).Info;
            Assert.Equal(new[] { "aux", "out" }, info.Outputs.Select(o => o.Name));
            string data = TestData.TempDir("shapes-aux");
            ResNetSample.SyntheticData.Shapes(data, train: 128, val: 64);
            string dir = TestData.TempDir("aux-run");
            string run = Path.Combine(dir, "run");

            var (code, output, error) = Cli("train", "--model", Model, "--data", data, "--image-mode", "grey",
                "--epochs", "1", "--batch-size", "32", "--lr", "0.01", "--threads", "2", "--out", run);
            Assert.True(code == 0, error);
            Assert.Contains("outputs: aux [2, 32, 32] (loss weight 0.5), out [2, 32, 32] (main); training loss out + 0.5 * aux, metrics on out", output);
            Assert.Contains("task: segmentation (2 classes", output);

            // The summary lists every output with its shape and weight.
            var (summaryCode, summary, summaryError) = Cli("summary", Model);
            Assert.True(summaryCode == 0, summaryError);
            Assert.Contains("Output aux: [1, 2, 32, 32] (loss weight 0.5)", summary);
            Assert.Contains("Output out: [1, 2, 32, 32] (main)", summary);

            // Evaluation scores the main output, on TorchSharp and on ONNX Runtime alike (the aux head scores differently).
            string checkpoint = Path.Combine(run, "checkpoint.ckpt");
            var (torchCode, torchOut, torchError) = Cli("evaluate", "--checkpoint", checkpoint, "--data", data, "--image-mode", "grey");
            Assert.True(torchCode == 0, torchError);
            var (onnxCode, onnxOut, onnxError) = Cli("evaluate", "--checkpoint", checkpoint, "--data", data, "--image-mode", "grey", "--engine", "onnx");
            Assert.True(onnxCode == 0, onnxError);
            Assert.Contains("on ONNX Runtime", onnxOut);
            Assert.Equal(MeanIoU(torchOut), MeanIoU(onnxOut), 3);

            // The ONNX file has both outputs by name, the main one named in its metadata, and computes the checkpoint's values.
            string onnxFile = Path.Combine(dir, "model.onnx");
            var (exportCode, exportOut, exportError) = Cli("export", Model, "--format", "onnx", "--checkpoint", checkpoint, "--out", onnxFile);
            Assert.True(exportCode == 0, exportError);
            Assert.Contains("outputs 'aux' [batch, 2, 32, 32], 'out' [batch, 2, 32, 32] (main)", exportOut);
            using (var scope = NewDisposeScope())
            {
                using var net = ResNetSample.ModelCatalog.Find(Model).Create();
                Trainer.LoadWeights(net, checkpoint);
                net.eval();
                manual_seed(5);
                var x = randn(3, 1, 32, 32);
                Dictionary<string, Tensor> expected;
                using (no_grad()) expected = EveryOutput.Of(net, x);
                using var onnx = new OnnxPredictor(onnxFile);
                Assert.Equal(new[] { "aux", "out" }, onnx.OutputNames);
                Assert.Equal("out", onnx.MainOutput);
                EveryOutput.AssertClose(expected, onnx.Outputs(x), 1e-4, "the exported ONNX model against the checkpoint's module");
                // The auxiliary head is no copy of the main one: the two outputs differ.
                Assert.True((expected["aux"] - expected["out"]).abs().max().item<float>() > 1e-3);
            }

            // The PyTorch twin returns both outputs; its train.py trains the weighted sum and writes weights the module loads.
            string twin = Path.Combine(dir, "twin");
            var (twinCode, twinOut, twinError) = Cli("export", Model, "--format", "pytorch", "--out", twin);
            Assert.True(twinCode == 0, twinError);
            Assert.True(File.Exists(Path.Combine(twin, "model.py")) && File.Exists(Path.Combine(twin, "train.py")), twinOut);
            if (PythonTorch.MissingReason is { } missing)
            {
                log.WriteLine("train.py not run: " + missing);
                return;
            }
            string pyRun = Path.Combine(dir, "py-run");
            var py = PythonTorch.Run(new[] { Path.Combine(twin, "train.py"), "--data", data, "--image-mode", "grey", "--epochs", "1",
                "--batch-size", "32", "--lr", "0.01", "--limit", "64", "--out", pyRun }, TimeSpan.FromMinutes(5));
            log.WriteLine(py.ToString());
            Assert.True(py.ExitCode == 0, py.ToString());
            using var trained = ResNetSample.ModelCatalog.Find(Model).Create();
            PyTorchCheckpoint.Load(trained, Path.Combine(pyRun, "model.safetensors"));
        }

        private static double MeanIoU(string evaluateOutput)
        {
            const string marker = "test mean IoU ";
            int at = evaluateOutput.IndexOf(marker, StringComparison.Ordinal);
            Assert.True(at >= 0, evaluateOutput);
            string number = new(evaluateOutput[(at + marker.Length)..].TakeWhile(c => char.IsDigit(c) || c == '.').ToArray());
            return double.Parse(number, CultureInfo.InvariantCulture);
        }
    }
}
