using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dsl.Runtime.PyTorch
{
    /// <summary>Python spellings of graph values and names.</summary>
    internal static class PythonText
    {
        /// <summary>A JSON number, boolean or string as a Python literal: <c>True</c>, <c>64</c>, <c>1e-05</c>, <c>0.5</c>, <c>'bilinear'</c>.</summary>
        public static string Literal(JsonElement value)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.True: return "True";
                case JsonValueKind.False: return "False";
                case JsonValueKind.Number when value.TryGetInt64(out long whole) && !value.GetRawText().Contains('.') && !value.GetRawText().Contains('E', StringComparison.OrdinalIgnoreCase):
                    return whole.ToString(CultureInfo.InvariantCulture);
                case JsonValueKind.Number:
                {
                    string text = value.GetDouble().ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
                    return text.IndexOfAny(new[] { '.', 'e' }) >= 0 ? text : text + ".0";
                }
                case JsonValueKind.String:
                    return String(value.GetString()!, '\'');
                case JsonValueKind.Array:
                {
                    var items = new List<string>();
                    foreach (var item in value.EnumerateArray()) items.Add(Literal(item));
                    return "[" + string.Join(", ", items) + "]";
                }
                default:
                    throw new NotSupportedException($"A graph value of kind {value.ValueKind} ({value.GetRawText()}) has no Python literal.");
            }
        }

        /// <summary>The Python type of a value, for annotations: <c>bool</c>, <c>int</c> or <c>float</c>.</summary>
        public static string TypeOf(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.True or JsonValueKind.False => "bool",
            _ => Literal(value).IndexOfAny(new[] { '.', 'e' }) >= 0 ? "float" : "int",
        };

        /// <summary>
        /// A C# parameter name in Python's style: <c>inChannels</c> becomes <c>in_channels</c>, <c>use1x1Conv</c>
        /// <c>use1x1_conv</c>. The caller makes it a free Python name (<see cref="Dsl.Names.PythonNames.Escape"/>).
        /// </summary>
        public static string SnakeCase(string name)
        {
            var sb = new StringBuilder(name.Length + 4);
            for (int i = 0; i < name.Length; i++)
            {
                char c = name[i];
                if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]))) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            return sb.ToString();
        }

        /// <summary>
        /// The one escaper of Python string literals: <paramref name="value"/> in <paramref name="quote"/>s (double by
        /// default), with backslashes, the quote and every character that would end the line or not survive UTF-8
        /// (control characters, Python's other line breaks, lone surrogates) escaped.
        /// </summary>
        public static string String(string value, char quote = '"')
        {
            var sb = new StringBuilder(value.Length + 2).Append(quote);
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    sb.Append(c).Append(value[++i]);
                    continue;
                }
                if (c == '\\' || c == quote) sb.Append('\\').Append(c);
                else if (c == '\n') sb.Append("\\n");
                else if (c == '\r') sb.Append("\\r");
                else if (c == '\t') sb.Append("\\t");
                else if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029' or '\u000b' or '\u000c' or '\u001c' or '\u001d' or '\u001e' or '\u0085')
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else sb.Append(c);
            }
            return sb.Append(quote).ToString();
        }

        /// <summary>Text inside a docstring (a layer's path may hold any key of a Sequential): backslashes and quotes escaped, line breaks as spaces.</summary>
        public static string DocText(string text)
        {
            string quoted = String(text);
            return quoted.Substring(1, quoted.Length - 2).Replace("\\n", " ", StringComparison.Ordinal);
        }
    }
}
