using System;
using System.Collections.Generic;
using System.Globalization;

namespace Dsl.Generator.Blocks
{
    /// <summary>
    /// The small expression language of block arguments (<c>"in * expand"</c>, <c>"stride == 1 &amp;&amp; in == out"</c>):
    /// integers and decimals, names, <c>+ - * / %</c> (integer <c>/</c> rounds down, as Python's <c>//</c>), comparisons,
    /// <c>&amp;&amp; || !</c>, <c>c ? a : b</c>, <c>min(a, b)</c>, <c>max(a, b)</c>, <c>true</c> and <c>false</c> (1 and 0).
    /// Evaluation never throws: a problem comes back as a message naming the expression.
    /// </summary>
    internal static class Expression
    {
        /// <summary>Evaluates <paramref name="text"/> with the names of <paramref name="names"/>; null and <paramref name="error"/> on a problem.</summary>
        public static double? Evaluate(string text, IReadOnlyDictionary<string, double> names, out string? error)
        {
            var parser = new Parser(text, names);
            try
            {
                double value = parser.Ternary();
                parser.SkipSpaces();
                if (!parser.AtEnd) throw parser.Fail("unexpected '" + parser.Rest + "'");
                if (double.IsNaN(value) || double.IsInfinity(value)) throw parser.Fail("the value is not a finite number");
                error = null;
                return value;
            }
            catch (FormatException e)
            {
                error = e.Message;
                return null;
            }
        }

        /// <summary>The names an expression reads (for binding a block parameter to a constructor argument by name).</summary>
        public static bool IsName(string text) =>
            text.Trim() is { Length: > 0 } t && (char.IsLetter(t[0]) || t[0] == '_') && t.IndexOfAny(Operators) < 0;

        private static readonly char[] Operators = "+-*/%<>=!&|?:(), ".ToCharArray();

        private sealed class Parser
        {
            private readonly string _text;
            private readonly IReadOnlyDictionary<string, double> _names;
            private int _at;
            private int _depth;

            /// <summary>Parentheses, unary operators and conditionals nested deeper than this are an error, not a stack overflow.</summary>
            private const int MaxDepth = 100;

            private void Enter()
            {
                if (++_depth > MaxDepth) throw Fail("nested more than " + MaxDepth + " deep");
            }

            public Parser(string text, IReadOnlyDictionary<string, double> names) { _text = text; _names = names; }

            public bool AtEnd => _at >= _text.Length;
            public string Rest => _text.Substring(_at);

            public FormatException Fail(string what) => new($"'{_text}': {what}");

            public void SkipSpaces()
            {
                while (_at < _text.Length && char.IsWhiteSpace(_text[_at])) _at++;
            }

            private bool Eat(string token)
            {
                SkipSpaces();
                if (string.CompareOrdinal(_text, _at, token, 0, token.Length) != 0) return false;
                // "=" must not eat the first half of "==", "<" not of "<=", "!" not of "!=".
                if (token.Length == 1 && _at + 1 < _text.Length && _text[_at + 1] == '=' && token is "<" or ">" or "!" or "=") return false;
                if (token is "&" or "|") return false;
                _at += token.Length;
                return true;
            }

            public double Ternary()
            {
                Enter();
                double condition = Or();
                if (Eat("?"))
                {
                    double whenTrue = Ternary();
                    if (!Eat(":")) throw Fail("'?' without ':'");
                    double whenFalse = Ternary();
                    condition = condition != 0 ? whenTrue : whenFalse;
                }
                _depth--;
                return condition;
            }

            private double Or()
            {
                double left = And();
                while (Eat("||")) { double right = And(); left = left != 0 || right != 0 ? 1 : 0; }
                return left;
            }

            private double And()
            {
                double left = Comparison();
                while (Eat("&&")) { double right = Comparison(); left = left != 0 && right != 0 ? 1 : 0; }
                return left;
            }

            private double Comparison()
            {
                double left = Sum();
                while (true)
                {
                    if (Eat("==")) left = left == Sum() ? 1 : 0;
                    else if (Eat("!=")) left = left != Sum() ? 1 : 0;
                    else if (Eat("<=")) left = left <= Sum() ? 1 : 0;
                    else if (Eat(">=")) left = left >= Sum() ? 1 : 0;
                    else if (Eat("<")) left = left < Sum() ? 1 : 0;
                    else if (Eat(">")) left = left > Sum() ? 1 : 0;
                    else return left;
                }
            }

            private double Sum()
            {
                double left = Product();
                while (true)
                {
                    if (Eat("+")) left += Product();
                    else if (Eat("-")) left -= Product();
                    else return left;
                }
            }

            private double Product()
            {
                double left = Unary();
                while (true)
                {
                    if (Eat("*")) left *= Unary();
                    else if (Eat("/"))
                    {
                        double right = Unary();
                        if (right == 0) throw Fail("division by zero");
                        left = IsInteger(left) && IsInteger(right) ? Math.Floor(left / right) : left / right;
                    }
                    else if (Eat("%"))
                    {
                        double right = Unary();
                        if (right == 0) throw Fail("division by zero");
                        left -= right * Math.Floor(left / right);
                    }
                    else return left;
                }
            }

            private static bool IsInteger(double v) => Math.Abs(v) < 9e15 && v == Math.Floor(v);

            private double Unary()
            {
                Enter();
                double value = Eat("-") ? -Unary() : Eat("+") ? Unary() : Eat("!") ? (Unary() == 0 ? 1 : 0) : Primary();
                _depth--;
                return value;
            }

            private double Primary()
            {
                SkipSpaces();
                if (AtEnd) throw Fail("the expression ends too early");
                char c = _text[_at];
                if (Eat("("))
                {
                    double inner = Ternary();
                    if (!Eat(")")) throw Fail("missing ')'");
                    return inner;
                }
                if (char.IsDigit(c) || c == '.')
                {
                    int start = _at;
                    while (_at < _text.Length && (char.IsDigit(_text[_at]) || _text[_at] is '.' or 'e' or 'E' || (_text[_at] is '-' or '+' && _text[_at - 1] is 'e' or 'E'))) _at++;
                    string number = _text.Substring(start, _at - start);
                    if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) throw Fail("'" + number + "' is not a number");
                    return value;
                }
                if (char.IsLetter(c) || c == '_')
                {
                    int start = _at;
                    while (_at < _text.Length && (char.IsLetterOrDigit(_text[_at]) || _text[_at] == '_')) _at++;
                    string name = _text.Substring(start, _at - start);
                    if (name is "min" or "max")
                    {
                        if (!Eat("(")) throw Fail(name + " needs '('");
                        double a = Ternary();
                        if (!Eat(",")) throw Fail(name + " takes two arguments");
                        double b = Ternary();
                        if (!Eat(")")) throw Fail("missing ')'");
                        return name == "min" ? Math.Min(a, b) : Math.Max(a, b);
                    }
                    if (name == "true") return 1;
                    if (name == "false") return 0;
                    if (_names.TryGetValue(name, out double value)) return value;
                    throw Fail("unknown name '" + name + "' (known: " + string.Join(", ", _names.Keys) + ")");
                }
                throw Fail("unexpected '" + c + "'");
            }
        }
    }
}
