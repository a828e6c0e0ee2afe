using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generator.Parsing
{
    /// <summary>The parser's output: the declaration (null when it cannot be read at all) and its structural problems.</summary>
    internal sealed record ParseResult(NetworkSpec? Spec, EquatableArray<Problem> Problems);

    /// <summary>
    /// Reads a network class's attributes into a <see cref="NetworkSpec"/>. Shared by the
    /// generator and the analyzer so both see the same declaration.
    /// </summary>
    internal static class SpecParser
    {
        public const string Namespace = "Dsl";
        public const string InputAttributeName = "Dsl.InputAttribute";
        public const string LayerAttributeName = "Dsl.LayerAttribute";

        /// <summary>Whether <paramref name="attribute"/> is one of the DSL's layer attributes.</summary>
        public static bool IsLayerAttribute(AttributeData attribute)
        {
            for (var type = attribute.AttributeClass?.BaseType; type is not null; type = type.BaseType)
            {
                if (type.Name == "LayerAttribute" && type.ContainingNamespace?.ToDisplayString() == Namespace) return true;
            }
            return false;
        }

        public static bool IsInputAttribute(AttributeData attribute) =>
            attribute.AttributeClass is { Name: "InputAttribute" } c && c.ContainingNamespace?.ToDisplayString() == Namespace;

        /// <summary>The layer attributes of <paramref name="type"/>, in declaration order.</summary>
        public static ImmutableArray<AttributeData> LayerAttributes(INamedTypeSymbol type) =>
            type.GetAttributes().Where(IsLayerAttribute).ToImmutableArray();

        public static ParseResult Parse(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            var problems = new List<Problem>();
            var attributes = type.GetAttributes();
            var input = attributes.FirstOrDefault(IsInputAttribute);
            var layerAttributes = attributes.Where(IsLayerAttribute).ToImmutableArray();

            if (input is null)
            {
                problems.Add(Problem.At(ProblemCode.MissingInput, Problem.ClassName, null, type.Name));
                return new ParseResult(null, problems.ToEquatableArray());
            }

            CheckDeclaration(type, input, layerAttributes, problems, cancellationToken);

            if (HasErrors(input) || layerAttributes.Any(HasErrors))
            {
                // The compiler already reports these; there is nothing reliable to build.
                return new ParseResult(null, problems.ToEquatableArray());
            }

            var layers = new List<LayerSpec>(layerAttributes.Length);
            for (int i = 0; i < layerAttributes.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var attribute = layerAttributes[i];
                // An attribute the registry does not know stays in place (so every index still locates its attribute)
                // and is reported by the graph builder: never a silently missing network.
                var reader = new Layers.AttributeReader(attribute, type);
                var layer = Layers.LayerRegistry.Readers.TryGetValue(attribute.AttributeClass!.Name, out var read)
                    ? read(reader)
                    : new UnknownLayerSpec(null, AttributeDisplayName(attribute), type.Name);
                if (layer is BackboneSpec backbone) layer = ReadBackbone(backbone, attribute, cancellationToken);
                // From reads a named value of the top level; inside a block the block's reader refuses it.
                layers.Add(reader.Raw.NamedValue("From")?.Value is string from ? layer with { From = from } : layer);
                foreach (var error in reader.Errors.Take(1))
                    problems.Add(Problem.At(ProblemCode.InvalidBlock, i, new Blocks.ArgumentSite(null, -1, error.Argument, error.Start, error.Length).Encode(), type.Name, "[" + reader.Raw.Display + "] " + error.Message)
                        with { Fix = error.Replacement });
            }

            var containing = new List<ContainingType>();
            for (var t = type.ContainingType; t is not null; t = t.ContainingType)
            {
                containing.Insert(0, new ContainingType(t.IsRecord ? "record" : t.TypeKind == TypeKind.Struct ? "struct" : t.TypeKind == TypeKind.Interface ? "interface" : "class", t.Name));
            }

            var inputs = attributes.Where(IsInputAttribute).Select(ReadInput).ToEquatableArray();
            var inputArgs = new Layers.AttributeReader(input);
            int inputRank = System.Math.Max(1, System.Math.Min(3, input.ConstructorArguments.Length));
            var spec = new NetworkSpec(
                NamespaceName(type.ContainingNamespace),
                containing.ToEquatableArray(),
                type.Name,
                Accessibility(type.DeclaredAccessibility),
                Enumerable.Range(0, inputRank).Select(i => inputArgs.Int(i)).ToEquatableArray(),
                layers.ToEquatableArray(),
                // A backbone's layers keep its names (its state_dict keys): without a [Naming] of its own, the network takes the backbone's.
                attributes.Any(IsNamingAttribute) ? ReadNaming(attributes)
                    : layerAttributes.Select(BackboneNetwork).FirstOrDefault(n => n is not null) is { } backboneNetwork ? ReadNaming(backboneNetwork.GetAttributes()) : ReadNaming(attributes),
                UserMembers(type),
                Blocks.BlockReader.Reachable(layerAttributes.AddRange(BackboneAttributes(layerAttributes)), type, cancellationToken),
                Init.InitRules.Read(attributes),
                inputArgs.Named("Vocabulary", 0),
                inputs);
            return new ParseResult(spec, problems.ToEquatableArray());
        }

        /// <summary>One [Input]: its name, dimensions (one to three) and vocabulary.</summary>
        private static InputDecl ReadInput(AttributeData input)
        {
            var args = new Layers.AttributeReader(input);
            int rank = System.Math.Max(1, System.Math.Min(3, input.ConstructorArguments.Length));
            return new InputDecl(args.Raw.NamedValue("Name")?.Value as string, Enumerable.Range(0, rank).Select(i => args.Int(i)).ToEquatableArray(), args.Named("Vocabulary", 0));
        }

        /// <summary>The network a [Backbone&lt;T&gt;] names, if the attribute is one.</summary>
        private static INamedTypeSymbol? BackboneNetwork(AttributeData attribute) =>
            attribute.AttributeClass is { IsGenericType: true, Name: BackboneSpec.AttributeName, TypeArguments.Length: 1 } c ? c.TypeArguments[0] as INamedTypeSymbol : null;

        /// <summary>The layer attributes of the networks the backbones name (so the blocks they use are read too).</summary>
        private static IEnumerable<AttributeData> BackboneAttributes(ImmutableArray<AttributeData> layers) =>
            layers.Select(BackboneNetwork).Where(n => n is not null).SelectMany(n => LayerAttributes(n!));

        /// <summary>
        /// [Backbone&lt;T&gt;]: T's layers up to Until, read as T's parser reads them and named as T names them (its naming
        /// convention); T's own [Output]s are not taken. Why they cannot be taken is the spec's problem.
        /// </summary>
        private static BackboneSpec ReadBackbone(BackboneSpec spec, AttributeData attribute, CancellationToken cancellationToken)
        {
            var network = BackboneNetwork(attribute);
            if (network is null) return spec with { Problem = "a network class" };
            spec = spec with { Network = network.Name };
            var attributes = network.GetAttributes();
            if (!attributes.Any(IsInputAttribute)) return spec with { Problem = "a network class with [Input]; " + network.Name + " has none" };
            var own = LayerAttributes(network);
            if (own.Any(a => BackboneNetwork(a) is not null)) return spec with { Problem = "a network declared with its own layers; " + network.Name + " takes a backbone itself" };
            if (own.Any(HasErrors)) return spec with { Problem = "a network without errors" };
            var layers = new List<LayerSpec>();
            foreach (var a in own)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var reader = new Layers.AttributeReader(a, network);
                if (!Layers.LayerRegistry.Readers.TryGetValue(a.AttributeClass!.Name, out var read) || reader.Errors.Count > 0) return spec with { Problem = "a network without errors" };
                var layer = read(reader);
                layers.Add(reader.Raw.NamedValue("From")?.Value is string from ? layer with { From = from } : layer);
            }
            var names = Graph.NetworkGraph.ResolveNames(layers.ToEquatableArray(), new List<Problem>(), ReadNaming(attributes), network.Name);
            int until = spec.Until is null ? layers.Count - 1 : System.Array.IndexOf(names, spec.Until);
            if (until < 0)
                return spec with { Problem = $"a network with a layer named '{spec.Until}' (Until); {network.Name}'s layers: {string.Join(", ", names.Where((n, i) => layers[i] is not OutputSpec))}" };
            var keep = Enumerable.Range(0, until + 1).Where(i => layers[i] is not OutputSpec).ToArray();
            return spec with { Layers = keep.Select(i => layers[i]).ToEquatableArray(), Names = keep.Select(i => names[i]).ToEquatableArray() };
        }

        private static void CheckDeclaration(INamedTypeSymbol type, AttributeData input, ImmutableArray<AttributeData> layers, List<Problem> problems, CancellationToken cancellationToken)
        {
            var declarations = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().ToArray();
            if (declarations.Any(d => !d.Modifiers.Any(SyntaxKind.PartialKeyword)))
            {
                problems.Add(Problem.At(ProblemCode.NotPartial, Problem.ClassName, null, type.Name));
            }
            if (type.TypeParameters.Length > 0)
            {
                problems.Add(Problem.At(ProblemCode.UnsupportedDeclaration, Problem.ClassName, null, type.Name, "a network class cannot be generic: remove its type parameters"));
            }
            if (type.IsStatic || type.IsAbstract)
            {
                problems.Add(Problem.At(ProblemCode.UnsupportedDeclaration, Problem.ClassName, null, type.Name, "a network class cannot be static or abstract"));
            }
            if (type.IsRecord)
            {
                problems.Add(Problem.At(ProblemCode.UnsupportedDeclaration, Problem.ClassName, null, type.Name, "a network must be a class, not a record: records cannot derive from TorchSharp's Module"));
            }
            if (type.BaseType is { SpecialType: not SpecialType.System_Object } baseType && !IsGeneratedBase(baseType))
            {
                problems.Add(Problem.At(ProblemCode.UnsupportedDeclaration, Problem.ClassName, null, type.Name, $"it derives from {baseType.ToDisplayString()}; remove the base class, the generated part derives from Module<Tensor, Tensor>"));
            }
            if (NamePolicy.NetworkClassProblem(type.Name) is { } why)
            {
                problems.Add(Problem.At(ProblemCode.UnsupportedDeclaration, Problem.ClassName, null, type.Name, why));
            }
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                bool partial = outer.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>()
                    .All(d => d.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial || outer.TypeParameters.Length > 0 || outer.TypeKind == TypeKind.Interface)
                {
                    problems.Add(Problem.At(ProblemCode.UnsupportedDeclaration, Problem.ClassName, null, type.Name,
                        $"it is nested in {outer.Name}, which must be a partial, non-generic class or struct"));
                }
            }

            if (type.GetAttributes().FirstOrDefault(IsNamingAttribute) is { } naming
                && naming.ConstructorArguments.Length == 1 && naming.ConstructorArguments[0].Value is int convention
                && convention != (int)Naming.D2L && convention != (int)Naming.TorchVision)
            {
                problems.Add(Problem.At(ProblemCode.UnsupportedDeclaration, Problem.ClassName, null, type.Name,
                    $"[Naming] takes NamingConvention.D2L or NamingConvention.TorchVision, not {convention}"));
            }

            // Attribute order is layer order only within one declaration.
            var inputReference = input.ApplicationSyntaxReference;
            if (inputReference is null) return;
            var home = declarations.FirstOrDefault(d => d.SyntaxTree == inputReference.SyntaxTree && d.Span.Contains(inputReference.Span));
            for (int i = 0; i < layers.Length; i++)
            {
                var reference = layers[i].ApplicationSyntaxReference;
                if (home is null || reference is null) continue;
                if (reference.SyntaxTree != home.SyntaxTree || !home.Span.Contains(reference.Span))
                {
                    problems.Add(Problem.At(ProblemCode.SplitDeclaration, i, null, type.Name, "[" + AttributeDisplayName(layers[i]) + "]"));
                }
            }
        }

        /// <summary>The attribute as written in source: "Linear" for LinearAttribute.</summary>
        private static string AttributeDisplayName(AttributeData attribute)
        {
            var name = attribute.AttributeClass?.Name ?? "layer";
            return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
        }

        private static bool IsGeneratedBase(INamedTypeSymbol baseType) =>
            baseType.Name == "Module" && baseType.ContainingNamespace?.ToDisplayString() == "TorchSharp.torch.nn" || baseType.ContainingType?.Name == "nn";

        // A null params array ([Use<B>(null)]) compiles: the block use reports it, so it is not an error here.
        internal static bool HasErrors(AttributeData attribute) =>
            attribute.AttributeClass is null or IErrorTypeSymbol
            || attribute.AttributeConstructor is null
            || attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error
                || (a.Kind == TypedConstantKind.Array ? !a.Values.IsDefault && a.Values.Any(v => v.Kind == TypedConstantKind.Error) : a.Value is null))
            || attribute.NamedArguments.Any(a => a.Value.Kind == TypedConstantKind.Error);

        private static string Accessibility(Accessibility accessibility) => accessibility switch
        {
            Microsoft.CodeAnalysis.Accessibility.Public => "public",
            Microsoft.CodeAnalysis.Accessibility.Internal => "internal",
            Microsoft.CodeAnalysis.Accessibility.Private => "private",
            Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
            Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
            Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
            _ => "internal",
        };

        /// <summary>
        /// Names of the members the user declared on the network class (not the generated part): a member named like a
        /// generated one is reported at the user's member, and nested classes keep their names free for the user.
        /// </summary>
        private static EquatableArray<string> UserMembers(INamedTypeSymbol type)
        {
            var names = new SortedSet<string>(System.StringComparer.Ordinal);
            foreach (var member in type.GetMembers())
            {
                if (member.IsImplicitlyDeclared || !member.DeclaringSyntaxReferences.Any(r => !IsGenerated(r.SyntaxTree))) continue;
                if (member is IMethodSymbol { MethodKind: MethodKind.Constructor, IsStatic: false } constructor)
                {
                    if (constructor.Parameters.Length == 0) names.Add(NetworkSpec.Constructor);
                    continue;
                }
                if (member is IMethodSymbol { MethodKind: not MethodKind.Ordinary }) continue;
                names.Add(member.Name);
            }
            return names.ToEquatableArray();
        }

        /// <summary>The namespace as plain names ("event.class" for <c>@event.@class</c>); null for the global namespace.</summary>
        private static string? NamespaceName(INamespaceSymbol? ns)
        {
            var parts = new List<string>();
            for (; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace) parts.Insert(0, ns.Name);
            return parts.Count == 0 ? null : string.Join(".", parts);
        }

        /// <summary>Whether a syntax tree is this generator's output (the analyzer sees it; the generator does not).</summary>
        public static bool IsGenerated(SyntaxTree tree) => tree.FilePath.Contains("Dsl.Generator.NetworkGenerator");

        public static bool IsNamingAttribute(AttributeData attribute) =>
            attribute.AttributeClass is { Name: "NamingAttribute" } c && c.ContainingNamespace?.ToDisplayString() == Namespace;

        /// <summary>The network's naming convention; an unknown value falls back to the default (the analyzer may report it).</summary>
        private static Naming ReadNaming(ImmutableArray<AttributeData> attributes)
        {
            var naming = attributes.FirstOrDefault(IsNamingAttribute);
            return naming is not null && naming.ConstructorArguments.Length == 1 && naming.ConstructorArguments[0].Value is int value && value == (int)Naming.TorchVision
                ? Naming.TorchVision
                : Naming.D2L;
        }
    }
}
