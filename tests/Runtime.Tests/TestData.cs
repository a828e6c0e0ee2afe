using System;
using System.IO;
using Xunit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Dsl.Runtime.Tests
{
    /// <summary>Locates data for tests and makes temporary folders.</summary>
    internal static class TestData
    {
        /// <summary>The repository root (the folder holding Dsl.sln), found by walking up from the test assembly.</summary>
        public static string RepoRoot
        {
            get
            {
                for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                    if (File.Exists(Path.Combine(d.FullName, "Dsl.sln"))) return d.FullName;
                throw new InvalidOperationException("Dsl.sln not found above " + AppContext.BaseDirectory);
            }
        }

        /// <summary>The Fashion-MNIST subset shipped in the repository.</summary>
        public static string FashionSubset => Path.Combine(RepoRoot, "samples", "ResNet", "data", "fashion-mnist-subset");

        /// <summary>shared/data beside the repository root, or null when absent.</summary>
        public static string? SharedData
        {
            get
            {
                var parent = Directory.GetParent(RepoRoot);
                for (var d = parent; d != null; d = d.Parent)
                {
                    string candidate = Path.Combine(d.FullName, "shared", "data");
                    if (Directory.Exists(candidate)) return candidate;
                }
                return null;
            }
        }

        /// <summary>A new empty folder under the system temp folder.</summary>
        public static string TempDir(string name)
        {
            string dir = Path.Combine(Path.GetTempPath(), "dsl-runtime-tests", name + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(dir);
            return dir;
        }
    }
}
