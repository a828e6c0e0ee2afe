using System.Globalization;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>Argument checks shared by the transforms; each failure names the argument, what it accepts and what it got.</summary>
    internal static class TransformChecks
    {
        public static int PositiveSize(string option, int value) =>
            value > 0 ? value : throw new InvalidOptionException(option, "a whole number of pixels greater than 0", value.ToString(CultureInfo.InvariantCulture));

        public static int NonNegative(string option, int value) =>
            value >= 0 ? value : throw new InvalidOptionException(option, "a whole number of pixels, 0 or more", value.ToString(CultureInfo.InvariantCulture));

        public static double Probability(string option, double p) =>
            p >= 0 && p <= 1 ? p : throw new InvalidOptionException(option, "a probability between 0 and 1", TransformFormat.Number(p));

        /// <summary>A (min, max) range of finite numbers with 0 &lt; min &lt;= max (or 0 &lt;= min when <paramref name="allowZero"/>).</summary>
        public static (double Min, double Max) Range(string option, double min, double max, bool allowZero, string example)
        {
            bool ok = double.IsFinite(min) && double.IsFinite(max) && min <= max && (allowZero ? min >= 0 : min > 0);
            if (!ok)
                throw new InvalidOptionException(option, $"a range [min, max] of finite numbers with {(allowZero ? "0 <= min" : "0 < min")} <= max, such as {example}",
                    TransformFormat.List(new[] { min, max }));
            return (min, max);
        }

        public static double[] Finite(string option, double[] values, bool positive, string example)
        {
            if (values is null || values.Length == 0)
                throw new InvalidOptionException(option, "at least one value, such as " + example, "none");
            if (values.Any(v => !double.IsFinite(v) || (positive && v <= 0)))
                throw new InvalidOptionException(option, (positive ? "finite numbers greater than 0" : "finite numbers") + ", such as " + example, TransformFormat.List(values));
            return values.ToArray();
        }
    }
}
