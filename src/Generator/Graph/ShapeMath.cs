namespace Dsl.Generator.Graph
{
    /// <summary>PyTorch's output-size formulas (aten/src/ATen/native/Pool.h and ConvUtils.h).</summary>
    internal static class ShapeMath
    {
        /// <summary>Division rounding toward negative infinity, as ATen's div_rtn.</summary>
        public static long FloorDiv(long a, long b)
        {
            long q = a / b;
            if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
            return q;
        }

        public static long CeilDiv(long a, long b) => -FloorDiv(-a, b);

        /// <summary>Kernel extent once dilated: d * (k - 1) + 1.</summary>
        public static long EffectiveKernel(long kernel, long dilation) => dilation * (kernel - 1) + 1;

        /// <summary>Conv2d: floor((n + 2p - d(k-1) - 1) / s) + 1.</summary>
        public static long ConvOutput(long size, long kernel, long stride, long padding, long dilation) =>
            FloorDiv(size + 2 * padding - EffectiveKernel(kernel, dilation), stride) + 1;

        /// <summary>
        /// MaxPool2d / AvgPool2d (pooling_output_shape): floor or ceil of the same formula; in ceil
        /// mode the last window must start inside the input or its left padding.
        /// </summary>
        public static long PoolOutput(long size, long kernel, long stride, long padding, long dilation, bool ceilMode)
        {
            long numerator = size + 2 * padding - EffectiveKernel(kernel, dilation) + (ceilMode ? stride - 1 : 0);
            long output = FloorDiv(numerator, stride) + 1;
            if (ceilMode && (output - 1) * stride >= size + padding) output--;
            return output;
        }
    }
}
