using System.Globalization;

namespace Dsl.Generator.Blocks.Language
{
    /// <summary>
    /// The block language's grammar, by recursive descent over <see cref="Tokenizer"/>'s tokens (lowest precedence first):
    /// <code>
    /// expression  = conditional END
    /// conditional = or [ "?" conditional ":" conditional ]
    /// or          = and { "||" and }
    /// and         = equality { "&amp;&amp;" equality }
    /// equality    = relation [ ("==" | "!=") relation ]
    /// relation    = sum [ ("&lt;" | "&lt;=" | "&gt;" | "&gt;=") sum ]
    /// sum         = product { ("+" | "-") product }
    /// product     = unary { ("*" | "/" | "//" | "%") unary }
    /// unary       = ("-" | "+" | "!") unary | primary
    /// primary     = NUMBER | "true" | "false" | NAME | FUNCTION "(" conditional { "," conditional } ")" | "(" conditional ")"
    /// </code>
    /// </summary>
    internal sealed class Parser
    {
        /// <summary>Words of Python (and of the spelling people carry over from it), with what to write instead.</summary>
        private static readonly Dictionary<string, string> PythonWords = new(System.StringComparer.Ordinal)
        {
            ["and"] = "'and' is Python's spelling: write '&&'",
            ["or"] = "'or' is Python's spelling: write '||'",
            ["not"] = "'not' is Python's spelling: write '!'",
            ["if"] = "Python's 'a if c else b' is written 'c ? a : b'",
            ["else"] = "Python's 'a if c else b' is written 'c ? a : b'",
            ["True"] = "'True' is Python's spelling: write 'true' (or 1)",
            ["False"] = "'False' is Python's spelling: write 'false' (or 0)",
            ["None"] = "there is no None: a parameter always has a number",
            ["math"] = "functions are called by their own names: floor(x), not math.floor(x)",
        };

        /// <summary>The words the language itself gives a meaning (not available as parameter names).</summary>
        public static IEnumerable<string> ReservedWords => new[] { "true", "false" }.Concat(Functions.All.Select(f => f.Name));

        /// <summary>What to write instead of <paramref name="name"/> when it is a Python spelling; null otherwise.</summary>
        public static string? PythonHint(string name) => PythonWords.TryGetValue(name, out var hint) ? hint : null;

        private readonly List<Token> _tokens;
        private int _at;
        private int _depth;

        private Parser(List<Token> tokens) => _tokens = tokens;

        public static Node Parse(string text)
        {
            var parser = new Parser(Tokenizer.Tokenize(text));
            if (parser.Peek.Kind == TokenKind.End) throw new ExpressionException(0, text.Length, "the expression is empty");
            var node = parser.Conditional();
            var next = parser.Peek;
            if (next.Kind != TokenKind.End)
            {
                if (next.Kind == TokenKind.Name && PythonWords.TryGetValue(next.Text, out var hint)) throw At(next, hint);
                if (next.Is(")")) throw At(next, "')' without a matching '('");
                throw At(next, $"unexpected {next} after a complete expression; join them with an operator");
            }
            return node;
        }

        private Token Peek => _tokens[_at];

        private Token Next() => _tokens[_at++];

        private bool Eat(string symbol)
        {
            if (!Peek.Is(symbol)) return false;
            _at++;
            return true;
        }

        private static ExpressionException At(Token token, string what) =>
            new(token.Start, token.Kind == TokenKind.End ? 0 : token.Text.Length, what);

        /// <summary>Counts one level of nesting (a parenthesis, a unary operator, a conditional, a call).</summary>
        private void Enter(Token at)
        {
            if (++_depth > Expression.MaxDepth) throw At(at, $"nested more than {Expression.MaxDepth} deep");
        }

        private void Leave() => _depth--;

        private Node Conditional()
        {
            var condition = Or();
            if (!Peek.Is("?")) return condition;
            var question = Next();
            Enter(question);
            var whenTrue = Conditional();
            if (!Eat(":")) throw At(Peek, $"'?' at column {question.Start + 1} needs ':' and the value when the condition is false, here, not {Peek}");
            var whenFalse = Conditional();
            Leave();
            return new ConditionalNode(condition, whenTrue, whenFalse);
        }

        private Node Or() => Chain(And, "||");

        private Node And() => Chain(Equality, "&&");

        private Node Equality() => Comparison(Relation, "==", "!=");

        private Node Relation() => Comparison(Sum, "<", "<=", ">", ">=");

        private Node Sum() => Chain(Product, "+", "-");

        private Node Product() => Chain(Unary, "*", "/", "//", "%");

        private Node Chain(System.Func<Node> operand, params string[] ops)
        {
            var first = operand();
            List<(Token, Node)>? rest = null;
            while (Peek.Kind == TokenKind.Symbol && ops.Contains(Peek.Text))
            {
                var op = Next();
                (rest ??= new List<(Token, Node)>()).Add((op, operand()));
            }
            return rest is null ? first : new ChainNode(first, rest);
        }

        private Node Comparison(System.Func<Node> operand, params string[] ops)
        {
            var left = operand();
            if (!(Peek.Kind == TokenKind.Symbol && ops.Contains(Peek.Text))) return left;
            var op = Next();
            var right = operand();
            if (Peek.Kind == TokenKind.Symbol && ops.Contains(Peek.Text))
                throw At(Peek, $"comparisons do not chain: write 'a {op.Text} b && b {Peek.Text} c' for Python's 'a {op.Text} b {Peek.Text} c'");
            return new CompareNode(left, op, right);
        }

        private Node Unary()
        {
            if (Peek.Kind == TokenKind.Symbol && Peek.Text is "-" or "+" or "!")
            {
                var op = Next();
                Enter(op);
                var operand = Unary();
                Leave();
                return new UnaryNode(op.Text, operand, op.Start);
            }
            return Primary();
        }

        private Node Primary()
        {
            var token = Peek;
            switch (token.Kind)
            {
                case TokenKind.End:
                    throw At(token, "the expression ends too early");
                case TokenKind.Number:
                    _at++;
                    bool real = token.Text.IndexOfAny(new[] { '.', 'e', 'E' }) >= 0;
                    double value = double.Parse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture);
                    // Compared as written: a double would round 9007199254740993 to 2^53.
                    if (!real && (!long.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out long whole) || whole > (long)Number.MaxInteger))
                        throw At(token, "the integer is beyond 2^53, the largest the language holds exactly");
                    if (double.IsInfinity(value)) throw At(token, "the number is not finite");
                    return new LiteralNode(Number.Of(value, real), token.Start, token.Text.Length);
                case TokenKind.Name:
                    _at++;
                    return Name(token);
            }
            if (token.Is("("))
            {
                _at++;
                Enter(token);
                var inner = Conditional();
                if (!Eat(")")) throw At(Peek, $"'(' at column {token.Start + 1} is not closed: ')' expected, not {Peek}");
                Leave();
                return inner;
            }
            throw At(token, token.Is(")") ? "')' without a matching '('" : $"a value is expected, not {token}");
        }

        private Node Name(Token token)
        {
            switch (token.Text)
            {
                case "true": return new LiteralNode(Number.Bool(true), token.Start, token.Text.Length);
                case "false": return new LiteralNode(Number.Bool(false), token.Start, token.Text.Length);
            }
            // "not x", "True": Python's spellings, unless a block has a parameter of that name (then an unknown name says the hint).
            if (PythonWords.TryGetValue(token.Text, out var hint) && (Peek.Kind is TokenKind.Name or TokenKind.Number || Peek.Is("("))) throw At(token, hint);
            var function = Functions.Find(token.Text);
            if (!Peek.Is("("))
            {
                if (function is not null) throw At(token, $"'{token.Text}' is a function: call it, {function.Signature}");
                return new NameNode(token.Text, token.Start);
            }
            if (function is null) throw At(token, $"unknown function '{token.Text}' (the functions are {Functions.Names})");
            var open = Next();
            Enter(open);
            var arguments = new List<Node>();
            if (!Peek.Is(")"))
            {
                arguments.Add(Conditional());
                while (Eat(",")) arguments.Add(Conditional());
            }
            if (!Peek.Is(")")) throw At(Peek, $"'(' at column {open.Start + 1} is not closed: ')' or ',' expected, not {Peek}");
            var close = Next();
            Leave();
            if (arguments.Count < function.MinArguments || arguments.Count > function.MaxArguments)
                throw new ExpressionException(token.Start, close.Start + 1 - token.Start, $"{token.Text} {function.Arity}, not {arguments.Count}: {function.Signature}");
            return new CallNode(function, arguments, token.Start, close.Start + 1);
        }
    }
}
