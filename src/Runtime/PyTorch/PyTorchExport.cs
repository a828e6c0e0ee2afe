using System.Text;

namespace Dsl.Runtime.PyTorch
{
    /// <summary>The files an export wrote.</summary>
    /// <param name="ModelPath">The twin: a Python module defining the network's class.</param>
    /// <param name="TrainScriptPath">The distributed training script beside it, or null when not requested.</param>
    public sealed record PyTorchExportFiles(string ModelPath, string? TrainScriptPath);

    /// <summary>
    /// Exports a generated network as its PyTorch twin, with the generic training script (train.py) that trains
    /// any twin under <c>torchrun</c> with DistributedDataParallel and writes a safetensors checkpoint that
    /// <see cref="Interop.PyTorchCheckpoint.Load"/> reads back into the .NET module. See docs/pytorch.md.
    /// </summary>
    public static class PyTorchExport
    {
        /// <summary>The training script's file name.</summary>
        public const string TrainScriptName = "train.py";

        /// <summary>The twin's file name when an export names a folder.</summary>
        public const string DefaultModelName = "model.py";

        private static readonly Lazy<string> Script = new(() =>
        {
            using var stream = typeof(PyTorchExport).Assembly.GetManifestResourceStream("Dsl.Runtime.PyTorch.train.py")
                ?? throw new InvalidOperationException("train.py is missing from Dsl.Runtime's resources.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        });

        /// <summary>The source of the training script (the same for every network: it imports the twin by file and class name).</summary>
        public static string TrainingScript => Script.Value;

        /// <summary>
        /// Writes the PyTorch twin of <paramref name="network"/> to <paramref name="path"/> (a <c>.py</c> file; its folder
        /// is created) and, unless <paramref name="withTrainingScript"/> is false, <c>train.py</c> beside it. Existing files
        /// are replaced.
        /// </summary>
        /// <exception cref="NotSupportedException">A layer of the network has no PyTorch mapping (the message names it).</exception>
        public static PyTorchExportFiles ExportPyTorch(this IDeclaredNetwork network, string path, bool withTrainingScript = true) =>
            Export(network.Info, path, withTrainingScript);

        /// <summary>As <see cref="ExportPyTorch"/>, from a network's compile-time facts (the class's static <c>Info</c>), without an instance.</summary>
        public static PyTorchExportFiles Export(NetworkInfo network, string path, bool withTrainingScript = true)
        {
            if (!string.Equals(Path.GetExtension(path), ".py", StringComparison.Ordinal))
                throw new ArgumentException($"The twin is a Python module, so its file must end in .py; got {path}.", nameof(path));
            string full = Path.GetFullPath(path);
            string folder = Path.GetDirectoryName(full)!;
            string? script = withTrainingScript ? Path.Combine(folder, TrainScriptName) : null;
            if (string.Equals(script, full, StringComparison.Ordinal))
                throw new ArgumentException($"The twin cannot be called {TrainScriptName}: the training script is written beside it under that name.", nameof(path));
            string source = PyTorchTwin.Render(network); // before touching the disk: an unsupported layer writes nothing
            Directory.CreateDirectory(folder);
            File.WriteAllText(full, source, new UTF8Encoding(false));
            if (script is not null) File.WriteAllText(script, TrainingScript, new UTF8Encoding(false));
            return new PyTorchExportFiles(full, script);
        }
    }
}
