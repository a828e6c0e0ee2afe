using System.Collections.Generic;
using System.Linq;
using Dsl.Generator.Blocks;
using Dsl.Generator.Blocks.Language;
using Xunit;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// The block language on its own: values and their types, precedence and associativity, short-circuit evaluation,
    /// the functions (make_divisible against torchvision 0.14's _make_divisible, values printed by it), each error with
    /// its column, the nesting limit and the one splitter. Expected values are Python's (the language follows it where
    /// it says so).
    /// </summary>
    public class ExpressionLanguageTests
    {
        private static readonly Dictionary<string, Number> Names = new()
        {
            ["c"] = Number.Integer(64),
            ["k"] = Number.Integer(0),
            ["p"] = Number.Real(0.1),
        };

        private static Number Value(string text)
        {
            var value = Expression.Evaluate(text, Names, out var error);
            Assert.True(error is null, error?.Message);
            return value!.Value;
        }

        private static void Integer(string text, long expected)
        {
            var v = Value(text);
            Assert.False(v.IsReal, $"'{text}' is {v}, a real");
            Assert.Equal(expected, v.Value);
        }

        private static void Real(string text, double expected)
        {
            var v = Value(text);
            Assert.True(v.IsReal, $"'{text}' is {v}, an integer");
            Assert.Equal(expected, v.Value, 12);
        }

        private static void Error(string text, int column, string what)
        {
            var value = Expression.Evaluate(text, Names, out var error);
            Assert.Null(value);
            Assert.NotNull(error);
            Assert.Equal($"'{text}' at column {column}: {what}", error!.Message);
            Assert.Equal(column - 1, error.Start);
        }

        // ---- values and types ---------------------------------------------------------------------------------------------

        [Theory]
        [InlineData("7 / 2", 3)]            // two integers: / rounds down (the language's channel arithmetic)
        [InlineData("-7 / 2", -4)]          // ... towards minus infinity, as //
        [InlineData("7 // 2", 3)]
        [InlineData("-7 // 2", -4)]
        [InlineData("-7 % 3", 2)]           // Python's %: the sign of the divisor
        [InlineData("7 % -3", -2)]
        [InlineData("c / 4 * 3", 48)]
        [InlineData("true + true", 2)]
        public void Integer_arithmetic_stays_integer(string text, long expected) => Integer(text, expected);

        [Theory]
        [InlineData("7 / 2.0", 3.5)]        // a real on either side: exact division
        [InlineData("7.0 / 2", 3.5)]
        [InlineData("7.5 // 2", 3.0)]       // // of a real is a real, rounded down (Python: 3.0)
        [InlineData("7.5 % 2", 1.5)]
        [InlineData("p * 3 / 17", 0.3 / 17)]
        [InlineData("0.1 * 3 / 17", 0.3 / 17)]
        [InlineData(".5 + 2.", 2.5)]
        [InlineData("1e-3 * 2", 0.002)]
        [InlineData("float(7) / 2", 3.5)]
        public void A_real_makes_the_result_real(string text, double expected) => Real(text, expected);

        // ---- precedence and associativity ----------------------------------------------------------------------------------

        [Theory]
        [InlineData("2 + 3 * 4", 14)]
        [InlineData("(2 + 3) * 4", 20)]
        [InlineData("10 - 4 - 3", 3)]            // left-associative
        [InlineData("64 / 4 / 2", 8)]
        [InlineData("2 * 3 % 4", 2)]             // * and % are one level, left to right
        [InlineData("-2 * 3", -6)]
        [InlineData("- -2", 2)]
        [InlineData("!3 == 0", 1)]               // unary binds tighter than ==
        [InlineData("1 + 2 == 3", 1)]
        [InlineData("1 < 2 == 2 < 3", 1)]        // relations bind tighter than equality
        [InlineData("1 || 0 && 0", 1)]           // && binds tighter than ||
        [InlineData("0 && 1 || 1", 1)]
        [InlineData("0 ? 1 : 0 ? 2 : 3", 3)]     // ?: is right-associative
        [InlineData("1 ? 0 ? 4 : 5 : 6", 5)]
        [InlineData("1 + 1 ? 7 : 8", 7)]         // ?: is the lowest
        [InlineData("c >= 64 && c < 65", 1)]
        public void Precedence_and_associativity(string text, long expected) => Integer(text, expected);

        // ---- short circuit ------------------------------------------------------------------------------------------------

        [Theory]
        [InlineData("k != 0 && 12 / k >= 1", 0)]     // issue: && evaluated both sides and reported a division by zero
        [InlineData("k == 0 || 12 / k > 1", 1)]
        [InlineData("k == 0 ? 1 : 12 / k", 1)]
        [InlineData("k != 0 ? 12 / k : 5", 5)]
        [InlineData("k != 0 && min(1, 12 % k) || 2 > 1", 1)]
        public void And_or_and_conditional_evaluate_only_what_they_need(string text, long expected) => Integer(text, expected);

        // ---- functions ----------------------------------------------------------------------------------------------------

        [Theory]
        [InlineData("min(3, 1, 2)", 1)]
        [InlineData("max(3, 1, 2)", 3)]
        [InlineData("min(2, 2.0)", 2)]           // the first of equal ones, with its type
        [InlineData("round(2.5)", 2)]            // Python's round: halves to even
        [InlineData("round(3.5)", 4)]
        [InlineData("round(-2.5)", -2)]
        [InlineData("floor(-2.5)", -3)]
        [InlineData("ceil(2.1)", 3)]
        [InlineData("int(-2.7)", -2)]
        [InlineData("int(c * 0.75)", 48)]
        // torchvision 0.14's _make_divisible printed these (torchvision.models._utils):
        [InlineData("make_divisible(32 * 1.0, 8)", 32)]
        [InlineData("make_divisible(16 * 0.75, 8)", 16)]
        [InlineData("make_divisible(40 * 0.25, 8)", 16)]        // rounding down went below 90%: one divisor more
        [InlineData("make_divisible(72 // 4, 8)", 24)]          // MobileNetV3's squeeze channels
        [InlineData("make_divisible(960 // 4, 8)", 240)]
        [InlineData("make_divisible(3, 8, 1)", 9)]
        [InlineData("make_divisible(100, 8, 64)", 104)]
        [InlineData("make_divisible(24 * 1.1, 8)", 24)]
        public void Function_values(string text, long expected) => Integer(text, expected);

        [Fact]
        public void Max_of_an_integer_and_a_real_is_the_larger_with_its_type() => Real("max(2, 3.0)", 3.0);

        [Fact]
        public void The_functions_are_one_list_that_messages_name() =>
            Assert.Equal("ceil, float, floor, int, make_divisible, max, min, round", Functions.Names);

        // ---- errors, each with its column ----------------------------------------------------------------------------------

        [Theory]
        [InlineData("c +", 4, "the expression ends too early")]
        [InlineData("", 1, "the expression is empty")]
        [InlineData("(1 + 2", 7, "'(' at column 1 is not closed: ')' expected, not the end")]
        [InlineData("1 + 2)", 6, "')' without a matching '('")]
        [InlineData("1 2", 3, "unexpected '2' after a complete expression; join them with an operator")]
        [InlineData("c ? 1", 6, "'?' at column 3 needs ':' and the value when the condition is false, here, not the end")]
        [InlineData("* 2", 1, "a value is expected, not '*'")]
        [InlineData("1 < 2 < 3", 7, "comparisons do not chain: write 'a < b && b < c' for Python's 'a < b < c'")]
        [InlineData("1 == 1 == 1", 8, "comparisons do not chain: write 'a == b && b == c' for Python's 'a == b == c'")]
        [InlineData("2x", 1, "'2x' is not a number")]
        [InlineData("1e", 1, "'1e' is not a number")]
        [InlineData("1.2.3", 1, "'1.2.3' is not a number")]
        [InlineData("c $ 2", 3, "unexpected character '$'")]
        [InlineData("9007199254740993", 1, "the integer is beyond 2^53, the largest the language holds exactly")]
        public void Syntax_errors(string text, int column, string what) => Error(text, column, what);

        [Theory]
        [InlineData("2 ** 3", 3, "'**' is not an operator (there is no power operator): multiply, as in 'a * a'")]
        [InlineData("c & 1", 3, "'&' is not an operator: write '&&' for 'and'")]
        [InlineData("c | 1", 3, "'|' is not an operator: write '||' for 'or'")]
        [InlineData("c = 1", 3, "'=' is not an operator in an expression: compare with '=='")]
        [InlineData("c ^ 2", 3, "'^' is not an operator (there is no power or exclusive or): multiply, as in 'a * a'")]
        [InlineData("c and k", 3, "'and' is Python's spelling: write '&&'")]
        [InlineData("c or k", 3, "'or' is Python's spelling: write '||'")]
        [InlineData("not c", 1, "'not' is Python's spelling: write '!'")]
        [InlineData("c if k else 1", 3, "Python's 'a if c else b' is written 'c ? a : b'")]
        [InlineData("True", 1, "'True' is Python's spelling: write 'true' (or 1)")]
        [InlineData("None", 1, "there is no None: a parameter always has a number")]
        [InlineData("math.floor(p)", 5, "'.' here is not part of a number: names have no members (write floor(x), not math.floor(x))")]
        [InlineData("'a'", 1, "there are no strings in expressions: write a number or a name")]
        public void Python_and_C_spellings_get_a_hint(string text, int column, string what) => Error(text, column, what);

        [Theory]
        [InlineData("pow(2, 3)", 1, "unknown function 'pow' (the functions are ceil, float, floor, int, make_divisible, max, min, round)")]
        [InlineData("c(2)", 1, "unknown function 'c' (the functions are ceil, float, floor, int, make_divisible, max, min, round)")]
        [InlineData("min(1)", 1, "min takes at least 2 arguments, not 1: min(a, b, ...)")]
        [InlineData("min()", 1, "min takes at least 2 arguments, not 0: min(a, b, ...)")]
        [InlineData("1 + round(1, 2)", 5, "round takes 1 argument, not 2: round(x)")]
        [InlineData("make_divisible(1)", 1, "make_divisible takes 2 or 3 arguments, not 1: make_divisible(value, divisor[, min_value])")]
        [InlineData("max", 1, "'max' is a function: call it, max(a, b, ...)")]
        [InlineData("min(1, 2", 9, "'(' at column 4 is not closed: ')' or ',' expected, not the end")]
        public void Function_errors(string text, int column, string what) => Error(text, column, what);

        [Theory]
        [InlineData("c + d", 5, "unknown name 'd' (known: c, k, p)")]
        [InlineData("1 / 0", 3, "division by zero")]
        [InlineData("c // (k * 2)", 3, "division by zero")]
        [InlineData("c % k", 3, "division by zero")]
        [InlineData("k == 0 && c / k", 13, "division by zero")]
        [InlineData("make_divisible(c, k)", 1, "make_divisible's divisor must be above 0, not 0")]
        [InlineData("9007199254740992 * 2", 18, "the integer is beyond 2^53, the largest the language holds exactly")]
        [InlineData("1e308 * 10", 7, "the value is not a finite number")]
        public void Evaluation_errors(string text, int column, string what) => Error(text, column, what);

        // ---- nesting: each parenthesis, unary operator, conditional and call counts once ------------------------------------

        [Fact]
        public void A_hundred_parentheses_are_fine_and_the_hundred_and_first_is_reported_where_it_opens()
        {
            Integer(new string('(', 100) + "1" + new string(')', 100), 1);
            Error(new string('(', 101) + "1" + new string(')', 101), 101, "nested more than 100 deep");
        }

        [Fact]
        public void A_hundred_unary_minuses_are_fine() => Integer(new string('-', 100) + "1", 1);

        [Fact]
        public void Calls_count_once_each() => Error(string.Concat(Enumerable.Repeat("min(1, ", 101)) + "1" + new string(')', 101), 99 * 7 + 4 + 7, "nested more than 100 deep");

        [Fact]
        public void A_long_sum_is_no_nesting() => Integer(string.Join(" + ", Enumerable.Repeat("1", 20000)), 20000);

        // ---- static checks and the one splitter ------------------------------------------------------------------------------

        [Fact]
        public void Check_reports_an_unknown_name_without_values()
        {
            var error = Expression.Check("in * expand + e", new[] { "in", "last", "expand" });
            Assert.Equal("'in * expand + e' at column 15: unknown name 'e' (known: in, last, expand)", error!.Message);
            Assert.Null(Expression.Check("k != 0 && 12 / k > 1", new[] { "k" }));   // no value is computed: no division by zero
        }

        [Fact]
        public void Split_cuts_only_outside_parentheses_and_keeps_where_each_part_starts()
        {
            var parts = Expression.Split("OutChannels = max(c / 2, 1), Padding = min(c, 1);  Stride = 2", ";,");
            Assert.Equal(new[] { "OutChannels = max(c / 2, 1)", "Padding = min(c, 1)", "Stride = 2" }, parts.Select(p => p.Text));
            Assert.Equal(new[] { 0, 29, 51 }, parts.Select(p => p.Start));
            Assert.Equal(new[] { "c * 2", "h / 2", "" }, Expression.Split("c * 2, h / 2,", ",").Select(p => p.Text));
        }

        [Theory]
        [InlineData("stride = 2", "stride", 0, "2", 9)]
        [InlineData(" x=a <= b", "x", 1, "a <= b", 3)]
        [InlineData("hidden = in == 2 ? 1 : 2", "hidden", 0, "in == 2 ? 1 : 2", 9)]
        public void An_assignment_is_the_first_single_equals_sign(string text, string name, int nameStart, string value, int valueStart)
        {
            Assert.True(Expression.TrySplitAssignment(new Segment(text, 0), out var n, out var v));
            Assert.Equal((name, nameStart, value, valueStart), (n.Text, n.Start, v.Text, v.Start));
        }

        [Theory]
        [InlineData("a == b")]
        [InlineData("a <= b")]
        [InlineData("a != b")]
        [InlineData("a >= b")]
        public void A_comparison_is_no_assignment(string text) => Assert.False(Expression.TrySplitAssignment(new Segment(text, 0), out _, out _));
    }
}
