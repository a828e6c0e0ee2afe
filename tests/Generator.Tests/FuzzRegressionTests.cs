using System;
using System.Globalization;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>Mismatches between the shape core and libtorch found by <see cref="ShapeFuzzTests"/>, kept as regressions.</summary>
    public class FuzzRegressionTests
    {
        private static void Diagnoses(string declaration, string id, string message)
        {
            var compilation = DiagnosticHarness.Compile("using Dsl;\n" + declaration);
            var diagnostic = Assert.Single(DiagnosticHarness.Analyze(compilation));
            Assert.Equal(id, diagnostic.Id);
            Assert.Equal(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        }

        /// <summary>
        /// libtorch limits max-pool padding to half the kernel, not half the dilated kernel
        /// (pool2d_shape_check): MaxPool2d(3, Padding = 2, Dilation = 2) throws at run time.
        /// </summary>
        [Fact]
        public void MaxPoolPadding_IsLimitedByTheUndilatedKernel()
        {
            Diagnoses("[Input(1, 15, 7)] [MaxPool2d(3, Padding = 2, Dilation = 2)] public partial class Net;",
                "DSL008", "'maxpool1' has Padding = 2, but it must be at most half the kernel (1)");
            using var pool = nn.MaxPool2d(3, stride: 3, padding: 2, dilation: 2);
            Assert.ThrowsAny<Exception>(() => pool.forward(randn(1, 1, 15, 7)));
            using var fine = nn.MaxPool2d(3, stride: 3, padding: 1, dilation: 2);
            Assert.Equal(new long[] { 1, 1, 5, 2 }, fine.forward(randn(1, 1, 15, 7)).shape);
        }

        /// <summary>
        /// TorchSharp 0.107's GroupNorm leaves its weight and bias uninitialised (found as ONNX outputs of 1e31 that
        /// disagreed with the module's): a generated GroupNorm starts, as PyTorch's, with weight 1 and bias 0.
        /// </summary>
        [Fact]
        public void GroupNorm_starts_with_weight_one_and_bias_zero()
        {
            var run = Harness.Run("using Dsl;\nnamespace Nets;\n[Block] [GroupNorm(4, Eps = 1e-3)] public partial class B;\n[Input(4, 6)] [GroupNorm(2)] [Use<B>] [Flatten] [Linear(2)] public partial class Net;\n");
            Assert.DoesNotContain(run.WarningsAndErrors, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
            var type = Harness.Load(run).GetType("Nets.Net", throwOnError: true)!;
            for (int i = 0; i < 5; i++)
            {
                using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
                var norms = net.named_parameters().Where(p => p.name.StartsWith("gn", StringComparison.Ordinal) || p.name.StartsWith("b1.", StringComparison.Ordinal)).ToArray();
                Assert.Equal(new[] { "gn1.weight", "gn1.bias", "b1.0.weight", "b1.0.bias" }, norms.Select(p => p.name).ToArray());
                foreach (var (name, parameter) in norms)
                    Assert.True(parameter.eq(name.EndsWith(".weight", StringComparison.Ordinal) ? 1 : 0).all().item<bool>(), $"{name}: {parameter.ToString(TorchSharp.TensorStringStyle.Julia)}");
            }
        }
}
}
