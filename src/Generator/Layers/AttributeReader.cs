using System.Globalization;
using Microsoft.CodeAnalysis;

namespace Dsl.Generator.Layers
{
    /// <summary>
    /// Reads one attribute's arguments. Defaults are written once, in each kind's <c>Read</c>, and a test compares
    /// them with the attribute classes' own defaults (by reflection), so the two cannot drift apart.
    /// </summary>
    internal sealed class AttributeReader
    {
        private readonly AttributeData _attribute;

        public AttributeReader(AttributeData attribute) => _attribute = attribute;

        /// <summary>The optional <c>Name</c> every layer attribute has.</summary>
        public string? Name => Named<string?>("Name", null);

        /// <summary>Constructor argument <paramref name="index"/> as an int (0 when missing).</summary>
        public int Int(int index) =>
            index < _attribute.ConstructorArguments.Length && _attribute.ConstructorArguments[index].Value is int value ? value : 0;

        /// <summary>Constructor argument <paramref name="index"/>, or <paramref name="fallback"/> for an optional parameter left out.</summary>
        public int Int(int index, int fallback) =>
            index < _attribute.ConstructorArguments.Length && _attribute.ConstructorArguments[index].Value is int value ? value : fallback;

        public double Double(int index, double fallback) =>
            index < _attribute.ConstructorArguments.Length && _attribute.ConstructorArguments[index].Value is { } value
                ? System.Convert.ToDouble(value, CultureInfo.InvariantCulture)
                : fallback;

        /// <summary>A property set with <c>Name = value</c>, or <paramref name="fallback"/> (the attribute's default).</summary>
        public T Named<T>(string name, T fallback)
        {
            foreach (var pair in _attribute.NamedArguments)
            {
                if (pair.Key == name && pair.Value.Value is T value) return value;
            }
            return fallback;
        }
    }
}
