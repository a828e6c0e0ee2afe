using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Xunit.Abstractions;

namespace Dsl.Packaging.Tests
{
    /// <summary>
    /// Packs the solution once per test run into a local folder feed and prepares a NuGet setup
    /// for consumer projects created outside the repository.
    ///
    /// Stale packages are impossible by construction: the version is unique per run
    /// (0.0.0-test.&lt;time&gt;.&lt;pid&gt;) and consumers restore into a private global-packages folder.
    /// The user's global folder is only a read-only fallback, so TorchSharp and LibTorch (hundreds of MB)
    /// are not extracted again, while the Dsl packages of this run are always the ones just packed.
    /// `dotnet pack -no-build` reuses what `dotnet test` has just built (the test project references
    /// every packable project, so they are built even when this project is tested alone).
    /// </summary>
    public sealed class PackagesFixture : IDisposable
    {
        private readonly IMessageSink _sink;

        public PackagesFixture(IMessageSink sink)
        {
            _sink = sink;
            Log = new Log(null, sink);
            Root = Path.Combine(Path.GetTempPath(), "dsl-packaging-" + Guid.NewGuid().ToString("N")[..12]);
            Feed = Path.Combine(Root, "feed");
            Packages = Path.Combine(Root, "packages");
            Work = Path.Combine(Root, "work");
            Directory.CreateDirectory(Feed);
            Directory.CreateDirectory(Packages);
            Directory.CreateDirectory(Work);
            Version = string.Create(CultureInfo.InvariantCulture, $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}");

            string userPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
                ? p
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            // Applies to every project created under Root: NuGet reads NuGet.config files from the
            // project folder upwards, then the user's (which keeps the normal package source).
            File.WriteAllText(Path.Combine(Root, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="dsl-under-test" value="{Feed}" />
                  </packageSources>
                  <config>
                    <add key="globalPackagesFolder" value="{Packages}" />
                  </config>
                  <fallbackPackageFolders>
                    <add key="user-packages" value="{userPackages}" />
                  </fallbackPackageFolders>
                </configuration>
                """);
            ChildEnvironment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Packages };

            Log.Line($"packing {Repo.Solution} ({Repo.Configuration}) as version {Version} into {Feed}");
            PackResult = Cli.Run(Log, "dotnet",
                $"pack \"{Repo.Solution}\" -c {Repo.Configuration} --no-build -o \"{Feed}\" -p:PackageVersion={Version}",
                Repo.Root, timeout: TimeSpan.FromMinutes(5));
            Log.Line("feed: " + string.Join(", ", Directory.GetFiles(Feed).Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal)));
        }

        public Log Log { get; }

        /// <summary>A log for one test: its own output and the console of `dotnet test`.</summary>
        public Log LogFor(ITestOutputHelper output) => new(output, _sink);

        /// <summary>Temporary folder outside the repository holding feed, packages and work folders.</summary>
        public string Root { get; }

        public string Feed { get; }

        /// <summary>Private global-packages folder of the consumer projects.</summary>
        public string Packages { get; }

        /// <summary>Where tests create their projects (under Root, so the NuGet.config applies).</summary>
        public string Work { get; }

        public string Version { get; }

        public ProcessResult PackResult { get; }

        /// <summary>Environment for every dotnet command run on a consumer project.</summary>
        public IReadOnlyDictionary<string, string> ChildEnvironment { get; }

        public string Package(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

        /// <summary>Fails the calling test (not the whole run) when packing failed.</summary>
        public void AssertPacked() =>
            Assert.True(PackResult.ExitCode == 0, "dotnet pack failed:\n" + PackResult.Tail());

        /// <summary>A new empty folder for one test's projects.</summary>
        public string NewFolder(string name)
        {
            string dir = Path.Combine(Work, name);
            Directory.CreateDirectory(dir);
            return dir;
        }

        public void Dispose()
        {
            try { Directory.Delete(Root, recursive: true); }
            catch (IOException) { /* a child process may still hold a file; the temp folder is cleaned eventually */ }
            catch (UnauthorizedAccessException) { }
        }
    }

    [CollectionDefinition(Name)]
    public sealed class PackagesCollection : ICollectionFixture<PackagesFixture>
    {
        public const string Name = "packed packages";
    }
}
