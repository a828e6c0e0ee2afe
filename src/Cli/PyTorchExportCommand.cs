using System;
using System.IO;
using Dsl.Runtime.Device;
using Dsl.Runtime.Interop;
using Dsl.Runtime.PyTorch;
using Dsl.Runtime.Training;

namespace Dsl.Cli
{
    /// <summary><c>export MODEL --format pytorch --out PATH [--checkpoint CKPT]</c>: the network's PyTorch twin and the distributed training script.</summary>
    public static class PyTorchExportCommand
    {
        /// <summary>
        /// Writes the twin to <paramref name="output"/> when it names a <c>.py</c> file, else to <c>model.py</c> in that
        /// folder, with <c>train.py</c> beside it; with <paramref name="checkpoint"/>, the checkpoint's weights beside the
        /// twin as a safetensors state dict in the twin's keys (<c>model.safetensors</c> for <c>model.py</c>). Prints the
        /// files, how to load the weights, and the command that trains the twin.
        /// </summary>
        public static int Export(ModelEntry entry, string output, TextWriter log, string program, string? checkpoint = null)
        {
            // The checkpoint is read before anything is written, so a bad one leaves no half-exported folder behind.
            if (checkpoint is not null) TrainCommand.CheckCheckpointFile(checkpoint);
            string path = output.EndsWith(".py", StringComparison.Ordinal) ? output : Path.Combine(output, PyTorchExport.DefaultModelName);
            string? weights = null;
            string? weightsNote = null;
            System.Collections.Generic.List<HeadReplacement>? heads = null;
            if (checkpoint is not null)
            {
                TorchNative.EnsureLoaded();
                using var model = entry.Create();
                var header = Trainer.LoadWeights(model, checkpoint);
                weights = Path.ChangeExtension(path, ".safetensors");
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(weights))!);
                // The .NET module's state_dict keys are the twin's (parameters and BatchNorm buffers), so the file loads
                // with load_state_dict as it is.
                PyTorchCheckpoint.Save(model, weights);
                weightsNote = $"weights of {checkpoint} (epoch {header.Epoch})";
                heads = header.Heads is { Count: > 0 } replaced ? replaced : null;
                if (heads is not null)
                    weightsNote += $"; the checkpoint replaced the classifier ({string.Join(", ", heads)}), which {Path.GetFileName(path)} declares with its original size";
            }
            var files = PyTorchExport.Export(entry.Info, path);
            string folder = Path.GetDirectoryName(files.ModelPath)!;
            string modelFile = Path.GetFileName(files.ModelPath) == PyTorchExport.DefaultModelName ? "" : $" --model-file {files.ModelPath}";
            log.WriteLine($"wrote {files.ModelPath} (class {entry.Info.Name}, {entry.Info.TotalParameters:N0} parameters) and {files.TrainScriptPath}");
            string classes = "";
            if (weights is not null)
            {
                classes = heads is not null ? $" --classes {heads[^1].Classes}" : "";
                log.WriteLine($"wrote {weights}: {weightsNote}, as a state dict in the twin's keys; load it in Python with");
                string className = entry.Info.Name;
                log.WriteLine(heads is not null
                    ? $"  train.py's --classes {heads[^1].Classes} --init-from {weights} (which replaces the classifier first, then loads every tensor)"
                    : $"  model = {className}(); model.load_state_dict(train.load_safetensors(\"{weights}\"))   # train = train.py imported as a module");
            }
            log.WriteLine("train it with DistributedDataParallel, one process per GPU or CPU worker (torchrun = python3 -m torch.distributed.run):");
            string init = weights is null ? "" : $" --init-from {weights}{classes}";
            log.WriteLine($"  torchrun --nproc_per_node 2 {files.TrainScriptPath} --data DIR --out {Path.Combine(folder, "run")}{modelFile}{init}");
            log.WriteLine($"the run writes model.safetensors, which PyTorchCheckpoint.Load reads into {entry.Info.Name}; test it with:");
            log.WriteLine($"  {program} evaluate --checkpoint {Path.Combine(folder, "run", "model.safetensors")} --model {entry.Name}");
            return 0;
        }
    }
}
