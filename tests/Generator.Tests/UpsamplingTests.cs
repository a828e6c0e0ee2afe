using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Generator.Graph;
using Dsl.Generator.Model;
using ResNetSample;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>ConvTranspose2d and Upsample against libtorch (sizes, parameters), and the U-Net sample built from them.</summary>
    public class UpsamplingTests
    {
        private static NetworkSpec Spec(int c, int h, int w, params LayerSpec[] layers) =>
            new(null, EquatableArray<ContainingType>.Empty, "Net", "public", c, h, w, layers.ToEquatableArray());

        [Fact]
        public void ConvTranspose_output_size_equals_libtorch_over_a_grid()
        {
            int ran = 0, rejected = 0;
            foreach (var n in new long[] { 1, 2, 3, 5 })
            foreach (var k in new long[] { 1, 2, 3 })
            foreach (var s in new long[] { 1, 2, 3 })
            foreach (var p in new long[] { 0, 1, 2 })
            foreach (var op in new long[] { 0, 1, 2 })
            foreach (var d in new long[] { 1, 2 })
            {
                using var scope = NewDisposeScope();
                long predicted = ConvTranspose2dSpec.Output(n, k, s, p, op, d);
                bool valid = predicted >= 1 && (op < s || op < d);
                try
                {
                    using var conv = nn.ConvTranspose2d(1, 1, k, stride: s, padding: p, output_padding: op, dilation: d);
                    var y = conv.forward(zeros(1, 1, n, n));
                    Assert.True(valid, $"libtorch accepted n={n} k={k} s={s} p={p} op={op} d={d} (predicted {predicted})");
                    Assert.Equal(predicted, y.shape[2]);
                    ran++;
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    Assert.False(valid, $"libtorch rejected n={n} k={k} s={s} p={p} op={op} d={d} (predicted {predicted}): {e.Message}");
                    rejected++;
                }
            }
            Assert.True(ran > 100 && rejected > 20, $"{ran} ran, {rejected} rejected");
        }

        [Fact]
        public void Upsample_output_size_equals_libtorch_for_both_modes()
        {
            foreach (var n in new long[] { 1, 2, 3, 7, 16 })
            foreach (var scale in new[] { 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 1.0 / 3 })
            foreach (var mode in new[] { TorchSharp.torch.UpsampleMode.Nearest, TorchSharp.torch.UpsampleMode.Bilinear })
            {
                using var scope = NewDisposeScope();
                long predicted = UpsampleSpec.Output(n, scale)!.Value;
                try
                {
                    using var up = nn.Upsample(scale_factor: new[] { scale, scale }, mode: mode);
                    var y = up.forward(zeros(1, 2, n, n + 1));
                    Assert.True(predicted >= 1, $"libtorch gave {y.shape[2]} for n={n} scale={scale} {mode}; predicted {predicted}");
                    Assert.Equal(new[] { 1, 2, predicted, UpsampleSpec.Output(n + 1, scale)!.Value }, y.shape);
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    Assert.True(predicted < 1, $"libtorch rejected n={n} scale={scale} {mode} (predicted {predicted}): {e.Message}");
                }
            }
        }

        [Fact]
        public void ConvTranspose_parameters_and_multiply_adds_equal_libtorch()
        {
            // 4 -> 6 channels, kernel 3, stride 2, groups 2, on 4x5: weight [4, 3, 3, 3] + bias 6; every input element meets 3 * 9 weights.
            var model = NetworkGraph.Build(Spec(4, 4, 5,
                new ConvTranspose2dSpec(null, 6, 3, 2, 1, 1, 1, 2, true),
                new UpsampleSpec(null, 2.0, UpsampleKind.Bilinear, true),
                new ConvTranspose2dSpec(null, 2, 2, 2, 0, 0, 1, 1, false)));
            Assert.Empty(model.Problems);
            Assert.Equal(new[] { "upconv1", "upsample1", "upconv2" }, model.Layers.Select(l => l.Name).ToArray());
            Assert.Equal(new long[] { 4 * 3 * 9 + 6, 0, 6 * 2 * 4 }, model.Layers.Select(l => l.Parameters).ToArray());
            Assert.Equal(new long[] { 4 * 4 * 5 * 3 * 9, 0, 6 * 16 * 20 * 2 * 4 }, model.Layers.Select(l => l.MultiplyAdds).ToArray());

            using var first = nn.ConvTranspose2d(4, 6, 3, stride: 2, padding: 1, output_padding: 1, groups: 2);
            using var last = nn.ConvTranspose2d(6, 2, 2, stride: 2, bias: false);
            Assert.Equal(model.Layers[0].Parameters, first.parameters().Sum(p => p.numel()));
            Assert.Equal(model.Layers[2].Parameters, last.parameters().Sum(p => p.numel()));
            using var y1 = first.forward(randn(1, 4, 4, 5));
            using var y2 = nn.functional.interpolate(y1, scale_factor: new[] { 2.0, 2.0 }, mode: InterpolationMode.Bilinear, align_corners: true);
            using var y3 = last.forward(y2);
            Assert.Equal(new long[] { 1, 6, 8, 10 }, y1.shape);
            Assert.Equal(new long[] { 1, 6, 16, 20 }, y2.shape);
            Assert.Equal(new long[] { 1, 2, 32, 40 }, y3.shape);
        }

        private const string Declared = """
            using Dsl;
            namespace Nets;

            /// <summary>Both kinds, with every argument the generated call writes.</summary>
            [Input(3, 5, 6)]
            [ConvTranspose2d(8, 3, Stride = 2, Padding = 1, OutputPadding = 1, Groups = 1, Bias = false)]
            [Upsample(Mode = UpsampleMode.Bilinear, AlignCorners = true)]
            [ConvTranspose2d(4, 2, Stride = 3, Dilation = 2, Groups = 4)]
            [Upsample(0.5)]
            [Upsample(1.5, Mode = UpsampleMode.Bilinear)]
            public partial class Up;
            """;

        [Fact]
        public void Generated_module_matches_a_plain_TorchSharp_build_with_the_same_weights()
        {
            var run = Harness.Run(Declared);
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())) + "\n" + string.Join("\n", run.Sources.Values));
            string code = run.Sources["Nets.Up.g.cs"];
            Assert.Contains("ConvTranspose2d(in_channels: 3, out_channels: 8, kernel_size: 3, stride: 2, padding: 1, output_padding: 1, bias: false)", code);
            Assert.Contains("Upsample(scale_factor: new double[] { 2.0, 2.0 }, mode: global::TorchSharp.torch.UpsampleMode.Bilinear, align_corners: true)", code);
            Assert.Contains("Upsample(scale_factor: new double[] { 0.5, 0.5 })", code);
            Assert.Contains("Upsample(scale_factor: new double[] { 1.5, 1.5 }, mode: global::TorchSharp.torch.UpsampleMode.Bilinear, align_corners: false)", code);
            var type = Harness.Load(run).GetType("Nets.Up", throwOnError: true)!;
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            var info = (NetworkInfo)type.GetProperty("Info")!.GetValue(null)!;

            // The same layers built by hand, with the generated module's weights.
            var plain = new List<Func<Tensor, Tensor>>();
            using var c1 = nn.ConvTranspose2d(3, 8, 3, stride: 2, padding: 1, output_padding: 1, bias: false);
            using var c2 = nn.ConvTranspose2d(8, 4, 2, stride: 3, dilation: 2, groups: 4);
            using (no_grad())
            {
                c1.weight!.copy_(net.state_dict()["upconv1.weight"]);
                c2.weight!.copy_(net.state_dict()["upconv2.weight"]);
                c2.bias!.copy_(net.state_dict()["upconv2.bias"]);
            }
            plain.Add(c1.forward);
            plain.Add(x => nn.functional.interpolate(x, scale_factor: new[] { 2.0, 2.0 }, mode: InterpolationMode.Bilinear, align_corners: true));
            plain.Add(c2.forward);
            plain.Add(x => nn.functional.interpolate(x, scale_factor: new[] { 0.5, 0.5 }));
            plain.Add(x => nn.functional.interpolate(x, scale_factor: new[] { 1.5, 1.5 }, mode: InterpolationMode.Bilinear, align_corners: false));

            net.eval();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var input = randn(2, 3, 5, 6);
            var expected = input;
            var children = net.named_children().ToArray();
            Assert.Equal(plain.Count, children.Length);
            var x = input;
            for (int i = 0; i < plain.Count; i++)
            {
                x = ((nn.Module<Tensor, Tensor>)children[i].module).forward(x);
                expected = plain[i](expected);
                Assert.Equal(info.TopLevel[i].OutputShape.WithBatch(2), x.shape);
                Assert.True(x.allclose(expected, rtol: 1e-5, atol: 1e-5), children[i].name + " differs from the plain build");
            }
            Assert.Equal(new long[] { 2, 4, 45, 54 }, net.forward(input).shape);
            Assert.Equal(info.TotalParameters, net.parameters().Sum(p => p.numel()));
            Assert.Equal(3L * 8 * 9 + 8 * 1 * 4 + 4, info.TotalParameters);
        }

        [Fact]
        public void Block_uses_that_differ_in_upsampling_compile_and_keep_their_values()
        {
            var run = Harness.Run("""
                using Dsl;
                namespace Nets;

                /// <summary>Up by a factor, then a transposed convolution to the given channels.</summary>
                [Block("channels", "scale", "bilinear = false")]
                [Upsample(1, When = "!bilinear", With = "ScaleFactor = scale")]
                [Upsample(1, Mode = UpsampleMode.Bilinear, When = "bilinear", With = "ScaleFactor = scale")]
                [ConvTranspose2d(1, 2, Stride = 2, With = "OutChannels = channels")]
                public partial class Up;

                /// <summary>Three uses: channels, scale and mode differ.</summary>
                [Input(2, 3, 3)]
                [Use<Up>(4, 2)]
                [Use<Up>(6, 3)]
                [Use<Up>(2, 0.5, true)]
                public partial class Ups;
                """);
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())) + "\n" + string.Join("\n", run.Sources.Values));
            var type = Harness.Load(run).GetType("Nets.Ups", throwOnError: true)!;
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            var info = (NetworkInfo)type.GetProperty("Info")!.GetValue(null)!;
            // 3 -> up 2 -> 6 -> conv 12; -> up 3 -> 36 -> conv 72; -> up 0.5 -> 36 -> conv 72.
            Assert.Equal(new[] { "[4, 12, 12]", "[6, 72, 72]", "[2, 72, 72]" }, info.TopLevel.Select(l => l.OutputShape.ToString()).ToArray());
            using var _ = no_grad();
            using var y = net.forward(randn(1, 2, 3, 3));
            Assert.Equal(new long[] { 1, 2, 72, 72 }, y.shape);
            Assert.Equal(info.TotalParameters, net.parameters().Sum(p => p.numel()));
        }

        [Fact]
        public void UNet_has_31037698_parameters_and_a_per_pixel_output()
        {
            Assert.Equal(31_037_698L, UNet.ParameterCount);
            Assert.Equal("[3, 64, 64]", UNet.InputShape.ToString());
            Assert.Equal("[2, 64, 64]", UNet.OutputShape.ToString());
            using var net = new UNet();
            Assert.Equal(31_037_698L, net.parameters().Sum(p => p.numel()));
            net.eval();
            using var _ = no_grad();
            using var y = net.forward(randn(2, 3, 64, 64));
            Assert.Equal(new long[] { 2, 2, 64, 64 }, y.shape);

            var keys = net.state_dict().Keys.ToArray();
            Assert.Contains("encode.0.weight", keys);
            Assert.Contains("level.up.weight", keys);                           // 128 -> 64, back to the top
            Assert.Contains("level.inner.inner.inner.encode.3.weight", keys);   // the bottom, 1024 channels
            Assert.DoesNotContain("level.inner.inner.inner.inner.pool", net.named_modules().Select(m => m.name));
            Assert.Equal(new long[] { 1024, 512, 2, 2 }, net.state_dict()["level.inner.inner.inner.up.weight"].shape);
            Assert.Equal(new long[] { 512, 1024, 3, 3 }, net.state_dict()["level.inner.inner.decode.0.weight"].shape);
            Assert.Equal(new long[] { 2, 64, 1, 1 }, net.state_dict()["classify.weight"].shape);
        }

        [Fact]
        public void UNet_skips_are_concatenated_skip_first()
        {
            // The top level's output is cat([skip, up], 1): its first 64 channels are its input.
            using var net = new UNet();
            net.eval();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var modules = net.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);
            var skip = modules["encode"].forward(randn(1, 3, 64, 64));
            var merged = modules["level"].forward(skip);
            Assert.Equal(new long[] { 1, 128, 64, 64 }, merged.shape);
            Assert.True(merged.narrow(1, 0, 64).allclose(skip, rtol: 0, atol: 0));
        }
    }
}
