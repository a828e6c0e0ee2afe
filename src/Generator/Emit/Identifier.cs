using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Generator.Emit
{
    /// <summary>
    /// Names from the user's source written back as C#: keywords need their '@' (a class <c>@class</c>, a namespace
    /// <c>@event</c>); and the one escaper of C# string literals, for every text a user wrote that generated code quotes
    /// (a network's name, a Sequential child's key, a layer's path).
    /// </summary>
    internal static class Identifier
    {
        public static string Escape(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        /// <summary>A dotted namespace, each part escaped.</summary>
        public static string EscapeDotted(string name) => string.Join(".", System.Linq.Enumerable.Select(name.Split('.'), Escape));

        /// <summary>
        /// A C# string literal of <paramref name="value"/>: quotes and backslashes escaped, and every character that would
        /// end the line or not survive the file's encoding (control characters, C#'s other line breaks, lone surrogates)
        /// written as <c>\uXXXX</c>.
        /// </summary>
        public static string String(string value)
        {
            var sb = new StringBuilder(value.Length + 2).Append('"');
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                bool pair = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]);
                if (pair)
                {
                    sb.Append(c).Append(value[++i]);
                    continue;
                }
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u0085' or '\u2028' or '\u2029')
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            return sb.Append('"').ToString();
        }
    }
}
