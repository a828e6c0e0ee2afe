
namespace Dsl.Generator.Blocks.Language
{
    /// <summary>One function of the block language: its name, how many arguments it takes and what it computes.</summary>
    /// <param name="Signature">How it is called: <c>make_divisible(value, divisor[, min_value])</c>.</param>
    /// <param name="Meaning">What it computes, in a few words (the documentation's table is checked against it).</param>
    /// <param name="Compute">Computes the function; an <see cref="ExpressionException"/> at position 0 for a bad argument (the caller moves it to the call).</param>
    internal sealed record Function(string Name, int MinArguments, int MaxArguments, string Signature, string Meaning, Func<Number[], Number> Compute)
    {
        /// <summary>Computes the function (<see cref="Compute"/>).</summary>
        public Number Apply(Number[] arguments) => Compute(arguments);

        /// <summary>"takes 1 argument", "takes 2 or 3 arguments", "takes at least 2 arguments".</summary>
        public string Arity =>
            MaxArguments == int.MaxValue ? $"takes at least {MinArguments} arguments"
            : MinArguments == MaxArguments ? $"takes {MinArguments} argument{(MinArguments == 1 ? "" : "s")}"
            : $"takes {MinArguments} or {MaxArguments} arguments";
    }

    /// <summary>The functions of the block language, the one list every message and document derives from.</summary>
    internal static class Functions
    {
        public static readonly IReadOnlyList<Function> All = new[]
        {
            new Function("min", 2, int.MaxValue, "min(a, b, ...)", "the smallest argument (the first of equal ones, with its type)",
                a => a.Aggregate((m, v) => v.Value < m.Value ? v : m)),
            new Function("max", 2, int.MaxValue, "max(a, b, ...)", "the largest argument (the first of equal ones, with its type)",
                a => a.Aggregate((m, v) => v.Value > m.Value ? v : m)),
            new Function("round", 1, 1, "round(x)", "the nearest integer, halves to even (Python's round: round(2.5) is 2)",
                a => Number.Integer(Math.Round(a[0].Value, MidpointRounding.ToEven))),
            new Function("floor", 1, 1, "floor(x)", "the largest integer not above x",
                a => Number.Integer(Math.Floor(a[0].Value))),
            new Function("ceil", 1, 1, "ceil(x)", "the smallest integer not below x",
                a => Number.Integer(Math.Ceiling(a[0].Value))),
            new Function("int", 1, 1, "int(x)", "x without its fraction, towards zero (Python's int: int(-2.5) is -2)",
                a => Number.Integer(Math.Truncate(a[0].Value))),
            new Function("float", 1, 1, "float(x)", "x as a real (float(7) / 2 is 3.5)",
                a => Number.Real(a[0].Value)),
            new Function("make_divisible", 2, 3, "make_divisible(value, divisor[, min_value])",
                "torchvision's _make_divisible: value rounded to the nearest multiple of divisor, at least min_value (default divisor) and not below 90% of value",
                MakeDivisible),
        };

        private static readonly Dictionary<string, Function> ByName = All.ToDictionary(f => f.Name, StringComparer.Ordinal);

        public static Function? Find(string name) => ByName.TryGetValue(name, out var f) ? f : null;

        /// <summary>"ceil, float, floor, int, make_divisible, max, min, round".</summary>
        public static string Names => string.Join(", ", All.Select(f => f.Name).OrderBy(n => n, StringComparer.Ordinal));

        /// <summary>
        /// torchvision's <c>_make_divisible(v, divisor, min_value=None)</c> (MobileNetV2/V3, EfficientNet):
        /// <c>new_v = max(min_value or divisor, int(v + divisor / 2) // divisor * divisor)</c>, plus one divisor more when
        /// that is below 90% of v.
        /// </summary>
        private static Number MakeDivisible(Number[] a)
        {
            Number value = a[0], divisor = a[1];
            if (divisor.Value <= 0) throw new ExpressionException(0, 0, $"make_divisible's divisor must be above 0, not {divisor}");
            Number minimum = a.Length > 2 ? a[2] : divisor;
            double rounded = Math.Floor(Math.Truncate(value.Value + divisor.Value / 2) / divisor.Value) * divisor.Value;
            double result = Math.Max(minimum.Value, rounded);
            if (result < 0.9 * value.Value) result += divisor.Value;
            return Number.Of(result, divisor.IsReal || minimum.IsReal);
        }
    }
}
