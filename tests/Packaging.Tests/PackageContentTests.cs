using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace Dsl.Packaging.Tests
{
    /// <summary>What `dotnet pack Dsl.sln` produces: which packages, their metadata, files and dependencies.</summary>
    [Collection(PackagesCollection.Name)]
    public class PackageContentTests
    {
        private readonly PackagesFixture _packages;

        public PackageContentTests(PackagesFixture packages)
        {
            _packages = packages;
            _packages.AssertPacked();
        }

        [Fact]
        public void Solution_packs_exactly_the_four_packages_with_symbols_for_the_libraries()
        {
            var files = Directory.GetFiles(_packages.Feed).Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            string v = _packages.Version;
            Assert.Equal(new[]
            {
                $"Dsl.{v}.nupkg", $"Dsl.{v}.snupkg",
                $"Dsl.Runtime.{v}.nupkg", $"Dsl.Runtime.{v}.snupkg",
                $"Dsl.Templates.{v}.nupkg",
                $"Dsl.Tool.{v}.nupkg",
            }, files);
        }

        [Theory]
        [InlineData("Dsl")]
        [InlineData("Dsl.Runtime")]
        [InlineData("Dsl.Templates")]
        public void Metadata_is_real(string id)
        {
            var (nuspec, entries) = Open(id);
            string Meta(string name) => nuspec.Element(name)?.Value ?? "";

            Assert.Equal(id, Meta("id"));
            Assert.Equal(_packages.Version, Meta("version"));
            Assert.True(Meta("description").Length > 80, "description: " + Meta("description"));
            Assert.DoesNotContain("Package Description", Meta("description"), StringComparison.Ordinal);
            Assert.Equal("Dsl contributors", Meta("authors"));
            var license = nuspec.Element("license");
            Assert.NotNull(license);
            Assert.Equal("expression", license!.Attribute("type")?.Value);
            Assert.Equal("MIT", license.Value);
            Assert.Contains("torchsharp", Meta("tags").Split(' '));
            // The project has no public address: no invented URLs.
            Assert.Null(nuspec.Element("projectUrl"));
            Assert.Null(nuspec.Element("repository")?.Attribute("url"));
            // The readme shown on the package page is in the package and is not empty.
            Assert.Equal("README.md", Meta("readme"));
            Assert.Contains("README.md", entries.Keys);
            Assert.True(entries["README.md"].Length > 500, "README.md is too short to explain the package");
            Assert.StartsWith("# " + id + "\n", entries["README.md"], StringComparison.Ordinal);
        }

        [Fact]
        public void Dsl_carries_attributes_generator_analyzer_and_code_fixes_and_depends_on_managed_TorchSharp_only()
        {
            var (nuspec, entries) = Open("Dsl");
            Assert.Contains("lib/netstandard2.0/Dsl.Attributes.dll", entries.Keys);
            Assert.Contains("lib/netstandard2.0/Dsl.Attributes.xml", entries.Keys);   // IntelliSense for every attribute
            Assert.Contains("analyzers/dotnet/cs/Dsl.Generator.dll", entries.Keys);
            Assert.Contains("analyzers/dotnet/cs/Dsl.Generator.CodeFixes.dll", entries.Keys);
            // Every diagnostic's page, which its description names.
            Assert.True(Repo.DiagnosticIds.Length >= 20, "pages: " + Repo.DiagnosticIds.Length);
            foreach (var id in Repo.DiagnosticIds) Assert.Contains($"docs/diagnostics/{id}.md", entries.Keys);

            var dependencies = Dependencies(nuspec);
            Assert.Equal(new[] { "TorchSharp" }, dependencies.Select(d => d.Id));
            Assert.Equal(Repo.TorchSharpVersion, dependencies[0].Version);
        }

        [Fact]
        public void Runtime_depends_on_Dsl_with_its_analyzers_and_on_TorchSharp_without_a_native_backend()
        {
            var (nuspec, entries) = Open("Dsl.Runtime");
            Assert.Contains("lib/net10.0/Dsl.Runtime.dll", entries.Keys);
            var dependencies = Dependencies(nuspec);
            var dsl = dependencies.Single(d => d.Id == "Dsl");
            Assert.Equal(_packages.Version, dsl.Version);
            // A project that adds only Dsl.Runtime must still get the generator: analyzers not excluded.
            Assert.DoesNotContain("Analyzers", dsl.Exclude, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(dependencies, d => d.Id == "TorchSharp" && d.Version == Repo.TorchSharpVersion);
            // The backend is the user's choice: no LibTorch or CUDA build is forced on every platform.
            Assert.DoesNotContain(dependencies, d => d.Id.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase)
                                                    || d.Id.StartsWith("TorchSharp-", StringComparison.OrdinalIgnoreCase));
        }

        [Fact]
        public void Templates_package_is_a_template_package_whose_projects_ask_for_this_release()
        {
            var (nuspec, entries) = Open("Dsl.Templates");
            Assert.Equal("Template", nuspec.Element("packageTypes")?.Element("packageType")?.Attribute("name")?.Value);
            Assert.Empty(Dependencies(nuspec));
            Assert.Contains("content/dslnet/.template.config/template.json", entries.Keys);
            Assert.Contains("content/dslnet/MyNet/Network.cs", entries.Keys);
            Assert.Contains("content/dslnet/MyNet/data/train-images-idx3-ubyte.gz", entries.Keys);
            string versions = entries["content/dslnet/Directory.Build.props"];
            Assert.Contains($"<DslVersion>{_packages.Version}</DslVersion>", versions, StringComparison.Ordinal);
            Assert.Contains($"<TorchSharpVersion>{Repo.TorchSharpVersion}</TorchSharpVersion>", versions, StringComparison.Ordinal);
            Assert.Contains($"<LibTorchVersion>{Repo.LibTorchVersion}</LibTorchVersion>", versions, StringComparison.Ordinal);
            Assert.DoesNotContain("$", versions, StringComparison.Ordinal);
        }

        private sealed record Dependency(string Id, string Version, string Exclude);

        private static Dependency[] Dependencies(XElement nuspec) =>
            nuspec.Descendants().Where(e => e.Name.LocalName == "dependency")
                .Select(e => new Dependency(e.Attribute("id")!.Value, e.Attribute("version")!.Value, e.Attribute("exclude")?.Value ?? ""))
                .ToArray();

        /// <summary>The nuspec's metadata element (namespace removed) and the text of every entry (binary ones as "").</summary>
        private (XElement Metadata, System.Collections.Generic.Dictionary<string, string> Entries) Open(string id)
        {
            using var zip = ZipFile.OpenRead(_packages.Package(id));
            var entries = new System.Collections.Generic.Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                bool text = entry.FullName.EndsWith(".md", StringComparison.Ordinal) || entry.FullName.EndsWith(".props", StringComparison.Ordinal)
                            || entry.FullName.EndsWith(".nuspec", StringComparison.Ordinal);
                using var reader = new StreamReader(entry.Open());
                entries[Uri.UnescapeDataString(entry.FullName)] = text ? reader.ReadToEnd() : "";
            }
            var doc = XDocument.Parse(entries[id + ".nuspec"]);
            foreach (var e in doc.Descendants()) e.Name = e.Name.LocalName;
            return (doc.Root!.Element("metadata")!, entries);
        }
    }
}
