using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Dsl.Runtime.Training;
using Xunit;
using Xunit.Abstractions;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// A training process killed with SIGKILL anywhere (mid-batch, inside the checkpoint's atomic write, between the
    /// checkpoint and metrics.csv, at a random moment) and resumed each time ends with the same metrics and weights
    /// as a run that was never interrupted.
    /// </summary>
    public class CrashTests
    {
        private readonly ITestOutputHelper _out;

        public CrashTests(ITestOutputHelper output) => _out = output;

        private sealed record ChildRun(bool Killed, int ExitCode, string Error);

        /// <summary>Starts <see cref="CrashHost"/>; kills it (SIGKILL) when it pauses, or <paramref name="killAfterMs"/> after it started.</summary>
        private static ChildRun Run(string dir, string pauseAt, int? killAfterMs = null)
        {
            string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
            var psi = new ProcessStartInfo(host)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "exec", typeof(CrashHost).Assembly.Location, CrashHost.Command, dir, pauseAt }) psi.ArgumentList.Add(a);
            using var child = Process.Start(psi)!;
            var started = new TaskCompletionSource();
            var paused = new TaskCompletionSource();
            child.OutputDataReceived += (_, e) =>
            {
                if (e.Data == CrashHost.StartedLine) started.TrySetResult();
                if (e.Data == CrashHost.PausedLine) paused.TrySetResult();
            };
            var error = child.StandardError.ReadToEndAsync();
            child.BeginOutputReadLine();
            var exited = child.WaitForExitAsync();

            Task trigger = paused.Task;
            if (killAfterMs is int ms) trigger = started.Task.ContinueWith(_ => Thread.Sleep(ms), TaskScheduler.Default);
            // The timeout only keeps a broken child from hanging the suite; no assertion depends on timing.
            Task.WaitAny(new[] { trigger, exited }, TimeSpan.FromMinutes(3));
            bool killed = !child.HasExited;
            if (killed) child.Kill(); // SIGKILL on Linux and macOS: no handler, no finally block runs
            child.WaitForExit();
            return new ChildRun(killed, child.ExitCode, error.Result);
        }

        [Fact]
        public void Runs_killed_at_random_points_and_resumed_end_equal_to_an_uninterrupted_run()
        {
            string reference = TestData.TempDir("crash-reference");
            var straight = Run(reference, "none");
            Assert.True(straight.ExitCode == 0, straight.Error);

            // Every kind of point once, then random ones (a fixed seed, so a failure can be replayed).
            var points = new List<(string Pause, int? Ms)>
            {
                ("write:checkpoint.ckpt:1", null), // inside the atomic write of the first checkpoint
                ("write:metrics.csv:2", null),     // after a checkpoint, before its metrics.csv row
                ("write:metrics.png:1", null),
            };
            var random = new Random(20240611);
            for (int i = 0; i < 5; i++)
            {
                points.Add(random.Next(3) switch
                {
                    0 => ($"batch:{random.Next(1, 9)}", null),
                    1 => ($"write:checkpoint.ckpt:{random.Next(1, 3)}", null),
                    _ => ("none", random.Next(0, 400)), // a whole child run trains for about a second here
                });
            }

            string dir = TestData.TempDir("crash-resumed");
            string checkpoint = Path.Combine(dir, CheckpointFile.FileName);
            foreach (var (pause, ms) in points)
            {
                var run = Run(dir, pause, ms);
                _out.WriteLine($"{pause} {ms}: {(run.Killed ? "killed" : "exit " + run.ExitCode)}, checkpoint epoch " +
                               (File.Exists(checkpoint) ? CheckpointFile.Load(checkpoint).Header.Epoch.ToString() : "none"));
                Assert.True(run.Killed || run.ExitCode == 0, run.Error);
                if (File.Exists(checkpoint)) CheckpointFile.Load(checkpoint); // never half-written: loads or throws
            }
            var last = Run(dir, "none");
            Assert.True(last.ExitCode == 0, last.Error);

            var expected = CheckpointFile.Load(Path.Combine(reference, CheckpointFile.FileName));
            var actual = CheckpointFile.Load(checkpoint);
            Assert.Equal(4, actual.Header.Epoch);
            Assert.Equal(expected.Header.GlobalStep, actual.Header.GlobalStep);
            Assert.Equal(expected.ModelState, actual.ModelState);
            Assert.Equal(expected.OptimizerState, actual.OptimizerState);
            // metrics.csv: every column but the wall time.
            static string[] Rows(string folder) => File.ReadAllLines(Path.Combine(folder, Trainer.MetricsCsvName))
                .Select(l => string.Join(",", l.Split(',').Take(6))).ToArray();
            Assert.Equal(Rows(reference), Rows(dir));
            Assert.Equal(5, Rows(dir).Length);
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        }
    }
}
