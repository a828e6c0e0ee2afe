using System.Runtime;
using System.Runtime.InteropServices;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// Returns memory the process no longer uses: a full, compacting garbage collection (which also runs the
    /// finalizers of tensors nobody disposed) and, on Linux with glibc, <c>malloc_trim(0)</c>, which hands the
    /// freed pages of the native heap (where libtorch's CPU tensors live) back to the OS. Without it glibc keeps
    /// them resident and the process's RSS creeps up over the first epochs although no memory leaks.
    /// </summary>
    public static class NativeMemory
    {
        private static bool _trimUnavailable;

        [DllImport("libc", EntryPoint = "malloc_trim")]
        private static extern int MallocTrim(nuint pad);

        /// <summary>Collects managed garbage and trims the native heap (Linux/glibc only).</summary>
        public static void Release()
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            if (!OperatingSystem.IsLinux() || _trimUnavailable) return;
            try
            {
                MallocTrim(0);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                _trimUnavailable = true; // musl and other C libraries without malloc_trim
            }
        }
    }

    /// <summary>Calls <see cref="NativeMemory.Release"/> at every epoch end (option <see cref="TrainOptions.ReleaseMemoryEachEpoch"/>).</summary>
    internal sealed class MemoryReleaseCallback : TrainingCallback
    {
        public override void OnEpochEnd(TrainingContext context, EpochMetrics metrics) => NativeMemory.Release();
    }
}
