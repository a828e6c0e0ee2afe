using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>User-declared blocks: parameters, expressions, When, the merges, and the generated module's keys and shapes.</summary>
    public class UserBlockTests
    {
        internal const string MobileBlocks = """
            using Dsl;
            namespace Nets;

            /// <summary>torchvision's Conv2dNormActivation with ReLU6.</summary>
            [Block("outChannels", "kernel = 3", "stride = 1", "groups = 1")]
            [Conv2d(1, 1, Bias = false, With = "OutChannels = outChannels; Kernel = kernel; Stride = stride; Padding = (kernel - 1) / 2; Groups = groups")]
            [BatchNorm2d]
            [ReLU6]
            public partial class ConvBNReLU6;

            /// <summary>MobileNetV2's inverted residual.</summary>
            [Block("outChannels", "stride", "expand", "hidden = in * expand", Body = "conv", Merge = Merge.Add, MergeWhen = "stride == 1 && in == outChannels")]
            [Use<ConvBNReLU6>("hidden", 1, When = "expand != 1")]
            [Use<ConvBNReLU6>("hidden", 3, "stride", "hidden")]
            [Conv2d("outChannels", 1, Bias = false)]
            [BatchNorm2d]
            public partial class InvertedResidual;
            """;

        private static (Harness.GeneratorRun Run, Type Net) Build(string source, string network)
        {
            var run = Harness.Run(source);
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())) + "\n" + string.Join("\n", run.Sources.Values));
            var assembly = Harness.Load(run);
            return (run, assembly.GetType("Nets." + network, throwOnError: true)!);
        }

        [Fact]
        public void Inverted_residual_has_torchvisions_keys_shapes_and_counts()
        {
            var (_, type) = Build(MobileBlocks + """

                /// <summary>A small MobileNetV2.</summary>
                [Input(3, 32, 32)]
                [Use<ConvBNReLU6>(32, 3, 2, Name = "stem")]
                [Use<InvertedResidual>(16, 1, 1)]
                [Use<InvertedResidual>(24, 2, 6)]
                [Use<InvertedResidual>(24, 1, 6)]
                public partial class Mobile;
                """, "Mobile");
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            var keys = net.state_dict().Keys.ToList();
            Assert.Contains("stem.0.weight", keys);
            Assert.Contains("invertedResidual1.conv.0.0.weight", keys);   // expand 1: no expansion, conv.0 is the depthwise
            Assert.Contains("invertedResidual1.conv.1.weight", keys);
            Assert.Contains("invertedResidual2.conv.0.0.weight", keys);   // expand 6: conv.0 expands
            Assert.Contains("invertedResidual2.conv.2.weight", keys);
            Assert.Contains("invertedResidual2.conv.3.running_var", keys);
            Assert.Equal(new long[] { 96, 1, 3, 3 }, net.state_dict()["invertedResidual2.conv.1.0.weight"].shape);
            using var y = net.call(torch.randn(2, 3, 32, 32));
            Assert.Equal(new long[] { 2, 24, 8, 8 }, y.shape);
            long declared = (long)type.GetField("ParameterCount")!.GetValue(null)!;
            Assert.Equal(net.parameters().Sum(p => p.numel()), declared);
        }

        /// <summary>
        /// BlockNet's blocks against a forward written here with TorchSharp's functional ops on the module's own weights:
        /// the SE gate, the projected residual, the dense concatenation and the Inception branches.
        /// </summary>
        [Fact]
        public void Sample_blocks_compute_what_their_declarations_say()
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            torch.manual_seed(3);
            using var net = new ResNetSample.BlockNet();
            net.eval();
            var w = net.state_dict();
            // Statistics and scales away from their initial values, so a BatchNorm wired wrongly shows.
            foreach (var (key, tensor) in w)
            {
                if (key.EndsWith(".running_var", StringComparison.Ordinal) || (key.EndsWith(".weight", StringComparison.Ordinal) && tensor.dim() == 1)) tensor.uniform_(0.5, 1.5);
                else if (key.EndsWith(".running_mean", StringComparison.Ordinal) || (key.EndsWith(".bias", StringComparison.Ordinal) && tensor.dim() == 1)) tensor.uniform_(-0.5, 0.5);
            }
            Tensor Conv(Tensor v, string key, long stride = 1, long padding = 0) =>
                torch.nn.functional.conv2d(v, w[key + ".weight"], w.TryGetValue(key + ".bias", out var bias) ? bias : null, strides: new[] { stride, stride }, padding: new[] { padding, padding });
            Tensor BN(Tensor v, string key) =>
                torch.nn.functional.batch_norm(v, w[key + ".running_mean"], w[key + ".running_var"], w[key + ".weight"], w[key + ".bias"], false, 0.1, 1e-5);
            Tensor SE(Tensor v, string key)
            {
                var squeeze = torch.nn.functional.adaptive_avg_pool2d(v, 1);
                var gate = torch.sigmoid(Conv(torch.nn.functional.relu(Conv(squeeze, key + ".fc1")), key + ".fc2"));
                return v * gate;
            }
            Tensor ResidualSE(Tensor v, string key, long stride, bool project)
            {
                var body = torch.nn.functional.relu(BN(Conv(v, key + ".conv1.0", stride, 1), key + ".conv1.1"));
                body = SE(BN(Conv(body, key + ".conv2.0", 1, 1), key + ".conv2.1"), key + ".se");
                var shortcut = project ? BN(Conv(v, key + ".downsample.0.0", stride), key + ".downsample.0.1") : v;
                return shortcut + body;
            }
            Tensor Dense(Tensor v, string key) => torch.cat(new[] { v, Conv(torch.nn.functional.relu(BN(v, key + ".norm")), key + ".conv", 1, 1) }, 1);
            Tensor ConvReLU(Tensor v, string key, long padding = 0) => torch.nn.functional.relu(Conv(v, key + ".0", 1, padding));
            Tensor Inception(Tensor v, string key) => torch.cat(new[]
            {
                ConvReLU(v, key + ".b1"),
                ConvReLU(ConvReLU(v, key + ".b2.0"), key + ".b2.1", 1),
                ConvReLU(ConvReLU(v, key + ".b3.0"), key + ".b3.1", 2),
                ConvReLU(torch.nn.functional.max_pool2d(v, 3, 1, 1), key + ".b4.1"),
            }, 1);

            var x = torch.randn(2, 1, 28, 28);
            var h = torch.nn.functional.relu(BN(Conv(x, "stem.0", 1, 1), "stem.1"));
            h = ResidualSE(h, "residualSE1", 2, project: true);
            h = ResidualSE(h, "residualSE2", 1, project: false);
            h = Dense(Dense(h, "denseLayer1"), "denseLayer2");
            h = Inception(h, "inception1");
            h = torch.nn.functional.adaptive_avg_pool2d(h, 1).flatten(1);
            h = torch.nn.functional.layer_norm(h, new long[] { 56 }, w["ln1.weight"], w["ln1.bias"], 1e-5);
            var expected = torch.nn.functional.linear(h, w["fc1.weight"], w["fc1.bias"]);

            var actual = net.call(x);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(torch.allclose(expected, actual, rtol: 1e-4, atol: 1e-5), $"max difference {(expected - actual).abs().max().item<float>()}");
        }

        /// <summary>The analyzer's DSL diagnostics on <paramref name="source"/>, with the text each one points at.</summary>
        private static (string Id, string Message, string At)[] Diagnose(string source)
        {
            var compilation = DiagnosticHarness.Compile(source);
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            return DiagnosticHarness.Analyze(compilation)
                .Select(d => (d.Id, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)))
                .ToArray();
        }

        [Fact]
        public void A_bad_value_passed_through_nested_blocks_is_reported_at_the_use_argument_that_sets_it()
        {
            var found = Diagnose(MobileBlocks + """

                /// <summary>Net.</summary>
                [Input(3, 32, 32)]
                [Use<InvertedResidual>(16, 0, 6)]
                public partial class Mobile;
                """);
            var (id, message, at) = Assert.Single(found);
            Assert.Equal("DSL008", id);
            Assert.True(at == "0", message + " at " + at);   // the stride argument of the use, through InvertedResidual's nested ConvBNReLU6
            Assert.Contains("invertedResidual1.conv.1.0", message, StringComparison.Ordinal);
        }

        [Fact]
        public void A_shape_error_inside_a_block_is_reported_at_the_use_argument_that_causes_it()
        {
            var found = Diagnose(MobileBlocks + """

                /// <summary>Net.</summary>
                [Input(4, 8, 8)]
                [Use<ConvBNReLU6>(6, 3, 1, 5)]
                public partial class Tiny;
                """);
            var (id, message, at) = Assert.Single(found);
            Assert.Equal("DSL006", id);
            Assert.True(at == "5", message + " at " + at);   // the groups argument of the use
            Assert.Contains("convBNReLU6_1.0", message, StringComparison.Ordinal);
        }
    }
}
