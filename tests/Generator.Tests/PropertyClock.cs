using System;
using System.Diagnostics;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// The wall time and this process's CPU time of a property test, printed with its counts so a run's cost is seen in
    /// its output (the CPU time is what a busy machine changes least; python3 processes are not in it).
    /// </summary>
    internal sealed class PropertyClock
    {
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;

        public static PropertyClock Start() => new();

        public override string ToString() =>
            $"{_wall.Elapsed.TotalSeconds:F1} s, {(Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalSeconds:F1} s of CPU in this process";
    }
}
