using System.IO;
using Dsl.Runtime.Interop;
using Dsl.Runtime.PyTorch;
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
