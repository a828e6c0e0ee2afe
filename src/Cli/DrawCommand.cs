using System;
using System.CommandLine;
using System.Globalization;
using Dsl.Runtime;
using Dsl.Runtime.Diagrams;

namespace Dsl.Cli
{
    /// <summary><c>draw MODEL [--depth N] [--out PATH]</c>: the network's architecture diagram as SVG and Graphviz DOT (docs/diagrams.md).</summary>
    public static class DrawCommand
    {
        /// <summary>The command over <paramref name="catalog"/>'s networks.</summary>
        public static Command Create(NetworkCatalog catalog)
        {
            var model = new Argument<string>("model") { Description = "Network name (see the models command)" };
            var depth = new Option<int>("--depth") { Description = "1: the parts declared on the network; 2: their children too; and so on", DefaultValueFactory = _ => 1 };
            var output = new Option<string?>("--out") { Description = "The .svg file to write (its .dot beside it), or a .dot file only; default: MODEL.svg" };
            var command = new Command("draw", "Draw the network's architecture (modules, merges, shapes on the edges, parameters) as SVG and Graphviz DOT") { model, depth, output };
            command.SetAction(parse =>
            {
                var entry = catalog.Find(parse.GetValue(model)!);
                int d = parse.GetValue(depth);
                if (d < 1) throw new InvalidOptionException("--depth", "a whole number of at least 1 (1 = the parts declared on the network)", d.ToString(CultureInfo.InvariantCulture));
                string path = parse.GetValue(output) ?? entry.Name + ".svg";
                var files = entry.Info.Draw(path, d);
                var diagram = files.Diagram;
                Console.WriteLine($"wrote {files.SvgPath ?? files.DotPath}" + (files.SvgPath is null ? "" : $" and {files.DotPath}") +
                                  $": {entry.Name} at depth {d}, {diagram.Nodes.Count} nodes, {diagram.Edges.Count} edges");
                return 0;
            });
            return command;
        }
    }
}
