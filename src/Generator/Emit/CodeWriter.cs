using System.Text;

namespace Dsl.Generator.Emit
{
    /// <summary>A small indenting text writer for generated C#.</summary>
    internal sealed class CodeWriter
    {
        private readonly StringBuilder _text = new();
        private int _indent;

        public CodeWriter Line(string line = "")
        {
            if (line.Length > 0) _text.Append(' ', 4 * _indent).Append(line);
            _text.Append('\n');
            return this;
        }

        /// <summary>Writes <paramref name="header"/>, an opening brace, and indents until the result is disposed.</summary>
        public IDisposable Block(string header)
        {
            Line(header);
            Line("{");
            _indent++;
            return new Closer(this);
        }

        private sealed class Closer : IDisposable
        {
            private readonly CodeWriter _writer;
            public Closer(CodeWriter writer) => _writer = writer;
            public void Dispose()
            {
                _writer._indent--;
                _writer.Line("}");
            }
        }

        public override string ToString() => _text.ToString();
    }
}
