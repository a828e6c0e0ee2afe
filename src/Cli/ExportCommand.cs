using System;
using System.CommandLine;
using System.IO;
using System.Linq;
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
            var output = new Option<string>("--out") { Description = "File to write (onnx), or folder for model.py and train.py (pytorch; with --checkpoint also model.safetensors)", Required = true };
            var checkpoint = new Option<string?>("--checkpoint") { Description = "A checkpoint.ckpt written by train: its weights go into the ONNX model, or beside the PyTorch twin as a safetensors state dict; default: the network's initial weights (onnx), none (pytorch)" };
            var quantize = new Option<string?>("--quantize") { Description = "int8: a statically quantized ONNX model (QDQ, per-channel int8 weights, uint8 activations) for ONNX Runtime's integer kernels; needs --calibrate" };
            var calibrate = new Option<string?>("--calibrate") { Description = "Data whose evaluation split calibrates the int8 activation ranges and measures the accuracy drop (any --data format; the built-in Fashion-MNIST subset with 'builtin')" };
            var samples = new Option<int>("--calibration-samples") { Description = "Samples of --calibrate whose activations set the ranges (seeded random choice)", DefaultValueFactory = _ => 512 };
            var command = new Command("export", "Write a network with its weights in a deployment format") { model, format, output, checkpoint, quantize, calibrate, samples };
            command.SetAction(parse => Export(catalog, program, parse.GetValue(model)!, parse.GetValue(format)!, parse.GetValue(output)!, parse.GetValue(checkpoint), Console.Out,
                parse.GetValue(quantize), parse.GetValue(calibrate), parse.GetValue(samples)));
            return command;
        }

        /// <summary>
        /// Writes <paramref name="modelName"/> as <paramref name="format"/> (onnx or pytorch) to <paramref name="output"/>;
        /// with <paramref name="quantize"/> int8, a statically quantized ONNX model calibrated on <paramref name="calibrate"/>.
        /// </summary>
        public static int Export(NetworkCatalog catalog, string program, string modelName, string format, string output, string? checkpoint, TextWriter log,
            string? quantize = null, string? calibrate = null, int calibrationSamples = 512)
        {
            var entry = catalog.Find(modelName);
            if (quantize is not null && !string.Equals(quantize, "int8", StringComparison.OrdinalIgnoreCase))
                throw new Dsl.Runtime.InvalidOptionException("--quantize", "int8", $"'{quantize}'");
            if (quantize is not null && !string.Equals(format, "onnx", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--quantize int8 writes an ONNX model; pass --format onnx (got --format {format}).");
            if (quantize is not null && calibrate is null)
                throw new ArgumentException("--quantize int8 needs --calibrate DATA: a few hundred samples of it set the activation ranges (pass 'builtin' for the built-in Fashion-MNIST subset).");
            if (calibrate is not null && quantize is null)
                throw new ArgumentException("--calibrate is used by --quantize int8 only; add --quantize int8 or leave --calibrate out.");
            if (calibrationSamples < 1)
                throw new Dsl.Runtime.InvalidOptionException("--calibration-samples", "at least 1", calibrationSamples.ToString(System.Globalization.CultureInfo.InvariantCulture));
            switch (format.ToLowerInvariant())
            {
                case "onnx":
                    return ExportOnnx(catalog, entry, output, checkpoint, log, calibrate, calibrationSamples);
                case "pytorch":
                    return PyTorchExportCommand.Export(entry, output, log, program, checkpoint);
                default:
                    throw new ArgumentException($"Unknown export format '{format}'. Formats: onnx, pytorch.");
            }
        }

        private static int ExportOnnx(NetworkCatalog catalog, ModelEntry entry, string output, string? checkpoint, TextWriter log, string? calibrate, int calibrationSamples)
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
            if (calibrate is not null)
            {
                new TrainCommand(catalog).ExportInt8(entry, model, calibrate == "builtin" ? TrainCommand.BuiltInData : calibrate, calibrationSamples, output, log);
                log.WriteLine($"wrote {output}: {entry.Name} as int8 ONNX (QDQ, opset {OnnxExporter.Opset}, input '{OnnxExporter.InputName}' [batch, {string.Join(", ", entry.Info.InputShape.ToArray())}] float32), " +
                              $"{entry.Info.TotalParameters:N0} parameters, {weights}; {new FileInfo(output).Length / 1048576.0:F1} MiB");
                return 0;
            }
            ((IDeclaredNetwork)model).ExportOnnx(output);
            // A network with declared outputs: each one the eval-mode forward computes, named as declared (auxiliary ones are training-only).
            var outputs = entry.Info.Outputs.Count == 0
                ? $"output '{OnnxExporter.OutputName}' [batch, {string.Join(", ", entry.Info.OutputShape.ToArray())}]"
                : "outputs " + string.Join(", ", entry.Info.Outputs.Where(o => !o.Auxiliary).Select(o => $"'{o.Name}' [batch, {string.Join(", ", o.Shape.ToArray())}]{(o.Main ? " (main)" : "")}"));
            log.WriteLine($"wrote {output}: {entry.Name} as ONNX (opset {OnnxExporter.Opset}, input '{OnnxExporter.InputName}' [batch, {string.Join(", ", entry.Info.InputShape.ToArray())}], " +
                          $"{outputs}), {entry.Info.TotalParameters:N0} parameters, {weights}; " +
                          $"{new FileInfo(output).Length / 1048576.0:F1} MiB");
            return 0;
        }
    }
}
