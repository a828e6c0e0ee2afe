using System.ComponentModel;
using System.Diagnostics;

namespace Dsl.Runtime.Diagrams
{
    /// <summary>The Graphviz program <c>dot</c> could not be run, or failed: the message names the fix.</summary>
    public sealed class GraphvizException : InvalidOperationException
    {
        /// <summary>Creates the exception.</summary>
        public GraphvizException(string message, Exception? inner = null) : base(message, inner) { }
    }

    /// <summary>
    /// Lays out DOT text with Graphviz's <c>dot</c> program (a separate install: it is a C program with no maintained .NET
    /// package). <c>DSL_GRAPHVIZ_DOT</c> names the program when it is not on the PATH.
    /// </summary>
    public static class Graphviz
    {
        /// <summary>The environment variable that names the <c>dot</c> program to run instead of the one on the PATH.</summary>
        public const string ProgramVariable = "DSL_GRAPHVIZ_DOT";

        /// <summary>How to install Graphviz, for messages.</summary>
        public const string InstallHint =
            "install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; Windows: winget install graphviz), " +
            "or set " + ProgramVariable + " to the dot program; the .dot file can also be opened by any Graphviz viewer";

        /// <summary>Runs <c>dot -T<paramref name="format"/></c> on <paramref name="dot"/> and returns what it writes (SVG text for <c>svg</c>).</summary>
        /// <exception cref="GraphvizException"><c>dot</c> is not installed, or it rejected the input.</exception>
        public static string Render(string dot, string format = "svg")
        {
            string program = Environment.GetEnvironmentVariable(ProgramVariable) is { Length: > 0 } p ? p : "dot";
            var start = new ProcessStartInfo(program, "-T" + format)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new GraphvizException($"Could not start Graphviz's '{program}': {InstallHint}.");
            }
            catch (Win32Exception e)
            {
                throw new GraphvizException($"Graphviz's '{program}' program was not found, which lays out the diagram: {InstallHint}.", e);
            }
            using (process)
            {
                // Read both streams while writing, so neither pipe fills and blocks the other side.
                var output = process.StandardOutput.ReadToEndAsync();
                var error = process.StandardError.ReadToEndAsync();
                process.StandardInput.Write(dot);
                process.StandardInput.Close();
                process.WaitForExit();
                if (process.ExitCode != 0)
                    throw new GraphvizException($"Graphviz's '{program} -T{format}' failed (exit code {process.ExitCode}): {error.Result.Trim()}");
                return output.Result;
            }
        }
    }

    /// <summary>Architecture diagrams of generated networks: <c>ResNet18.Info.Draw("resnet18.svg", depth: 2)</c>.</summary>
    public static class DiagramExtensions
    {
        /// <summary>
        /// Writes the network's diagram at <paramref name="depth"/> to <paramref name="path"/>: SVG (laid out by Graphviz)
        /// when it ends in <c>.svg</c>, with the DOT source beside it (same name, <c>.dot</c>); only the DOT source when it
        /// ends in <c>.dot</c>. Returns the files written.
        /// </summary>
        /// <exception cref="GraphvizException">An SVG was asked for and Graphviz is not installed (the .dot is written first).</exception>
        public static DiagramFiles Draw(this NetworkInfo info, string path, int depth = 1)
        {
            var diagram = NetworkDiagram.Of(info, depth);
            string dot = diagram.ToDot();
            string extension = Path.GetExtension(path).ToLowerInvariant();
            if (extension is not (".svg" or ".dot"))
                throw new InvalidOptionException("--out", "a .svg file (with its .dot beside it) or a .dot file", path);
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null) Directory.CreateDirectory(folder);
            string dotPath = Path.ChangeExtension(path, ".dot");
            File.WriteAllText(dotPath, dot);
            if (extension == ".dot") return new DiagramFiles(diagram, dotPath, null);
            File.WriteAllText(path, Graphviz.Render(dot, "svg"));
            return new DiagramFiles(diagram, dotPath, path);
        }

        /// <summary>Writes the network's diagram (see <see cref="Draw(NetworkInfo, string, int)"/>).</summary>
        public static DiagramFiles Draw(this IDeclaredNetwork network, string path, int depth = 1) => network.Info.Draw(path, depth);

        /// <summary>The network's diagram as SVG text (laid out by Graphviz), for embedding in a page.</summary>
        public static string ToSvg(this NetworkInfo info, int depth = 1) => Graphviz.Render(NetworkDiagram.Of(info, depth).ToDot(), "svg");
    }

    /// <summary>What <see cref="DiagramExtensions.Draw(NetworkInfo, string, int)"/> wrote: the DOT source and, unless only it was asked for, the SVG.</summary>
    public sealed record DiagramFiles(NetworkDiagram Diagram, string DotPath, string? SvgPath);
}
