using System.Globalization;

namespace Dsl.Generator.Graph
{
    /// <summary>C# literals of the values the emitters write (invariant culture, doubles round-trip).</summary>
    internal static class Literal
    {
        public static string Of(long value) => value.ToString(CultureInfo.InvariantCulture);

        public static string Of(bool value) => value ? "true" : "false";

        public static string Of(double value)
        {
            string text = value.ToString("R", CultureInfo.InvariantCulture);
            return text.IndexOfAny(new[] { '.', 'E', 'e' }) >= 0 ? text : text + ".0";
        }

        /// <summary>A layer argument from a plain value; left out of the call when it equals TorchSharp's default.</summary>
        public static LeafArg Arg(string name, long value, long? torchDefault = null) =>
            new(name, Of(value), null, torchDefault == value);

        public static LeafArg Arg(string name, bool value, bool? torchDefault = null) =>
            new(name, Of(value), null, torchDefault == value);

        public static LeafArg Arg(string name, double value, double? torchDefault = null) =>
            new(name, Of(value), null, torchDefault == value);

        /// <summary>A layer argument that may come from a block parameter.</summary>
        public static LeafArg Arg(string name, Num value, long? torchDefault = null) =>
            new(name, Of(value.Value), value.Param, torchDefault == value.Value);

        public static LeafArg Arg(string name, Flag value, bool? torchDefault = null) =>
            new(name, Of(value.Value), value.Param, torchDefault == value.Value);
    }
}
