using System.Globalization;

namespace Dsl.Generator.Blocks.Language
{
    /// <summary>
    /// A value of the block language: an integer or a real. Integers are whole numbers held exactly (up to 2^53, the
    /// range a double holds without loss); a real is any finite double. <c>2</c> is an integer and <c>2.0</c> a real,
    /// which matters for <c>/</c> (see <see cref="Expression"/>).
    /// </summary>
    internal readonly struct Number : IEquatable<Number>
    {
        /// <summary>The largest integer the language holds exactly.</summary>
        public const double MaxInteger = 9007199254740992d;

        private Number(double value, bool isReal, string? layer = null, string? refusal = null)
        {
            Value = value;
            IsReal = isReal;
            Layer = layer;
            Refusal = refusal;
        }

        /// <summary>
        /// Why a name holding this may not be read here (null for any other value): <c>in</c> in a block's layer after one
        /// that changed the channels, whose meaning the writer must make explicit (<c>block_in</c> or <c>layer_in</c>).
        /// </summary>
        public string? Refusal { get; }

        /// <summary>A name that is an error to read, with <paramref name="why"/> as the message.</summary>
        public static Number Refused(string why) => new(double.NaN, false, null, why);

        /// <summary>A layer kind (<c>ReLU</c>, <c>BatchNorm2d</c>): the value of a block's layer parameter; null for a number.</summary>
        public string? Layer { get; }

        public bool IsLayer => Layer is not null;

        /// <summary>The layer kind <paramref name="kind"/> (its attribute's name without "Attribute").</summary>
        public static Number Kind(string kind) => new(double.NaN, false, kind);

        /// <summary>The value as a double (exact for integers).</summary>
        public double Value { get; }

        /// <summary>Whether this is a real (a literal with a '.' or an exponent, or the result of real arithmetic).</summary>
        public bool IsReal { get; }

        public bool IsInteger => !IsReal;

        /// <summary>Zero is false, anything else true (as C and Python).</summary>
        public bool IsTrue => Value != 0;

        public static Number Integer(double value) => new(value, false);

        public static Number Real(double value) => new(value, true);

        public static Number Bool(bool value) => new(value ? 1 : 0, false);

        /// <summary>A value from C#: whole values of integral types are integers, doubles and floats are reals.</summary>
        public static Number Of(double value, bool isReal) => new(value, isReal);

        /// <summary>A block parameter bound from a number without a type (a shape's size): an integer when whole.</summary>
        public static Number Infer(double value) => new(value, !(value == Math.Floor(value) && Math.Abs(value) <= MaxInteger));

        public bool Equals(Number other) => Value.Equals(other.Value) && IsReal == other.IsReal && Layer == other.Layer && Refusal == other.Refusal;

        public override bool Equals(object? obj) => obj is Number n && Equals(n);

        public override int GetHashCode() => Value.GetHashCode() * 2 + (IsReal ? 1 : 0);

        /// <summary>As the language writes it: <c>3</c>, <c>3.0</c>, <c>0.25</c>.</summary>
        public override string ToString()
        {
            if (Layer is not null) return Layer;
            string text = Value.ToString("R", CultureInfo.InvariantCulture);
            return IsReal && text.IndexOfAny(new[] { '.', 'E', 'e', 'N', 'I' }) < 0 ? text + ".0" : text;
        }
    }
}
