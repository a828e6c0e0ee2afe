using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Dsl.Packaging.Tests
{
    /// <summary>
    /// Progress lines of the slow tests. They go to the test's own output and, as xUnit diagnostic
    /// messages (enabled in xunit.runner.json), to the console of `dotnet test`, so a CI log shows
    /// what was packed, created, built and run, and how long each step took.
    /// </summary>
    public sealed class Log
    {
        private readonly ITestOutputHelper? _test;
        private readonly IMessageSink? _sink;

        public Log(ITestOutputHelper? test, IMessageSink? sink)
        {
            _test = test;
            _sink = sink;
        }

        public void Line(string text)
        {
            string line = "[packaging] " + text;
            try { _test?.WriteLine(line); } catch (InvalidOperationException) { /* no test running (fixture) */ }
            _sink?.OnMessage(new DiagnosticMessage(line));
        }
    }

    /// <summary>The output of a finished child process.</summary>
    public sealed record ProcessResult(int ExitCode, string Output, TimeSpan Elapsed)
    {
        public string Tail(int lines = 60)
        {
            var all = Output.Split('\n');
            return string.Join("\n", all[Math.Max(0, all.Length - lines)..]);
        }
    }

    /// <summary>Runs dotnet (or another tool) as a user would in a terminal, outside this test host's settings.</summary>
    public static class Cli
    {
        /// <summary>
        /// Variables that `dotnet test` sets for the test host and that would steer a nested dotnet
        /// to this host's MSBuild or SDK resolution rather than the one a user gets.
        /// </summary>
        private static readonly string[] HostVariables =
        {
            "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly",
            "VSTEST_HOST_DEBUG", "DOTNET_HOST_PATH", "VSTEST_DUMP_PATH",
        };

        /// <summary>A start info with redirected streams and a user's environment plus <paramref name="environment"/>.</summary>
        public static ProcessStartInfo StartInfo(string fileName, string arguments, string workingDirectory,
            IReadOnlyDictionary<string, string>? environment)
        {
            var info = new ProcessStartInfo(fileName, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory,
            };
            foreach (var name in HostVariables) info.Environment.Remove(name);
            info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            info.Environment["DOTNET_NOLOGO"] = "1";
            info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
            // Plain, English output: no terminal logger, so the assertions can read it.
            info.Environment["MSBUILDTERMINALLOGGER"] = "off";
            info.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
            if (environment != null)
                foreach (var (key, value) in environment) info.Environment[key] = value;
            return info;
        }

        public static ProcessResult Run(Log log, string fileName, string arguments, string workingDirectory,
            IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
        {
            var limit = timeout ?? TimeSpan.FromMinutes(8);
            var output = new StringBuilder();
            var clock = Stopwatch.StartNew();
            using var process = new Process { StartInfo = StartInfo(fileName, arguments, workingDirectory, environment) };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
            process.Start();
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit((int)limit.TotalMilliseconds))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{fileName} {arguments} did not finish in {limit}:\n{output}");
            }
            process.WaitForExit();
            clock.Stop();
            log.Line($"{Path.GetFileName(fileName)} {arguments}  (in {Shorten(workingDirectory)}): exit {process.ExitCode}, {clock.Elapsed.TotalSeconds:0.0} s");
            lock (output) return new ProcessResult(process.ExitCode, output.ToString(), clock.Elapsed);
        }

        /// <summary>Runs and asserts success, showing the end of the output otherwise.</summary>
        public static ProcessResult Ok(Log log, string fileName, string arguments, string workingDirectory,
            IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
        {
            var result = Run(log, fileName, arguments, workingDirectory, environment, timeout);
            Assert.True(result.ExitCode == 0, $"`{fileName} {arguments}` failed with exit code {result.ExitCode}:\n{result.Tail()}");
            return result;
        }

        private static string Shorten(string dir)
        {
            string temp = Path.GetTempPath();
            return dir.StartsWith(temp, StringComparison.Ordinal) ? "$TMP/" + dir.Substring(temp.Length).TrimStart('/') : dir;
        }
    }
}
