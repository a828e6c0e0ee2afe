namespace Dsl.Generator.Blocks.Language
{
    /// <summary>What a token of the block language is.</summary>
    internal enum TokenKind
    {
        /// <summary>An integer (<c>12</c>) or real (<c>0.5</c>, <c>1e-3</c>) literal.</summary>
        Number,

        /// <summary>A parameter, a function or <c>true</c>/<c>false</c>.</summary>
        Name,

        /// <summary>An operator or punctuation: <c>+ - * / // % == != &lt; &lt;= &gt; &gt;= &amp;&amp; || ! ? : ( ) ,</c>.</summary>
        Symbol,

        /// <summary>The end of the text.</summary>
        End,
    }

    /// <summary>One token: its kind, its text and where it starts in the expression (0-based).</summary>
    internal readonly record struct Token(TokenKind Kind, string Text, int Start)
    {
        public bool Is(string symbol) => Kind == TokenKind.Symbol && Text == symbol;

        public override string ToString() => Kind == TokenKind.End ? "the end" : "'" + Text + "'";
    }
}
