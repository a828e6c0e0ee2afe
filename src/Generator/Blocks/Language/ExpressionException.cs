
namespace Dsl.Generator.Blocks.Language
{
    /// <summary>
    /// A problem with an expression at a place in its text (<see cref="Start"/>, 0-based, and <see cref="Length"/>).
    /// Thrown inside the tokenizer, parser and evaluator only; <see cref="Expression"/>'s entry points catch it and
    /// return it as an <see cref="ExpressionError"/>, so the generator never throws.
    /// </summary>
    internal sealed class ExpressionException : Exception
    {
        public ExpressionException(int start, int length, string what) : base(what)
        {
            Start = start;
            Length = Math.Max(length, 0);
        }

        public int Start { get; }

        public int Length { get; }
    }

    /// <summary>
    /// What is wrong with an expression and where: <see cref="Start"/> and <see cref="Length"/> in the expression's
    /// text (0-based; the message says the 1-based column).
    /// </summary>
    internal sealed record ExpressionError(string Text, int Start, int Length, string What)
    {
        /// <summary><c>'c +' at column 4: the expression ends too early</c>.</summary>
        public string Message => $"'{Text}' at column {Start + 1}: {What}";

        public override string ToString() => Message;
    }
}
