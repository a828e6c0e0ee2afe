using System;
using Dsl.Runtime.Device;
using Xunit;

namespace Dsl.Runtime.Tests
{
    public class DeviceTests
    {
        [Fact]
        public void Auto_resolves_to_cpu_here_and_report_names_everything()
        {
            var setup = DeviceSetup.Create("auto", threads: 2, seed: 7);
            Assert.Equal(TorchSharp.DeviceType.CPU, setup.Device.type);
            Assert.Equal(2, setup.Threads);
            Assert.Equal("device: cpu, threads: 2, seed: 7", setup.Report());
        }

        [Fact]
        public void Cuda_without_backend_gives_the_build_hint()
        {
            var e = Assert.Throws<InvalidOperationException>(() => DeviceSetup.Create("cuda"));
            Assert.Equal(DeviceSetup.CudaUnavailableMessage, e.Message);
            Assert.Contains("-p:TorchBackend=cuda", e.Message);
        }

        [Theory]
        [InlineData("auto", DeviceChoiceKind.Auto, 0)]
        [InlineData("CPU", DeviceChoiceKind.Cpu, 0)]
        [InlineData("cuda", DeviceChoiceKind.Cuda, 0)]
        [InlineData("cuda:1", DeviceChoiceKind.Cuda, 1)]
        [InlineData(" cuda:12 ", DeviceChoiceKind.Cuda, 12)]
        public void Parses_device_strings(string text, DeviceChoiceKind kind, int index)
        {
            Assert.Equal(new DeviceChoice(kind, index), DeviceChoice.Parse(text));
        }

        [Theory]
        [InlineData("")]
        [InlineData("gpu0")]
        [InlineData("cuda:")]
        [InlineData("cuda:-1")]
        [InlineData("cuda:x")]
        [InlineData("tpu")]
        public void Bad_device_strings_say_what_is_accepted(string text)
        {
            var e = Assert.Throws<ArgumentException>(() => DeviceChoice.Parse(text));
            Assert.Contains($"Unknown device '{text}'", e.Message);
            Assert.Contains("auto, cpu, cuda or cuda:N", e.Message);
        }

        [Fact]
        public void Resolve_picks_cuda_when_available_and_checks_the_index()
        {
            Assert.Equal(new DeviceChoice(DeviceChoiceKind.Cuda, 0), DeviceSetup.Resolve(DeviceChoice.Parse("auto"), true, 2));
            Assert.Equal(new DeviceChoice(DeviceChoiceKind.Cpu, 0), DeviceSetup.Resolve(DeviceChoice.Parse("auto"), false, 0));
            Assert.Equal(new DeviceChoice(DeviceChoiceKind.Cuda, 1), DeviceSetup.Resolve(DeviceChoice.Parse("cuda:1"), true, 2));
            var e = Assert.Throws<InvalidOperationException>(() => DeviceSetup.Resolve(DeviceChoice.Parse("cuda:1"), true, 1));
            Assert.Contains("cuda:1 requested but this machine has 1 CUDA device(s)", e.Message);
        }

        [Fact]
        public void Explains_missing_glibcxx()
        {
            string trace = string.Join("\n",
                "System.NotSupportedException: The native library LibTorchSharp could not be loaded.",
                "Trace:",
                "  Found TorchSharp native libraries at /app/runtimes/linux-x64/native",
                "  Trying to load native component libLibTorchSharp.so relative to /app",
                "  Failed to load native component libLibTorchSharp.so: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /root/.nuget/packages/torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so)",
                "   at TorchSharp.torch.LoadNativeBackend(Boolean useCudaBackend, StringBuilder& trace)");
            string message = TorchNative.Explain(trace);
            Assert.Contains("GLIBCXX_3.4.32", message);
            Assert.Contains("libLibTorchSharp.so", message);
            Assert.Contains("run scripts/ensure-libstdcxx.sh as root (installs libstdc++6 from Debian 13), or use a distribution with GCC 13+ libstdc++", message);
        }

        [Fact]
        public void Explains_missing_libtorch_package()
        {
            string trace = string.Join("\n",
                "System.NotSupportedException: This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.",
                "Consider referencing one of the combination packages TorchSharp-cpu, TorchSharp-cuda-linux, TorchSharp-cuda-windows or call System.Runtime.InteropServices.NativeLibrary.Load(path-to-libtorch_cpu.so) explicitly.",
                "Trace:",
                "  Failed to load native component libtorch.so: libtorch.so: cannot open shared object file: No such file or directory");
            string message = TorchNative.Explain(trace);
            Assert.Contains("TorchSharp-cpu", message);
            Assert.Contains("TorchBackend", message);
            // A package user is told the exact packages: the one-platform CPU build and the CUDA builds.
            Assert.Contains("dotnet add package libtorch-cpu-" + System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, message);
            Assert.Contains("TorchSharp-cuda-linux / TorchSharp-cuda-windows", message);
        }

        [Fact]
        public void Explains_missing_cuda_driver_and_falls_back_to_the_first_line()
        {
            Assert.Contains("NVIDIA driver",
                TorchNative.Explain("Failed to load native component libtorch_cuda.so: libcudart.so.12: cannot open shared object file: No such file or directory"));
            string other = TorchNative.Explain("\n  Something unexpected happened\nmore");
            Assert.Contains("Something unexpected happened", other);
        }

        [Fact]
        public void Native_library_loads_here()
        {
            TorchNative.EnsureLoaded();
        }
    }
}
