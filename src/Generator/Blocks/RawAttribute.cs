using Microsoft.CodeAnalysis;

namespace Dsl.Generator.Blocks
{
    /// <summary>A constant as written in an attribute (int, double, bool, string, an enum's number, a type's name), with value equality.</summary>
    internal sealed record RawValue(object? Value);

    /// <summary>
    /// An argument of a <c>[Use&lt;T&gt;]</c> that is no value a block parameter can take: a <c>typeof(...)</c> or an
    /// array, kept as written (<see cref="Text"/>) so the use reports it instead of reading it as an expression.
    /// </summary>
    internal sealed record NotAValue(string Text, string What);

    /// <summary>A property set on an attribute: <c>Stride = 2</c>.</summary>
    internal sealed record RawNamed(string Name, RawValue Value);

    /// <summary>
    /// One layer attribute as plain values (no Roslyn types), so a block's layers can be read again for each use with
    /// that use's arguments. <see cref="Kind"/> is the attribute class name (the registry key), <see cref="Block"/> the
    /// full name of the block a <c>[Use&lt;T&gt;]</c> refers to.
    /// </summary>
    internal sealed record RawAttribute(
        string Kind,
        string Display,
        EquatableArray<string> ParameterNames,
        EquatableArray<RawValue> Arguments,
        EquatableArray<RawNamed> Named,
        string? Block,
        CustomModule? Custom = null,
        EquatableArray<string> Settable = default)
    {
        public const string Use = "UseAttribute";

        /// <param name="attribute">The attribute as written.</param>
        /// <param name="network">The network class the attribute is built into (the generated code that creates a custom module is in it).</param>
        public static RawAttribute From(AttributeData attribute, INamedTypeSymbol? network = null)
        {
            var type = attribute.AttributeClass!;
            var parameters = attribute.AttributeConstructor?.Parameters.Select(p => p.Name) ?? Enumerable.Empty<string>();
            var arguments = new List<RawValue>();
            foreach (var argument in attribute.ConstructorArguments)
            {
                // A params array (Use's arguments) is flattened: its items are the arguments.
                // A null params array ([Use<B>(null)]) is one null argument, which the use reports.
                if (argument.Kind == TypedConstantKind.Array && argument.Values.IsDefault) arguments.Add(new RawValue(null));
                else if (argument.Kind == TypedConstantKind.Array) arguments.AddRange(argument.Values.Select(v => new RawValue(type.Name == Use ? UseArgument(v) : Constant(v))));
                else arguments.Add(new RawValue(Constant(argument)));
            }
            var named = attribute.NamedArguments.Select(p => new RawNamed(p.Key, new RawValue(Constant(p.Value))));
            string? block = type.IsGenericType && type.Name == "UseAttribute" && type.TypeArguments.Length == 1 ? BlockName(type.TypeArguments[0]) : null;
            // [Custom<T>]: the module class, checked once here (the reader sees no symbols).
            var custom = type.IsGenericType && type.Name == CustomModule.AttributeName && type.TypeArguments.Length == 1 ? CustomModule.Inspect(type.TypeArguments[0], network) : null;
            return new RawAttribute(type.Name, DisplayName(type.Name), parameters.ToEquatableArray(), arguments.ToEquatableArray(), named.ToEquatableArray(), block, custom,
                SettableNames(type).ToEquatableArray());
        }

        /// <summary>
        /// The arguments a With may set on attributes of <paramref name="type"/>: its constructors' parameters and its
        /// settable number, flag and enum properties, each once (first spelling, capitalised as a property), in declaration order.
        /// </summary>
        private static IEnumerable<string> SettableNames(INamedTypeSymbol type)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var parameter in type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public).SelectMany(c => c.Parameters))
            {
                if (parameter.Type is IArrayTypeSymbol || parameter.Type.ToDisplayString() == "System.Type") continue;
                string name = parameter.Name.Length > 0 ? char.ToUpperInvariant(parameter.Name[0]) + parameter.Name.Substring(1) : parameter.Name;
                if (seen.Add(name)) yield return name;
            }
            for (var t = type; t is not null; t = t.BaseType)
            {
                foreach (var property in t.GetMembers().OfType<IPropertySymbol>())
                {
                    if (property.SetMethod is null || property.DeclaredAccessibility != Accessibility.Public || property.IsStatic) continue;
                    bool settable = property.Type.TypeKind == TypeKind.Enum || property.Type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64
                        or SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Boolean;
                    if (settable && seen.Add(property.Name)) yield return property.Name;
                }
            }
        }

        /// <summary>The block's key: its fully qualified name.</summary>
        public static string BlockName(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

        private static object? Constant(TypedConstant constant) => constant.Kind switch
        {
            TypedConstantKind.Type => constant.Value is ITypeSymbol t ? BlockName(t) : null,
            // An array set on a property (Custom's OutputShape = new[] { 64, 8, 8 }) is kept as its items joined by commas.
            TypedConstantKind.Array => constant.Values.IsDefault ? null
                : string.Join(", ", constant.Values.Select(v => System.Convert.ToString(v.Value, System.Globalization.CultureInfo.InvariantCulture))),
            _ => constant.Value,
        };

        /// <summary>An argument of a use: a type or an array is kept as written, marked as no value (<see cref="NotAValue"/>).</summary>
        private static object? UseArgument(TypedConstant constant) => constant.Kind switch
        {
            TypedConstantKind.Type => new NotAValue("typeof(" + (constant.Value is ITypeSymbol t ? t.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) : "?") + ")", "a type"),
            TypedConstantKind.Array => new NotAValue(constant.Values.IsDefault ? "null array"
                : "{ " + string.Join(", ", constant.Values.Select(v => System.Convert.ToString(v.Value, System.Globalization.CultureInfo.InvariantCulture))) + " }", "an array"),
            _ => Constant(constant),
        };

        /// <summary>"Linear" for LinearAttribute.</summary>
        public static string DisplayName(string className) =>
            className.EndsWith("Attribute", StringComparison.Ordinal) ? className.Substring(0, className.Length - "Attribute".Length) : className;

        public RawValue? NamedValue(string name)
        {
            foreach (var pair in Named)
            {
                if (string.Equals(pair.Name, name, StringComparison.OrdinalIgnoreCase)) return pair.Value;
            }
            return null;
        }

        public string? When => NamedValue("When")?.Value as string;
        public string? With => NamedValue("With")?.Value as string;
        public string? Name => NamedValue("Name")?.Value as string;
    }

    /// <summary>One parameter of a block: its name and, when optional, its default expression.</summary>
    /// <param name="Name">The parameter's name.</param>
    /// <param name="Default">Its default expression; null when it must be given.</param>
    /// <param name="DefaultStart">Where the default starts in the parameter's string (<c>"stride = 1"</c>: 9).</param>
    internal sealed record BlockParameter(string Name, string? Default, int DefaultStart = 0)
    {
        /// <summary>A layer parameter: its default is a layer kind (<c>"act = ReLU"</c>), and it takes kinds only.</summary>
        public bool IsLayer => Default is { } d && Expression.IsName(d) && LayerKindSpec.IsKind(d.Trim());
    }

    /// <summary>
    /// A block declaration (<c>[Block]</c> on a partial class): its parameters, how it merges, and its layers as raw
    /// attributes. <see cref="Problem"/> says what is wrong with the declaration itself (reported at each use).
    /// </summary>
    internal sealed record BlockDecl(
        string Key,
        string Name,
        EquatableArray<BlockParameter> Parameters,
        int Merge,
        string? MergeWhen,
        string? Body,
        string? Shortcut,
        string ShortcutName,
        EquatableArray<RawAttribute> Layers,
        string? Problem,
        int Parallel = 0)
    {
        public const int MergeNone = 0, MergeAdd = 1, MergeConcat = 2, MergeMultiply = 3;

        public static string MergeName(int merge) => merge switch { MergeAdd => "Add", MergeConcat => "Concat", MergeMultiply => "Multiply", _ => "None" };
    }
}
