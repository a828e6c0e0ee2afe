using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;

namespace Dsl.Runtime.Device
{
    /// <summary>Thrown when TorchSharp's native library (LibTorchSharp + libtorch) cannot be loaded.</summary>
    public sealed class TorchNativeException : Exception
    {
        /// <summary>Creates the exception with an explained message and the original failure.</summary>
        public TorchNativeException(string message, Exception? inner) : base(message, inner) { }
    }

    /// <summary>
    /// Forces TorchSharp's native library to load and turns the long load trace of a failure into a short
    /// message saying what is missing and how to fix it.
    /// </summary>
    public static class TorchNative
    {
        private static readonly object Gate = new();
        private static bool _loaded;

        /// <summary>
        /// Loads the native backend (a no-op after the first success).
        /// Throws <see cref="TorchNativeException"/> with an explained message when it cannot be loaded.
        /// </summary>
        public static void EnsureLoaded()
        {
            lock (Gate)
            {
                if (_loaded) return;
                try
                {
                    torch.InitializeDeviceType(DeviceType.CPU);
                    _loaded = true;
                }
                catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or EntryPointNotFoundException or BadImageFormatException)
                {
                    throw new TorchNativeException(Explain(FullText(e)), e);
                }
            }
        }

        /// <summary>The messages of an exception and all its inner exceptions, outermost first.</summary>
        internal static string FullText(Exception e)
        {
            var sb = new StringBuilder();
            for (Exception? x = e; x != null; x = x.InnerException) sb.AppendLine(x.Message);
            return sb.ToString();
        }

        /// <summary>
        /// Explains a native load failure from its trace: names what is missing and how to fix it.
        /// Pure function (no I/O) so it can be tested with recorded traces.
        /// </summary>
        public static string Explain(string loadTrace)
        {
            loadTrace ??= "";
            var glibcxx = Regex.Match(loadTrace, @"version [`'‘]?(GLIBCXX_[0-9.]+)['’]? not found(?: \(required by ([^)]+)\))?");
            if (glibcxx.Success)
            {
                string symbol = glibcxx.Groups[1].Value;
                string requiredBy = glibcxx.Groups[2].Success ? System.IO.Path.GetFileName(glibcxx.Groups[2].Value.Trim()) : "TorchSharp's native library";
                return $"TorchSharp's native library could not be loaded: the system libstdc++ lacks {symbol} (required by {requiredBy}). " +
                       "Fix: run scripts/ensure-libstdcxx.sh as root (installs libstdc++6 from Debian 13), or use a distribution with GCC 13+ libstdc++.";
            }
            var glibc = Regex.Match(loadTrace, @"version [`'‘]?(GLIBC_[0-9.]+)['’]? not found");
            if (glibc.Success)
            {
                return $"TorchSharp's native library could not be loaded: the system C library lacks {glibc.Groups[1].Value}. " +
                       "Fix: use a newer Linux distribution (glibc 2.28 or later; Debian 12, Ubuntu 22.04 or newer).";
            }
            if (Regex.IsMatch(loadTrace, @"lib(cuda|cudart|cublas|cudnn|nvrtc)[^\s]*\.so[^\s]*: cannot open shared object file", RegexOptions.IgnoreCase)
                || Regex.IsMatch(loadTrace, @"(cudart|cublas|cudnn|nvcuda)[^\s]*\.dll", RegexOptions.IgnoreCase))
            {
                return "TorchSharp's CUDA backend could not be loaded: an NVIDIA driver or CUDA runtime library is missing. " +
                       "Fix: install the NVIDIA driver on this machine, or build for the CPU (the default, -p:TorchBackend=cpu).";
            }
            if (Regex.IsMatch(loadTrace, @"doesn't contain a reference to|libtorch-cpu|libtorch-cuda|TorchSharp-cpu", RegexOptions.IgnoreCase)
                || Regex.IsMatch(loadTrace, @"lib(torch|torch_cpu|c10|LibTorchSharp)\.(so|dylib)[^\s]*: cannot open shared object file|Unable to load (shared library|DLL) '(LibTorchSharp|torch_cpu|libtorch)", RegexOptions.IgnoreCase))
            {
                return "TorchSharp's native library could not be loaded: no libtorch package for this platform is referenced or its files were not copied to the output folder. " +
                       "Dsl and Dsl.Runtime bring the managed TorchSharp only; the application chooses the native backend. " +
                       $"Fix: add one package to the application project: `dotnet add package TorchSharp-cpu` (CPU, every platform), `dotnet add package {CpuPackageForThisPlatform}` (CPU, this platform only), " +
                       "or TorchSharp-cuda-linux / TorchSharp-cuda-windows (NVIDIA GPU). " +
                       "In this repository, set UsesTorch=true in the project and choose the backend with TorchBackend (dotnet build -p:TorchBackend=cpu|cuda).";
            }
            string firstLine = FirstMeaningfulLine(loadTrace);
            return "TorchSharp's native library could not be loaded" + (firstLine.Length > 0 ? ": " + firstLine : ".") +
                   " Check that a native backend package (TorchSharp-cpu, " + CpuPackageForThisPlatform + ", TorchSharp-cuda-linux or TorchSharp-cuda-windows; in this repository the one TorchBackend selects) is referenced and that its native files are next to the application.";
        }

        /// <summary>The LibTorch CPU package for the running platform, e.g. libtorch-cpu-linux-x64 (named in messages).</summary>
        private static string CpuPackageForThisPlatform =>
            "libtorch-cpu-" + System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;

        private static string FirstMeaningfulLine(string trace)
        {
            foreach (var raw in trace.Split('\n'))
            {
                var line = raw.Trim();
                if (line.Length > 0) return line.Length > 300 ? line.Substring(0, 300) + "..." : line;
            }
            return "";
        }
    }
}
