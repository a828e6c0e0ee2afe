using System;
using System.Linq;
using Dsl.Generator.Model;
using Dsl.Generator.Graph;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>The pure shape core against PyTorch's formulas, checked on libtorch itself.</summary>
    public class ShapeCoreTests
    {
        [Theory]
        [InlineData(7, 2, 3)]
        [InlineData(-1, 2, -1)]
        [InlineData(-4, 2, -2)]
        [InlineData(-5, 3, -2)]
        [InlineData(0, 3, 0)]
        public void FloorDiv_rounds_toward_negative_infinity(long a, long b, long expected) =>
            Assert.Equal(expected, ShapeMath.FloorDiv(a, b));

        [Fact]
        public void Conv_output_size_equals_libtorch_over_a_grid()
        {
            int checkedCases = 0;
            foreach (var n in new long[] { 1, 2, 3, 5, 8, 9 })
            foreach (var k in new long[] { 1, 2, 3, 5 })
            foreach (var s in new long[] { 1, 2, 3 })
            foreach (var p in new long[] { 0, 1, 2 })
            foreach (var d in new long[] { 1, 2 })
            {
                using var scope = NewDisposeScope();
                using var x = zeros(1, 1, n, n);
                using var w = zeros(1, 1, k, k);
                bool predictedOk = ShapeMath.EffectiveKernel(k, d) <= n + 2 * p;
                try
                {
                    var y = nn.functional.conv2d(x, w, strides: new[] { s, s }, padding: new[] { p, p }, dilation: new[] { d, d });
                    Assert.True(predictedOk, $"libtorch accepted n={n} k={k} s={s} p={p} d={d}");
                    Assert.Equal(ShapeMath.ConvOutput(n, k, s, p, d), y.shape[2]);
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    Assert.False(predictedOk, $"libtorch rejected n={n} k={k} s={s} p={p} d={d}: {e.Message}");
                }
                checkedCases++;
            }
            Assert.Equal(6 * 4 * 3 * 3 * 2, checkedCases);
        }

        [Fact]
        public void Pool_output_size_equals_libtorch_over_a_grid_including_ceil_mode()
        {
            foreach (var n in new long[] { 1, 2, 3, 4, 5, 7, 8 })
            foreach (var k in new long[] { 1, 2, 3, 4 })
            foreach (var s in new long[] { 1, 2, 3 })
            foreach (var d in new long[] { 1, 2 })
            foreach (var ceil in new[] { false, true })
            for (long p = 0; p <= ShapeMath.EffectiveKernel(k, d) / 2 && p <= k / 2; p++)
            {
                using var scope = NewDisposeScope();
                using var x = zeros(1, 1, n, n);
                long predicted = ShapeMath.PoolOutput(n, k, s, p, d, ceil);
                try
                {
                    var y = nn.functional.max_pool2d(x, new[] { k, k }, new[] { s, s }, new[] { p, p }, new[] { d, d }, ceil);
                    Assert.True(predicted >= 1, $"libtorch gave {y.shape[2]} for n={n} k={k} s={s} p={p} d={d} ceil={ceil}; predicted {predicted}");
                    Assert.Equal(predicted, y.shape[2]);
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    Assert.True(predicted < 1, $"libtorch rejected n={n} k={k} s={s} p={p} d={d} ceil={ceil} (predicted {predicted}): {e.Message}");
                }
            }
        }

        private static NetworkSpec Spec(int c, int h, int w, params LayerSpec[] layers) =>
            new(null, EquatableArray<ContainingType>.Empty, "Net", "public", new[] { c, h, w }.ToEquatableArray(), layers.ToEquatableArray());

        [Fact]
        public void Linear_with_a_wrong_in_features_reports_the_actual_count()
        {
            var model = NetworkGraph.Build(Spec(1, 28, 28,
                new Conv2dSpec(null, 6, 5, 1, 2, 1, 1, true),
                new FlattenSpec(null),
                new LinearSpec(null, 10, 400, true)));
            var problem = Assert.Single(model.Problems);
            Assert.Equal(ProblemCode.LinearInFeaturesMismatch, problem.Code);
            Assert.Equal(2, problem.LayerIndex);
            Assert.Equal("InFeatures", problem.Argument);
            Assert.Equal(new[] { "fc1", "400", "4704" }, problem.Args.ToArray());
        }

        [Fact]
        public void Stage_that_changes_channels_without_downsample_reports_the_two_branch_shapes()
        {
            var model = NetworkGraph.Build(Spec(1, 28, 28,
                new StemSpec(null, 16, 3, 1, false, true),
                new ResidualStageSpec(null, 2, 32, false, true)));
            var problem = Assert.Single(model.Problems);
            Assert.Equal(ProblemCode.ResidualShapeMismatch, problem.Code);
            Assert.Equal(1, problem.LayerIndex);
            Assert.Equal("Downsample", problem.Argument);
            Assert.Equal("stage1.0", problem.Args[0]);
            Assert.Equal("[32, 28, 28]", problem.Args[1]);
            Assert.Equal("[16, 28, 28]", problem.Args[2]);
        }

        [Fact]
        public void Automatic_names_count_per_kind_and_skip_explicit_names()
        {
            var model = NetworkGraph.Build(Spec(1, 8, 8,
                new Conv2dSpec(null, 4, 3, 1, 1, 1, 1, true),
                new Conv2dSpec("conv2", 4, 3, 1, 1, 1, 1, true),
                new Conv2dSpec(null, 4, 3, 1, 1, 1, 1, true),
                new ActivationSpec(null, Activation.ReLU),
                new ClassifierHeadSpec(null, 3)));
            Assert.Empty(model.Problems);
            Assert.Equal(new[] { "conv1", "conv2", "conv3", "relu1", "head" }, model.Layers.Select(l => l.Name).ToArray());
        }

        [Fact]
        public void Parameters_and_multiply_adds_follow_the_formulas()
        {
            // conv 3->8, k3, groups 1, bias: 8*3*9 + 8 = 224 params; output 8x6x6 -> 8*36*27 = 7776 MACs.
            var model = NetworkGraph.Build(Spec(3, 8, 8,
                new Conv2dSpec(null, 8, 3, 1, 0, 1, 1, true),
                new BatchNorm2dSpec(null, 1e-5, 0.1),
                new FlattenSpec(null),
                new LinearSpec(null, 5, 0, false)));
            Assert.Empty(model.Problems);
            Assert.Equal(new long[] { 224, 16, 0, 288 * 5 }, model.Layers.Select(l => l.Parameters).ToArray());
            Assert.Equal(new long[] { 7776, 0, 0, 288 * 5 }, model.Layers.Select(l => l.MultiplyAdds).ToArray());
        }
    }
}
