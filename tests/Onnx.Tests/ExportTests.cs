using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Dsl.Runtime.Graph;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.Onnx.Proto;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Tests
{
    /// <summary>What an exported file holds: the weights under their state_dict keys, the declared shapes, a valid model.</summary>
    public class ExportTests
    {
        [Theory]
        [MemberData(nameof(Networks.Names), MemberType = typeof(Networks))]
        public void Initializers_are_the_state_dict_under_its_keys_without_num_batches_tracked(string network)
        {
            using var net = Networks.Create(network);
            var model = ModelProto.Parser.ParseFrom(((IDeclaredNetwork)net).ToOnnx());
            var state = net.state_dict();

            var used = EvalModules(net);
            var expectedKeys = state.Keys
                .Where(k => !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && (used is null || used.Contains(Owner(k))))
                .OrderBy(k => k, StringComparer.Ordinal);
            Assert.Equal(expectedKeys, model.Graph.Initializer.Select(i => i.Name).OrderBy(k => k, StringComparer.Ordinal));
            foreach (var init in model.Graph.Initializer)
            {
                var tensor = state[init.Name];
                Assert.Equal((int)TensorProto.Types.DataType.Float, init.DataType);
                Assert.Equal(tensor.shape, init.Dims.ToArray());
                Assert.True(init.RawData.Span.SequenceEqual(tensor.contiguous().bytes), $"{init.Name}: the values differ from the module's");
            }
        }

        /// <summary>The module path of a state_dict key (its owner: <c>"AuxLogits.fc"</c> for <c>"AuxLogits.fc.weight"</c>).</summary>
        private static string Owner(string key) => key.LastIndexOf('.') is var dot and >= 0 ? key[..dot] : "";

        /// <summary>
        /// The modules whose parameters the eval-mode forward uses, found by a backward pass from its outputs (a
        /// parameter it uses gets a gradient); null for a network without training-only outputs, whose every module is
        /// in the ONNX model. An auxiliary head runs in training only, so the ONNX model (the eval forward) has none of
        /// its weights.
        /// </summary>
        private static HashSet<string>? EvalModules(nn.Module<Tensor, Tensor> net)
        {
            if (!((IDeclaredNetwork)net).Info.Outputs.Any(o => o.Auxiliary)) return null;
            using var scope = torch.NewDisposeScope();
            net.zero_grad();
            using var outputs = ((IMultiOutputNetwork)net).ForwardOutputs(Networks.RandomInput(net, 1));
            outputs.All.Where(o => o.Value is not null).Select(o => o.Value!.sum()).Aggregate((a, b) => a + b).backward();
            var used = net.named_parameters().Where(p => p.parameter.grad is not null).Select(p => Owner(p.name)).ToHashSet(StringComparer.Ordinal);
            net.zero_grad();
            return used;
        }

        [Fact]
        public void The_model_has_opset_17_a_free_batch_dimension_and_the_declared_shapes()
        {
            using var net = Networks.Create("D2LResNet18");
            var model = ModelProto.Parser.ParseFrom(((IDeclaredNetwork)net).ToOnnx());

            Assert.Equal(17, model.OpsetImport.Single(o => o.Domain == "").Version);
            var input = model.Graph.Input.Single();
            var output = model.Graph.Output.Single();
            Assert.Equal("input", input.Name);
            Assert.Equal("output", output.Name);
            Assert.Equal(new[] { "batch", "1", "96", "96" }, Dims(input));
            Assert.Equal(new[] { "batch", "10" }, Dims(output));
        }

        private static string[] Dims(ValueInfoProto value) =>
            value.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        [SkippableFact]
        public void Every_exported_network_passes_the_onnx_checker_with_shape_inference()
        {
            Skip.IfNot(PythonOnnx.Available, PythonOnnx.Missing);
            string dir = Path.Combine(Path.GetTempPath(), "dsl-onnx-check-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                foreach (var type in Networks.All)
                {
                    using var net = Networks.Create(type.Name);
                    ((IDeclaredNetwork)net).ExportOnnx(Path.Combine(dir, type.Name + ".onnx"));
                }
                var (code, output) = PythonOnnx.Run(
                    "import glob, onnx, sys\n" +
                    "for f in sorted(glob.glob(sys.argv[1] + '/*.onnx')):\n" +
                    "    onnx.checker.check_model(f, full_check=True)\n" +
                    "    print('ok', f)\n",
                    dir);
                Assert.True(code == 0, output);
                Assert.Equal(Networks.All.Count, output.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        [Fact]
        public void A_layer_kind_without_a_mapping_is_named_with_its_path()
        {
            var graph = NetworkGraph.Parse(Graph("""
                {"name":"encoder","path":"encoder","type":"Encoder","form":"sequential","module":"Sequential","input":[4,8,8],"output":[4,8,8],"children":[
                  {"name":"0","path":"encoder.0","type":"Conv2d","form":"leaf","module":"Conv2d","input":[4,8,8],"output":[4,8,8],"args":[
                    {"name":"in_channels","value":4},{"name":"out_channels","value":4},{"name":"kernel_size","value":3},{"name":"stride","value":1},
                    {"name":"padding","value":1},{"name":"dilation","value":1},{"name":"groups","value":1},{"name":"bias","value":false}]},
                  {"name":"1","path":"encoder.1","type":"Mish","form":"leaf","module":"Mish","input":[4,8,8],"output":[4,8,8],"args":[]}]}
                """, "encoder", input: "[4,8,8]", output: "[4,8,8]",
                onnx: """{"Conv2d":{"cases":[{"nodes":[{"op":"Conv","inputs":["x",{"weight":"weight"},{"weight":"bias","if":"bias"}],"attributes":{"kernel_shape":{"ints":{"arg":"kernel_size","as":"spatial"}},"pads":{"ints":{"arg":"padding","as":"pads"}}}}]}]}}"""));
            using var weight = torch.zeros(4, 4, 3, 3);

            var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.ToOnnx(graph, new Dictionary<string, Tensor> { ["encoder.0.weight"] = weight }));

            Assert.Equal("encoder.1", e.LayerPath);
            Assert.Equal("Mish", e.Module);
            Assert.StartsWith("Cannot export layer 'encoder.1' (Mish) to ONNX: no ONNX mapping for layer kind 'Mish'.", e.Message);
            // The graph declares each kind's rendering: one it lacks is the generator's to declare, not a list of the runtime's.
            Assert.Contains("The network graph declares no ONNX rendering for it", e.Message);
        }

        /// <summary>
        /// A declared rendering the runtime cannot follow stops the export at the layer, saying what is wrong: arguments
        /// that match none of its cases (named with their values), or a function this runtime does not register.
        /// </summary>
        [Theory]
        [InlineData("""{"cases":[{"if":[{"arg":"mode","is":"nearest"}],"nodes":[{"op":"Relu","inputs":["x"]}]}]}""",
            "its arguments (mode = \"bicubic\") match none of the cases of its ONNX rendering.")]
        [InlineData("""{"cases":[{"nodes":[{"function":"bicubic_resize","inputs":["x"]}]}]}""",
            "its ONNX rendering calls the function 'bicubic_resize', which this runtime does not have (it has adaptive_avg_pool1d,")]
        public void A_rendering_the_runtime_cannot_follow_is_named_with_its_path(string rendering, string reason)
        {
            var graph = NetworkGraph.Parse(Graph("""
                {"name":"up","path":"up","type":"Upsample","form":"leaf","module":"Upsample","input":[4,8,8],"output":[4,8,8],"args":[{"name":"mode","value":"bicubic"}]}
                """, "up", input: "[4,8,8]", output: "[4,8,8]", onnx: "{\"Upsample\":" + rendering + "}"));

            var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.ToOnnx(graph, new Dictionary<string, Tensor>()));

            Assert.Equal("up", e.LayerPath);
            Assert.Contains("Cannot export layer 'up' (Upsample) to ONNX: " + reason, e.Message);
        }

        /// <summary>
        /// Adaptive pooling to a size that does not divide the input has windows of different sizes (7 to 3: 0-2, 2-4,
        /// 4-6), which no ONNX pool expresses; it is exported as products with averaging matrices and computes PyTorch's.
        /// </summary>
        [Theory]
        [InlineData("AdaptiveAvgPool2d", "[4,7,5]", "[4,3,2]", "[3,2]")]
        [InlineData("AdaptiveAvgPool2d", "[2,6,9]", "[2,4,4]", "4")]
        [InlineData("AdaptiveAvgPool1d", "[4,23]", "[4,2]", "2")]
        [InlineData("AdaptiveAvgPool1d", "[3,5]", "[3,4]", "4")]
        public void Adaptive_pooling_to_a_size_that_does_not_divide_the_input_computes_torchs(string module, string input, string output, string size)
        {
            var graph = NetworkGraph.Parse(Graph($$"""
                {"name":"pool","path":"pool","type":"{{module}}","form":"leaf","module":"{{module}}","input":{{input}},"output":{{output}},"args":[{"name":"output_size","value":{{size}}}]}
                """, "pool", input: input, output: output,
                onnx: "{\"" + module + "\":{\"cases\":[{\"nodes\":[{\"function\":\"" + module.Replace("AdaptiveAvgPool", "adaptive_avg_pool") + "\",\"inputs\":[\"x\"]}]}]}}"));
            using var onnx = new OnnxPredictor(OnnxExporter.ToOnnx(graph, new Dictionary<string, Tensor>()), threads: 1);
            using var scope = torch.NewDisposeScope();
            long[] dims = System.Text.Json.JsonSerializer.Deserialize<long[]>(input)!;
            var x = torch.randn(new long[] { 2 }.Concat(dims).ToArray());
            long[] target = System.Text.Json.JsonSerializer.Deserialize<long[]>(output)!;
            var expected = module == "AdaptiveAvgPool2d"
                ? torch.nn.functional.adaptive_avg_pool2d(x, new[] { target[1], target[2] })
                : torch.nn.functional.adaptive_avg_pool1d(x, target[1]);

            var actual = onnx.call(x);

            Assert.Equal(expected.shape, actual.shape);
            Assert.True((actual - expected).abs().max().item<float>() < 1e-5, $"max |onnx - torch| = {(actual - expected).abs().max().item<float>()}");
        }

        [Fact]
        public void Weights_the_graph_does_not_use_are_an_error_not_silently_dropped()
        {
            var graph = NetworkGraph.Parse(Graph("""
                {"name":"relu","path":"relu","type":"ReLU","form":"leaf","module":"ReLU","input":[4],"output":[4],"args":[]}
                """, "relu", input: "[4]", output: "[4]", renderings: """{"ReLU":{"pytorch":"nn.ReLU"}}""",
                onnx: """{"ReLU":{"cases":[{"nodes":[{"op":"Relu","inputs":["x"]}]}]}}"""));
            using var stray = torch.zeros(4);

            var e = Assert.Throws<ArgumentException>(() => OnnxExporter.ToOnnx(graph, new Dictionary<string, Tensor> { ["fc.weight"] = stray }));

            Assert.Contains("fc.weight", e.Message);
        }

        [Fact]
        public void In_place_steps_change_every_name_of_the_tensor_as_in_torchsharp()
        {
            // y = x.relu_() makes y and x the same tensor, so y.add_(x) is 2 * relu(x), not relu(x) + x.
            var graph = NetworkGraph.Parse("""
                {"format":2,"name":"Aliases","root":{"name":"Aliases","path":"","type":"Aliases","form":"block","module":"Aliases","input":[4],"output":[4],
                 "children":[],"body":[{"op":"relu","out":"y","in":["input"]},{"op":"add","out":"y","in":["y","input"]}],"input_var":"input","result":"y"}}
                """);
            using var onnx = new OnnxPredictor(OnnxExporter.ToOnnx(graph, new Dictionary<string, Tensor>()), threads: 1);

            Assert.Equal(new[] { 0f, 4f, 0f, 1f }, onnx.Predict(new[] { -1f, 2f, -3f, 0.5f }, batch: 1));
        }

        [Fact]
        public void A_graph_of_another_format_is_refused_with_both_versions_and_the_fix()
        {
            // A network built by an older generator (format 1 kept simple kinds' ONNX operators in "renderings").
            string json = Graph("""
                {"name":"act","path":"act","type":"ReLU","form":"leaf","module":"ReLU","input":[4],"output":[4]}
                """, "act", input: "[4]", output: "[4]").Replace("\"format\":2", "\"format\":1");

            var e = Assert.Throws<FormatException>(() => NetworkGraph.Parse(json));

            Assert.Contains("format 1 is not supported", e.Message);
            Assert.Contains("reads format " + NetworkGraph.SupportedFormat, e.Message);
            Assert.Contains("same version of both and rebuild", e.Message);
        }

        [Theory]
        [InlineData(0.0)]
        [InlineData(0.2)]
        public void A_zero_attribute_is_written_and_read_as_zero_not_as_the_operators_default(double slope)
        {
            // LeakyRelu's alpha defaults to 0.01 in ONNX: a slope of 0 left out of the file would leak negatives.
            var graph = NetworkGraph.Parse(Graph($$"""
                {"name":"act","path":"act","type":"LeakyReLU","form":"leaf","module":"LeakyReLU","input":[4],"output":[4],"args":[{"name":"negative_slope","value":{{slope.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}]}
                """, "act", input: "[4]", output: "[4]",
                renderings: """{"LeakyReLU":{"pytorch":"nn.LeakyReLU"}}""",
                onnx: """{"LeakyReLU":{"cases":[{"nodes":[{"op":"LeakyRelu","inputs":["x"],"attributes":{"alpha":{"float":{"arg":"negative_slope"}}}}]}]}}"""));
            byte[] model = OnnxExporter.ToOnnx(graph, new Dictionary<string, Tensor>());
            var alpha = Dsl.Runtime.Onnx.Proto.ModelProto.Parser.ParseFrom(model).Graph.Node.Single(n => n.OpType == "LeakyRelu").Attribute.Single(a => a.Name == "alpha");
            Assert.True(alpha.HasF);
            using var onnx = new OnnxPredictor(model, threads: 1);
            float s = (float)slope;
            Assert.Equal(new[] { -2f * s, 2f, -4f * s, 0.5f }, onnx.Predict(new[] { -2f, 2f, -4f, 0.5f }, batch: 1));
        }

        /// <summary>A network graph whose root block calls <paramref name="child"/> (JSON of one node) on its input.</summary>
        /// <remarks><paramref name="renderings"/>: its kinds' declared PyTorch constructors (JSON), as the generator writes them;
        /// <paramref name="onnx"/>: its kinds' declared ONNX renderings.</remarks>
        private static string Graph(string child, string name, string input, string output, string renderings = "{}", string onnx = "{}") => $$$"""
            {"format":2,"name":"Handmade","renderings":{{{renderings}}},"onnx":{{{onnx}}},"root":{"name":"Handmade","path":"","type":"Handmade","form":"block","module":"Handmade","input":{{{input}}},"output":{{{output}}},
             "children":[{{{child}}}],"body":[{"op":"call","out":"x","module":"{{{name}}}","in":["input"]}],"input_var":"input","result":"x"}}
            """;
    }

    /// <summary>Debian's python3-onnx (its checker), when installed.</summary>
    internal static class PythonOnnx
    {
        private const string Python = "/usr/bin/python3";

        public const string Missing = "python3-onnx is not installed (apt-get install python3-onnx): the ONNX checker cannot run.";

        public static bool Available { get; } = File.Exists(Python) && Run("import onnx", "").Code == 0;

        public static (int Code, string Output) Run(string script, string argument)
        {
            var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(script);
            psi.ArgumentList.Add(argument);
            using var p = Process.Start(psi)!;
            var error = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output + error.Result);
        }
    }
}
