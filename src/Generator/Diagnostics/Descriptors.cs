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
        /// <summary>
        /// Where the page of a rule lives: docs/diagnostics/DSL00N.md, in the repository and in the Dsl package. The project
        /// has no web site, so descriptors carry no help URL (an IDE would open a page that does not exist); the
        /// description names the page instead.
        /// </summary>
        public static string Page(string id) => "docs/diagnostics/" + id + ".md";

        private static DiagnosticDescriptor Rule(string id, string title, string message, string category, string description) =>
            new(id, title, message, category, DiagnosticSeverity.Error, isEnabledByDefault: true,
                description: description + " Documentation: " + Page(id) + " (in the repository and in the Dsl package).");

        public const string ShapesCategory = "Dsl.Shapes";
        public const string DeclarationCategory = "Dsl.Declaration";

        /// <summary>The property of a DSL003 diagnostic that holds the inferred input features (for the code fix).</summary>
        public const string InferredInFeatures = "InferredInFeatures";

        /// <summary>The diagnostic property with the name a code fix puts in place of a misspelled one (a With entry's argument, a use's parameter).</summary>
        public const string Replacement = "Replacement";

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
        public const string MemberClashId = "DSL015";
        public const string GeneratorFailureId = "DSL016";
        public const string UnknownLayerId = "DSL017";
        public const string InvalidBlockId = "DSL018";
        public const string MergeShapeMismatchId = "DSL019";
        public const string InvalidCustomLayerId = "DSL020";
        public const string InitMatchesNothingId = "DSL021";
        public const string InvalidInitArgumentId = "DSL022";
        public const string WorkBudgetExceededId = "DSL029";
        public const string HeadsDoNotDivideId = "DSL040";
        public const string SequenceLongerThanTableId = "DSL041";
        public const string InvalidTiedWeightId = "DSL042";
        public const string TokensNeedEmbeddingId = "DSL043";
        public const string UnknownValueId = "DSL050";
        public const string InvalidOutputId = "DSL051";
        public const string MergedShapesDifferId = "DSL052";

        public static readonly DiagnosticDescriptor OutputBelowOne = Rule(
            OutputBelowOneId, "Layer output is smaller than 1x1", "'{0}' turns its {1} input into {2}, but {3} must stay at least 1; use a smaller kernel or stride, more padding, or fewer downsampling layers before it", ShapesCategory,
            "A convolution or pooling layer would produce an output with a height or width below 1 for the declared input size.");

        public static readonly DiagnosticDescriptor KernelLargerThanInput = Rule(
            KernelLargerThanInputId, "Kernel is larger than the padded input", "'{0}' has a {1} kernel (dilation included) but its padded input is only {2}; use a smaller kernel or dilation, or more padding", ShapesCategory,
            "The (dilated) kernel of a convolution must fit inside its input plus padding on both sides.");

        public static readonly DiagnosticDescriptor LinearInFeaturesMismatch = Rule(
            LinearInFeaturesMismatchId, "Linear InFeatures does not match the incoming features", "'{0}' declares InFeatures = {1} but receives {2} features; set InFeatures = {2}, or remove InFeatures to have it inferred", ShapesCategory,
            "The InFeatures written on a Linear layer must equal the number of features that actually arrive (the flattened output of the previous layer).");

        public static readonly DiagnosticDescriptor NeedsImageInput = Rule(
            NeedsImageInputId, "Layer needs input of another rank", "'{0}' ({1}) needs {3} but receives the {4} shape {2}; {5}", ShapesCategory,
            "Each layer works on one rank of input: the 2-d layers and the composite blocks on images (channels, height, width), the 1-d layers on sequences (channels, length), BatchNorm1d on flat or sequence input; GroupNorm on sequences and images; after a Flatten only Linear, Flatten, BatchNorm1d, activations, Dropout and Softmax are allowed.");

        public static readonly DiagnosticDescriptor NeedsFlatInput = Rule(
            NeedsFlatInputId, "Linear needs flat input", "'{0}' (Linear) needs flat input but receives the image shape {1}; put [Flatten] before it", ShapesCategory,
            "A Linear layer applies to the last dimension of flat features [F] or of a sequence of tokens [L, F]; on an image it needs a Flatten (or a ClassifierHead) before it. Flatten on flat input is an allowed no-op.");

        public static readonly DiagnosticDescriptor GroupsDoNotDivide = Rule(
            GroupsDoNotDivideId, "Groups must divide the input and output channels", "'{0}' has Groups = {1}, which must divide both its input channels ({2}) and its output channels ({3}); choose a common divisor such as Groups = 1", ShapesCategory,
            "A grouped convolution splits its input and output channels into Groups equal parts.");

        public static readonly DiagnosticDescriptor ResidualShapeMismatch = Rule(
            ResidualShapeMismatchId, "Residual branches have different shapes", "Residual block '{0}' adds a main branch of shape {1} to a shortcut of shape {2}; {3}", ShapesCategory,
            "A residual block adds its main branch to its shortcut, so both must have the same shape; a change of channels or stride needs the 1x1 projection on the shortcut.");

        public static readonly DiagnosticDescriptor InvalidValue = Rule(
            InvalidValueId, "Invalid argument value", "'{0}' has {1} = {2}, but it must be {3}", DeclarationCategory,
            "An argument of a layer or of [Input] is outside the range the layer accepts.");

        public static readonly DiagnosticDescriptor MissingInput = Rule(
            MissingInputId, "Network class has no [Input]", "'{0}' has layer attributes but no [Input(channels, height, width)]; add [Input] before the first layer", DeclarationCategory,
            "A class with layer attributes must declare its input shape with [Input]; without it no module is generated.");

        public static readonly DiagnosticDescriptor NotPartial = Rule(
            NotPartialId, "Network class must be partial", "Network class '{0}' is not partial, so the generator cannot add its module; add the 'partial' modifier", DeclarationCategory,
            "The generator adds the module to the declared class as another partial part.");

        public static readonly DiagnosticDescriptor SplitDeclaration = Rule(
            SplitDeclarationId, "Layers are split over partial declarations", "{1} on '{0}' is on another partial declaration than [Input], and layer order is defined only within one declaration; move every layer attribute next to [Input]", DeclarationCategory,
            "Attribute order is layer order only within one declaration; layer attributes must all be on the declaration that has [Input].");

        public static readonly DiagnosticDescriptor LayerAfterHead = Rule(
            LayerAfterHeadId, "Layer after the classifier head", "'{0}' comes after the classifier head '{1}', which must be the last layer; move it before the head or remove it", DeclarationCategory,
            "ClassifierHead ends a network: no layer may follow it.");

        public static readonly DiagnosticDescriptor InvalidLayerName = Rule(
            InvalidLayerNameId, "Invalid layer name", "Layer name '{0}' cannot be used because {1}", DeclarationCategory,
            "A layer's Name becomes a field of the C# module, an attribute of the PyTorch twin and a state_dict key: it must be a name in both C# and Python (no keyword of either), unique in the network, and not a member of the generated module, of TorchSharp's Module or of PyTorch's nn.Module.");

        public static readonly DiagnosticDescriptor UnsupportedDeclaration = Rule(
            UnsupportedDeclarationId, "Unsupported network declaration", "Network class '{0}' is not supported: {1}", DeclarationCategory,
            "A network must be a non-generic, non-static, non-abstract partial class without a base class, and nested only in partial non-generic classes or structs.");

        public static readonly DiagnosticDescriptor MemberClash = Rule(
            MemberClashId, "Member clashes with the generated module", "'{0}' is generated for network '{1}' ({2}); rename or remove this member", DeclarationCategory,
            "The generated part of a network declares its layers as fields, a parameterless constructor, forward, the facts (InputShape, OutputShape, ParameterCount, MultiplyAddCount, Info, Summary, Graph) and one nested class per block kind; the user's part of the class cannot declare members with those names.");

        public static readonly DiagnosticDescriptor GeneratorFailure = Rule(
            GeneratorFailureId, "The generator could not build this network", "The generator could not build network '{0}' ({1}); the other networks are not affected. Simplify the declaration and report the problem with it.", DeclarationCategory,
            "A declaration made the generator fail unexpectedly. Only this network is skipped; the generated code of every other network stays.");

        public static readonly DiagnosticDescriptor UnknownLayer = Rule(
            UnknownLayerId, "Unknown layer attribute", "[{0}] derives from LayerAttribute, but the generator does not know it, so '{1}' has no module; use one of the DSL's layer attributes, or declare your layer as a [Block] class and use it with [Use<TBlock>]", DeclarationCategory,
            "Only the DSL's own layer attributes describe layers; an attribute of your own that derives from LayerAttribute cannot tell the generator its shapes or its module.");

        public static readonly DiagnosticDescriptor InvalidBlock = Rule(
            InvalidBlockId, "Invalid block declaration or use", "Block '{0}': {1}", DeclarationCategory,
            "A [Block] class declares parameters, and each [Use<T>] passes them; expressions inside the block (With, When, MergeWhen, nested Use arguments) read the parameters and 'in'. A missing or unknown argument, an expression that cannot be evaluated, a class used as a block without [Block], or blocks nested without end are reported at the use.");

        public static readonly DiagnosticDescriptor MergeShapeMismatch = Rule(
            MergeShapeMismatchId, "Merged values have incompatible shapes", "'{0}' merges with {1} a body output of {2} and an input of {3}; {4}", ShapesCategory,
            "Add needs the body's output and the input (or shortcut) to have the same shape; Concat needs the same height and width (it joins channels); Multiply needs one weight per channel ([C, 1, 1]) or the input's shape.");

        public static readonly DiagnosticDescriptor InvalidCustomLayer = Rule(
            InvalidCustomLayerId, "Invalid custom layer", "Custom layer '{0}' cannot use {1}: {2}", DeclarationCategory,
            "[Custom<T>] uses a hand-written module as a layer: T must be a class deriving from TorchSharp's torch.nn.Module<Tensor, Tensor> that the generated new T() can create: a constructor without parameters, or one whose parameters are all optional, accessible to the network, not [Obsolete] as an error, and no required members it leaves unset (a network declared with [Input] is not a custom layer; use a [Block]). Its declared OutputShape must be numbers or expressions over the input's dimensions, and its declared OutputShape must be numbers or expressions over the input's dimensions.");

        public static readonly DiagnosticDescriptor InitMatchesNothing = Rule(
            InitMatchesNothingId, "Initialisation rule matches no layer", "{0} on {1} matches no layer: {2}", DeclarationCategory,
            "An [Init] rule names a layer kind or a glob over module and parameter paths, and an [InitPreset] names torchvision's layers; a rule that selects nothing would be silently ignored, so it is an error.");

        public static readonly DiagnosticDescriptor InvalidInitArgument = Rule(
            InvalidInitArgumentId, "Initialisation argument does not fit the scheme", "{0}: {1}", DeclarationCategory,
            "Each initialisation scheme takes its own arguments (Kaiming: Mode, Nonlinearity, NegativeSlope; Xavier: Gain; Normal: Mean, Std; TruncNormal: Mean, Std, Min, Max; Uniform: Min, Max; Constant: Value) and fan-based schemes need weights of at least 2 dimensions.");

        public static readonly DiagnosticDescriptor WorkBudgetExceeded = Rule(
            WorkBudgetExceededId, "Declaration expands to too much work", "Building this layer expands the network beyond {1} steps of work at '{0}' (modules, block uses and expression evaluations); a block that uses itself needs a When that ends the recursion in fewer levels or with fewer uses per level, and a stage needs fewer blocks", DeclarationCategory,
            "Blocks are read again for every use, and inlined or recursive uses multiply: each declaration may expand to a bounded amount of work (every module created, every block use, every expression evaluated counts), so the build ends quickly. The layer attribute whose expansion goes over the budget is reported.");

        public static readonly DiagnosticDescriptor HeadsDoNotDivide = Rule(
            HeadsDoNotDivideId, "Attention heads must divide the model dimension", "'{0}' has {1} heads, which do not divide its model dimension {2}; choose a divisor ({3}) or change the model dimension", ShapesCategory,
            "Multi-head attention splits each token's vector of D features into equal heads, so the number of heads must divide D.");

        public static readonly DiagnosticDescriptor SequenceLongerThanTable = Rule(
            SequenceLongerThanTableId, "Sequence is longer than the position table", "'{0}' receives {1} tokens but its position table has {2} rows; set maxLength to at least {1}, or declare a shorter input", ShapesCategory,
            "A position table holds one vector per position up to its maxLength; the declared sequence (the longest the network takes) must fit in it.");

        public static readonly DiagnosticDescriptor InvalidTiedWeight = Rule(
            InvalidTiedWeightId, "Tied weight does not fit", "'{0}' is tied to '{1}': {2}", ShapesCategory,
            "A Linear with TiedTo uses the weight of an earlier Embedding or Linear as its own, so that layer must exist before it and its weight must have the shape [out, in] this Linear needs.");

        public static readonly DiagnosticDescriptor TokensNeedEmbedding = Rule(
            TokensNeedEmbeddingId, "Token ids need an embedding first", "'{0}' ({1}) needs real numbers but receives the token ids {2}; put [Embedding(dim)] before it", ShapesCategory,
            "With [Input(length, Vocabulary = v)] the network's input is integer token ids; only an Embedding turns them into vectors the other layers compute with.");

        public static readonly DiagnosticDescriptor UnknownValue = Rule(
            UnknownValueId, "Named value does not exist", "{0} names '{1}', which is no input or earlier layer of the network; {2}", DeclarationCategory,
            "From, [Merge] and [Output] read the network's values by name: an input's Name or the name of a layer declared before them (its Name, or the name the generator gives it).");

        public static readonly DiagnosticDescriptor InvalidOutput = Rule(
            InvalidOutputId, "Invalid output or input", "'{0}' {1}", DeclarationCategory,
            "Each output and each input has a name of its own that is a name in C# and Python; an auxiliary output (computed in training mode only) must come from layers the main output does not need, and the main output cannot be auxiliary.");

        public static readonly DiagnosticDescriptor MergedShapesDiffer = Rule(
            MergedShapesDifferId, "Merged values have incompatible shapes", "'{0}' merges with {1} '{2}' of {3} and '{4}' of {5}; {6}", ShapesCategory,
            "A top-level [Merge] of named values (several inputs' towers, a skip connection): Add and Multiply need the same shape; Concat joins channels, so every other dimension must agree.");

        /// <summary>Every descriptor, in <see cref="ProblemCode"/> order.</summary>
        public static readonly DiagnosticDescriptor[] All =
        {
            OutputBelowOne, KernelLargerThanInput, LinearInFeaturesMismatch, NeedsImageInput, NeedsFlatInput,
            GroupsDoNotDivide, ResidualShapeMismatch, InvalidValue, MissingInput, NotPartial, SplitDeclaration,
            LayerAfterHead, InvalidLayerName, UnsupportedDeclaration, MemberClash, GeneratorFailure, UnknownLayer,
            InvalidBlock, MergeShapeMismatch,
            InvalidCustomLayer, InitMatchesNothing, InvalidInitArgument, WorkBudgetExceeded,
            HeadsDoNotDivide, SequenceLongerThanTable, InvalidTiedWeight, TokensNeedEmbedding,
            UnknownValue, InvalidOutput, MergedShapesDiffer,
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
            ProblemCode.MemberClash => MemberClash,
            ProblemCode.GeneratorFailure => GeneratorFailure,
            ProblemCode.UnknownLayer => UnknownLayer,
            ProblemCode.InvalidBlock => InvalidBlock,
            ProblemCode.MergeShapeMismatch => MergeShapeMismatch,
            ProblemCode.InvalidCustomLayer => InvalidCustomLayer,
            ProblemCode.InitMatchesNothing => InitMatchesNothing,
            ProblemCode.InvalidInitArgument => InvalidInitArgument,
            ProblemCode.WorkBudgetExceeded => WorkBudgetExceeded,
            ProblemCode.HeadsDoNotDivide => HeadsDoNotDivide,
            ProblemCode.SequenceLongerThanTable => SequenceLongerThanTable,
            ProblemCode.InvalidTiedWeight => InvalidTiedWeight,
            ProblemCode.TokensNeedEmbedding => TokensNeedEmbedding,
            ProblemCode.UnknownValue => UnknownValue,
            ProblemCode.InvalidOutput => InvalidOutput,
            ProblemCode.MergedShapesDiffer => MergedShapesDiffer,
            _ => null,
        };
    }
}
