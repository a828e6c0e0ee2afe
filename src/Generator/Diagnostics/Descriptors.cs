using Dsl.Generator.Graph;
using Microsoft.CodeAnalysis;

namespace Dsl.Generator.Diagnostics
{
    /// <summary>
    /// The catalogue of diagnostics: one descriptor per <see cref="ProblemCode"/>, in the same
    /// order (DSL001 is the first code). Message arguments are those listed on each code.
    /// Every rule has a page under docs/diagnostics/.
    /// </summary>
    internal static class Descriptors
    {
        /// <summary>Where the pages of the rules live; the page of DSL00N is DSL00N.md.</summary>
        public const string HelpBase = "https://github.com/dsl-project/dsl/blob/main/docs/diagnostics/";

        public const string ShapesCategory = "Dsl.Shapes";
        public const string DeclarationCategory = "Dsl.Declaration";

        /// <summary>The property of a DSL003 diagnostic that holds the inferred input features (for the code fix).</summary>
        public const string InferredInFeatures = "InferredInFeatures";

        public const string OutputBelowOneId = "DSL001";
        public const string KernelLargerThanInputId = "DSL002";
        public const string LinearInFeaturesMismatchId = "DSL003";
        public const string NeedsImageInputId = "DSL004";
        public const string NeedsFlatInputId = "DSL005";
        public const string GroupsDoNotDivideId = "DSL006";
        public const string ResidualShapeMismatchId = "DSL007";
        public const string InvalidValueId = "DSL008";
        public const string MissingInputId = "DSL009";
        public const string NotPartialId = "DSL010";
        public const string SplitDeclarationId = "DSL011";
        public const string LayerAfterHeadId = "DSL012";
        public const string InvalidLayerNameId = "DSL013";
        public const string UnsupportedDeclarationId = "DSL014";

        public static readonly DiagnosticDescriptor OutputBelowOne = new(
            OutputBelowOneId, "Layer output is smaller than 1x1", "'{0}' turns its {1} input into {2}, but height and width must stay at least 1; use a smaller kernel or stride, more padding, or fewer downsampling layers before it", ShapesCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "A convolution or pooling layer would produce an output with a height or width below 1 for the declared input size.",
            helpLinkUri: HelpBase + OutputBelowOneId + ".md");

        public static readonly DiagnosticDescriptor KernelLargerThanInput = new(
            KernelLargerThanInputId, "Kernel is larger than the padded input", "'{0}' has a {1} kernel (dilation included) but its padded input is only {2}; use a smaller kernel or dilation, or more padding", ShapesCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "The (dilated) kernel of a convolution must fit inside its input plus padding on both sides.",
            helpLinkUri: HelpBase + KernelLargerThanInputId + ".md");

        public static readonly DiagnosticDescriptor LinearInFeaturesMismatch = new(
            LinearInFeaturesMismatchId, "Linear InFeatures does not match the incoming features", "'{0}' declares InFeatures = {1} but receives {2} features; set InFeatures = {2}, or remove InFeatures to have it inferred", ShapesCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "The InFeatures written on a Linear layer must equal the number of features that actually arrive (the flattened output of the previous layer).",
            helpLinkUri: HelpBase + LinearInFeaturesMismatchId + ".md");

        public static readonly DiagnosticDescriptor NeedsImageInput = new(
            NeedsImageInputId, "Layer needs image input", "'{0}' ({1}) needs image input (channels, height, width) but receives the flat shape {2}; move it before the Flatten, or remove the Flatten", ShapesCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "Convolutions, batch normalization, pooling and the composite blocks work on (channels, height, width) input; after a Flatten only Linear, Flatten, activations and Dropout are allowed.",
            helpLinkUri: HelpBase + NeedsImageInputId + ".md");

        public static readonly DiagnosticDescriptor NeedsFlatInput = new(
            NeedsFlatInputId, "Linear needs flat input", "'{0}' (Linear) needs flat input but receives the image shape {1}; put [Flatten] before it", ShapesCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "A Linear layer needs flat features: put a Flatten (or use a ClassifierHead) before it. Flatten on flat input is an allowed no-op.",
            helpLinkUri: HelpBase + NeedsFlatInputId + ".md");

        public static readonly DiagnosticDescriptor GroupsDoNotDivide = new(
            GroupsDoNotDivideId, "Groups must divide the input and output channels", "'{0}' has Groups = {1}, which must divide both its input channels ({2}) and its output channels ({3}); choose a common divisor such as Groups = 1", ShapesCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "A grouped convolution splits its input and output channels into Groups equal parts.",
            helpLinkUri: HelpBase + GroupsDoNotDivideId + ".md");

        public static readonly DiagnosticDescriptor ResidualShapeMismatch = new(
            ResidualShapeMismatchId, "Residual branches have different shapes", "Residual block '{0}' adds a main branch of shape {1} to a shortcut of shape {2}; {3}", ShapesCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "A residual block adds its main branch to its shortcut, so both must have the same shape; a change of channels or stride needs the 1x1 projection on the shortcut.",
            helpLinkUri: HelpBase + ResidualShapeMismatchId + ".md");

        public static readonly DiagnosticDescriptor InvalidValue = new(
            InvalidValueId, "Invalid argument value", "'{0}' has {1} = {2}, but it must be {3}", DeclarationCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "An argument of a layer or of [Input] is outside the range the layer accepts.",
            helpLinkUri: HelpBase + InvalidValueId + ".md");

        public static readonly DiagnosticDescriptor MissingInput = new(
            MissingInputId, "Network class has no [Input]", "'{0}' has layer attributes but no [Input(channels, height, width)]; add [Input] before the first layer", DeclarationCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "A class with layer attributes must declare its input shape with [Input]; without it no module is generated.",
            helpLinkUri: HelpBase + MissingInputId + ".md");

        public static readonly DiagnosticDescriptor NotPartial = new(
            NotPartialId, "Network class must be partial", "Network class '{0}' is not partial, so the generator cannot add its module; add the 'partial' modifier", DeclarationCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "The generator adds the module to the declared class as another partial part.",
            helpLinkUri: HelpBase + NotPartialId + ".md");

        public static readonly DiagnosticDescriptor SplitDeclaration = new(
            SplitDeclarationId, "Layers are split over partial declarations", "{1} on '{0}' is on another partial declaration than [Input], and layer order is defined only within one declaration; move every layer attribute next to [Input]", DeclarationCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "Attribute order is layer order only within one declaration; layer attributes must all be on the declaration that has [Input].",
            helpLinkUri: HelpBase + SplitDeclarationId + ".md");

        public static readonly DiagnosticDescriptor LayerAfterHead = new(
            LayerAfterHeadId, "Layer after the classifier head", "'{0}' comes after the classifier head '{1}', which must be the last layer; move it before the head or remove it", DeclarationCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "ClassifierHead ends a network: no layer may follow it.",
            helpLinkUri: HelpBase + LayerAfterHeadId + ".md");

        public static readonly DiagnosticDescriptor InvalidLayerName = new(
            InvalidLayerNameId, "Invalid layer name", "Layer name '{0}' cannot be used because {1}; choose another Name", DeclarationCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "A layer's Name becomes a field and a state_dict key: it must be a valid C# identifier, unique in the network, and not a member of the generated module.",
            helpLinkUri: HelpBase + InvalidLayerNameId + ".md");

        public static readonly DiagnosticDescriptor UnsupportedDeclaration = new(
            UnsupportedDeclarationId, "Unsupported network declaration", "Network class '{0}' is not supported: {1}", DeclarationCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "A network must be a non-generic, non-static, non-abstract partial class without a base class, and nested only in partial non-generic classes or structs.",
            helpLinkUri: HelpBase + UnsupportedDeclarationId + ".md");

        /// <summary>Every descriptor, in <see cref="ProblemCode"/> order.</summary>
        public static readonly DiagnosticDescriptor[] All =
        {
            OutputBelowOne, KernelLargerThanInput, LinearInFeaturesMismatch, NeedsImageInput, NeedsFlatInput,
            GroupsDoNotDivide, ResidualShapeMismatch, InvalidValue, MissingInput, NotPartial, SplitDeclaration,
            LayerAfterHead, InvalidLayerName, UnsupportedDeclaration,
        };

        /// <summary>The descriptor of <paramref name="code"/>; null for a code without one (never thrown on).</summary>
        public static DiagnosticDescriptor? For(ProblemCode code) => code switch
        {
            ProblemCode.OutputBelowOne => OutputBelowOne,
            ProblemCode.KernelLargerThanInput => KernelLargerThanInput,
            ProblemCode.LinearInFeaturesMismatch => LinearInFeaturesMismatch,
            ProblemCode.NeedsImageInput => NeedsImageInput,
            ProblemCode.NeedsFlatInput => NeedsFlatInput,
            ProblemCode.GroupsDoNotDivide => GroupsDoNotDivide,
            ProblemCode.ResidualShapeMismatch => ResidualShapeMismatch,
            ProblemCode.InvalidValue => InvalidValue,
            ProblemCode.MissingInput => MissingInput,
            ProblemCode.NotPartial => NotPartial,
            ProblemCode.SplitDeclaration => SplitDeclaration,
            ProblemCode.LayerAfterHead => LayerAfterHead,
            ProblemCode.InvalidLayerName => InvalidLayerName,
            ProblemCode.UnsupportedDeclaration => UnsupportedDeclaration,
            _ => null,
        };
    }
}
