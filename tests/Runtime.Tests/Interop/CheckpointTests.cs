using System;
using System.IO;
using System.Linq;
using Dsl.Runtime.Interop;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.Interop
{
    /// <summary>Round trips and error reporting of <see cref="PyTorchCheckpoint"/>.</summary>
    public sealed class CheckpointTests : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("dsl-checkpoint").FullName;

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private string File(string name) => Path.Combine(_dir, name);

        private static nn.Module<Tensor, Tensor> Net(long hidden = 4) => nn.Sequential(
            ("conv", nn.Conv2d(3, hidden, 3)),
            ("bn", nn.BatchNorm2d(hidden)),
            ("fc", nn.Linear(hidden, 2)));

        [Theory]
        [InlineData("net.pth")]
        [InlineData("net.safetensors")]
        public void RoundTripRestoresParametersAndBuffers(string name)
        {
            using var source = Net();
            using (no_grad())
            {
                ((TorchSharp.Modules.BatchNorm2d)source.named_children().Single(c => c.name == "bn").module).running_mean!.fill_(0.25);
            }
            source.SavePyTorch(File(name));
            using var target = Net().LoadPyTorch(File(name));
            var expected = source.state_dict();
            foreach (var (key, tensor) in target.state_dict())
            {
                Assert.True(tensor.equal(expected[key]).all().item<bool>(), key);
            }
            Assert.Equal(expected.Keys.OrderBy(k => k), PyTorchCheckpoint.ReadTensors(File(name)).Keys.OrderBy(k => k));
        }

        [Fact]
        public void ShapeMismatchNamesTheKeyAndBothShapes()
        {
            using var small = Net(4);
            small.SavePyTorch(File("small.pth"));
            using var big = Net(8);
            var e = Assert.Throws<StateDictMismatchException>(() => big.LoadPyTorch(File("small.pth")));
            Assert.Contains(e.ShapeMismatches, m => m.Key == "conv.weight" && m.Expected.SequenceEqual(new long[] { 8, 3, 3, 3 }) && m.Actual.SequenceEqual(new long[] { 4, 3, 3, 3 }));
            Assert.Contains("conv.weight: expected [8, 3, 3, 3], file has [4, 3, 3, 3]", e.Message);
            Assert.Contains("small.pth", e.Message);
        }

        [Fact]
        public void MissingAndUnexpectedKeysAreListed()
        {
            using var other = nn.Sequential(("conv", nn.Conv2d(3, 4, 3)), ("extra", nn.Linear(4, 2)));
            other.SavePyTorch(File("other.safetensors"));
            using var net = Net();
            var e = Assert.Throws<StateDictMismatchException>(() => net.LoadPyTorch(File("other.safetensors")));
            Assert.Contains("bn.running_var", e.MissingKeys);
            Assert.Contains("fc.weight", e.MissingKeys);
            Assert.Equal(new[] { "extra.bias", "extra.weight" }, e.UnexpectedKeys);
            Assert.Contains("missing keys", e.Message);
            Assert.Contains("unexpected keys (2): extra.bias, extra.weight", e.Message);
        }

        [Fact]
        public void NonStrictLoadSkipsMissingKeysButNotShapes()
        {
            using var other = nn.Sequential(("conv", nn.Conv2d(3, 4, 3)));
            other.SavePyTorch(File("partial.pth"));
            using var net = Net().LoadPyTorch(File("partial.pth"), strict: false);
            Assert.True(net.state_dict()["conv.weight"].equal(other.state_dict()["conv.weight"]).all().item<bool>());
        }

        [Theory]
        [InlineData("garbage.pth")]
        [InlineData("garbage.safetensors")]
        public void GarbageIsAFormatError(string name)
        {
            System.IO.File.WriteAllBytes(File(name), Enumerable.Range(0, 100).Select(i => (byte)(i * 37 + 11)).ToArray());
            var e = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.ReadTensors(File(name)));
            Assert.Contains(name, e.Message);
        }

        [Theory]
        [InlineData("cut.pth")]
        [InlineData("cut.safetensors")]
        public void TruncatedFileIsAFormatError(string name)
        {
            using var net = Net();
            net.SavePyTorch(File(name));
            var bytes = System.IO.File.ReadAllBytes(File(name));
            System.IO.File.WriteAllBytes(File(name), bytes.Take(bytes.Length / 2).ToArray());
            using var target = Net();
            Assert.Throws<CheckpointFormatException>(() => target.LoadPyTorch(File(name)));
        }

        [Fact]
        public void MissingFileIsAFormatError()
        {
            var e = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.ReadTensors(File("nothing.pth")));
            Assert.Contains("does not exist", e.Message);
        }
    }
}
