using System;

namespace Dsl
{
    /// <summary>How a block combines the output of its layers (the body) with its input (or its shortcut).</summary>
    public enum Merge
    {
        /// <summary>No merge: the block's output is the body's output (a plain <c>nn.Sequential</c> when it has no shortcut).</summary>
        None = 0,

        /// <summary>Residual: <c>input + body(input)</c>; both must have the same shape.</summary>
        Add = 1,

        /// <summary>Dense connection: <c>cat([input, body(input)], channels)</c>; heights and widths must agree.</summary>
        Concat = 2,

        /// <summary>Gating (squeeze-and-excitation): <c>input * body(input)</c>; the body gives one weight per channel ([C, 1, 1]) or the full shape.</summary>
        Multiply = 3,
    }

    /// <summary>
    /// Declares a reusable block: a <c>partial</c> class with layer attributes and no <c>[Input]</c>. Other
    /// declarations use it as a layer with <see cref="UseAttribute{TBlock}"/>, passing its parameters. Inside the
    /// block, arguments may be expressions over the parameters and <c>in</c> (the channels that arrive): written in a
    /// layer's <see cref="LayerAttribute.With"/>, as a layer's <see cref="LayerAttribute.When"/> condition, or as a string
    /// argument of a nested <c>[Use&lt;...&gt;]</c>. Expressions have integers, <c>+ - * / %</c> (<c>/</c> divides
    /// integers rounding down, as Python's <c>//</c>), comparisons, <c>&amp;&amp; || !</c>, <c>c ? a : b</c>, <c>min</c> and <c>max</c>.
    /// </summary>
    /// <example><code>
    /// // MobileNetV2's inverted residual (torchvision keys: conv.0.0, conv.0.1, conv.1.0, ...).
    /// [Block("outChannels", "stride", "expand", "hidden = in * expand", Body = "conv", Merge = Merge.Add, MergeWhen = "stride == 1 &amp;&amp; in == outChannels")]
    /// [Use&lt;ConvBNReLU6&gt;("hidden", 1, 1, 1, When = "expand != 1")]
    /// [Use&lt;ConvBNReLU6&gt;("hidden", 3, "stride", "hidden")]
    /// [Conv2d("outChannels", 1, Bias = false)]
    /// [BatchNorm2d]
    /// public partial class InvertedResidual;
    /// </code></example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class BlockAttribute : Attribute
    {
        /// <param name="parameters">
        /// The block's parameters in order: a name (<c>"outChannels"</c>) or a name with a default expression
        /// (<c>"stride = 1"</c>, <c>"hidden = in * expand"</c>). A use passes them by position or as <c>"name = value"</c>.
        /// </param>
        public BlockAttribute(params string[] parameters) => Parameters = parameters;

        /// <summary>The declared parameters.</summary>
        public string[] Parameters { get; }

        /// <summary>How the body's output combines with the input; default <see cref="Dsl.Merge.None"/>.</summary>
        public Merge Merge { get; set; }

        /// <summary>
        /// <see cref="Dsl.Merge.None"/> (the default): the layers run one after the other. <see cref="Dsl.Merge.Concat"/>
        /// or <see cref="Dsl.Merge.Add"/>: every layer is a branch applied to the block's input, and the branches'
        /// outputs are concatenated along the channels (Inception) or summed. Usually each layer is a
        /// <c>[Use&lt;Branch&gt;]</c>.
        /// </summary>
        public Merge Parallel { get; set; }

        /// <summary>A condition for the merge (MobileNetV2 adds the input only where the shapes allow); default: always.</summary>
        public string? MergeWhen { get; set; }

        /// <summary>
        /// When set, the layers live in a Sequential of this name inside the block (torchvision's <c>conv</c> in
        /// MobileNetV2, <c>block</c> in ConvNeXt), so their keys read <c>conv.0.weight</c>; default: the block's own children.
        /// </summary>
        public string? Body { get; set; }

        /// <summary>
        /// A block applied to the input on the merge path instead of the input itself (a projection shortcut); it gets
        /// this block's parameters of the same names. Used where the merge applies.
        /// </summary>
        public Type? Shortcut { get; set; }

        /// <summary>The shortcut's submodule name; default <c>"shortcut"</c> (torchvision's ResNet says <c>"downsample"</c>).</summary>
        public string ShortcutName { get; set; } = "shortcut";
    }

    /// <summary>
    /// Uses the block <typeparamref name="TBlock"/> (a class marked <see cref="BlockAttribute"/>) as a layer. The
    /// arguments are the block's parameters, by position or as <c>"name = value"</c>; inside another block a string
    /// argument is an expression over that block's parameters. Errors inside the block are reported here, naming the
    /// block's layer.
    /// </summary>
    /// <typeparam name="TBlock">The block class.</typeparam>
    public sealed class UseAttribute<TBlock> : LayerAttribute where TBlock : class
    {
        /// <param name="arguments">Values for the block's parameters (numbers, true/false, or expressions as strings).</param>
        public UseAttribute(params object[] arguments) => Arguments = arguments;

        /// <summary>The arguments as written.</summary>
        public object[] Arguments { get; }

        /// <summary>
        /// When true the block's layers (and its merge) become part of the module that uses it, with no submodule of
        /// its own: their keys read <c>ln_1.weight</c>, not <c>block1.ln_1.weight</c>, as torchvision's EncoderBlock holds
        /// both residual halves directly. Not inside a Sequential. Default false.
        /// </summary>
        public bool Inline { get; set; }

        /// <summary>
        /// How many times the use is repeated, one after the other, each a layer of its own of the enclosing block (in a
        /// Sequential block: consecutive children, torchvision's <c>features.1</c>, <c>features.2</c>, ...; a stage block
        /// holding one repeated use gives <c>features.1.0</c>, <c>features.1.1</c>). In the arguments and in a
        /// <c>Name</c> such as <c>"denselayer{i + 1}"</c>, <c>i</c> is the repetition's index (0, 1, ...); in the
        /// arguments, <c>block_id</c> counts the repeated uses built so far in the whole network (per-block schedules such
        /// as stochastic depth) and <c>block_count</c> is their number in the whole network. Inside a block only (a stage);
        /// set it from a parameter with <c>With = "Repeat = depth"</c>. Default 1.
        /// </summary>
        public int Repeat { get; set; } = 1;
    }

    /// <summary>
    /// Inside a block, a layer whose kind is the value of a layer parameter of the block (torchvision's
    /// <c>activation_layer</c>, <c>norm_layer</c>): with <c>[Block("c", "act = ReLU")]</c>, <c>[LayerKind("act")]</c> is a
    /// ReLU unless the use passes another kind, <c>[Use&lt;ConvNormAct&gt;(16, "act = Hardswish")]</c>. A layer parameter
    /// is one whose default is a layer kind that takes no arguments (an activation such as <c>ReLU</c>, <c>Hardswish</c>,
    /// <c>SiLU</c>, <c>Identity</c>; a normalisation such as <c>BatchNorm2d</c>); it takes kinds only, and is checked at
    /// compile time. <c>Name</c> names the layer as the kind's attribute would be named.
    /// </summary>
    public sealed class LayerKindAttribute : LayerAttribute
    {
        /// <param name="parameter">The block's layer parameter that gives the kind.</param>
        public LayerKindAttribute(string parameter) => Parameter = parameter;

        /// <summary>The block's layer parameter that gives the kind.</summary>
        public string Parameter { get; }
    }
}
