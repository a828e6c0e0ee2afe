using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;

namespace Dsl.Runtime.Tests.PyTorch
{
    /// <summary>
    /// Debian's <c>/usr/bin/python3</c> with python3-torch (another python3 may come first on PATH). Tests that need it
    /// skip with <see cref="MissingReason"/>.
    /// </summary>
    internal static class PythonTorch
    {
        public const string Python = "/usr/bin/python3";

        /// <summary>The folder of the test's Python helpers (twin_check.py, ddp_probe.py).</summary>
        public static string Helpers => Path.Combine(TestData.RepoRoot, "tests", "Runtime.Tests", "PyTorch");

        private static readonly Lazy<string?> Missing = new(() =>
        {
            if (!File.Exists(Python)) return Python + " is not installed";
            var result = Run(new[] { "-c", "import torch, torch.distributed as d; assert d.is_gloo_available(), 'torch.distributed has no gloo'" }, TimeSpan.FromMinutes(2));
            return result.ExitCode == 0 ? null : "python3-torch is not importable with gloo: " + result.Error.Trim();
        });

        /// <summary>Null when PyTorch with gloo works, otherwise why not.</summary>
        public static string? MissingReason => Missing.Value;

        public sealed record Result(int ExitCode, string Output, string Error)
        {
            public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
        }

        /// <summary>Runs python3 with <paramref name="arguments"/>; throws when it does not finish in time.</summary>
        public static Result Run(IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
        {
            var info = new ProcessStartInfo(Python)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            };
            foreach (var a in arguments) info.ArgumentList.Add(a);
            // PyTorch 1.13's launcher under Python 3.11 cannot parse its default stream setting ("0"); see docs/pytorch.md.
            info.Environment["PET_REDIRECTS"] = "1";
            info.Environment["PET_TEE"] = "1";
            using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start " + Python);
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit((int)timeout.TotalMilliseconds))
            {
                process.Kill(entireProcessTree: true);
                // What the process printed before it was stopped says where it was waiting.
                bool drained = System.Threading.Tasks.Task.WaitAll(new[] { output, error }, TimeSpan.FromSeconds(10));
                string printed = drained ? $"\n--- stdout\n{output.Result}\n--- stderr\n{error.Result}" : "";
                throw new TimeoutException($"{Python} {string.Join(" ", info.ArgumentList)} did not finish in {timeout}{printed}");
            }
            return new Result(process.ExitCode, output.Result, error.Result);
        }

        /// <summary>A TCP port free at the time of the call, for torchrun's rendezvous (other test runs may hold the default 29500).</summary>
        public static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
