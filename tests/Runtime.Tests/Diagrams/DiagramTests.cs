using System;
using System.IO;
using System.Linq;
using Xunit;
using System.Xml.Linq;
using Dsl.Runtime.Diagrams;
using Dsl.Tests.Shared;

namespace Dsl.Runtime.Tests.Diagrams
{
    /// <summary>
    /// Diagrams of the sample's torchvision networks, laid out by Graphviz: the SVG is read back as XML and its nodes and
    /// edges are counted against the network's compile-time layer table (<see cref="NetworkInfo.Layers"/>) and against
    /// edge counts worked out by hand from the architectures; the page loads in headless Chromium.
    /// </summary>
    public sealed class DiagramTests
    {
        private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

        // Edge counts from the architectures (input and output are nodes too; every node has one edge in, merges more):
        //  resnet18 at depth 1: input, 11 top-level modules and output in a chain: 12 edges.
        //  resnet18 at depth 3: the stem (input -> conv1 -> bn1 -> relu -> maxpool: 4), per BasicBlock
        //    x->conv1, conv1->bn1, bn1->relu, relu->conv2, conv2->bn2, bn2->+, x->+ (or x->downsample->+: one more), +->relu
        //    = 8 (3 blocks have a downsample), then relu->avgpool->flatten->fc->output (4): 4 + 8*8 + 3 + 4 = 75.
        //  densenet121 at depth 2: input, 16 modules (features' 12 parts, relu1, gap1, flatten1, classifier), output: 17.
        //  densenet121 at depth 4: 58 dense layers, each reached by two edges (x -> norm1, x -> concat) and with 6 inside
        //    (5 between its 6 modules, conv2 -> concat): 8 each; 21 other modules with one edge in; one edge to the output:
        //    58*8 + 21 + 1 = 486.
        //  vit_b_16 at depth 3: input, conv_proj, tokens, prepend class_token, [encoder] + pos_embedding, dropout,
        //    12 encoder layers, ln, token, heads.head, output in a chain: 21 edges.
        public static TheoryData<string, int, int> Cases => new()
        {
            { "resnet18", 1, 12 },
            { "resnet18", 3, 75 },
            { "densenet121", 2, 17 },
            { "densenet121", 4, 486 },
            { "vit_b_16", 3, 21 },
        };

        [SkippableTheory]
        [MemberData(nameof(Cases))]
        public void The_svg_has_one_node_per_module_at_the_depth_and_one_shape_labelled_edge_per_connection(string model, int depth, int edges)
        {
            Skip.If(MissingGraphviz is not null, MissingGraphviz);
            var info = ResNetSample.ModelCatalog.Find(model).Info;
            string dir = Directory.CreateTempSubdirectory("dsl-diagram-").FullName;
            string svgPath = Path.Combine(dir, $"{model}-{depth}.svg");

            var files = info.Draw(svgPath, depth);

            Assert.Equal(svgPath, files.SvgPath);
            Assert.True(File.Exists(Path.Combine(dir, $"{model}-{depth}.dot")));
            var svg = XDocument.Load(svgPath);
            var nodes = svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "node")
                .Select(g => g.Element(Svg + "title")!.Value).ToList();
            var edgeGroups = svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "edge").ToList();

            // Modules at the depth (LayerInfo.Depth counts from 0 at the declared parts), and shallower ones with nothing inside.
            bool HasChildren(LayerInfo l) => info.Layers.Any(c => c.Name.StartsWith(l.Name + ".", StringComparison.Ordinal));
            var expected = info.Layers.Where(l => l.Depth == depth - 1 || (l.Depth < depth - 1 && !HasChildren(l))).Select(l => l.Name).ToList();
            var moduleNodes = nodes.Where(n => info.Layers.Any(l => l.Name == n)).ToList();
            Assert.Equal(expected.OrderBy(n => n, StringComparer.Ordinal), moduleNodes.OrderBy(n => n, StringComparer.Ordinal));
            Assert.Contains("input", nodes);
            Assert.Contains("output", nodes);

            Assert.Equal(edges, edgeGroups.Count);
            foreach (var edge in edgeGroups)
            {
                string title = edge.Element(Svg + "title")!.Value;   // "from->to"
                string from = title[..title.IndexOf("->", StringComparison.Ordinal)];
                string label = string.Concat(edge.Elements(Svg + "text").Select(t => t.Value));
                Assert.False(string.IsNullOrWhiteSpace(label), $"edge {title} has no shape label");
                if (from == "input") Assert.Equal(info.InputShape.ToString(), label);
                else if (info.Layers.FirstOrDefault(l => l.Name == from) is LayerInfo layer) Assert.Equal(layer.OutputShape.ToString(), label);
                else Assert.Matches(@"^\[\d+(, \d+)*\]$", label);
            }
            // Parameter counts on the module nodes: each node's text holds its parameters as the layer table counts them.
            foreach (var g in svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "node"))
            {
                var layer = info.Layers.FirstOrDefault(l => l.Name == g.Element(Svg + "title")!.Value);
                if (layer is null || layer.Parameters == 0) continue;
                Assert.Contains(layer.Parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " params",
                    string.Join(" ", g.Elements(Svg + "text").Select(t => t.Value)));
            }
        }

        [SkippableTheory]
        [InlineData("resnet18", 3)]
        [InlineData("densenet121", 4)]
        [InlineData("vit_b_16", 3)]
        public void The_diagram_renders_in_headless_chromium_without_errors(string model, int depth)
        {
            Skip.If(MissingGraphviz is not null, MissingGraphviz);
            Skip.If(HeadlessChromium.MissingReason is not null, HeadlessChromium.MissingReason);
            string dir = Directory.CreateTempSubdirectory("dsl-diagram-").FullName;
            string svgPath = Path.Combine(dir, $"{model}.svg");
            ResNetSample.ModelCatalog.Find(model).Info.Draw(svgPath, depth);

            var (dom, log) = HeadlessChromium.DumpDom(svgPath);
            Assert.Empty(HeadlessChromium.PageErrors(log));
            Assert.DoesNotContain("parsererror", dom);
            Assert.Contains("<svg ", dom);
            Assert.Contains("class=\"node\"", dom);

            string png = Path.Combine(dir, $"{model}.png");
            HeadlessChromium.Screenshot(svgPath, png);
            Assert.True(new FileInfo(png).Length > 10_000, $"the screenshot {png} is nearly empty");
            // Kept for reading: DSL_DIAGRAM_SCREENSHOTS names a folder to copy the screenshots into.
            if (Environment.GetEnvironmentVariable("DSL_DIAGRAM_SCREENSHOTS") is { Length: > 0 } keep)
            {
                Directory.CreateDirectory(keep);
                File.Copy(png, Path.Combine(keep, $"{model}-depth{depth}.png"), overwrite: true);
                File.Copy(svgPath, Path.Combine(keep, $"{model}-depth{depth}.svg"), overwrite: true);
            }
        }

        [Fact]
        public void A_depth_below_one_is_refused_naming_what_depths_mean()
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => NetworkDiagram.Of(ResNetSample.ModelCatalog.Find("resnet18").Info, 0));
            Assert.Contains("The depth is 1 (the parts declared on the network) or more", e.Message);
        }

        [Fact]
        public void A_missing_dot_program_is_an_error_naming_graphviz_and_how_to_install_it()
        {
            string? old = Environment.GetEnvironmentVariable(Graphviz.ProgramVariable);
            Environment.SetEnvironmentVariable(Graphviz.ProgramVariable, "/nonexistent/dot");
            try
            {
                var e = Assert.Throws<GraphvizException>(() => Graphviz.Render("digraph g { a -> b }"));
                Assert.Contains("Graphviz's '/nonexistent/dot' program was not found", e.Message);
                Assert.Contains("apt-get install graphviz", e.Message);
            }
            finally
            {
                Environment.SetEnvironmentVariable(Graphviz.ProgramVariable, old);
            }
        }

        private static string? MissingGraphviz { get; } =
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, "dot")))
                ? null
                : "Graphviz's dot is not installed (apt-get install graphviz; ./build.sh test installs it as root): the diagram checks skip.";
    }
}
