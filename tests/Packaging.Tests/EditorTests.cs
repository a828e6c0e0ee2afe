using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Dsl.Packaging.Tests
{
    /// <summary>
    /// The analyzer in a real editor: csharp-ls (a Roslyn language server) on a project that adds the packed
    /// Dsl package. A shape error typed into an open file must be reported at the attribute argument, and
    /// disappear once fixed. csharp-ls runs analyzers only with `csharp.analyzersEnabled = true`, which
    /// this client answers to the server's workspace/configuration request, as an editor does from its
    /// settings (docs/editors.md).
    /// </summary>
    [Collection(PackagesCollection.Name)]
    public class EditorTests
    {
        private const string CsharpLsVersion = "0.28.0";

        private const string Good = """
            using Dsl;

            namespace Editor;

            [Input(1, 28, 28)]
            [Conv2d(8, 3)]
            [ReLU]
            [Flatten]
            [Linear(10, InFeatures = 5408)]
            public partial class TinyNet;
            """;

        // 8 x 26 x 26 = 5408 features reach the linear layer; 500 is a shape error (DSL003).
        private const string Bad = "[Linear(10, InFeatures = 500)]";

        /// <summary>Generous: this is a liveness check on a slow 2-core machine, not a timing assertion.</summary>
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

        private readonly PackagesFixture _packages;
        private readonly Log _log;

        public EditorTests(PackagesFixture packages, ITestOutputHelper output)
        {
            _packages = packages;
            _packages.AssertPacked();
            _log = packages.LogFor(output);
        }

        [SkippableFact]
        public void Csharp_ls_reports_a_shape_error_at_the_argument_while_typing_and_clears_it_when_fixed()
        {
            string tools = Path.Combine(_packages.Root, "tools");
            string server = Path.Combine(tools, OperatingSystem.IsWindows() ? "csharp-ls.exe" : "csharp-ls");
            var install = Cli.Run(_log, "dotnet", $"tool install csharp-ls --version {CsharpLsVersion} --tool-path \"{tools}\"", _packages.Root);
            Skip.If(install.ExitCode != 0 || !File.Exists(server),
                $"csharp-ls {CsharpLsVersion} could not be installed as a dotnet tool (no package source serves it?), so the editor test cannot run:\n{install.Tail(8)}");

            string dir = _packages.NewFolder("editor");
            File.WriteAllText(Path.Combine(dir, "Editor.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Dsl" Version="{_packages.Version}" />
                  </ItemGroup>
                </Project>
                """);
            string file = Path.Combine(dir, "TinyNet.cs");
            File.WriteAllText(file, Good);
            // An editor opens a restored project (VS, Rider and VS Code restore on open; csharp-ls does not).
            Cli.Ok(_log, "dotnet", "restore", dir, _packages.ChildEnvironment);

            string root = new Uri(dir + Path.DirectorySeparatorChar).AbsoluteUri.TrimEnd('/');
            string uri = new Uri(file).AbsoluteUri;
            var clock = Stopwatch.StartNew();
            using var lsp = new LspClient(Cli.StartInfo(server, "--loglevel info", dir, _packages.ChildEnvironment),
                new JsonObject { ["analyzersEnabled"] = true });

            lsp.Request("initialize", new JsonObject
            {
                ["processId"] = Environment.ProcessId,
                ["rootUri"] = root,
                ["workspaceFolders"] = new JsonArray(new JsonObject { ["uri"] = root, ["name"] = "editor" }),
                ["capabilities"] = new JsonObject
                {
                    ["workspace"] = new JsonObject { ["configuration"] = true, ["workspaceFolders"] = true, ["didChangeConfiguration"] = new JsonObject() },
                    // No "diagnostic" capability: the server pushes textDocument/publishDiagnostics.
                    ["textDocument"] = new JsonObject { ["publishDiagnostics"] = new JsonObject(), ["synchronization"] = new JsonObject() },
                },
            }, Patience);
            lsp.Notify("initialized", new JsonObject());
            lsp.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = new JsonObject { ["csharp"] = new JsonObject { ["analyzersEnabled"] = true } } });
            lsp.Notify("textDocument/didOpen", new JsonObject
            {
                ["textDocument"] = new JsonObject { ["uri"] = uri, ["languageId"] = "csharp", ["version"] = 1, ["text"] = Good },
            });

            // The project is loaded and the correct file is analysed: no DSL diagnostic.
            var first = lsp.WaitFor("textDocument/publishDiagnostics", p => (string?)p["uri"] == uri, Patience * 2);
            Assert.True(first is not null, "no diagnostics for the opened file; server log:\n" + Tail(lsp.ServerLog));
            Assert.Empty(DslDiagnostics(first!));
            _log.Line($"csharp-ls loaded the project and analysed the file: {clock.Elapsed.TotalSeconds:0.0} s");

            // Type the shape error.
            string bad = Good.Replace("[Linear(10, InFeatures = 5408)]", Bad, StringComparison.Ordinal);
            var lines = bad.Split('\n');
            int line = Array.FindIndex(lines, l => l.Contains(Bad, StringComparison.Ordinal));
            int start = lines[line].IndexOf("InFeatures = 500", StringComparison.Ordinal);
            var typed = Stopwatch.StartNew();
            Change(lsp, uri, 2, bad);
            var reported = lsp.WaitFor("textDocument/publishDiagnostics", p => (string?)p["uri"] == uri && DslDiagnostics(p).Any(), Patience);
            Assert.True(reported is not null, "DSL003 was not reported; server log:\n" + Tail(lsp.ServerLog));
            _log.Line($"DSL003 reported {typed.Elapsed.TotalSeconds:0.0} s after the edit");

            var diagnostic = Assert.Single(DslDiagnostics(reported!));
            Assert.Equal("DSL003", (string?)diagnostic["code"]);
            Assert.Equal(1, (int)diagnostic["severity"]!);   // Error
            Assert.Contains("InFeatures = 500 but receives 5408 features", (string?)diagnostic["message"], StringComparison.Ordinal);
            var range = diagnostic["range"]!;
            Assert.Equal((line, start), ((int)range["start"]!["line"]!, (int)range["start"]!["character"]!));
            Assert.Equal((line, start + "InFeatures = 500".Length), ((int)range["end"]!["line"]!, (int)range["end"]!["character"]!));

            // Fix it: the diagnostic goes away.
            var fixing = Stopwatch.StartNew();
            Change(lsp, uri, 3, Good);
            var cleared = lsp.WaitFor("textDocument/publishDiagnostics", p => (string?)p["uri"] == uri && !DslDiagnostics(p).Any(), Patience);
            Assert.True(cleared is not null, "DSL003 stayed after the fix; server log:\n" + Tail(lsp.ServerLog));
            _log.Line($"DSL003 cleared {fixing.Elapsed.TotalSeconds:0.0} s after the fix; whole editor session {clock.Elapsed.TotalSeconds:0.0} s");
        }

        private static void Change(LspClient lsp, string uri, int version, string text) =>
            lsp.Notify("textDocument/didChange", new JsonObject
            {
                ["textDocument"] = new JsonObject { ["uri"] = uri, ["version"] = version },
                ["contentChanges"] = new JsonArray(new JsonObject { ["text"] = text }),
            });

        private static JsonNode[] DslDiagnostics(JsonObject publish) =>
            publish["diagnostics"]!.AsArray()
                .Where(d => ((string?)d!["code"])?.StartsWith("DSL", StringComparison.Ordinal) == true)
                .Select(d => d!)
                .ToArray();

        private static string Tail(string log) => log.Length > 4000 ? log[^4000..] : log;
    }
}
