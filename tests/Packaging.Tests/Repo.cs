using System;
using System.IO;
using System.Linq;
using System.Reflection;

namespace Dsl.Packaging.Tests
{
    /// <summary>Where the repository is and how this test assembly was built.</summary>
    internal static class Repo
    {
        /// <summary>The folder holding Dsl.sln, found by walking up from the test assembly.</summary>
        public static string Root { get; } = FindRoot();

        /// <summary>The diagnostic IDs that have a page in docs/diagnostics (every rule has one).</summary>
        public static string[] DiagnosticIds => System.Linq.Enumerable.ToArray(System.Linq.Enumerable.OrderBy(
            System.Linq.Enumerable.Select(Directory.GetFiles(Path.Combine(Root, "docs", "diagnostics"), "DSL*.md"), f => Path.GetFileNameWithoutExtension(f)),
            id => id, System.StringComparer.Ordinal));

        public static string Solution => Path.Combine(Root, "Dsl.sln");

        /// <summary>The configuration this assembly (and so the solution under test) was built in.</summary>
        public static string Configuration => Metadata("Configuration");

        public static string TorchSharpVersion => Metadata("TorchSharpVersion");

        public static string LibTorchVersion => Metadata("LibTorchVersion");

        /// <summary>The Fashion-MNIST subset shipped in the repository (6,000 + 1,000 images).</summary>
        public static string FashionSubset => Path.Combine(Root, "samples", "ResNet", "data", "fashion-mnist-subset");

        private static string Metadata(string key) =>
            typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

        private static string FindRoot()
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Dsl.sln"))) return d.FullName;
            throw new InvalidOperationException("Dsl.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
