using System.Globalization;

namespace Dsl.Generator.Blocks.Language
{
    /// <summary>
    /// Splits an expression into tokens. A character the language does not have is an error at its column, with a hint
    /// where it is a Python or C spelling of something the language writes otherwise (<c>**</c>, <c>&amp;</c>, <c>=</c>).
    /// </summary>
    internal static class Tokenizer
    {
        /// <summary>Symbols, longest first so that <c>//</c> is not read as two <c>/</c>.</summary>
        private static readonly string[] Symbols =
        {
            "//", "==", "!=", "<=", ">=", "&&", "||",
            "+", "-", "*", "/", "%", "<", ">", "!", "?", ":", "(", ")", ",",
        };

        /// <summary>Spellings of other languages, with what to write instead.</summary>
        private static readonly (string Text, string Hint)[] Foreign =
        {
            ("**", "'**' is not an operator (there is no power operator): multiply, as in 'a * a'"),
            ("&", "'&' is not an operator: write '&&' for 'and'"),
            ("|", "'|' is not an operator: write '||' for 'or'"),
            ("=", "'=' is not an operator in an expression: compare with '=='"),
            ("^", "'^' is not an operator (there is no power or exclusive or): multiply, as in 'a * a'"),
            ("'", "there are no strings in expressions: write a number or a name"),
            ("\"", "there are no strings in expressions: write a number or a name"),
            ("[", "there are no lists in expressions: write one number or name"),
            (".", "'.' here is not part of a number: names have no members (write floor(x), not math.floor(x))"),
        };

        public static List<Token> Tokenize(string text)
        {
            var tokens = new List<Token>();
            int at = 0;
            while (true)
            {
                while (at < text.Length && char.IsWhiteSpace(text[at])) at++;
                if (at >= text.Length)
                {
                    tokens.Add(new Token(TokenKind.End, "", text.Length));
                    return tokens;
                }
                char c = text[at];
                if (char.IsDigit(c) || (c == '.' && at + 1 < text.Length && char.IsDigit(text[at + 1])))
                {
                    tokens.Add(ReadNumber(text, ref at));
                    continue;
                }
                if (char.IsLetter(c) || c == '_')
                {
                    int start = at;
                    while (at < text.Length && (char.IsLetterOrDigit(text[at]) || text[at] == '_')) at++;
                    tokens.Add(new Token(TokenKind.Name, text.Substring(start, at - start), start));
                    continue;
                }
                // "**" and "=" are checked before the symbols that start them would take their first character.
                if (Starts(text, at, "**")) throw new ExpressionException(at, 2, Foreign[0].Hint);
                string? symbol = null;
                foreach (var s in Symbols)
                {
                    if (Starts(text, at, s))
                    {
                        symbol = s;
                        break;
                    }
                }
                if (symbol is not null)
                {
                    tokens.Add(new Token(TokenKind.Symbol, symbol, at));
                    at += symbol.Length;
                    continue;
                }
                foreach (var (foreign, hint) in Foreign)
                {
                    if (Starts(text, at, foreign)) throw new ExpressionException(at, foreign.Length, hint);
                }
                throw new ExpressionException(at, 1, "unexpected character '" + c + "'");
            }
        }

        private static bool Starts(string text, int at, string token) => string.CompareOrdinal(text, at, token, 0, token.Length) == 0;

        /// <summary>
        /// <c>12</c> (an integer), <c>0.5</c>, <c>.5</c>, <c>2.</c>, <c>1e-3</c> (reals). A number run into letters
        /// (<c>2x</c>, <c>1e</c>) is an error over the whole run.
        /// </summary>
        private static Token ReadNumber(string text, ref int at)
        {
            int start = at;
            while (at < text.Length && char.IsDigit(text[at])) at++;
            if (at < text.Length && text[at] == '.')
            {
                at++;
                while (at < text.Length && char.IsDigit(text[at])) at++;
            }
            if (at < text.Length && text[at] is 'e' or 'E')
            {
                int mark = at;
                at++;
                if (at < text.Length && text[at] is '+' or '-') at++;
                if (at < text.Length && char.IsDigit(text[at])) while (at < text.Length && char.IsDigit(text[at])) at++;
                else at = mark + 1; // "1e" alone: reported below as a number run into letters
            }
            int end = at;
            while (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] == '_' || text[end] == '.')) end++;
            string written = text.Substring(start, end - start);
            if (end > at || !double.TryParse(written, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                at = end;
                throw new ExpressionException(start, end - start, "'" + written + "' is not a number");
            }
            return new Token(TokenKind.Number, written, start);
        }
    }
}
