using System;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Dsl.Runtime.PyTorch;
using Xunit;

namespace Dsl.Runtime.Tests.PyTorch
{
    /// <summary>The twin's source text: reviewed snapshots, valid Python for every network, and clear errors.</summary>
    public sealed class PyTorchTwinRenderTests : IDisposable
    {
        private readonly string _dir = TestData.TempDir("pytorch-render");

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private static string Snapshots => Path.Combine(PythonTorch.Helpers, "Snapshots");

        /// <summary>
        /// The twins a PyTorch user reviews: torchvision's ResNet-18 and ConvNeXt-T layouts and the sample's default model. When the
        /// text changes, the test writes NAME.twin.received.py beside the approved file: read the diff, then rename it.
        /// </summary>
        [Theory]
        [InlineData("ResNet18")]
        [InlineData("ResNetMini")]
        [InlineData("ConvNeXtTiny")]
        public void The_twin_matches_its_reviewed_snapshot(string network)
        {
            var info = PyTorchTwinTests.NetworkTypes.Single(t => t.Name == network).GetProperty("Info")!.GetValue(null) as NetworkInfo;
            string actual = PyTorchTwin.Render(info!);
            string approved = Path.Combine(Snapshots, network + ".twin.approved.py");
            string received = Path.Combine(Snapshots, network + ".twin.received.py");
            if (File.Exists(approved) && File.ReadAllText(approved) == actual)
            {
                File.Delete(received);
                return;
            }
            File.WriteAllText(received, actual);
            Assert.Fail($"The twin of {network} differs from {approved}; review {received} and rename it to approve it.");
        }

        [SkippableFact]
        public void Every_twin_and_the_training_script_pass_py_compile()
        {
            Skip.IfNot(File.Exists(PythonTorch.Python), PythonTorch.Python + " is not installed");
            var files = PyTorchTwinTests.NetworkTypes
                .Select(t => PyTorchExport.Export((NetworkInfo)t.GetProperty("Info")!.GetValue(null)!, Path.Combine(_dir, t.Name + ".py")).ModelPath)
                .Append(Path.Combine(_dir, PyTorchExport.TrainScriptName))
                .ToList();
            var result = PythonTorch.Run(new[] { "-m", "py_compile" }.Concat(files), TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        /// <summary>ResNetMini's graph with one leaf replaced by <paramref name="edit"/>.</summary>
        private static NetworkInfo Edited(Action<JsonObject> edit) => EditedGraph(graph => edit(graph["root"]!.AsObject()));

        /// <summary>ResNetMini's graph (its top object: the root, the classes) as <paramref name="edit"/> changes it.</summary>
        private static NetworkInfo EditedGraph(Action<JsonObject> edit)
        {
            var info = ResNetSample.ResNetMini.Info;
            var graph = JsonNode.Parse(info.Graph!)!.AsObject();
            edit(graph);
            return new NetworkInfo(info.Name, info.InputShape, info.Layers, graph.ToJsonString());
        }

        /// <summary>The entry of block class <paramref name="name"/> in the graph's <c>classes</c>.</summary>
        private static JsonObject PlannedClass(JsonObject graph, string name) =>
            graph["classes"]!.AsArray().Select(c => c!.AsObject()).Single(c => (string?)c["name"] == name);

        private static JsonObject Child(JsonObject node, string name) =>
            node["children"]!.AsArray().Select(c => c!.AsObject()).Single(c => (string?)c["name"] == name);

        [Fact]
        public void A_layer_kind_without_a_pytorch_mapping_is_an_error_naming_the_layer_and_nothing_is_written()
        {
            var info = Edited(root => Child(Child(root, "head"), "pool")["module"] = "AdaptiveMaxPool2d");
            string path = Path.Combine(_dir, "model.py");
            var e = Assert.Throws<NotSupportedException>(() => PyTorchExport.Export(info, path));
            Assert.Contains("'head.pool'", e.Message);
            Assert.Contains("AdaptiveMaxPool2d", e.Message);
            Assert.False(File.Exists(path));
            Assert.False(File.Exists(Path.Combine(_dir, PyTorchExport.TrainScriptName)));
        }

        [Fact]
        public void An_argument_without_a_pytorch_mapping_is_an_error_naming_the_layer_and_the_argument()
        {
            var info = Edited(root => Child(Child(root, "head"), "fc")["args"]!.AsArray().Add(new JsonObject { ["name"] = "dtype", ["value"] = 1, ["default"] = false }));
            var e = Assert.Throws<NotSupportedException>(() => PyTorchTwin.Render(info));
            Assert.Contains("'head.fc'", e.Message);
            Assert.Contains("'dtype'", e.Message);
        }

        [Fact]
        public void A_zero_initialised_batch_norm_scale_is_zeroed_in_the_twin()
        {
            var info = Edited(root =>
            {
                foreach (var stage in new[] { "stage1", "stage2", "stage3" })
                    Child(Child(Child(root, stage), "0"), "bn2")["zeroInitWeight"] = true;
            });
            string source = PyTorchTwin.Render(info);
            Assert.Contains("        self.bn2 = nn.BatchNorm2d(channels)\n", source);
            Assert.Contains("        nn.init.zeros_(self.bn2.weight)\n", source);
        }

        [Fact]
        public void A_block_class_is_rendered_from_its_plan_not_from_its_uses()
        {
            // Every use of ResidualBlock has bn2; a plan that made it optional under use1x1Conv is what the twin writes.
            var info = EditedGraph(graph => Child(PlannedClass(graph, "ResidualBlock"), "bn2")["flag"] = "use1x1Conv");
            string source = PyTorchTwin.Render(info);
            Assert.Contains("        self.bn2 = nn.BatchNorm2d(channels) if use1x1_conv else None\n", source);
            Assert.Contains("        self.bn2 = nn.BatchNorm2d(channels)\n", PyTorchTwin.Render(ResNetSample.ResNetMini.Info));
        }

        [Fact]
        public void A_block_without_a_planned_class_is_refused_naming_the_block()
        {
            var info = EditedGraph(graph => graph["classes"]!.AsArray().Remove(PlannedClass(graph, "StemBlock")));
            var e = Assert.Throws<NotSupportedException>(() => PyTorchTwin.Render(info));
            Assert.Contains("Block 'stem' has no class", e.Message);
        }

        [Fact]
        public void A_plan_naming_a_module_the_graph_lacks_is_refused_naming_the_class_and_the_module()
        {
            var info = EditedGraph(graph => Child(PlannedClass(graph, "ResidualBlock"), "conv3")["node"] = "stage9.0.conv3");
            var e = Assert.Throws<NotSupportedException>(() => PyTorchTwin.Render(info));
            Assert.Contains("'ResidualBlock'", e.Message);
            Assert.Contains("'stage9.0.conv3'", e.Message);
        }

        [Fact]
        public void A_network_without_a_graph_is_refused_with_the_reason()
        {
            var info = ResNetSample.ResNetMini.Info;
            var e = Assert.Throws<NotSupportedException>(() => PyTorchTwin.Render(new NetworkInfo(info.Name, info.InputShape, info.Layers)));
            Assert.Contains("ResNetMini carries no network graph", e.Message);
        }
    }
}
