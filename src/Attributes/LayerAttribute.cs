using System;

namespace Dsl
{
    // The base every layer attribute derives from: its name, and its condition and computed arguments in blocks.

    /// <summary>Base of every layer attribute. Attribute order on the class is layer order.</summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public abstract class LayerAttribute : Attribute
    {
        /// <summary>
        /// The field and state_dict name of this layer. When omitted the generator numbers
        /// layers per kind: <c>conv1</c>, <c>bn1</c>, <c>relu1</c>, <c>fc1</c>, <c>stage1</c>...
        /// Must be a valid C# identifier.
        /// </summary>
        public string? Name { get; set; }

        /// <summary>
        /// Inside a <see cref="BlockAttribute">block</see>: a condition on the block's parameters (and <c>in</c>, the
        /// incoming channels); the layer exists only in the uses where it holds, e.g. <c>When = "expand != 1"</c>.
        /// </summary>
        public string? When { get; set; }

        /// <summary>
        /// Inside a <see cref="BlockAttribute">block</see>: arguments computed from the block's parameters, as
        /// <c>"argument = expression"</c> pairs separated by <c>;</c> or <c>,</c> (a comma inside parentheses, as in <c>max(a, b)</c>, belongs to the expression), e.g. <c>With = "Stride = stride; Groups = hidden"</c>.
        /// They replace the written value of the same argument (constructor parameter or property, any case).
        /// </summary>
        public string? With { get; set; }

        /// <summary>
        /// At a network's top level: the value this layer reads, by name (an <see cref="InputAttribute">input</see>'s
        /// <see cref="InputAttribute.Name"/> or an earlier layer's <see cref="Name"/>) instead of the previous layer's
        /// output, e.g. <c>From = "layer3"</c> for an auxiliary head or <c>From = "right"</c> for a second input's tower.
        /// A dotted name reads inside a Sequential use (a block without a merge, shortcut or Body), at any depth:
        /// <c>From = "backbone.layer3"</c> is the output of the use <c>backbone</c>'s child <c>layer3</c>; the forward then
        /// calls that use's children one by one (the same modules and keys). The layers after it read its output. Default null: the previous layer's output. Not inside a block.
        /// </summary>
        public string? From { get; set; }
    }
}
