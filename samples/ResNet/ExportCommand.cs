using System;
using System.CommandLine;
using System.IO;

namespace ResNetSample
{
    /// <summary>The sample's <c>export</c> command: <c>export MODEL --format onnx|pytorch --out PATH</c>.</summary>
    public static class ExportCommand
    {
        public static Command Create()
        {
            var model = new Argument<string>("model") { Description = "Network to export (see `models`)" };
            var format = new Option<string>("--format") { Description = "onnx or pytorch", Required = true };
            format.AcceptOnlyFromAmong("onnx", "pytorch");
            var output = new Option<string>("--out") { Description = "Output file or folder", Required = true };
            var export = new Command("export", "Export a network to another framework") { model, format, output };
            export.SetAction(parse => Run(ModelCatalog.Find(parse.GetValue(model)!), parse.GetValue(format)!, parse.GetValue(output)!, Console.Out));
            return export;
        }

        public static int Run(ModelEntry entry, string format, string output, TextWriter log)
        {
            switch (format)
            {
                case "pytorch":
                    return PyTorchExportCommand.Export(entry, output, log);
                default:
                    log.WriteLine($"export --format {format}: not available yet.");
                    return 2;
            }
        }
    }
}
