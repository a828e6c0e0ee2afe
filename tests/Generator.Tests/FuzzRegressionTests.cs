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
    }
}
