using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Generator.Emit
{
    /// <summary>Names from the user's source written back as C#: keywords need their '@' (a class <c>@class</c>, a namespace <c>@event</c>).</summary>
    internal static class Identifier
    {
        public static string Escape(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        /// <summary>A dotted namespace, each part escaped.</summary>
        public static string EscapeDotted(string name) => string.Join(".", System.Linq.Enumerable.Select(name.Split('.'), Escape));

        /// <summary>A C# string literal.</summary>
        public static string String(string value) =>
            "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\r", "\\r").Replace("\n", "\\n") + "\"";
    }
}
