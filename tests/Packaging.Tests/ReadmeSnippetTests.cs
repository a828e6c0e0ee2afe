using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Threading;
using Dsl.Generator;
using Dsl.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Dsl.Packaging.Tests
{
    /// <summary>
    /// Every ```csharp block of README.md compiles as the Program.cs of a new console app that adds the
    /// Dsl and Dsl.Runtime packages (implicit usings on), with the generator and the analyzer running.
    /// A block right after the line <c>&lt;!-- fragment --&gt;</c> is compiled with the usings of
    /// <see cref="FragmentUsings"/> in front; nothing else is assumed (the convention is in docs/packaging.md).
    /// New blocks are picked up by themselves.
    /// </summary>
    public class ReadmeSnippetTests
    {
        /// <summary>What `dotnet new console` turns on with ImplicitUsings.</summary>
        private const string ImplicitUsings = """
            global using System;
            global using System.Collections.Generic;
            global using System.IO;
            global using System.Linq;
            global using System.Net.Http;
            global using System.Threading;
            global using System.Threading.Tasks;
            """;

        public const string FragmentMarker = "<!-- fragment -->";

        /// <summary>A fragment that uses what the block before it declares: both are compiled, as two files of one app.</summary>
        public const string WithPreviousMarker = "<!-- fragment, with the block above -->";

        public const string FragmentUsings = """
            using Dsl;
            using Dsl.Runtime.Data;
            using Dsl.Runtime.Device;
            using Dsl.Runtime.Training;
            using TorchSharp;
            using static TorchSharp.torch;

            """;

        public static TheoryData<string> Snippets()
        {
            var data = new TheoryData<string>();
            foreach (var snippet in Parse()) data.Add(snippet.Where);
            return data;
        }

        [Fact]
        public void Readme_has_csharp_snippets()
        {
            // The parser must keep finding them (a changed fence style would silently test nothing).
            Assert.True(Parse().Count >= 2, "found " + Parse().Count);
        }

        [Theory]
        [MemberData(nameof(Snippets))]
        public async System.Threading.Tasks.Task Snippet_compiles_as_pasted(string where)
        {
            var snippet = Parse().Single(s => s.Where == where);
            string source = (snippet.Fragment ? FragmentUsings : "") + snippet.Code;
            var tree = CSharpSyntaxTree.ParseText(source, Parse_, path: "Program.cs");
            bool program = tree.GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any();
            var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(ImplicitUsings, Parse_, path: "GlobalUsings.g.cs"), tree };
            if (snippet.Previous is { } previous)
                trees.Add(CSharpSyntaxTree.ParseText((previous.Fragment ? FragmentUsings : "") + previous.Code, Parse_, path: "Previous.cs"));
            var compilation = CSharpCompilation.Create("Snippet",
                trees,
                References.Value,
                new CSharpCompilationOptions(program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                    nullableContextOptions: NullableContextOptions.Enable));

            CSharpGeneratorDriver.Create(new NetworkGenerator()).RunGeneratorsAndUpdateCompilation(compilation, out var generated, out var generatorDiagnostics);
            var analyzed = await generated.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer()))
                .GetAllDiagnosticsAsync(CancellationToken.None);

            var problems = generatorDiagnostics.Concat(analyzed)
                .Where(d => d.Severity == DiagnosticSeverity.Error || d.Id.StartsWith("DSL", StringComparison.Ordinal) || d.Id == "AD0001")
                .Select(d => $"{Where(snippet, d)}: {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage()}")
                .ToArray();
            Assert.True(problems.Length == 0, $"README.md snippet at {where} does not compile as pasted:\n" + string.Join("\n", problems) + "\n---\n" + snippet.Code);
        }

        private static readonly CSharpParseOptions Parse_ = new(LanguageVersion.Latest);

        private sealed record Snippet(string Where, int FirstLine, bool Fragment, string Code, Snippet? Previous = null);

        /// <summary>README line of a diagnostic (the fragment usings shift the snippet's lines).</summary>
        private static string Where(Snippet snippet, Diagnostic d)
        {
            if (!d.Location.IsInSource || d.Location.SourceTree?.FilePath != "Program.cs") return "README.md";
            int offset = snippet.Fragment ? FragmentUsings.Split('\n').Length - 1 : 0;
            return $"README.md:{snippet.FirstLine + d.Location.GetLineSpan().StartLinePosition.Line - offset}";
        }

        private static List<Snippet> Parse()
        {
            var lines = File.ReadAllLines(Path.Combine(Repo.Root, "README.md"));
            var snippets = new List<Snippet>();
            for (int i = 0; i < lines.Length; i++)
            {
                if (!Regex.IsMatch(lines[i], @"^\s*```\s*(csharp|cs|c#)\s*$", RegexOptions.IgnoreCase)) continue;
                int previous = i - 1;
                while (previous >= 0 && lines[previous].Trim().Length == 0) previous--;
                bool withPrevious = previous >= 0 && lines[previous].Trim() == WithPreviousMarker && snippets.Count > 0;
                bool fragment = withPrevious || (previous >= 0 && lines[previous].Trim() == FragmentMarker);
                int end = i + 1;
                while (end < lines.Length && !lines[end].TrimStart().StartsWith("```", StringComparison.Ordinal)) end++;
                snippets.Add(new Snippet($"line {i + 1}", i + 2, fragment, string.Join("\n", lines[(i + 1)..end]) + "\n", withPrevious ? snippets[^1] : null));
                i = end;
            }
            return snippets;
        }

        /// <summary>
        /// What a console app with the two packages compiles against: the .NET 10 reference assemblies,
        /// Dsl.Attributes, Dsl.Runtime and every assembly they reference that ships with them (TorchSharp, ...).
        /// </summary>
        private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        {
            var files = new SortedSet<string>(StringComparer.Ordinal);
            var pending = new Stack<Assembly>(new[] { typeof(Dsl.InputAttribute).Assembly, typeof(Dsl.Runtime.Training.Trainer).Assembly });
            while (pending.Count > 0)
            {
                var assembly = pending.Pop();
                if (!files.Add(assembly.Location)) continue;
                foreach (var name in assembly.GetReferencedAssemblies())
                {
                    string candidate = Path.Combine(AppContext.BaseDirectory, name.Name + ".dll");
                    if (File.Exists(candidate)) pending.Push(Assembly.LoadFrom(candidate));
                }
            }
            return Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>()
                .Concat(files.Select(f => MetadataReference.CreateFromFile(f)))
                .ToImmutableArray();
        });
    }
}
