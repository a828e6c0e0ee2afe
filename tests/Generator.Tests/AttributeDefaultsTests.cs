using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using Dsl.Generator.Model;
using Dsl.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// The defaults users read on the attributes (IntelliSense, XML docs) are the defaults the generator builds:
    /// every layer attribute is written with its required arguments only, and every property of the attribute
    /// instance (reflection) must equal the same-named value the parser read.
    /// </summary>
    public class AttributeDefaultsTests
    {
        private static string[] AttributeNames => typeof(LayerAttribute).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(LayerAttribute)) && !t.IsAbstract && !t.IsGenericTypeDefinition).Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray();

        /// <summary>The kinds with defaults of their own ([LayerKind] stands for another kind, read with that kind's defaults).</summary>
        /// <remarks>[Output] and [Merge] take names, not numbers, and build no module: OutputDiagnosticTests and OutputNetworkTests read them.</remarks>
        public static TheoryData<string> LayerAttributes() => new(AttributeNames.Where(n => n is not (nameof(LayerKindAttribute) or nameof(OutputAttribute) or nameof(MergeAttribute))));

        [Fact]
        public void Every_layer_attribute_is_known_to_the_generator() =>
            Assert.All(AttributeNames, name => Assert.True(Layers.LayerRegistry.Readers.ContainsKey(name), name + " is not in the registry"));

        [Fact]
        public void The_registry_collects_every_kind_from_its_file_and_nothing_else()
        {
            // The layer attributes, plus the generic [Use<T>], [Custom<T>] and [Backbone<T>] the reflection above leaves out.
            var expected = AttributeNames.Append("UseAttribute").Append("CustomAttribute").Append("BackboneAttribute").OrderBy(n => n, StringComparer.Ordinal);
            Assert.Equal(expected, Layers.LayerRegistry.Readers.Keys.OrderBy(n => n, StringComparer.Ordinal));
            Assert.Equal(new[] { "ClassTokenAttribute", "PositionEmbeddingAttribute" }, Layers.LayerRegistry.HoldsTensors.OrderBy(n => n, StringComparer.Ordinal));
        }

        [Theory]
        [MemberData(nameof(LayerAttributes))]
        public void Parser_defaults_equal_the_attribute_defaults(string attributeName)
        {
            var type = typeof(LayerAttribute).Assembly.GetTypes().Single(t => t.Name == attributeName);
            // The constant form (a string overload takes an expression inside a block).
            var constructor = type.GetConstructors().Where(c => c.GetParameters().All(p => p.ParameterType != typeof(string)))
                .OrderByDescending(c => c.GetParameters().Count(p => !p.IsOptional)).First();
            // Required arguments get small distinct values; optional ones are left out, so their defaults are checked too.
            // A params array (Permute's dims) gets a valid order of the input's dimensions, written as its items.
            var arguments = constructor.GetParameters()
                .Select((p, i) => p.IsOptional ? p.DefaultValue : p.ParameterType == typeof(double) ? (object)(1.5 + i) : p.ParameterType == typeof(int[]) ? new[] { 0, 2, 3, 1 }
                    : p.ParameterType.IsEnum ? Enum.GetValues(p.ParameterType).GetValue(Enum.GetValues(p.ParameterType).Length - 1) : 3 + i)
                .ToArray();
            var written = constructor.GetParameters().Where(p => !p.IsOptional)
                .Select((p, i) => arguments[i] is int[] items ? string.Join(", ", items)
                    : arguments[i] is Enum e ? e.GetType().Name + "." + e : Convert.ToString(arguments[i], CultureInfo.InvariantCulture));
            var instance = constructor.Invoke(arguments);
            string usage = attributeName.Substring(0, attributeName.Length - "Attribute".Length);
            string source = $"using Dsl; [Input(3, 32, 32)] [{usage}({string.Join(", ", written)})] public partial class Net;";

            var compilation = Harness.Compilation(source);
            var symbol = compilation.GetTypeByMetadataName("Net")!;
            var parsed = SpecParser.Parse(symbol, default);
            var layer = Assert.Single(parsed.Spec!.Layers);

            var read = Values(layer);
            var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name is not ("Name" or "TypeId" or "When" or "With") && !p.Name.EndsWith("Expression", StringComparison.Ordinal)).ToArray();
            foreach (var property in properties)
            {
                Assert.True(read.ContainsKey(property.Name), $"{attributeName}.{property.Name} is not read by the parser (spec {layer.GetType().Name})");
                Assert.True(Same(property.GetValue(instance), read[property.Name]),
                    $"{attributeName}.{property.Name}: the attribute says {property.GetValue(instance)}, the parser assumes {read[property.Name]}");
            }
        }

        /// <summary>
        /// Equal values; an enum counts as its number (the generator mirrors the attributes' enums, UpsampleMode, with its own
        /// types, or reads them as numbers, StochasticDepthMode), and an array as the list of its items (Permute's dims).
        /// </summary>
        private static bool Same(object? attribute, object? parsed)
        {
            if (attribute is Array items && parsed is System.Collections.IEnumerable list) return items.Cast<object>().SequenceEqual(list.Cast<object>());
            return Equals(Plain(attribute), Plain(parsed));
        }

        private static object? Plain(object? value) => value is Enum e ? Convert.ToInt64(e, CultureInfo.InvariantCulture) : value is int i ? (long)i : value;

        /// <summary>The spec's values by property name, including those of nested records (BlockOptions).</summary>
        private static Dictionary<string, object?> Values(object spec)
        {
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var property in spec.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetIndexParameters().Length > 0 || property.Name == "EqualityContract") continue;
                var value = property.GetValue(spec);
                if (value is BlockOptions options)
                {
                    foreach (var pair in Values(options)) values[pair.Key] = pair.Value;
                }
                else if (value is Window window)
                {
                    // A window's sizes, by the properties that set them: Stride (one number) and Strides (one per dimension).
                    foreach (var size in window.GetType().GetProperties().Where(p => p.PropertyType == typeof(AxisSize)))
                    {
                        var axes = (AxisSize)size.GetValue(window)!;
                        values[size.Name] = axes.Text is null ? axes.Values[0] : null;
                        values[size.Name + "s"] = axes.Text;
                    }
                }
                else values[property.Name] = value;
            }
            return values;
        }
    }
}
