using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dsl.Runtime.PyTorch
{
    /// <summary>Python spellings of graph values and names.</summary>
    internal static class PythonText
    {
        private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
        {
            "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
            "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
            "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "self", "input",
        };

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
                    return "'" + value.GetString()!.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
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
        /// <c>use1x1_conv</c>; a name Python reserves gets a trailing underscore.
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
            string snake = sb.ToString();
            return Reserved.Contains(snake) ? snake + "_" : snake;
        }

        /// <summary>A Python string literal in double quotes.</summary>
        public static string String(string value) =>
            "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }
}
