using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Dsl.Runtime.Interop;
using Dsl.Runtime.PyTorch;
using Dsl.Runtime.Training;
using ResNetSample;
using TorchSharp;
using Xunit;

namespace Dsl.Runtime.Tests.PyTorch
{
    /// <summary>The sample's <c>export MODEL --format pytorch --out PATH</c> and <c>evaluate</c> of a safetensors state dict.</summary>
    public sealed class PyTorchExportCommandTests : System.IDisposable
    {
        private readonly string _dir = TestData.TempDir("pytorch-export");

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        [Fact]
        public void Export_to_a_folder_writes_model_py_and_train_py_and_prints_the_torchrun_command()
        {
            var (code, output, error) = CommandLineTests.Cli("export", "resnet-mini", "--format", "pytorch", "--out", _dir);
            Assert.True(code == 0, error);
            Assert.Contains("class ResNetMini(nn.Module):", File.ReadAllText(Path.Combine(_dir, "model.py")));
            Assert.Equal(PyTorchExport.TrainingScript, File.ReadAllText(Path.Combine(_dir, "train.py")));
            Assert.Contains($"torchrun --nproc_per_node 2 {Path.Combine(_dir, "train.py")} --data DIR", output);
        }

        [Fact]
        public void Export_to_a_py_file_names_it_in_the_training_command()
        {
            string twin = Path.Combine(_dir, "lenet_twin.py");
            var (code, output, error) = CommandLineTests.Cli("export", "lenet", "--format", "pytorch", "--out", twin);
            Assert.True(code == 0, error);
            Assert.Contains("class LeNet(nn.Module):", File.ReadAllText(twin));
            Assert.True(File.Exists(Path.Combine(_dir, "train.py")));
            Assert.Contains("--model-file " + twin, output);
        }
    

        /// <summary>
        /// Loads the exported twin with the weights written beside it, as the export prints it, and writes its eval-mode
        /// logits for the input (argv: folder, class name, input file, output file).
        /// </summary>
        internal const string LoadTwinWithWeights = """
            import importlib.util, sys
            from pathlib import Path
            import torch
            folder = Path(sys.argv[1])
            spec = importlib.util.spec_from_file_location("train", folder / "train.py")
            train = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(train)
            model = train.load_network(folder / "model.py", sys.argv[2])()
            model.load_state_dict(train.load_safetensors(folder / "model.safetensors"))
            model.eval()
            with torch.no_grad():
                logits = model(train.load_safetensors(sys.argv[3])["input"])
            train.save_safetensors({"logits": logits}, sys.argv[4])
            """;

        [SkippableFact]
        public void Export_with_a_checkpoint_writes_its_weights_beside_the_twin_which_gives_the_trained_networks_logits()
        {
            string run = Path.Combine(_dir, "run"), twin = Path.Combine(_dir, "twin");
            var (code, _, error) = CommandLineTests.Cli("train", "--model", "lenet", "--epochs", "1", "--limit", "128", "--batch-size", "64", "--threads", "1", "--out", run);
            Assert.True(code == 0, error);
            string checkpoint = Path.Combine(run, "checkpoint.ckpt");

            (code, var output, error) = CommandLineTests.Cli("export", "lenet", "--format", "pytorch", "--out", twin, "--checkpoint", checkpoint);
            Assert.True(code == 0, error);
            string weights = Path.Combine(twin, "model.safetensors");
            Assert.True(File.Exists(weights), output);
            Assert.Contains($"wrote {weights}: weights of {checkpoint} (epoch 1)", output);
            Assert.Contains($"--init-from {weights}", output);

            // The trained network's logits in .NET, against the twin's with the exported weights in PyTorch.
            var entry = ModelCatalog.Find("lenet");
            using var net = entry.Create();
            Trainer.LoadWeights(net, checkpoint);
            net.eval();
            torch.manual_seed(3);
            using var input = torch.rand(new long[] { 4 }.Concat(entry.Info.InputShape.ToArray()).ToArray());
            using var expected = ((torch.nn.Module<torch.Tensor, torch.Tensor>)net).call(input).detach();
            // Trained weights, not the initial ones: the file differs from a fresh network's.
            using (var fresh = entry.Create())
            using (var freshLogits = ((torch.nn.Module<torch.Tensor, torch.Tensor>)fresh).call(input).detach())
                Assert.True((freshLogits - expected).abs().max().item<float>() > 1e-3, "the checkpoint's logits equal a fresh network's: the test would not see unloaded weights");

            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            string inputFile = Path.Combine(_dir, "input.safetensors"), logitsFile = Path.Combine(_dir, "logits.safetensors");
            PyTorchCheckpoint.SaveTensors(new Dictionary<string, torch.Tensor> { ["input"] = input }, inputFile);
            var python = PythonTorch.Run(new[] { "-c", LoadTwinWithWeights, twin, entry.Info.Name, inputFile, logitsFile }, TimeSpan.FromMinutes(2));
            Assert.True(python.ExitCode == 0, python.ToString());
            var theirs = PyTorchCheckpoint.ReadTensors(logitsFile)["logits"];
            Assert.Equal(expected.shape, theirs.shape);
            Assert.True((theirs - expected).abs().max().item<float>() < 1e-4, $"twin logits differ from .NET's by {(theirs - expected).abs().max().item<float>()}");
        }

        [Fact]
        public void Export_pytorch_with_a_checkpoint_folder_names_the_file_to_pass_and_writes_nothing()
        {
            string twin = Path.Combine(_dir, "twin");
            var (code, _, error) = CommandLineTests.Cli("export", "lenet", "--format", "pytorch", "--out", twin, "--checkpoint", _dir);
            Assert.Equal(2, code);
            Assert.Contains("--checkpoint", error);
            Assert.Contains("which is a folder", error);
            Assert.False(Directory.Exists(twin));
        }

        [Fact]
        public void Evaluate_takes_a_safetensors_state_dict_with_its_model()
        {
            string weights = Path.Combine(_dir, "model.safetensors");
            using (var net = new ResNetSample.ResNetMini()) net.SavePyTorch(weights);

            var (code, output, error) = CommandLineTests.Cli("evaluate", "--checkpoint", weights, "--model", "resnet-mini");
            Assert.True(code == 0, error);
            Assert.Contains($"resnet-mini from {weights} (state dict): test accuracy", output);

            (code, _, error) = CommandLineTests.Cli("evaluate", "--checkpoint", weights);
            Assert.Equal(2, code);
            Assert.Contains("does not name its network; pass --model", error);

            (code, _, error) = CommandLineTests.Cli("evaluate", "--checkpoint", weights, "--model", "lenet");
            Assert.Equal(2, code);
            Assert.Contains("conv1.weight", error); // a key LeNet needs and the file lacks
        }
    }
}
