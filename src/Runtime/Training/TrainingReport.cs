using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Dsl.Runtime.Diagrams;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// One self-contained HTML page about a finished run, written beside metrics.csv: the network's diagram (inline SVG),
    /// its summary table, the curves and pictures the run wrote (PNG as data: URIs) and the final metrics as metrics.csv
    /// has them. No script, no style sheet or font from elsewhere: any browser opens it without network access.
    /// </summary>
    public static class TrainingReport
    {
        /// <summary>The report's file name in the run's folder.</summary>
        public const string FileName = "report.html";

        /// <summary>
        /// Writes <see cref="FileName"/> into the run's folder and returns its path. Without Graphviz the page says how to
        /// get the diagram instead of showing it (the run is not failed for a picture).
        /// </summary>
        public static string Write(NetworkInfo info, FitResult result, int depth = 2)
        {
            string diagram;
            try
            {
                diagram = StripProlog(info.ToSvg(depth));
            }
            catch (GraphvizException e)
            {
                diagram = $"<p class=\"note\">No diagram: {Html(e.Message)}</p>";
            }
            var sb = new StringBuilder();
            sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
              .Append("<title>").Append(Html(info.Name)).Append(" training report</title>\n")
              .Append("<style>body{font-family:Helvetica,Arial,sans-serif;margin:2em;color:#222}h1{font-size:1.5em}")
              .Append("h2{font-size:1.15em;margin-top:1.6em}pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}")
              .Append("table.metrics{border-collapse:collapse}table.metrics td,table.metrics th{border:1px solid #ccc;padding:4px 10px;text-align:right}")
              .Append(".diagram{overflow:auto;border:1px solid #ddd;max-height:900px}img{max-width:100%}.note{color:#a33}</style>\n")
              .Append("</head>\n<body>\n");
            sb.Append("<h1>").Append(Html(info.Name)).Append("</h1>\n<p>")
              .Append(info.TotalParameters.ToString("N0", CultureInfo.InvariantCulture)).Append(" parameters, input ")
              .Append(Html(info.InputShape.ToString())).Append(", output ").Append(Html(info.OutputShape.ToString())).Append("; ")
              .Append(result.Metrics.Count).Append(" epoch(s)").Append(result.Completed ? "" : " (stopped: " + Html(result.StopReason) + ")").Append(".</p>\n");
            sb.Append("<h2>Final metrics</h2>\n").Append(FinalMetrics(result.MetricsCsvPath));
            sb.Append("<h2>Curves</h2>\n");
            foreach (var picture in new[] { result.PlotPath }.Concat(result.PicturePaths).Where(File.Exists))
            {
                sb.Append("<p><img alt=\"").Append(Html(Path.GetFileName(picture))).Append("\" src=\"data:image/png;base64,")
                  .Append(Convert.ToBase64String(File.ReadAllBytes(picture))).Append("\"></p>\n");
            }
            sb.Append("<h2>Architecture (depth ").Append(depth).Append(")</h2>\n<div class=\"diagram\">\n").Append(diagram).Append("\n</div>\n");
            sb.Append("<h2>Summary</h2>\n<pre>").Append(Html(info.Summary())).Append("</pre>\n");
            sb.Append("</body>\n</html>\n");
            string path = Path.Combine(result.OutputDir, FileName);
            File.WriteAllText(path, sb.ToString());
            return path;
        }

        // The last row of metrics.csv as written, under its header: the numbers are the file's, not formatted again.
        private static string FinalMetrics(string csv)
        {
            if (!File.Exists(csv)) return "<p class=\"note\">No metrics.csv was written.</p>\n";
            var lines = File.ReadAllLines(csv).Where(l => l.Length > 0).ToArray();
            if (lines.Length < 2) return "<p class=\"note\">metrics.csv has no epoch.</p>\n";
            var header = lines[0].Split(',');
            var last = lines[^1].Split(',');
            var sb = new StringBuilder("<table class=\"metrics\">\n<tr>");
            foreach (var h in header) sb.Append("<th>").Append(Html(h)).Append("</th>");
            sb.Append("</tr>\n<tr>");
            foreach (var v in last) sb.Append("<td>").Append(Html(v)).Append("</td>");
            return sb.Append("</tr>\n</table>\n").ToString();
        }

        // An SVG document's XML declaration, doctype and comments do not belong inside an HTML page.
        private static string StripProlog(string svg)
        {
            int start = svg.IndexOf("<svg", StringComparison.Ordinal);
            return Regex.Replace(start >= 0 ? svg[start..] : svg, "<!--.*?-->", "", RegexOptions.Singleline);
        }

        private static string Html(string text) => WebUtility.HtmlEncode(text);
    }
}
