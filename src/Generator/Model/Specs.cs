namespace Dsl.Generator.Model
{
    // What the user declared, as plain equatable values: the parser's output and the
    // input of shape inference and emission. No Roslyn types live here.

    /// <summary>Module naming convention of a network (mirrors <c>Dsl.NamingConvention</c>).</summary>
    internal enum Naming { D2L = 0, TorchVision = 1 }

    /// <summary>One declared <c>[Input]</c>: its name (null: the default <c>input</c>), dimensions and vocabulary (0: real numbers).</summary>
    internal sealed record InputDecl(string? Name, EquatableArray<int> Dims, int Vocabulary);

    /// <summary>A type that contains the network class (for nested declarations).</summary>
    internal sealed record ContainingType(string Keyword, string Name);

    /// <summary>
    /// One network declaration: where it lives and its layers. <see cref="Layers"/> holds
    /// null-free specs; a layer the parser could not read is recorded as a problem instead.
    /// </summary>
    internal sealed record NetworkSpec(
        string? Namespace,
        EquatableArray<ContainingType> ContainingTypes,
        string ClassName,
        string Accessibility,
        EquatableArray<int> Input,
        EquatableArray<LayerSpec> Layers,
        Naming Naming = Naming.D2L,
        EquatableArray<string> UserMembers = default,
        EquatableArray<Blocks.BlockDecl> Blocks = default,
        EquatableArray<Init.InitDecl> Init = default,
        int Vocabulary = 0,
        EquatableArray<InputDecl> Inputs = default)
    {
        /// <summary>The name a parameterless constructor the user declared appears under in <see cref="UserMembers"/>.</summary>
        public const string Constructor = ".ctor";

        /// <summary>An image network: <c>[Input(channels, height, width)]</c> (the form before inputs of rank 1 and 2).</summary>
        public NetworkSpec(string? @namespace, EquatableArray<ContainingType> containingTypes, string className, string accessibility,
            int inputChannels, int inputHeight, int inputWidth, EquatableArray<LayerSpec> layers, Naming naming = Naming.D2L,
            EquatableArray<string> userMembers = default, EquatableArray<Blocks.BlockDecl> blocks = default)
            : this(@namespace, containingTypes, className, accessibility, new[] { inputChannels, inputHeight, inputWidth }.ToEquatableArray(),
                layers, naming, userMembers, blocks)
        {
        }

        /// <summary>The names of the [Input] constructor's parameters for an input of <paramref name="rank"/> dimensions.</summary>
        public static string[] InputParameterNames(int rank) => rank switch
        {
            1 => new[] { "features" },
            2 => new[] { "channels", "length" },
            _ => new[] { "channels", "height", "width" },
        };

        /// <summary>Whether the network has more than one input (then every input has a name and the forward takes them all).</summary>
        public bool SeveralInputs => Inputs.Count > 1;

        public string FullName => (Namespace is null ? "" : Namespace + ".")
            + string.Concat(System.Linq.Enumerable.Select(ContainingTypes, t => t.Name + ".")) + ClassName;
    }
}
