using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Dsl.Packaging.Tests
{
    /// <summary>
    /// The analyzer assemblies exactly as shipped in the Dsl package, loaded the way a host does (their own
    /// load context, Roslyn from the host): the generator, all fourteen diagnostics, and the code fixes the
    /// README promises (InFeatures, partial).
    /// </summary>
    [Collection(PackagesCollection.Name)]
    public class PackagedAnalyzerTests
    {
        private readonly PackagesFixture _packages;

        public PackagedAnalyzerTests(PackagesFixture packages)
        {
            _packages = packages;
            _packages.AssertPacked();
        }

        [Fact]
        public void Package_analyzers_load_and_provide_the_generator_the_diagnostics_and_the_code_fixes()
        {
            string dir = Path.Combine(_packages.NewFolder("analyzers"), "dsl");
            ZipFile.ExtractToDirectory(_packages.Package("Dsl"), dir);
            string analyzers = Path.Combine(dir, "analyzers", "dotnet", "cs");
            var context = new PackageLoadContext(analyzers);
            try
            {
                var types = Directory.GetFiles(analyzers, "*.dll")
                    .SelectMany(f => context.LoadFromAssemblyPath(f).GetTypes())
                    .Where(t => !t.IsAbstract && t.IsPublic)
                    .ToArray();
                // Loaded from the package, not the copies next to this test.
                Assert.All(types, t => Assert.StartsWith(analyzers, t.Assembly.Location, StringComparison.Ordinal));

                var generator = Assert.Single(types, t => t.GetCustomAttribute<GeneratorAttribute>() != null);
                Assert.True(typeof(IIncrementalGenerator).IsAssignableFrom(generator));

                var ids = types.Where(t => t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() != null)
                    .SelectMany(t => ((DiagnosticAnalyzer)Activator.CreateInstance(t)!).SupportedDiagnostics)
                    .Select(d => d.Id).ToHashSet();
                foreach (var id in Repo.DiagnosticIds) Assert.Contains(id, ids);
                Assert.Equal(Repo.DiagnosticIds.Length, ids.Count(i => i.StartsWith("DSL", StringComparison.Ordinal)));

                var fixable = types.Where(t => t.GetCustomAttribute<ExportCodeFixProviderAttribute>() != null)
                    .SelectMany(t => ((CodeFixProvider)Activator.CreateInstance(t)!).FixableDiagnosticIds)
                    .ToHashSet();
                Assert.Contains("DSL003", fixable);   // wrong InFeatures
                Assert.Contains("DSL010", fixable);   // class not partial
            }
            finally
            {
                context.Unload();
            }
        }

        /// <summary>The package's own assemblies from its folder; everything else (Roslyn, the BCL) from the host.</summary>
        private sealed class PackageLoadContext : AssemblyLoadContext
        {
            private readonly string _folder;

            public PackageLoadContext(string folder) : base("dsl-package-analyzers", isCollectible: true) => _folder = folder;

            protected override Assembly? Load(AssemblyName name)
            {
                string path = Path.Combine(_folder, name.Name + ".dll");
                return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
            }
        }
    }
}
