
namespace Dsl.Generator.Blocks.Language
{
    /// <summary>
    /// The syntax tree of an expression. Each node knows where it is written (<see cref="Start"/>, <see cref="Length"/>)
    /// so evaluation errors point at the operator or name responsible. Left-associative operators of one precedence
    /// are one <see cref="ChainNode"/> evaluated in a loop, so a long sum costs no stack; only parentheses, unary
    /// operators, conditionals and calls nest (and each counts once against <see cref="Expression.MaxDepth"/>).
    /// </summary>
    internal abstract class Node(int start, int length)
    {
        public int Start { get; } = start;

        public int Length { get; } = length;

        public abstract Number Evaluate(IReadOnlyDictionary<string, Number> names);

        /// <summary>The nodes directly inside this one.</summary>
        public abstract IEnumerable<Node> Children { get; }

        /// <summary>This node and every node inside it.</summary>
        public IEnumerable<Node> DescendantsAndSelf()
        {
            var pending = new Stack<Node>();
            pending.Push(this);
            while (pending.Count > 0)
            {
                var node = pending.Pop();
                yield return node;
                foreach (var child in node.Children.Reverse()) pending.Push(child);
            }
        }

        /// <summary>An integer result beyond 2^53 or a real that is not finite is an error at this node.</summary>
        protected Number Checked(Number value, int start, int length)
        {
            if (double.IsNaN(value.Value) || double.IsInfinity(value.Value)) throw new ExpressionException(start, length, "the value is not a finite number");
            if (value.IsInteger && Math.Abs(value.Value) > Number.MaxInteger) throw new ExpressionException(start, length, "the integer is beyond 2^53, the largest the language holds exactly");
            return value;
        }
    }

    /// <summary><c>12</c>, <c>0.5</c>, <c>true</c>.</summary>
    internal sealed class LiteralNode : Node
    {
        public LiteralNode(Number value, int start, int length) : base(start, length) => Value = value;

        public Number Value { get; }

        public override Number Evaluate(IReadOnlyDictionary<string, Number> names) => Value;

        public override IEnumerable<Node> Children => Enumerable.Empty<Node>();
    }

    /// <summary>A parameter (or <c>in</c>, <c>last</c>, ...).</summary>
    internal sealed class NameNode : Node
    {
        public NameNode(string name, int start) : base(start, name.Length) => Name = name;

        public string Name { get; }

        public override Number Evaluate(IReadOnlyDictionary<string, Number> names)
        {
            if (!names.TryGetValue(Name, out var value)) throw new ExpressionException(Start, Length, UnknownName(Name, names.Keys));
            if (value.Refusal is { } why) throw new ExpressionException(Start, Length, why);
            // A layer kind is no number: it is used by [LayerKind] or passed on, as the whole argument, to a block's layer parameter.
            if (value.IsLayer) throw new ExpressionException(Start, Length, LayerNotNumber(Name, value.Layer!));
            return value;
        }

        public static string LayerNotNumber(string name, string kind) =>
            $"'{name}' is a layer kind ({kind}), not a number: use it as [LayerKind(\"{name}\")] or pass it on whole to a block's layer parameter";

        public static string UnknownName(string name, IEnumerable<string> known) =>
            Parser.PythonHint(name) is { } hint ? hint : $"unknown name '{name}' (known: {string.Join(", ", known)})";

        public override IEnumerable<Node> Children => Enumerable.Empty<Node>();
    }

    /// <summary><c>-x</c>, <c>+x</c>, <c>!x</c>.</summary>
    internal sealed class UnaryNode(string op, Node operand, int start) : Node(start, operand.Start + operand.Length - start)
    {
        public string Op { get; } = op;

        public Node Operand { get; } = operand;

        public override Number Evaluate(IReadOnlyDictionary<string, Number> names)
        {
            var v = Operand.Evaluate(names);
            return Op switch
            {
                "-" => Number.Of(-v.Value, v.IsReal),
                "!" => Number.Bool(!v.IsTrue),
                _ => v,
            };
        }

        public override IEnumerable<Node> Children => new[] { Operand };
    }

    /// <summary>
    /// <c>a op b op c ...</c> for the left-associative operators of one precedence: <c>||</c>, <c>&amp;&amp;</c>,
    /// <c>+ -</c>, <c>* / // %</c>. <c>&amp;&amp;</c> and <c>||</c> stop at the first operand that decides them.
    /// </summary>
    internal sealed class ChainNode : Node
    {
        public ChainNode(Node first, IReadOnlyList<(Token Op, Node Operand)> rest)
            : base(first.Start, rest[rest.Count - 1].Operand.Start + rest[rest.Count - 1].Operand.Length - first.Start)
        {
            First = first;
            Rest = rest;
        }

        public Node First { get; }

        public IReadOnlyList<(Token Op, Node Operand)> Rest { get; }

        public override IEnumerable<Node> Children => new[] { First }.Concat(Rest.Select(r => r.Operand));

        public override Number Evaluate(IReadOnlyDictionary<string, Number> names)
        {
            var left = First.Evaluate(names);
            foreach (var (op, operand) in Rest)
            {
                switch (op.Text)
                {
                    case "&&":
                        if (!left.IsTrue) return Number.Bool(false);
                        left = Number.Bool(operand.Evaluate(names).IsTrue);
                        break;
                    case "||":
                        if (left.IsTrue) return Number.Bool(true);
                        left = Number.Bool(operand.Evaluate(names).IsTrue);
                        break;
                    default:
                        left = Checked(Arithmetic(op, left, operand.Evaluate(names)), op.Start, op.Text.Length);
                        break;
                }
            }
            return left;
        }

        /// <summary>
        /// Integers stay integers under <c>+ - * // %</c>, and under <c>/</c>, which rounds down when both sides are
        /// integers (so <c>in / 2</c> is a channel count, as it always was); a real on either side makes the result real.
        /// <c>//</c> and <c>%</c> are Python's: they round towards minus infinity, and <c>a == (a // b) * b + a % b</c>.
        /// </summary>
        private static Number Arithmetic(Token op, Number a, Number b)
        {
            bool real = a.IsReal || b.IsReal;
            switch (op.Text)
            {
                case "+": return Number.Of(a.Value + b.Value, real);
                case "-": return Number.Of(a.Value - b.Value, real);
                case "*": return Number.Of(a.Value * b.Value, real);
            }
            if (b.Value == 0) throw new ExpressionException(op.Start, op.Text.Length, "division by zero");
            return op.Text switch
            {
                "/" => real ? Number.Real(a.Value / b.Value) : Number.Integer(Math.Floor(a.Value / b.Value)),
                "//" => Number.Of(Math.Floor(a.Value / b.Value), real),
                _ => Number.Of(a.Value - b.Value * Math.Floor(a.Value / b.Value), real),
            };
        }
    }

    /// <summary><c>a &lt; b</c>, <c>a == b</c>: 1 or 0. Comparisons do not chain (<c>a &lt; b &lt; c</c> is an error).</summary>
    internal sealed class CompareNode(Node left, Token op, Node right) : Node(left.Start, right.Start + right.Length - left.Start)
    {
        public Node Left { get; } = left;

        public Token Op { get; } = op;

        public Node Right { get; } = right;

        public override IEnumerable<Node> Children => new[] { Left, Right };

        public override Number Evaluate(IReadOnlyDictionary<string, Number> names)
        {
            double a = Left.Evaluate(names).Value, b = Right.Evaluate(names).Value;
            return Number.Bool(Op.Text switch
            {
                "==" => a == b,
                "!=" => a != b,
                "<" => a < b,
                "<=" => a <= b,
                ">" => a > b,
                _ => a >= b,
            });
        }
    }

    /// <summary><c>c ? a : b</c>: evaluates only the side it takes.</summary>
    internal sealed class ConditionalNode(Node condition, Node whenTrue, Node whenFalse) : Node(condition.Start, whenFalse.Start + whenFalse.Length - condition.Start)
    {
        public Node Condition { get; } = condition;

        public Node WhenTrue { get; } = whenTrue;

        public Node WhenFalse { get; } = whenFalse;

        public override IEnumerable<Node> Children => new[] { Condition, WhenTrue, WhenFalse };

        public override Number Evaluate(IReadOnlyDictionary<string, Number> names) =>
            Condition.Evaluate(names).IsTrue ? WhenTrue.Evaluate(names) : WhenFalse.Evaluate(names);
    }

    /// <summary><c>min(a, b)</c>, <c>make_divisible(c * 0.25, 8)</c>: a call of one of <see cref="Functions.All"/>.</summary>
    internal sealed class CallNode(Function function, IReadOnlyList<Node> arguments, int start, int end) : Node(start, end - start)
    {
        public Function Function { get; } = function;

        public IReadOnlyList<Node> Arguments { get; } = arguments;

        public override IEnumerable<Node> Children => Arguments;

        public override Number Evaluate(IReadOnlyDictionary<string, Number> names)
        {
            var values = Arguments.Select(a => a.Evaluate(names)).ToArray();
            try
            {
                return Checked(Function.Apply(values), Start, Length);
            }
            catch (ExpressionException e) when (e.Start == 0 && e.Length == 0)
            {
                throw new ExpressionException(Start, Length, e.Message);
            }
        }
    }
}
