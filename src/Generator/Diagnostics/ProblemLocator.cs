using System.Collections.Immutable;
using System.Threading;
using Dsl.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generator.Diagnostics
{
    /// <summary>
    /// Turns a <see cref="Problem"/>'s position (layer attribute index and argument name) into a
    /// source location: the argument responsible when it is written, else the whole attribute;
    /// the class identifier for <see cref="Problem.ClassName"/>.
    /// </summary>
    internal static class ProblemLocator
    {
        public static Location Locate(INamedTypeSymbol type, Problem problem, CancellationToken cancellationToken)
        {
            if (problem.LayerIndex == Problem.Member) return MemberLocation(type, problem.Argument, cancellationToken);
            if (Blocks.ArgumentSite.Decode(problem.Argument) is { } site) return LocateSite(type, problem, site, cancellationToken);
            var attributes = type.GetAttributes();
            AttributeData? attribute = problem.LayerIndex switch
            {
                Problem.InputAttribute => attributes.FirstOrDefault(SpecParser.IsInputAttribute),
                >= 0 => SpecParser.LayerAttributes(type) is var layers && problem.LayerIndex < layers.Length ? layers[problem.LayerIndex] : null,
                <= Problem.InputAttributeBase => attributes.Where(SpecParser.IsInputAttribute).ElementAtOrDefault(Problem.InputAttributeBase - problem.LayerIndex),
                <= Problem.InitAttributeBase => attributes.Where(Init.InitRules.IsInitAttribute).ElementAtOrDefault(Problem.InitAttributeBase - problem.LayerIndex),
                _ => null,
            };
            if (attribute?.ApplicationSyntaxReference is { } reference && reference.GetSyntax(cancellationToken) is AttributeSyntax syntax)
            {
                // [Custom<T>]: a problem with the module type is at T.
                if (problem.Argument == Model.CustomModule.TypeArgument
                    && (syntax.Name is GenericNameSyntax g ? g : (syntax.Name as QualifiedNameSyntax)?.Right as GenericNameSyntax) is { TypeArgumentList.Arguments.Count: 1 } generic)
                    return generic.TypeArgumentList.Arguments[0].GetLocation();
                return (Argument(syntax, attribute, problem.Argument) ?? (SyntaxNode)syntax).GetLocation();
            }
            return ClassLocation(type, cancellationToken);
        }

        /// <summary>
        /// A site in a block's declaration (or a piece of a string argument of the network's own attribute): the block is
        /// found among those <paramref name="type"/> reaches (itself included), then its attribute, argument and the piece
        /// of the argument's string when it is written as a plain literal (else the whole argument).
        /// </summary>
        private static Location LocateSite(INamedTypeSymbol type, Problem problem, Blocks.ArgumentSite site, CancellationToken cancellationToken)
        {
            var owner = site.Block is null ? type : FindBlock(type, site.Block);
            if (owner is null) return ClassLocation(type, cancellationToken);
            if (site.Layer == Problem.ClassName) return ClassLocation(owner, cancellationToken);
            int index = site.Block is null ? problem.LayerIndex : site.Layer;
            AttributeData? attribute = index == Blocks.ArgumentSite.BlockAttribute
                ? owner.GetAttributes().FirstOrDefault(Blocks.BlockReader.IsBlockAttribute)
                : SpecParser.LayerAttributes(owner) is var layers && index >= 0 && index < layers.Length ? layers[index] : null;
            if (attribute?.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax) return ClassLocation(owner, cancellationToken);
            var argument = Argument(syntax, attribute, site.Argument);
            if (argument is null) return syntax.GetLocation();
            if (site.Start >= 0 && argument.Expression is LiteralExpressionSyntax { Token: var token } && token.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.StringLiteralToken))
            {
                // Only where each character of the value is one character of the source ("..." without escapes, @"..." without doubled quotes).
                int open = token.Text.StartsWith("\"", StringComparison.Ordinal) ? 1 : token.Text.StartsWith("@\"", StringComparison.Ordinal) ? 2 : -1;
                if (open > 0 && token.Text.Length == token.ValueText.Length + open + 1 && site.Start + site.Length <= token.ValueText.Length)
                    return Location.Create(syntax.SyntaxTree, new Microsoft.CodeAnalysis.Text.TextSpan(token.SpanStart + open + site.Start, site.Length));
            }
            return argument.GetLocation();
        }

        /// <summary>The block with key <paramref name="key"/> among <paramref name="from"/> and the blocks it uses (at any depth) and their shortcuts.</summary>
        private static INamedTypeSymbol? FindBlock(INamedTypeSymbol from, string key)
        {
            var seen = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
            var pending = new System.Collections.Generic.Queue<ITypeSymbol>();
            pending.Enqueue(from);
            while (pending.Count > 0)
            {
                if (pending.Dequeue() is not INamedTypeSymbol t || !seen.Add(Blocks.RawAttribute.BlockName(t))) continue;
                if (Blocks.RawAttribute.BlockName(t) == key) return t;
                foreach (var attribute in t.GetAttributes())
                {
                    if (Blocks.BlockReader.UsedBlock(attribute) is { } used) pending.Enqueue(used);
                    foreach (var named in attribute.NamedArguments)
                        if (named.Value is { Kind: TypedConstantKind.Type, Value: ITypeSymbol shortcut }) pending.Enqueue(shortcut);
                }
            }
            return null;
        }

        /// <summary>
        /// The argument of <paramref name="syntax"/> that sets <paramref name="name"/> (case-insensitive):
        /// a property (<c>Stride = 2</c>), a named constructor argument (<c>kernel: 3</c>) or a
        /// positional one (matched through the constructor's parameter names); null when not written.
        /// </summary>
        public static AttributeArgumentSyntax? Argument(AttributeSyntax syntax, AttributeData attribute, string? name)
        {
            if (name is null || syntax.ArgumentList is not { } list) return null;
            // "#i": the i-th positional argument (a block use's arguments, which are a params array).
            if (name.Length > 1 && name[0] == '#' && int.TryParse(name.Substring(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int position))
            {
                var positional = list.Arguments.Where(a => a.NameEquals is null && a.NameColon is null).ToList();
                return position < positional.Count ? positional[position] : null;
            }
            var parameters = attribute.AttributeConstructor?.Parameters ?? ImmutableArray<IParameterSymbol>.Empty;
            for (int i = 0; i < list.Arguments.Count; i++)
            {
                var argument = list.Arguments[i];
                string? written =
                    argument.NameEquals is { } equals ? equals.Name.Identifier.ValueText
                    : argument.NameColon is { } colon ? colon.Name.Identifier.ValueText
                    : i < parameters.Length ? parameters[i].Name
                    : null;
                if (string.Equals(written, name, StringComparison.OrdinalIgnoreCase)) return argument;
            }
            return null;
        }

        /// <summary>The user's member named <paramref name="name"/> (".ctor": the parameterless constructor), else the class.</summary>
        private static Location MemberLocation(INamedTypeSymbol type, string? name, CancellationToken cancellationToken)
        {
            var members = name == Model.NetworkSpec.Constructor
                ? type.InstanceConstructors.Where(c => c.Parameters.Length == 0).Cast<ISymbol>()
                : type.GetMembers(name ?? "");
            foreach (var member in members)
            {
                var location = member.Locations.FirstOrDefault(l => l.IsInSource && !SpecParser.IsGenerated(l.SourceTree!));
                if (location is not null) return location;
            }
            return ClassLocation(type, cancellationToken);
        }

        /// <summary>The class identifier, on the declaration that holds [Input] when there is one.</summary>
        public static Location ClassLocation(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            var input = type.GetAttributes().FirstOrDefault(SpecParser.IsInputAttribute)?.ApplicationSyntaxReference;
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (input is not null && (reference.SyntaxTree != input.SyntaxTree || !reference.Span.Contains(input.Span))) continue;
                if (reference.GetSyntax(cancellationToken) is BaseTypeDeclarationSyntax declaration) return declaration.Identifier.GetLocation();
            }
            return type.Locations.FirstOrDefault(l => l.IsInSource) ?? Location.None;
        }
    }
}
