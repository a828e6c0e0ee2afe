using System;
using System.IO;
using Dsl.Runtime.PyTorch;

namespace Dsl.Cli
{
    /// <summary><c>export MODEL --format pytorch --out PATH</c>: the network's PyTorch twin and the distributed training script.</summary>
    public static class PyTorchExportCommand
    {
        /// <summary>
        /// Writes the twin to <paramref name="output"/> when it names a <c>.py</c> file, else to <c>model.py</c> in that
        /// folder, with <c>train.py</c> beside it; prints the files and the command that trains the twin.
        /// </summary>
        public static int Export(ModelEntry entry, string output, TextWriter log, string program)
        {
            string path = output.EndsWith(".py", StringComparison.Ordinal) ? output : Path.Combine(output, PyTorchExport.DefaultModelName);
            var files = PyTorchExport.Export(entry.Info, path);
            string folder = Path.GetDirectoryName(files.ModelPath)!;
            string modelFile = Path.GetFileName(files.ModelPath) == PyTorchExport.DefaultModelName ? "" : $" --model-file {files.ModelPath}";
            log.WriteLine($"wrote {files.ModelPath} (class {entry.Info.Name}, {entry.Info.TotalParameters:N0} parameters) and {files.TrainScriptPath}");
            log.WriteLine("train it with DistributedDataParallel, one process per GPU or CPU worker (torchrun = python3 -m torch.distributed.run):");
            log.WriteLine($"  torchrun --nproc_per_node 2 {files.TrainScriptPath} --data DIR --out {Path.Combine(folder, "run")}{modelFile}");
            log.WriteLine($"the run writes model.safetensors, which PyTorchCheckpoint.Load reads into {entry.Info.Name}; test it with:");
            log.WriteLine($"  {program} evaluate --checkpoint {Path.Combine(folder, "run", "model.safetensors")} --model {entry.Name}");
            return 0;
        }
    }
}
