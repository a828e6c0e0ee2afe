using System.Globalization;
using Dsl.Generator.Blocks;
using Dsl.Generator.Blocks.Language;
using Microsoft.CodeAnalysis;

namespace Dsl.Generator.Layers
{
    /// <summary>
    /// A problem an <see cref="AttributeReader"/> found: its message and where it is written: the attribute's argument
    /// (<c>"With"</c>, a constructor parameter's name; null: the whole attribute) and the piece of that argument's string
    /// (<see cref="Start"/>, <see cref="Length"/>; -1: all of it). <see cref="Replacement"/>: the name a code fix puts there.
    /// </summary>
    internal sealed record ReaderError(string Message, string? Argument, int Start = -1, int Length = 0, string? Replacement = null)
    {
        public override string ToString() => Message;
    }

    /// <summary>
    /// Reads one attribute's arguments. Defaults are written once, in each kind's <c>Read</c>, and a test compares
    /// them with the attribute classes' own defaults (by reflection), so the two cannot drift apart.
    /// Inside a block, an argument may be an expression over the block's parameters (a string constructor argument, or
    /// an entry of the attribute's <c>With</c>); the reader evaluates it with the use's values and collects what fails
    /// in <see cref="Errors"/> (the argument then reads as its default).
    /// </summary>
    internal sealed class AttributeReader
    {
        private static readonly IReadOnlyDictionary<string, Number> NoNames = new Dictionary<string, Number>();

        private readonly RawAttribute _attribute;
        private readonly IReadOnlyDictionary<string, Number> _names;
        private readonly Dictionary<string, Segment> _with = new(StringComparer.OrdinalIgnoreCase);

        public AttributeReader(AttributeData attribute, INamedTypeSymbol? network = null) : this(RawAttribute.From(attribute, network), NoNames) { }

        /// <param name="attribute">The attribute as written.</param>
        /// <param name="names">The values expressions may read (a block's parameters and <c>in</c>).</param>
        public AttributeReader(RawAttribute attribute, IReadOnlyDictionary<string, Number> names)
        {
            _attribute = attribute;
            _names = names;
            if (attribute.With is { } with)
            {
                var entries = WithEntries(attribute, with, out var problems);
                foreach (var entry in entries)
                {
                    if (entry.Argument is { } argument) _with[argument] = entry.Expression;
                }
                Errors.AddRange(problems);
            }
        }

        /// <summary>One entry of a With: the argument it sets (null when it names none) and its expression, with where each is in the With.</summary>
        internal readonly struct WithEntry(Segment name, string? argument, Segment expression)
        {
            public Segment Name { get; } = name;

            public string? Argument { get; } = argument;

            public Segment Expression { get; } = expression;
        }

        /// <summary>
        /// The entries of a With (<c>"Stride = s; Groups = max(c / 4, 1)"</c>), separated by ';' or ',' outside parentheses,
        /// and what is wrong with them: an entry that is not <c>argument = expression</c>, and an argument the attribute does
        /// not have (with its arguments, nearest first).
        /// </summary>
        internal static List<WithEntry> WithEntries(RawAttribute attribute, string with, out List<ReaderError> problems)
        {
            var entries = new List<WithEntry>();
            problems = new List<ReaderError>();
            foreach (var part in Expression.Split(with, ";,"))
            {
                if (part.Text.Length == 0) continue;
                if (!Expression.TrySplitAssignment(part, out var name, out var expression) || !Expression.IsName(name.Text))
                {
                    problems.Add(new ReaderError($"With: '{part.Text}' is not 'argument = expression'", "With", part.Start, part.Text.Length));
                    continue;
                }
                string? argument = Settable(attribute).FirstOrDefault(n => string.Equals(n, name.Text, StringComparison.OrdinalIgnoreCase));
                if (argument is null)
                {
                    var nearest = Model.Nearest.Order(name.Text, Settable(attribute));
                    problems.Add(new ReaderError($"With: [{attribute.Display}] has no argument '{name.Text}'; its arguments, nearest first: {string.Join(", ", nearest)}",
                        "With", name.Start, name.Text.Length, nearest.FirstOrDefault()));
                }
                entries.Add(new WithEntry(name, argument, expression));
            }
            return entries;
        }

        /// <summary>What a With may set on <paramref name="attribute"/>; the constructor's parameter names when the attribute came without its class's list.</summary>
        private static IEnumerable<string> Settable(RawAttribute attribute) =>
            attribute.Settable.Count > 0 ? attribute.Settable : attribute.ParameterNames;

        /// <summary>The expression that sets <paramref name="argument"/> (its With entry or a string constructor argument), if any.</summary>
        public string? ExpressionOf(string argument)
        {
            if (_with.TryGetValue(argument, out var e)) return e.Text;
            for (int i = 0; i < _attribute.ParameterNames.Count; i++)
            {
                if (string.Equals(_attribute.ParameterNames[i], argument, StringComparison.OrdinalIgnoreCase) && Argument(i) is string text) return text;
            }
            return null;
        }

        /// <summary>The With entry's expression that sets <paramref name="argument"/>, with where it is in the With; null when no entry does.</summary>
        public Segment? WithExpression(string argument) => _with.TryGetValue(argument, out var e) ? e : null;

        /// <summary>The attribute as written.</summary>
        public RawAttribute Raw => _attribute;

        /// <summary>The values expressions may read here.</summary>
        public IReadOnlyDictionary<string, Number> Names => _names;

        /// <summary>Expressions that could not be evaluated, and With entries that name no argument, each where it is written.</summary>
        public List<ReaderError> Errors { get; } = new();

        /// <summary>The optional <c>Name</c> every layer attribute has.</summary>
        public string? Name => _attribute.Name;

        /// <summary>Constructor argument <paramref name="index"/> as an int (0 when missing).</summary>
        public int Int(int index) => Int(index, 0);

        /// <summary>Constructor argument <paramref name="index"/>, or <paramref name="fallback"/> for an optional parameter left out.</summary>
        public int Int(int index, int fallback) =>
            Evaluated(ParameterName(index)) is { } v ? ToInt(ParameterName(index)!, v, fallback)
            : Argument(index) switch
            {
                int value => value,
                string text => Evaluate(ParameterName(index) ?? "argument " + index, new Segment(text, 0), ParameterName(index)) is { } v2 ? ToInt(ParameterName(index) ?? "argument", v2, fallback) : fallback,
                _ => fallback,
            };

        public double Double(int index, double fallback) =>
            Evaluated(ParameterName(index)) ?? Argument(index) switch
            {
                string text => Evaluate(ParameterName(index) ?? "argument " + index, new Segment(text, 0), ParameterName(index)) ?? fallback,
                { } value when value is not bool => System.Convert.ToDouble(value, CultureInfo.InvariantCulture),
                _ => fallback,
            };

        /// <summary>A property set with <c>Name = value</c>, or <paramref name="fallback"/> (the attribute's default).</summary>
        public T Named<T>(string name, T fallback)
        {
            if (Evaluated(name) is { } v)
            {
                object converted = typeof(T) == typeof(int) ? ToInt(name, v, 0)
                    : typeof(T) == typeof(bool) ? v != 0
                    : typeof(T) == typeof(double) ? v
                    : (object?)null!;
                return converted is T typed ? typed : fallback;
            }
            return _attribute.NamedValue(name)?.Value is T value ? value : fallback;
        }

        /// <summary>
        /// A size per spatial dimension written as a string: <c>"1, 7"</c> (height, width) or one value for all
        /// <paramref name="rank"/> dimensions, each piece an expression (inside a block, over its parameters). Read from
        /// constructor argument <paramref name="index"/>, or the property <paramref name="argument"/> when the index is
        /// null. Null when no string is written there, or when a piece is wrong (then in <see cref="Errors"/>, at the piece).
        /// </summary>
        public int[]? Axes(string argument, int? index, int rank)
        {
            string? text = index is int i ? Argument(i) as string : _attribute.NamedValue(argument)?.Value as string;
            if (text is null) return null;
            var parts = Expression.Split(text, ",");
            if (parts.Count != 1 && parts.Count != rank)
            {
                Errors.Add(new ReaderError($"{argument} = \"{text}\" has {parts.Count} values; write {rank} (height, width) or one for every dimension", argument));
                return null;
            }
            var values = new int[parts.Count];
            for (int k = 0; k < parts.Count; k++)
            {
                int before = Errors.Count;
                if (Evaluate(argument, parts[k], argument) is not { } v) return null;
                values[k] = ToInt(argument, v, 0);
                if (Errors.Count > before) return null;
            }
            return parts.Count == 1 ? Enumerable.Repeat(values[0], rank).ToArray() : values;
        }

        private object? Argument(int index) => index < _attribute.Arguments.Count ? _attribute.Arguments[index].Value : null;

        private string? ParameterName(int index) => index < _attribute.ParameterNames.Count ? _attribute.ParameterNames[index] : null;

        private double? Evaluated(string? argument) =>
            argument is not null && _with.TryGetValue(argument, out var text) ? Evaluate(argument, text, "With") : null;

        /// <summary>How many expressions this reader has evaluated (they count in the declaration's work budget).</summary>
        public int Evaluations { get; private set; }

        /// <summary>Evaluates <paramref name="text"/> with the values expressions may read here, counting it in <see cref="Evaluations"/>.</summary>
        public Number? Evaluate(string text, out ExpressionError? error)
        {
            Evaluations++;
            return Expression.Evaluate(text, _names, out error);
        }

        /// <param name="argument">The argument the value is for (as messages name it).</param>
        /// <param name="text">The expression, and where it starts in the string it is written in.</param>
        /// <param name="writtenIn">The attribute argument that string is (<c>"With"</c>, a constructor parameter's name).</param>
        private double? Evaluate(string argument, Segment text, string? writtenIn)
        {
            var value = Evaluate(text.Text, out var error);
            if (error is not null)
            {
                Errors.Add(new ReaderError(argument + " = " + error.Message, writtenIn, text.Start + error.Start, error.Length));
                return null;
            }
            _last = (writtenIn, text);
            return value!.Value.Value;
        }

        /// <summary>Where the expression evaluated last is written (a value that is not a whole number is reported there).</summary>
        private (string? WrittenIn, Segment Text) _last;

        private int ToInt(string argument, double value, int fallback)
        {
            if (value == Math.Floor(value) && value >= int.MinValue && value <= int.MaxValue) return (int)value;
            Errors.Add(new ReaderError($"{argument} is {value.ToString(CultureInfo.InvariantCulture)}, which is not a whole number in range", _last.WrittenIn, _last.Text.Start, _last.Text.Text.Length));
            return fallback;
        }
    }
}
