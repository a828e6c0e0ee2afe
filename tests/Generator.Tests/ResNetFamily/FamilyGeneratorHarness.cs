using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Dsl.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Generator.Tests.ResNetFamily
{
    /// <summary>Runs the generator on source text in memory and compiles its output against TorchSharp.</summary>
    internal static class FamilyGeneratorHarness
    {
        public sealed record Result(Compilation Output, IReadOnlyDictionary<string, string> Generated, ImmutableArray<Diagnostic> Diagnostics);

        public static Result Run(string source)
        {
            var options = new CSharpParseOptions(LanguageVersion.Latest);
            var compilation = CSharpCompilation.Create(
                "FamilyTest",
                new[] { CSharpSyntaxTree.ParseText(source, options, path: "Networks.cs") },
                Harness.References,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                    // As the .NET SDK: reference-unification notes (TorchSharp targets an older System.Runtime) are not warnings.
                    .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));
            GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: options);
            driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
            var run = driver.GetRunResult();
            foreach (var r in run.Results)
            {
                if (r.Exception is not null) throw new InvalidOperationException("The generator threw.", r.Exception);
            }
            var generated = run.Results.SelectMany(r => r.GeneratedSources).ToDictionary(s => s.HintName, s => s.SourceText.ToString());
            var diagnostics = generatorDiagnostics.AddRange(output.GetDiagnostics());
            return new Result(output, generated, diagnostics);
        }

        /// <summary>Compiles the generator's output to an in-memory assembly and loads it (TorchSharp resolves to the loaded copy).</summary>
        public static System.Reflection.Assembly Load(Result result)
        {
            using var stream = new MemoryStream();
            var emit = result.Output.Emit(stream);
            if (!emit.Success) throw new InvalidOperationException(string.Join(Environment.NewLine, emit.Diagnostics));
            return System.Reflection.Assembly.Load(stream.ToArray());
        }

        /// <summary>Warnings and errors of the compiled output (the generated code must have none).</summary>
        public static IEnumerable<Diagnostic> WarningsAndErrors(Result result) =>
            result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning);

        /// <summary>Parses and analyses the network class <paramref name="className"/> the way the generator does.</summary>
        internal static Dsl.Generator.Shapes.NetworkModel Analyze(Result result, string className)
        {
            var type = result.Output.GetSymbolsWithName(className, SymbolFilter.Type).OfType<INamedTypeSymbol>().Single();
            var parsed = Dsl.Generator.Parsing.SpecParser.Parse(type, default);
            if (parsed.Spec is null) throw new InvalidOperationException("not parsed: " + string.Join("; ", parsed.Problems));
            return Dsl.Generator.Shapes.ShapeInference.Analyze(parsed.Spec, parsed.Problems);
        }

        public static string SampleSource() =>
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "samples", "ResNetFamily.cs"));

        public static string TestData(params string[] parts) =>
            Path.Combine(new[] { AppContext.BaseDirectory, "TestData" }.Concat(parts).ToArray());
    }
}
