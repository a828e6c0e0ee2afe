using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Dsl.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Generator.Tests
{
    /// <summary>Compiles declarations in memory with the generator, as the compiler would in a user's project.</summary>
    internal static class Harness
    {
        // DocumentationMode.Diagnose: the generated XML docs are checked as with GenerateDocumentationFile.
        public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

        private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(() =>
            Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>()
                .Append(MetadataReference.CreateFromFile(typeof(Dsl.InputAttribute).Assembly.Location))
                .Append(MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location))
                .ToImmutableArray());

        public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

        public static CSharpCompilation Compilation(params string[] sources) =>
            CSharpCompilation.Create(
                "UserAssembly",
                sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
                References,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
                    nullableContextOptions: NullableContextOptions.Enable,
                    warningLevel: 9999,
                    generalDiagnosticOption: ReportDiagnostic.Default)
                // The SDK suppresses these assembly-unification notes in every project.
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
                {
                    ["CS1701"] = ReportDiagnostic.Suppress,
                    ["CS1702"] = ReportDiagnostic.Suppress,
                }));

        public static GeneratorDriver Driver(bool track = true) =>
            CSharpGeneratorDriver.Create(
                new[] { new NetworkGenerator().AsSourceGenerator() },
                parseOptions: ParseOptions,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));

        /// <summary>Runs the generator; returns the generated sources by hint name and the compilation that includes them.</summary>
        public static (IReadOnlyDictionary<string, string> Sources, Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics) Run(params string[] sources)
        {
            var input = Compilation(sources);
            var driver = Driver().RunGeneratorsAndUpdateCompilation(input, out var output, out var diagnostics);
            var result = driver.GetRunResult();
            var generated = result.Results.SelectMany(r => r.GeneratedSources)
                .ToDictionary(s => s.HintName, s => s.SourceText.ToString());
            return (generated, output, diagnostics);
        }

        /// <summary>Warnings and errors of a compilation (hidden and info diagnostics excluded).</summary>
        public static Diagnostic[] Problems(Compilation compilation) =>
            compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();

        /// <summary>The repository root, found from the test assembly's folder.</summary>
        public static string RepoRoot
        {
            get
            {
                for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                {
                    if (File.Exists(Path.Combine(dir.FullName, "Dsl.sln"))) return dir.FullName;
                }
                throw new InvalidOperationException("Dsl.sln not found above " + AppContext.BaseDirectory);
            }
        }

        /// <summary>The sample networks' declarations, exactly as the sample project compiles them.</summary>
        public static string SampleNetworksSource => File.ReadAllText(Path.Combine(RepoRoot, "samples", "ResNet", "Networks.cs"));
    }
}
