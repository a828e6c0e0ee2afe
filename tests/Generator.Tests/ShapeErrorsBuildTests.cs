using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// Builds samples/ShapeErrors with the real SDK (generator loaded as an analyzer) and checks that
    /// the build fails with every DSL diagnostic at the same file(line,col) the analyzer reports in process.
    /// </summary>
    public class ShapeErrorsBuildTests
    {
        private static readonly Regex ErrorLine = new(@"(?<file>[^\s(]+\.cs)\((?<line>\d+),(?<col>\d+)\): error (?<id>DSL\d{3}):", RegexOptions.Compiled);

        [Fact]
        public void Build_Fails_WithEveryDiagnostic_AtItsLocation()
        {
            string project = Path.Combine(DiagnosticHarness.RepoRoot, "samples", "ShapeErrors", "ShapeErrors.csproj");
            // Own output and obj folders (per checkout): no clash with other builds of the same projects.
            string artifacts = Path.Combine(Path.GetTempPath(), "dsl-shapeerrors-" + StableHash(DiagnosticHarness.RepoRoot));
            var (exitCode, output) = Run("dotnet", $"build \"{project}\" -nologo --artifacts-path \"{artifacts}\"", TimeSpan.FromMinutes(8));
            Assert.True(exitCode != 0, "The build must fail:\n" + output);

            var built = new SortedSet<string>(StringComparer.Ordinal);
            foreach (Match m in ErrorLine.Matches(output))
            {
                built.Add($"{Path.GetFileName(m.Groups["file"].Value)}({m.Groups["line"].Value},{m.Groups["col"].Value}) {m.Groups["id"].Value}");
            }

            // The same file analysed in process: same diagnostics, same places.
            string file = Path.Combine(DiagnosticHarness.RepoRoot, "samples", "ShapeErrors", "BadNetworks.cs");
            var compilation = DiagnosticHarness.Compile(File.ReadAllText(file));
            var expected = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var d in DiagnosticHarness.Analyze(compilation))
            {
                var position = d.Location.GetLineSpan().StartLinePosition;
                expected.Add($"BadNetworks.cs({position.Line + 1},{position.Character + 1}) {d.Id}");
            }

            Assert.Equal(expected, built);
            var ids = built.Select(s => s.Substring(s.Length - 6)).ToHashSet();
            // Every diagnostic the generator declares has its bad declaration in the sample, except DSL016, which reports
            // the generator's own failure (no declaration is meant to reach it).
            var declared = typeof(Dsl.Generator.Diagnostics.Descriptors)
                .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
                .Where(f => f.IsLiteral && f.Name.EndsWith("Id", StringComparison.Ordinal))
                .Select(f => (string)f.GetRawConstantValue()!)
                .Where(id => id != Dsl.Generator.Diagnostics.Descriptors.GeneratorFailureId)
                .ToArray();
            Assert.True(declared.Length >= 20, "the diagnostic ids were not found on Descriptors");
            Assert.Empty(declared.Except(ids).OrderBy(id => id, StringComparer.Ordinal));
            // A few fixed anchors, so a shift in both the build and the in-process run is still caught.
            Assert.Contains("BadNetworks.cs(20,17) DSL003", built);
            Assert.Contains("BadNetworks.cs(41,27) DSL007", built);
            Assert.Contains("BadNetworks.cs(56,18) DSL010", built);
        }

        private static string StableHash(string text)
        {
            uint hash = 2166136261;
            foreach (char c in text) hash = (hash ^ c) * 16777619;
            return hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        }

        private static (int ExitCode, string Output) Run(string fileName, string arguments, TimeSpan timeout)
        {
            var info = new ProcessStartInfo(fileName, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = DiagnosticHarness.RepoRoot,
            };
            // The test host runs under `dotnet test`: do not let its MSBuild settings leak into the child build.
            foreach (var name in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly", "VSTEST_HOST_DEBUG" })
            {
                info.Environment.Remove(name);
            }
            info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            info.Environment["DOTNET_NOLOGO"] = "1";
            var output = new StringBuilder();
            using var process = new Process { StartInfo = info };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit((int)timeout.TotalMilliseconds))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{fileName} {arguments} did not finish in {timeout}:\n{output}");
            }
            process.WaitForExit();
            lock (output) return (process.ExitCode, output.ToString());
        }
    }
}
