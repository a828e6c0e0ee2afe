using System;
using System.IO;
using System.Linq;
using Dsl.Runtime.Training;
using Dsl.Tests.Shared;
using Xunit;

namespace Dsl.Runtime.Tests.Diagrams
{
    /// <summary>The training report train writes beside metrics.csv: one page holding the diagram, the curves and the final metrics.</summary>
    public class TrainingReportTests
    {
        [SkippableFact]
        public void Train_writes_a_self_contained_report_with_the_diagram_and_the_final_metrics_of_metrics_csv()
        {
            string dir = Directory.CreateTempSubdirectory("dsl-report-").FullName;
            var (code, output, error) = SampleCli.Run("train", "--model", "lenet", "--epochs", "2", "--limit", "128", "--batch-size", "64", "--threads", "1", "--out", dir);
            Assert.True(code == 0, error);

            string report = Path.Combine(dir, TrainingReport.FileName);
            Assert.Contains($"wrote {report}", output);
            string html = File.ReadAllText(report);
            // The final row of metrics.csv, value by value, under its column names.
            var csv = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
            Assert.Equal(3, csv.Length);   // header and two epochs
            foreach (var (name, value) in csv[0].Split(',').Zip(csv[2].Split(',')))
            {
                Assert.Contains($"<th>{name}</th>", html);
                Assert.Contains($"<td>{value}</td>", html);
            }
            // The curves as an embedded PNG, the summary, and nothing fetched from elsewhere.
            Assert.Contains("src=\"data:image/png;base64,", html);
            Assert.Contains("Total params: 61,706", html);
            Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/", "", StringComparison.Ordinal));
            Assert.DoesNotContain("https://", html);

            Skip.If(MissingDot, "Graphviz's dot is not installed (apt-get install graphviz): the report's diagram is not checked.");
            // The diagram inline, with LeNet's layers as nodes (their paths are the node titles).
            Assert.Contains("<svg ", html);
            foreach (var layer in ResNetSample.LeNet.Info.TopLevel) Assert.Contains($"<title>{layer.Name}</title>", html);

            Skip.If(HeadlessChromium.MissingReason is not null, HeadlessChromium.MissingReason);
            var (dom, log) = HeadlessChromium.DumpDom(report);
            Assert.Empty(HeadlessChromium.PageErrors(log));
            Assert.Contains("<svg", dom);
            Assert.Contains("<img", dom);
        }

        private static bool MissingDot =>
            !(Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, "dot")));
    }
}
