
namespace Dsl.Generator.Graph
{
    /// <summary>
    /// What can be wrong with a declaration. Each code maps to one diagnostic descriptor;
    /// the comment lists the message arguments in order.
    /// </summary>
    internal enum ProblemCode
    {
        /// <summary>{0} layer, {1} input size HxW (or the length), {2} size it would produce, {3} which sizes ("height and width", "the length").</summary>
        OutputBelowOne,
        /// <summary>{0} layer, {1} effective kernel, {2} padded input HxW.</summary>
        KernelLargerThanInput,
        /// <summary>{0} layer, {1} declared in-features, {2} actual features.</summary>
        LinearInFeaturesMismatch,
        /// <summary>{0} layer, {1} kind, {2} input shape, {3} the input it needs, {4} the rank name of the input (flat, sequence, image), {5} fix hint.</summary>
        NeedsImageInput,
        /// <summary>{0} layer, {1} input shape (image).</summary>
        NeedsFlatInput,
        /// <summary>{0} layer, {1} groups, {2} in channels, {3} out channels.</summary>
        GroupsDoNotDivide,
        /// <summary>{0} block, {1} main-branch shape, {2} shortcut shape, {3} fix hint.</summary>
        ResidualShapeMismatch,
        /// <summary>{0} layer, {1} argument, {2} value, {3} allowed range.</summary>
        InvalidValue,
        /// <summary>{0} class.</summary>
        MissingInput,
        /// <summary>{0} class.</summary>
        NotPartial,
        /// <summary>{0} class, {1} attribute.</summary>
        SplitDeclaration,
        /// <summary>{0} layer, {1} head name.</summary>
        LayerAfterHead,
        /// <summary>{0} name, {1} reason.</summary>
        InvalidLayerName,
        /// <summary>{0} class, {1} reason.</summary>
        UnsupportedDeclaration,
        /// <summary>{0} member, {1} class, {2} what the generated member is. Located at the user's member.</summary>
        MemberClash,
        /// <summary>{0} class, {1} what failed.</summary>
        GeneratorFailure,
        /// <summary>{0} attribute as written, {1} class.</summary>
        UnknownLayer,
        /// <summary>{0} block (or block layer path), {1} what is wrong and how to fix it.</summary>
        InvalidBlock,
        /// <summary>{0} block path, {1} merge kind, {2} body output shape, {3} input (or shortcut) shape, {4} fix hint.</summary>
        MergeShapeMismatch,
        /// <summary>{0} layer, {1} module type (or what), {2} what is wrong and how to fix it.</summary>
        InvalidCustomLayer,
        /// <summary>{0} the rule as written, {1} class, {2} why nothing matches and what would.</summary>
        InitMatchesNothing,
        /// <summary>{0} the rule as written, {1} what is wrong and how to fix it.</summary>
        InvalidInitArgument,
        /// <summary>{0} where the budget ran out (the module path, or the network), {1} the budget.</summary>
        WorkBudgetExceeded,
        /// <summary>{0} layer, {1} heads, {2} model dimension, {3} divisors of it to choose from.</summary>
        HeadsDoNotDivide,
        /// <summary>{0} layer, {1} sequence length, {2} rows of the position table.</summary>
        SequenceLongerThanTable,
        /// <summary>{0} layer, {1} the layer it is tied to, {2} what is wrong and how to fix it.</summary>
        InvalidTiedWeight,
        /// <summary>{0} layer, {1} kind, {2} the token input's shape.</summary>
        TokensNeedEmbedding,
        /// <summary>{0} the argument that names it, {1} the name, {2} the names there are (nearest first) or why there are none.</summary>
        UnknownValue,
        /// <summary>{0} output (or input) name, {1} what is wrong and how to fix it.</summary>
        InvalidOutput,
        /// <summary>{0} merge, {1} merge kind, {2} first value, {3} its shape, {4} the value that does not fit, {5} its shape, {6} fix hint.</summary>
        MergedShapesDiffer,
    }

    /// <summary>
    /// A problem found in a declaration, located by the layer attribute (its index among the
    /// layer attributes; <see cref="InputAttribute"/> for the [Input] attribute,
    /// <see cref="ClassName"/> for the class) and the argument responsible (null: the whole attribute).
    /// </summary>
    internal sealed record Problem(ProblemCode Code, int LayerIndex, string? Argument, EquatableArray<string> Args)
    {
        public const int InputAttribute = -1;
        public const int ClassName = -2;

        /// <summary>A member the user declared; <see cref="Argument"/> is its name.</summary>
        public const int Member = -3;

        /// <summary>The first initialisation attribute (<c>[Init]</c>, <c>[InitPreset]</c>); the i-th is at <c>InitAttributeBase - i</c>.</summary>
        public const int InitAttributeBase = -100;

        /// <summary>The first <c>[Input]</c> of a network with several; the i-th is at <c>InputAttributeBase - i</c>.</summary>
        public const int InputAttributeBase = -200;

        /// <summary>
        /// Whether the class can still receive generated code: problems with the layers leave a stub module (so the
        /// only errors are the DSL diagnostics); problems with the class itself leave nothing to generate into.
        /// </summary>
        public bool AllowsStub => Code is not (ProblemCode.MissingInput or ProblemCode.NotPartial or ProblemCode.UnsupportedDeclaration
            or ProblemCode.MemberClash or ProblemCode.GeneratorFailure);

        /// <summary>A name a code fix may put at the problem's place (a With entry's misspelled argument); null when there is none.</summary>
        public string? Fix { get; init; }

        public static Problem At(ProblemCode code, int layerIndex, string? argument, params object[] args) =>
            new(code, layerIndex, argument, System.Linq.Enumerable.Select(args, a => System.Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToEquatableArray());
    }
}
