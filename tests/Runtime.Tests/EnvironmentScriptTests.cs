using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using Xunit;

namespace Dsl.Runtime.Tests
{
    /// <summary>scripts/ensure-libstdcxx.sh: idempotent, silent where nothing is needed, no host names.</summary>
    public class EnvironmentScriptTests
    {
        private static string Script => Path.Combine(TestData.RepoRoot, "scripts", "ensure-libstdcxx.sh");

        [SkippableFact]
        public void Second_run_is_a_silent_no_op()
        {
            Skip.IfNot(RuntimeInformation.IsOSPlatform(OSPlatform.Linux), "the script only acts on Linux");
            var start = new ProcessStartInfo("bash", Script) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            // TorchSharp loads in this test run, so the library is already new enough: nothing to do or say.
            Assert.Equal(0, process.ExitCode);
            Assert.Equal("", output);
        }

        [Fact]
        public void Script_reads_the_mirror_from_the_machine_and_names_no_host()
        {
            var text = File.ReadAllText(Script);
            Assert.DoesNotMatch(@"https?://[a-z]", text.Replace("$uri", ""));
            Assert.Contains("/etc/apt/sources.list.d/debian.sources", text);
            Assert.Contains("Pin-Priority: 100", text);
        }
    }
}
