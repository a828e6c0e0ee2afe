using System.Globalization;

namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>
    /// Prints transform arguments in the Python syntax <see cref="TransformText"/> reads (floats as Python's repr:
    /// <c>1.0</c>, <c>0.485</c>; booleans <c>True</c>/<c>False</c>; lists in brackets), so ToString round-trips.
    /// </summary>
    internal static class TransformFormat
    {
        public static string Number(double value)
        {
            string s = value.ToString("R", CultureInfo.InvariantCulture);
            if (s.Contains('E')) s = s.Replace("E", "e");
            else if (!s.Contains('.') && !s.Contains("Infinity") && !s.Contains("NaN")) s += ".0";
            return s;
        }

        public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

        public static string Bool(bool value) => value ? "True" : "False";

        public static string List(IEnumerable<double> values) => "[" + string.Join(", ", values.Select(Number)) + "]";

        public static string List(IEnumerable<int> values) => "[" + string.Join(", ", values.Select(Int)) + "]";

        /// <summary>A crop size: one number when square (torchvision reads an int as (size, size)), else [h, w].</summary>
        public static string SquareOrPair(int height, int width) => height == width ? Int(height) : Size(height, width);

        public static string Size(int height, int width) => List(new[] { height, width });
    }
}
