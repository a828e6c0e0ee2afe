using System;
using System.Diagnostics;
using System.IO;

namespace Dsl.Generator.Tests.ResNetFamily
{
    /// <summary>
    /// Debian's <c>/usr/bin/python3</c> with python3-torch and python3-torchvision, used as the reference when present.
    /// Tests that need it skip with the reason from <see cref="MissingReason"/>.
    /// </summary>
    internal static class PythonOracle
    {
        public const string Python = "/usr/bin/python3";

        private static readonly Lazy<string?> Missing = new(() =>
        {
            if (!File.Exists(Python)) return Python + " is not installed";
            var (code, _, error) = Run("-c \"import torch, torchvision\"", TimeSpan.FromMinutes(2));
            return code == 0 ? null : "python3-torch / python3-torchvision are not importable: " + error.Trim();
        });

        /// <summary>Null when the oracle works, otherwise why not.</summary>
        public static string? MissingReason => Missing.Value;

        public static (int ExitCode, string Output, string Error) Run(string arguments, TimeSpan timeout)
        {
            var info = new ProcessStartInfo(Python, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.Environment["OMP_NUM_THREADS"] = "1";
            using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start " + Python);
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit((int)timeout.TotalMilliseconds))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException(Python + " " + arguments + " did not finish in " + timeout);
            }
            return (process.ExitCode, output.Result, error.Result);
        }

        /// <summary>The repository root (where Dsl.sln is), found from the test binaries.</summary>
        public static string RepoRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Dsl.sln"))) return dir.FullName;
            }
            throw new DirectoryNotFoundException("Dsl.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
