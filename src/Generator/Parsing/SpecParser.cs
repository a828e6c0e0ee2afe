using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Dsl.Generator.Model;
using Dsl.Generator.Shapes;
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
            foreach (var attribute in layerAttributes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var layer = ReadLayer(attribute);
                if (layer is null) return new ParseResult(null, problems.ToEquatableArray());
                layers.Add(layer);
            }

            var containing = new List<ContainingType>();
            for (var t = type.ContainingType; t is not null; t = t.ContainingType)
            {
                containing.Insert(0, new ContainingType(t.IsRecord ? "record" : t.TypeKind == TypeKind.Struct ? "struct" : t.TypeKind == TypeKind.Interface ? "interface" : "class", t.Name));
            }

            var spec = new NetworkSpec(
                type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
                containing.ToEquatableArray(),
                type.Name,
                Accessibility(type.DeclaredAccessibility),
                Int(input, 0), Int(input, 1), Int(input, 2),
                layers.ToEquatableArray(),
                ReadNaming(attributes));
            return new ParseResult(spec, problems.ToEquatableArray());
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
            if (type.Name is "StemBlock" or "ResidualBlock" or "ClassifierHeadBlock" or "BasicBlock" or "BottleneckBlock" or "PreActBasicBlock" or "PreActBottleneckBlock")
            {
                problems.Add(Problem.At(ProblemCode.UnsupportedDeclaration, Problem.ClassName, null, type.Name, "the name is used by the generated nested block classes; rename the network"));
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

        private static bool HasErrors(AttributeData attribute) =>
            attribute.AttributeClass is null or IErrorTypeSymbol
            || attribute.AttributeConstructor is null
            || attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error || a.Value is null)
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

        private static LayerSpec? ReadLayer(AttributeData a)
        {
            string? name = Named<string?>(a, "Name", null);
            switch (a.AttributeClass!.Name)
            {
                case "Conv2dAttribute":
                    return new Conv2dSpec(name, Int(a, 0), Int(a, 1), Named(a, "Stride", 1), Named(a, "Padding", 0), Named(a, "Dilation", 1), Named(a, "Groups", 1), Named(a, "Bias", true));
                case "BatchNorm2dAttribute":
                    return new BatchNorm2dSpec(name, Named(a, "Eps", 1e-5), Named(a, "Momentum", 0.1));
                case "ReLUAttribute":
                    return new ActivationSpec(name, Activation.ReLU);
                case "SigmoidAttribute":
                    return new ActivationSpec(name, Activation.Sigmoid);
                case "TanhAttribute":
                    return new ActivationSpec(name, Activation.Tanh);
                case "MaxPool2dAttribute":
                    return new Pool2dSpec(name, PoolKind.Max, Int(a, 0), Named(a, "Stride", 0), Named(a, "Padding", 0), Named(a, "Dilation", 1), Named(a, "CeilMode", false));
                case "AvgPool2dAttribute":
                    return new Pool2dSpec(name, PoolKind.Avg, Int(a, 0), Named(a, "Stride", 0), Named(a, "Padding", 0), 1, Named(a, "CeilMode", false));
                case "AdaptiveAvgPool2dAttribute":
                    return new AdaptiveAvgPool2dSpec(name, a.ConstructorArguments.Length > 0 ? Int(a, 0) : 1);
                case "FlattenAttribute":
                    return new FlattenSpec(name);
                case "LinearAttribute":
                    return new LinearSpec(name, Int(a, 0), Named(a, "InFeatures", 0), Named(a, "Bias", true));
                case "DropoutAttribute":
                    return new DropoutSpec(name, a.ConstructorArguments.Length > 0 ? System.Convert.ToDouble(a.ConstructorArguments[0].Value, System.Globalization.CultureInfo.InvariantCulture) : 0.5);
                case "StemAttribute":
                    return new StemSpec(name, Int(a, 0), Named(a, "Kernel", 7), Named(a, "Stride", 2), Named(a, "MaxPool", true), Named(a, "Bias", true));
                case "ResidualAttribute":
                    return new ResidualSpec(name, Int(a, 0), Named(a, "Use1x1Conv", false), Named(a, "Stride", 1), Named(a, "Bias", true));
                case "ResidualStageAttribute":
                    return new ResidualStageSpec(name, Int(a, 0), Int(a, 1), Named(a, "Downsample", false), Named(a, "Bias", true));
                case "ClassifierHeadAttribute":
                    return new ClassifierHeadSpec(name, Int(a, 0));
                case "BasicStageAttribute":
                    return new BasicStageSpec(name, Int(a, 0), Int(a, 1), Named(a, "Stride", 1), Options(a, bias: false, projectionBatchNorm: true));
                case "BottleneckStageAttribute":
                    return new BottleneckStageSpec(name, Int(a, 0), Int(a, 1), Named(a, "Stride", 1), Named(a, "Groups", 1), Named(a, "BaseWidth", 64),
                        Named(a, "Expansion", 4), Named(a, "StrideOnFirst1x1", false), Options(a, bias: false, projectionBatchNorm: true));
                case "PreActStageAttribute":
                    return new PreActStageSpec(name, Int(a, 0), Int(a, 1), Named(a, "Stride", 1), Named(a, "Bottleneck", false), Named(a, "Groups", 1),
                        Named(a, "BaseWidth", 64), Options(a, bias: false, projectionBatchNorm: false));
                case "ResNeXtBlockAttribute":
                    return new ResNeXtBlockSpec(name, Int(a, 0), Int(a, 1), Double(a, 2, 1.0), Named(a, "Use1x1Conv", false), Named(a, "Stride", 1),
                        Options(a, bias: true, projectionBatchNorm: true));
                default:
                    return null;
            }
        }

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

        private static BlockOptions Options(AttributeData a, bool bias, bool projectionBatchNorm) =>
            new(Named(a, "Bias", bias), Named(a, "ProjectionBatchNorm", projectionBatchNorm), Named(a, "ZeroInitLastBatchNorm", false));

        private static double Double(AttributeData a, int index, double fallback) =>
            index < a.ConstructorArguments.Length && a.ConstructorArguments[index].Value is { } value
                ? System.Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)
                : fallback;

        private static int Int(AttributeData a, int index) =>
            index < a.ConstructorArguments.Length && a.ConstructorArguments[index].Value is int value ? value : 0;

        private static T Named<T>(AttributeData a, string name, T fallback)
        {
            foreach (var pair in a.NamedArguments)
            {
                if (pair.Key == name && pair.Value.Value is T value) return value;
            }
            return fallback;
        }
    }
}
