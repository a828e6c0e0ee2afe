using System.Globalization;
using Dsl.Generator.Blocks;
using static Dsl.Generator.Graph.Onnx;
using Microsoft.CodeAnalysis;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// The module class of a <c>[Custom&lt;T&gt;]</c> as plain values: its fully qualified name, a short name for automatic
    /// layer names, what makes it unusable (null when it is a <c>Module&lt;Tensor, Tensor&gt;</c> with an accessible
    /// parameterless constructor, as the compiler checks <c>new T()</c>), and the accessibility of a field of that type
    /// (<see cref="FieldAccess"/>). Read from the symbol once, by <see cref="RawAttribute.From"/>.
    /// </summary>
    /// <param name="FieldAccess">
    /// "public" when the type is public all the way out (and so are its type arguments); "internal" when it is at least
    /// internal; "private" otherwise (a type nested in the network class). A field may not be more accessible than its
    /// type (CS0052), so the generated field of an internal module type is internal.
    /// </param>
    internal sealed record CustomModule(string FullName, string ShortName, string Display, string? Problem, string FieldAccess = "public")
    {
        public const string AttributeName = "CustomAttribute";

        /// <summary>The argument name problems with the type argument are reported at (the locator finds the <c>T</c> of <c>Custom&lt;T&gt;</c>).</summary>
        public const string TypeArgument = "<TModule>";

        /// <param name="type">The type argument of <c>[Custom&lt;T&gt;]</c>.</param>
        /// <param name="network">The network class, in which the generated code writes <c>new T()</c> (its block classes are
        /// nested in it): a type or constructor private to it is accessible, an internal one of another assembly only through
        /// InternalsVisibleTo. Null (a block read on its own): internal counts as accessible, private and protected do not.</param>
        public static CustomModule Inspect(ITypeSymbol type, INamedTypeSymbol? network = null)
        {
            string full = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            string display = type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
            return new CustomModule(full, type.Name, display, Why(type, network), FieldAccessOf(type));
        }

        /// <summary>The most a field of type <paramref name="type"/> may be: the least accessible of the type, its containers and its type arguments.</summary>
        private static string FieldAccessOf(ITypeSymbol type)
        {
            int least = 2; // 2 public, 1 internal, 0 private
            void Visit(ITypeSymbol t)
            {
                for (ISymbol? s = t; s is INamedTypeSymbol n; s = n.ContainingType)
                {
                    least = System.Math.Min(least, n.DeclaredAccessibility switch
                    {
                        Accessibility.Public => 2,
                        Accessibility.Internal or Accessibility.ProtectedOrInternal => 1,
                        _ => 0,
                    });
                    foreach (var argument in n.TypeArguments) Visit(argument);
                }
                if (t is IArrayTypeSymbol array) Visit(array.ElementType);
            }
            Visit(type);
            return least switch { 2 => "public", 1 => "internal", _ => "private" };
        }

        /// <summary>
        /// What keeps the generated <c>new T()</c> from compiling or running, checked as the compiler checks it: the
        /// constructor chosen for no arguments (a parameterless one, or the only one whose parameters are all optional),
        /// its accessibility from <paramref name="network"/>, <c>[Obsolete(..., true)]</c> on it or the type, and
        /// <c>required</c> members an object creation without initializer leaves unset. Null when it is usable.
        /// </summary>
        private static string? Why(ITypeSymbol type, INamedTypeSymbol? network)
        {
            if (type is ITypeParameterSymbol) return "it is a type parameter; name a concrete module class";
            if (type is not INamedTypeSymbol named || named.TypeKind != TypeKind.Class)
                return "it is not a class; declare a class that derives from TorchSharp's torch.nn.Module<Tensor, Tensor>";
            // Checked before the base class: a network's Module base is generated, so the generator does not see it yet.
            if (named.GetAttributes().Any(Parsing.SpecParser.IsInputAttribute))
                return "it is a network declared with [Input], whose module is generated; a network cannot be a custom layer "
                    + "(a network using itself would create itself without end); declare the shared layers as a [Block] and use it with [Use<" + named.Name + ">]";
            if (named.GetAttributes().Any(BlockReader.IsBlockAttribute))
                return "it is a [Block], not a module; use it with [Use<" + named.Name + ">]";
            if (!DerivesFromModule(named))
                return "it does not derive from TorchSharp's torch.nn.Module<Tensor, Tensor>; derive it from Module<Tensor, Tensor> (one tensor in, one out)";
            if (named.IsAbstract || named.IsStatic) return "it is abstract; name a concrete class";
            if (named.IsUnboundGenericType || named.TypeArguments.Any(t => t is ITypeParameterSymbol)) return "it is an open generic type; give its type arguments";
            for (ISymbol? t = named; t is INamedTypeSymbol n; t = n.ContainingType)
            {
                if (!Accessible(n, network, constructor: false))
                {
                    string through = ReferenceEquals(n, named) ? "" : " (through " + n.Name + ")";
                    return n.DeclaredAccessibility is Accessibility.Internal or Accessibility.ProtectedOrInternal
                        ? "it is internal to " + n.ContainingAssembly.Name + through + "; make it public"
                        : "it is " + (n.DeclaredAccessibility == Accessibility.Private ? "private" : "protected") + through + "; make it public or internal";
                }
                if (ObsoleteAsError(n) is { } message)
                    return "it is obsolete" + message;
            }

            // Overload resolution of `new T()`: a parameterless constructor wins; otherwise one whose parameters are all
            // optional (or params) is called with their defaults; two such are ambiguous.
            var accessible = named.InstanceConstructors.Where(c => Accessible(c, network, constructor: true)).ToList();
            var constructor = accessible.FirstOrDefault(c => c.Parameters.Length == 0);
            if (constructor is null)
            {
                // Applicable in normal form (every parameter optional) beats applicable only in expanded form (a params
                // array left empty); among the latter, more declared parameters win; a tie is ambiguous (CS0121).
                var normal = accessible.Where(c => c.Parameters.All(p => p.IsOptional && !p.IsParams)).ToList();
                var expanded = accessible.Where(c => c.Parameters.Any(p => p.IsParams) && c.Parameters.All(p => p.IsOptional || p.IsParams))
                    .GroupBy(c => c.Parameters.Length).OrderByDescending(g => g.Key).FirstOrDefault()?.ToList() ?? new List<IMethodSymbol>();
                var best = normal.Count > 0 ? normal : expanded;
                if (best.Count > 1)
                    return "new " + named.Name + "() is ambiguous between its constructors whose parameters are all optional; add a parameterless constructor";
                constructor = best.FirstOrDefault();
            }
            if (constructor is null)
            {
                bool inaccessible = named.InstanceConstructors.Any(c => c.Parameters.All(p => p.IsOptional || p.IsParams));
                return inaccessible
                    ? "its parameterless constructor is not accessible to the network; make it public (the network creates the module with new " + named.Name + "())"
                    : "it has no public parameterless constructor; add one (the network creates the module with new " + named.Name + "())";
            }
            if (ObsoleteAsError(constructor) is { } why)
                return "the constructor new " + named.Name + "() is obsolete" + why;
            if (!constructor.GetAttributes().Any(a => a.AttributeClass is { Name: "SetsRequiredMembersAttribute" }))
            {
                var required = RequiredMembers(named).ToList();
                if (required.Count > 0)
                    return "it has required member" + (required.Count == 1 ? " " : "s ") + string.Join(", ", required)
                        + ", which new " + named.Name + "() leaves unset; give " + (required.Count == 1 ? "it a default and remove required" : "them defaults and remove required")
                        + ", or mark the constructor [SetsRequiredMembers]";
            }
            return null;
        }

        /// <summary>
        /// Whether code in <paramref name="network"/> (or a class nested in it) may name <paramref name="symbol"/>, by C#'s
        /// rules: private inside the declaring type, protected also in a class derived from it (but a protected constructor
        /// is not callable with <c>new</c> there), internal in the same assembly or one it gives access to.
        /// </summary>
        private static bool Accessible(ISymbol symbol, INamedTypeSymbol? network, bool constructor)
        {
            var declaring = symbol.ContainingType?.OriginalDefinition;
            bool Internal() => network is null || SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, network.ContainingAssembly) || symbol.ContainingAssembly.GivesAccessTo(network.ContainingAssembly);
            bool Inside() => network is not null && declaring is not null && Enclosing(network).Any(t => SymbolEqualityComparer.Default.Equals(t, declaring));
            bool Derived() => !constructor && network is not null && declaring is not null && Enclosing(network).Any(t => DerivesFrom(t, declaring));
            return symbol.DeclaredAccessibility switch
            {
                Accessibility.Public => true,
                Accessibility.Internal => Internal(),
                Accessibility.Private => Inside(),
                Accessibility.Protected => Inside() || Derived(),
                Accessibility.ProtectedOrInternal => Internal() || Inside() || Derived(),
                Accessibility.ProtectedAndInternal => Internal() && (Inside() || Derived()),
                _ => false,
            };
        }

        /// <summary><paramref name="type"/> and the types it is nested in, as declared (original definitions).</summary>
        private static IEnumerable<INamedTypeSymbol> Enclosing(INamedTypeSymbol type)
        {
            for (var t = type; t is not null; t = t.ContainingType) yield return t.OriginalDefinition;
        }

        private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol ancestor)
        {
            for (var t = type.BaseType; t is not null; t = t.BaseType)
                if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, ancestor)) return true;
            return false;
        }

        /// <summary>" (error: message); ..." when <paramref name="symbol"/> is <c>[Obsolete(message, true)]</c>: using it does not compile.</summary>
        private static string? ObsoleteAsError(ISymbol symbol)
        {
            foreach (var attribute in symbol.GetAttributes())
            {
                if (attribute.AttributeClass is not { Name: "ObsoleteAttribute" } c || c.ContainingNamespace?.ToDisplayString() != "System") continue;
                if (attribute.ConstructorArguments.Length < 2 || attribute.ConstructorArguments[1].Value is not true) continue;
                string text = attribute.ConstructorArguments[0].Value as string ?? "";
                return (text.Length == 0 ? "" : " (\"" + text + "\")") + " as an error, so the generated code cannot create it; use another module or constructor";
            }
            return null;
        }

        /// <summary>The required properties and fields of <paramref name="type"/> and its base classes, by name.</summary>
        private static IEnumerable<string> RequiredMembers(INamedTypeSymbol type)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var t = type; t is not null; t = t.BaseType)
            {
                foreach (var member in t.GetMembers())
                {
                    bool required = member switch { IPropertySymbol p => p.IsRequired, IFieldSymbol f => f.IsRequired, _ => false };
                    if (required && seen.Add(member.Name)) yield return member.Name;
                }
            }
        }

        /// <summary>Whether <paramref name="type"/> derives from TorchSharp.torch.nn.Module&lt;Tensor, Tensor&gt;.</summary>
        private static bool DerivesFromModule(INamedTypeSymbol type)
        {
            for (var t = type.BaseType; t is not null; t = t.BaseType)
            {
                if (t.Name == "Module" && t.TypeArguments.Length == 2 && t.ContainingType is { Name: "nn", ContainingType: { Name: "torch" } torch }
                    && torch.ContainingNamespace?.ToDisplayString() == "TorchSharp"
                    && t.TypeArguments.All(a => a.Name == "Tensor" && a.ContainingType?.Name == "torch"))
                    return true;
            }
            return false;
        }
    }

    /// <summary>
    /// <c>[Custom&lt;T&gt;(OutputShape, Parameters)]</c>: a hand-written module with a declared shape contract. The
    /// output is the input's shape, a list of numbers, or expressions over the input's dimensions; the module is a
    /// leaf of the graph whose field has type T, created with <c>new T()</c>; the forward checks its output at run time.
    /// Exporters refuse it (they cannot know what it computes).
    /// </summary>
    internal sealed record CustomSpec(string? Name, CustomModule? Module, string? OutputShape, long Parameters) : LayerSpec(Name)
    {

        /// <summary>channelShuffle1 for ChannelShuffle.</summary>
        public override string NamePrefix => NamePolicy.AutomaticPrefix(Module?.ShortName ?? "", "custom");

        public override (string Prefix, bool Numbered) TorchVisionName => (NamePrefix, true);

        [Reads(CustomModule.AttributeName)]
        public static LayerSpec Read(AttributeReader a)
        {
            // An int[] is read as its items joined by commas: the same text as the expression form.
            var shape = a.Raw.NamedValue("OutputShape")?.Value switch
            {
                string text => text,
                null => null,
                var other => Convert.ToString(other, CultureInfo.InvariantCulture),
            };
            return new CustomSpec(a.Name, a.Raw.Custom, shape, a.Named("Parameters", 0L));
        }

        public override void Validate(Validation v)
        {
            if (Module is null) v.Report(ProblemCode.InvalidCustomLayer, CustomModule.TypeArgument, v.Name, "the module type", "it could not be read");
            else if (Module.Problem is { } why) v.Report(ProblemCode.InvalidCustomLayer, CustomModule.TypeArgument, v.Name, Module.Display, why);
            if (Parameters < 0) v.Invalid("Parameters", Parameters, "at least 0");
        }

        /// <summary>The names an OutputShape expression reads for an input of shape <paramref name="input"/>.</summary>
        internal static IReadOnlyDictionary<string, double> Names(EquatableArray<long> input)
        {
            var names = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int i = 0; i < input.Count; i++) names["d" + i.ToString(CultureInfo.InvariantCulture)] = input[i];
            if (input.Count > 0) { names["in"] = input[0]; names["last"] = input[input.Count - 1]; }
            string[] letters = input.Count switch { 1 => new[] { "f" }, 2 => new[] { "c", "l" }, 3 => new[] { "c", "h", "w" }, _ => Array.Empty<string>() };
            for (int i = 0; i < letters.Length; i++) names[letters[i]] = input[i];
            return names;
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            string path = b.ChildPath(name);
            if (b.Failed || Module is null) return x;
            var output = x.Shape;
            if (OutputShape is { } text)
            {
                var names = Names(x.Shape);
                var dims = new List<long>();
                foreach (var part in Expression.Split(text, ","))
                {
                    if (part.Text.Length == 0)
                    {
                        b.Report(ProblemCode.InvalidCustomLayer, "OutputShape", path, Module.Display, $"its OutputShape \"{text}\" has an empty dimension; write one number or expression per dimension, separated by commas");
                        return x;
                    }
                    var value = Expression.Evaluate(part.Text, names, out var error);
                    if (error is not null || value is null)
                    {
                        b.Report(ProblemCode.InvalidCustomLayer, "OutputShape", path, Module.Display,
                            $"its OutputShape {error} (the input is {GraphBuilder.Format(x.Shape)})");
                        return x;
                    }
                    if (value.Value != Math.Floor(value.Value) || value.Value < 1 || value.Value > int.MaxValue)
                    {
                        b.Report(ProblemCode.InvalidValue, "OutputShape", path, "OutputShape", $"{text} (dimension {dims.Count} is {value.Value.ToString(CultureInfo.InvariantCulture)} for the input {GraphBuilder.Format(x.Shape)})", "whole numbers of at least 1");
                        return x;
                    }
                    dims.Add((long)value.Value);
                }
                output = dims.ToEquatableArray();
            }
            var args = new[] { new LeafArg("module", Emit.Identifier.String(Module.FullName), null, false) };
            return b.Leaf(name, Kind, x, output, Parameters, 0, SizeRule.Dependent, args, customType: Module.FullName, customAccess: Module.FieldAccess,
                // The graph knows the module's shape contract, not its computation: the runtime's function refuses it by name.
                onnx: Function("custom"),
                // What its backward keeps is its own: counted as its input, as for most layers.
                saves: SavedForBackward.Input,
                doc: "The hand-written " + Module.Display.Replace("<", "&lt;").Replace(">", "&gt;") + " (declared output " + GraphBuilder.Format(output) + ").");
        }
    }
}
