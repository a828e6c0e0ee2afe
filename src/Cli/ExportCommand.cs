using System;
using System.CommandLine;
using System.IO;
using Dsl;
using Dsl.Runtime.Device;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.Training;

namespace Dsl.Cli
{
    /// <summary>The <c>export</c> command: writes a network, with initial or trained weights, in a deployment format.</summary>
    public static class ExportCommand
    {
        /// <summary>The command over <paramref name="catalog"/>'s networks; <paramref name="program"/> names the program in the hints it prints.</summary>
        public static Command Create(NetworkCatalog catalog, string program)
        {
            var model = new Argument<string>("model") { Description = "Network name (see the models command)" };
            var format = new Option<string>("--format") { Description = "onnx (ONNX Runtime and other ONNX tools) or pytorch", Required = true };
            var output = new Option<string>("--out") { Description = "File to write (onnx), or folder for model.py and train.py (pytorch)", Required = true };
            var checkpoint = new Option<string?>("--checkpoint") { Description = "A checkpoint.ckpt written by train; default: the network's initial weights" };
            var command = new Command("export", "Write a network with its weights in a deployment format") { model, format, output, checkpoint };
            command.SetAction(parse => Export(catalog, program, parse.GetValue(model)!, parse.GetValue(format)!, parse.GetValue(output)!, parse.GetValue(checkpoint), Console.Out));
            return command;
        }

        /// <summary>Writes <paramref name="modelName"/> as <paramref name="format"/> (onnx or pytorch) to <paramref name="output"/>.</summary>
        public static int Export(NetworkCatalog catalog, string program, string modelName, string format, string output, string? checkpoint, TextWriter log)
        {
            var entry = catalog.Find(modelName);
            switch (format.ToLowerInvariant())
            {
                case "onnx":
                    return ExportOnnx(entry, output, checkpoint, log);
                case "pytorch":
                    return PyTorchExportCommand.Export(entry, output, log, program);
                default:
                    throw new ArgumentException($"Unknown export format '{format}'. Formats: onnx, pytorch.");
            }
        }

        private static int ExportOnnx(ModelEntry entry, string output, string? checkpoint, TextWriter log)
        {
            // Writing the model over a folder fails deep in the file system with a message meant for training runs.
            if (Directory.Exists(output))
                throw new Dsl.Runtime.InvalidOptionException("--out", "the path of the .onnx file to write", $"{output}, which is a folder; pass a file in it, such as {Path.Combine(output, entry.Name + ".onnx")}");
            if (checkpoint is not null) TrainCommand.CheckCheckpointFile(checkpoint);
            TorchNative.EnsureLoaded();
            using var model = entry.Create();
            string weights = "initial weights (no --checkpoint)";
            if (checkpoint is not null)
            {
                var header = Trainer.LoadWeights(model, checkpoint);
                weights = $"weights of {checkpoint} (epoch {header.Epoch})";
            }
            ((IDeclaredNetwork)model).ExportOnnx(output);
            log.WriteLine($"wrote {output}: {entry.Name} as ONNX (opset {OnnxExporter.Opset}, input '{OnnxExporter.InputName}' [batch, {string.Join(", ", entry.Info.InputShape.ToArray())}], " +
                          $"output '{OnnxExporter.OutputName}' [batch, {string.Join(", ", entry.Info.OutputShape.ToArray())}]), {entry.Info.TotalParameters:N0} parameters, {weights}; " +
                          $"{new FileInfo(output).Length / 1048576.0:F1} MiB");
            return 0;
        }
    }
}
