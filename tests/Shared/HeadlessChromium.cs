using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace Dsl.Tests.Shared
{
    /// <summary>
    /// Debian's Chromium, headless: loads a local file as a browser does and reports the DOM it built, the console
    /// messages the page logged and a screenshot. Linked into the test projects that check pages and diagrams.
    /// </summary>
    internal static class HeadlessChromium
    {
        /// <summary>Why Chromium cannot be used here, or null.</summary>
        public static string? MissingReason { get; } = Find() is null
            ? "chromium is not installed (apt-get install chromium; ./build.sh test installs it as root): the page-loading checks skip."
            : null;

        private static string? Find() =>
            new[] { "chromium", "chromium-browser", "google-chrome" }
                .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(dir => Path.Combine(dir, name)))
                .FirstOrDefault(File.Exists);

        /// <summary>The page's DOM after load (<c>--dump-dom</c>) and the browser's log (console messages and load errors).</summary>
        public static (string Dom, string Log) DumpDom(string file) => Run(file, "--dump-dom");

        /// <summary>Writes a PNG screenshot of the page; returns the browser's log.</summary>
        public static string Screenshot(string file, string png, int width = 1200, int height = 1600) =>
            Run(file, $"--screenshot={png}", $"--window-size={width},{height}").Log;

        private static (string Dom, string Log) Run(string file, params string[] arguments)
        {
            var start = new ProcessStartInfo(Find() ?? throw new InvalidOperationException(MissingReason))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // No sandbox: the tests run as root in CI, where Chromium refuses its sandbox. Logging to stderr shows console messages.
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                         "--enable-logging=stderr", "--v=0", $"--user-data-dir={Path.Combine(Path.GetTempPath(), "dsl-chromium-" + Guid.NewGuid().ToString("N"))}" })
                start.ArgumentList.Add(a);
            foreach (var a in arguments) start.ArgumentList.Add(a);
            start.ArgumentList.Add(new Uri(Path.GetFullPath(file)).AbsoluteUri);
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var log = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(120_000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium did not finish loading {file} in 2 minutes. Log:\n{log.Result}");
            }
            return (output.Result, log.Result);
        }

        /// <summary>The lines of a Chromium log that report a console message or a page error (not the browser's own chatter).</summary>
        public static string[] PageErrors(string log) =>
            log.Split('\n').Where(l => l.Contains(":CONSOLE(", StringComparison.Ordinal) || l.Contains("Uncaught", StringComparison.Ordinal)
                                       || l.Contains("This page contains the following errors", StringComparison.Ordinal)).ToArray();
    }
}
