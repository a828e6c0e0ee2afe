using Dsl.Generator.Blocks.Language;

namespace Dsl.Generator.Blocks
{
    /// <summary>
    /// The expression language of blocks (<c>"in * expand"</c>, <c>"stride == 1 &amp;&amp; in == out"</c>,
    /// <c>"make_divisible(c * 0.75, 8)"</c>): tokens (<see cref="Tokenizer"/>), a grammar (<see cref="Parser"/>), a
    /// syntax tree (<see cref="Node"/>) and its evaluation. Values are integers and reals (<see cref="Number"/>):
    /// <c>+ - * // %</c> keep integers integers (<c>//</c> and <c>%</c> are Python's, rounding towards minus
    /// infinity); <c>/</c> of two integers rounds down too (the language's channel arithmetic, <c>in / 2</c>), and with a
    /// real on either side divides exactly (<c>7 / 2.0</c> is 3.5). <c>&amp;&amp;</c>, <c>||</c> and <c>?:</c> evaluate
    /// only the side they need. Functions: <see cref="Functions.All"/>. Nothing here throws: a problem comes back as an
    /// <see cref="ExpressionError"/> with its place in the text.
    /// </summary>
    internal static class Expression
    {
        /// <summary>Parentheses, unary operators, conditionals and calls nested deeper than this are an error (each counts once).</summary>
        public const int MaxDepth = 100;

        /// <summary>The syntax tree of <paramref name="text"/>, or null and <paramref name="error"/>.</summary>
        public static Node? Parse(string text, out ExpressionError? error)
        {
            try
            {
                error = null;
                return Parser.Parse(text);
            }
            catch (ExpressionException e)
            {
                error = new ExpressionError(text, e.Start, e.Length, e.Message);
                return null;
            }
        }

        /// <summary>Evaluates <paramref name="text"/> with <paramref name="names"/>; null and <paramref name="error"/> on a problem.</summary>
        public static Number? Evaluate(string text, IReadOnlyDictionary<string, Number> names, out ExpressionError? error)
        {
            var node = Parse(text, out error);
            if (node is null) return null;
            try
            {
                return node.Evaluate(names);
            }
            catch (ExpressionException e)
            {
                error = new ExpressionError(text, e.Start, e.Length, e.Message);
                return null;
            }
        }

        /// <summary>Evaluates <paramref name="text"/> over sizes (a custom layer's output shape): each name an integer.</summary>
        public static double? Evaluate(string text, IReadOnlyDictionary<string, double> names, out string? error)
        {
            var typed = names.ToDictionary(p => p.Key, p => Number.Infer(p.Value), StringComparer.Ordinal);
            var value = Evaluate(text, typed, out var e);
            error = e?.Message;
            return value?.Value;
        }

        /// <summary>
        /// What can be known of <paramref name="text"/> without values: its syntax, and that every name it reads is one
        /// of <paramref name="names"/>. Null when it is fine.
        /// </summary>
        public static ExpressionError? Check(string text, IReadOnlyCollection<string> names)
        {
            var node = Parse(text, out var error);
            if (node is null) return error;
            foreach (var name in node.DescendantsAndSelf().OfType<NameNode>())
            {
                if (!names.Contains(name.Name)) return new ExpressionError(text, name.Start, name.Length, NameNode.UnknownName(name.Name, names));
            }
            return null;
        }

        /// <summary>Whether <paramref name="text"/> is one name and nothing else (a parameter passed on as it is).</summary>
        public static bool IsName(string text) =>
            text.Trim() is { Length: > 0 } t && (char.IsLetter(t[0]) || t[0] == '_') && t.All(c => char.IsLetterOrDigit(c) || c == '_');

        /// <summary>Words with a meaning of their own in expressions (<c>true</c>, the functions, Python's words): no parameter may take them.</summary>
        public static IEnumerable<string> ReservedWords => Parser.ReservedWords;

        /// <summary>
        /// The one splitter of every list the language reads (a With's entries, a custom layer's output shape): the
        /// parts of <paramref name="text"/> between the <paramref name="separators"/> that are outside parentheses, each
        /// trimmed, with where it starts in <paramref name="text"/>. An empty part is kept (as empty text) for the caller to report.
        /// </summary>
        public static List<Segment> Split(string text, string separators)
        {
            var parts = new List<Segment>();
            int depth = 0, start = 0;
            for (int i = 0; i <= text.Length; i++)
            {
                char c = i < text.Length ? text[i] : '\0';
                if (c == '(') depth++;
                else if (c == ')' && depth > 0) depth--;
                else if (i == text.Length || (depth == 0 && separators.IndexOf(c) >= 0))
                {
                    parts.Add(Segment.Trimmed(text, start, i));
                    start = i + 1;
                }
            }
            return parts;
        }

        /// <summary>
        /// Reads <c>"name = expression"</c> (a With entry, a parameter's default, a use's named argument): the name and the
        /// expression, each with where it starts in the text <paramref name="part"/> came from. False when there is no
        /// <c>=</c> that assigns (<c>==</c>, <c>&lt;=</c>, <c>&gt;=</c> and <c>!=</c> compare).
        /// </summary>
        public static bool TrySplitAssignment(Segment part, out Segment name, out Segment value)
        {
            string text = part.Text;
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] != '=') continue;
                bool compares = (i + 1 < text.Length && text[i + 1] == '=') || (i > 0 && "<>!=".IndexOf(text[i - 1]) >= 0);
                if (compares)
                {
                    i++;
                    continue;
                }
                name = Segment.Trimmed(text, 0, i).Offset(part.Start);
                value = Segment.Trimmed(text, i + 1, text.Length).Offset(part.Start);
                return true;
            }
            name = value = default;
            return false;
        }
    }

    /// <summary>A piece of a longer text: what it says (trimmed) and where it starts in that text.</summary>
    internal readonly record struct Segment(string Text, int Start)
    {
        public static Segment Trimmed(string text, int from, int to)
        {
            while (from < to && char.IsWhiteSpace(text[from])) from++;
            while (to > from && char.IsWhiteSpace(text[to - 1])) to--;
            return new Segment(text.Substring(from, to - from), from);
        }

        public Segment Offset(int by) => new(Text, Start + by);

        public override string ToString() => Text;
    }
}
