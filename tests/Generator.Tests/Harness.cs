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

        public static CSharpCompilation Compilation(params string[] sources) => Compilation(ParseOptions, sources);

        /// <summary>The user's compilation of <paramref name="sources"/> in the C# of <paramref name="options"/>.</summary>
        public static CSharpCompilation Compilation(CSharpParseOptions options, params string[] sources) =>
            CSharpCompilation.Create(
                "UserAssembly",
                sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, options, path: $"Source{i}.cs")),
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

        public static GeneratorDriver Driver(bool track = true, CSharpParseOptions? options = null) =>
            CSharpGeneratorDriver.Create(
                new[] { new NetworkGenerator().AsSourceGenerator() },
                parseOptions: options ?? ParseOptions,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));

        /// <summary>One generator run: the generated sources by hint name, the compilation that includes them, the generator's diagnostics.</summary>
        public sealed record GeneratorRun(IReadOnlyDictionary<string, string> Sources, Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics)
        {
            /// <summary>Generator diagnostics and the warnings and errors of the compiled output (generated code must have none).</summary>
            public IEnumerable<Diagnostic> WarningsAndErrors => GeneratorDiagnostics.Concat(Problems(Output));

            /// <summary>The two generated files of a network (module, then facts), as one text for snapshots.</summary>
            public string Network(string fullName) => WithoutVersion(Sources[fullName + ".g.cs"] + "\n// ---- " + fullName + ".Info.g.cs ----\n\n" + Sources[fullName + ".Info.g.cs"]);

            /// <summary>The generator's version in [GeneratedCode] changes with every release; snapshots show a placeholder.</summary>
            private static string WithoutVersion(string text) =>
                System.Text.RegularExpressions.Regex.Replace(text, @"GeneratedCode\(""Dsl\.Generator"", ""[^""]*""\)", "GeneratedCode(\"Dsl.Generator\", \"<version>\")");
        }

        /// <summary>Runs the generator (failing if it throws); returns what it generated and the compilation that includes it.</summary>
        public static GeneratorRun Run(params string[] sources) => Run(ParseOptions, sources);

        /// <summary>As <see cref="Run(string[])"/>, for a project whose C# is that of <paramref name="options"/>.</summary>
        public static GeneratorRun Run(CSharpParseOptions options, params string[] sources) => Run(Compilation(options, sources), options);

        /// <summary>As <see cref="Run(string[])"/>, for a project that also references <paramref name="assemblies"/> (networks declared in them).</summary>
        public static GeneratorRun RunWith(IEnumerable<System.Reflection.Assembly> assemblies, params string[] sources) =>
            Run(Compilation(ParseOptions, sources).AddReferences(assemblies.Select(a => MetadataReference.CreateFromFile(a.Location))), ParseOptions);

        private static GeneratorRun Run(CSharpCompilation input, CSharpParseOptions options)
        {
            var driver = Driver(options: options).RunGeneratorsAndUpdateCompilation(input, out var output, out var diagnostics);
            var result = driver.GetRunResult();
            foreach (var r in result.Results)
            {
                if (r.Exception is not null) throw new InvalidOperationException("The generator threw.", r.Exception);
            }
            var generated = result.Results.SelectMany(r => r.GeneratedSources)
                .ToDictionary(s => s.HintName, s => s.SourceText.ToString());
            return new GeneratorRun(generated, output, diagnostics);
        }

        /// <summary>Compiles a generator run to an in-memory assembly and loads it (TorchSharp resolves to the loaded copy).</summary>
        public static System.Reflection.Assembly Load(GeneratorRun run)
        {
            using var stream = new MemoryStream();
            var emit = run.Output.Emit(stream);
            if (!emit.Success) throw new InvalidOperationException(string.Join(Environment.NewLine, emit.Diagnostics));
            return System.Reflection.Assembly.Load(stream.ToArray());
        }

        /// <summary>Parses and builds the graph of network <paramref name="className"/> the way the generator does.</summary>
        internal static Dsl.Generator.Graph.NetworkModel Analyze(GeneratorRun run, string className)
        {
            var type = run.Output.GetSymbolsWithName(className, SymbolFilter.Type).OfType<INamedTypeSymbol>().Single();
            var parsed = Dsl.Generator.Parsing.SpecParser.Parse(type, default);
            if (parsed.Spec is null) throw new InvalidOperationException("not parsed: " + string.Join("; ", parsed.Problems));
            return Dsl.Generator.Graph.NetworkGraph.Build(parsed.Spec, parsed.Problems);
        }

        /// <summary>A file under the test assembly's TestData folder.</summary>
        public static string TestData(params string[] parts) =>
            Path.Combine(new[] { AppContext.BaseDirectory, "TestData" }.Concat(parts).ToArray());

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

        /// <summary>Every file of the sample that declares networks or blocks, exactly as the sample project compiles them.</summary>
        public static string[] SampleSources => Directory.GetFiles(Path.Combine(RepoRoot, "samples", "ResNet"), "*.cs")
            .OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllText)
            .Where(t => t.Contains("[Input(") || t.Contains("[Block(")).ToArray();

        /// <summary>The class names of the sample's networks (the classes with [Input]), in file order.</summary>
        public static string[] SampleNetworkNames => SampleSources
            .SelectMany(text => Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(text).GetRoot().DescendantNodes()
                .OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax>()
                .Where(c => c.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() == "Input"))
                .Select(c => c.Identifier.ValueText))
            .ToArray();
    }
}
