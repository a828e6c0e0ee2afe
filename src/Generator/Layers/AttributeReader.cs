using System;
using System.Collections.Generic;
using System.Globalization;
using Dsl.Generator.Blocks;
using Microsoft.CodeAnalysis;

namespace Dsl.Generator.Layers
{
    /// <summary>
    /// Reads one attribute's arguments. Defaults are written once, in each kind's <c>Read</c>, and a test compares
    /// them with the attribute classes' own defaults (by reflection), so the two cannot drift apart.
    /// Inside a block, an argument may be an expression over the block's parameters (a string constructor argument, or
    /// an entry of the attribute's <c>With</c>); the reader evaluates it with the use's values and collects what fails
    /// in <see cref="Errors"/> (the argument then reads as its default).
    /// </summary>
    internal sealed class AttributeReader
    {
        private static readonly IReadOnlyDictionary<string, double> NoNames = new Dictionary<string, double>();

        private readonly RawAttribute _attribute;
        private readonly IReadOnlyDictionary<string, double> _names;
        private readonly Dictionary<string, string> _with = new(StringComparer.OrdinalIgnoreCase);

        public AttributeReader(AttributeData attribute, INamedTypeSymbol? network = null) : this(RawAttribute.From(attribute, network), NoNames) { }

        /// <param name="attribute">The attribute as written.</param>
        /// <param name="names">The values expressions may read (a block's parameters and <c>in</c>).</param>
        public AttributeReader(RawAttribute attribute, IReadOnlyDictionary<string, double> names)
        {
            _attribute = attribute;
            _names = names;
            if (attribute.With is { } with)
            {
                foreach (var part in SplitEntries(with))
                {
                    if (part.Trim().Length == 0) continue;
                    int eq = part.IndexOf('=');
                    if (eq <= 0 || (eq + 1 < part.Length && part[eq + 1] == '='))
                    {
                        Errors.Add($"With: '{part.Trim()}' is not 'argument = expression'");
                        continue;
                    }
                    string argument = part.Substring(0, eq).Trim();
                    if (!IsArgument(argument)) Errors.Add($"With: '{argument}' is not an argument of [{attribute.Display}]");
                    else _with[argument] = part.Substring(eq + 1).Trim();
                }
            }
        }

        /// <summary>
        /// The entries of a With, separated by ';' or ',' outside parentheses: the comma of <c>max(a, b)</c> belongs
        /// to the expression (<c>"OutChannels = max(in / 4, 8), Stride = 2"</c> has two entries).
        /// </summary>
        private static IEnumerable<string> SplitEntries(string with)
        {
            int depth = 0, start = 0;
            for (int i = 0; i < with.Length; i++)
            {
                char c = with[i];
                if (c == '(') depth++;
                else if (c == ')' && depth > 0) depth--;
                else if ((c == ';' || c == ',') && depth == 0)
                {
                    yield return with.Substring(start, i - start);
                    start = i + 1;
                }
            }
            yield return with.Substring(start);
        }

        /// <summary>The expression that sets <paramref name="argument"/> (its With entry or a string constructor argument), if any.</summary>
        public string? ExpressionOf(string argument)
        {
            if (_with.TryGetValue(argument, out var e)) return e;
            for (int i = 0; i < _attribute.ParameterNames.Count; i++)
            {
                if (string.Equals(_attribute.ParameterNames[i], argument, StringComparison.OrdinalIgnoreCase) && Argument(i) is string text) return text;
            }
            return null;
        }

        /// <summary>The attribute as written.</summary>
        public RawAttribute Raw => _attribute;

        /// <summary>The values expressions may read here.</summary>
        public IReadOnlyDictionary<string, double> Names => _names;

        /// <summary>Expressions that could not be evaluated, and With entries that name no argument.</summary>
        public List<string> Errors { get; } = new();

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
                string text => Evaluate(ParameterName(index) ?? "argument " + index, text) is { } v2 ? ToInt(ParameterName(index) ?? "argument", v2, fallback) : fallback,
                _ => fallback,
            };

        public double Double(int index, double fallback) =>
            Evaluated(ParameterName(index)) ?? Argument(index) switch
            {
                string text => Evaluate(ParameterName(index) ?? "argument " + index, text) ?? fallback,
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

        private object? Argument(int index) => index < _attribute.Arguments.Count ? _attribute.Arguments[index].Value : null;

        private string? ParameterName(int index) => index < _attribute.ParameterNames.Count ? _attribute.ParameterNames[index] : null;

        private bool IsArgument(string name)
        {
            foreach (var p in _attribute.ParameterNames) if (string.Equals(p, name, StringComparison.OrdinalIgnoreCase)) return true;
            // Properties cannot be listed without the symbol: any identifier-like name is accepted, an unused one is harmless.
            return Expression.IsName(name);
        }

        private double? Evaluated(string? argument) =>
            argument is not null && _with.TryGetValue(argument, out var text) ? Evaluate(argument, text) : null;

        /// <summary>How many expressions this reader has evaluated (they count in the declaration's work budget).</summary>
        public int Evaluations { get; private set; }

        /// <summary>Evaluates <paramref name="text"/> with the values expressions may read here, counting it in <see cref="Evaluations"/>.</summary>
        public double? Evaluate(string text, out string? error)
        {
            Evaluations++;
            return Expression.Evaluate(text, _names, out error);
        }

        private double? Evaluate(string argument, string text)
        {
            var value = Evaluate(text, out var error);
            if (error is not null) Errors.Add(argument + " = " + error);
            return value;
        }

        private int ToInt(string argument, double value, int fallback)
        {
            if (value == Math.Floor(value) && value >= int.MinValue && value <= int.MaxValue) return (int)value;
            Errors.Add($"{argument} is {value.ToString(CultureInfo.InvariantCulture)}, which is not a whole number in range");
            return fallback;
        }
    }
}
