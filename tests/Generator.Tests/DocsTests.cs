using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Dsl.Generator.Tests
{
    /// <summary>Every page in docs/diagnostics: its bad example gives the message it shows; its fixed example is clean.</summary>
    public class DocsTests
    {
        /// <summary>
        /// Every diagnostic the generator declares (the <c>...Id</c> constants of Descriptors), so a new diagnostic
        /// without its page fails here; DSL016 (an unexpected generator failure) has no declaration that produces it, so
        /// its page has no examples.
        /// </summary>
        public static TheoryData<string> Pages()
        {
            var data = new TheoryData<string>();
            foreach (string id in typeof(Dsl.Generator.Diagnostics.Descriptors)
                .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
                .Where(f => f.IsLiteral && f.Name.EndsWith("Id", System.StringComparison.Ordinal))
                .Select(f => (string)f.GetRawConstantValue()!)
                .Where(id => id != Dsl.Generator.Diagnostics.Descriptors.GeneratorFailureId)
                .OrderBy(id => id, System.StringComparer.Ordinal))
                data.Add(id);
            return data;
        }

        [Theory]
        [MemberData(nameof(Pages))]
        public void Page_Examples_MatchTheAnalyzer(string id)
        {
            string page = File.ReadAllText(Path.Combine(DiagnosticHarness.RepoRoot, "docs", "diagnostics", id + ".md"));
            // A section runs to the next heading of its level.
            string Section(string heading)
            {
                int start = page.IndexOf("## " + heading, System.StringComparison.Ordinal);
                int end = page.IndexOf("\n## ", start + 3, System.StringComparison.Ordinal);
                return end < 0 ? page.Substring(start) : page.Substring(start, end - start);
            }
            var blocks = Regex.Matches(Section("Bad"), "```(?:csharp)?\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToArray();
            string good = Regex.Match(Section("Fixed"), "```csharp\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;

            // Every bad declaration the page shows, each followed by the message it gets.
            Assert.True(blocks.Length >= 2 && blocks.Length % 2 == 0, id + ": each bad declaration is followed by its message");
            for (int k = 0; k < blocks.Length; k += 2)
            {
                string bad = blocks[k], shown = blocks[k + 1].Trim();
                var badCompilation = DiagnosticHarness.Compile(bad);
                Assert.Empty(badCompilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
                var reported = DiagnosticHarness.Analyze(badCompilation).Select(d => $"error {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}").ToArray();
                Assert.Contains(shown, reported);
                Assert.StartsWith("error " + id + ":", shown, System.StringComparison.Ordinal);
            }

            var goodCompilation = DiagnosticHarness.Compile(good);
            Assert.Empty(goodCompilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            Assert.Empty(DiagnosticHarness.Analyze(goodCompilation));
        }
    }
}
