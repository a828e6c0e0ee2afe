using System.Collections.Generic;
using System.Linq;
using Dsl.Generator.Graph;

namespace Dsl.Generator.Emit
{
    /// <summary>
    /// The leaf modules that TorchSharp lacks and the Dsl assembly provides (<c>Dsl.Layers</c>: torchvision's Permute,
    /// LayerNorm2d and StochasticDepth), and how generated code writes what belongs to them: their type and constructor,
    /// and a block's own parameter tensors (a layer scale).
    /// </summary>
    internal static class DslLayers
    {
        public const string Namespace = "global::Dsl.Layers";

        private static readonly HashSet<string> Kinds = new(System.StringComparer.Ordinal) { "Permute", "LayerNorm2d", "StochasticDepth" };

        /// <summary>Whether the leaf module <paramref name="moduleType"/> is a Dsl layer rather than TorchSharp's.</summary>
        public static bool Is(string moduleType) => Kinds.Contains(moduleType);

        /// <summary>The field that holds a block's own parameter tensor.</summary>
        public static string Field(TensorParam tensor) =>
            $"public readonly {ModuleEmitter.Modules}.Parameter {tensor.Name};";

        /// <summary>Creates and registers a block's own parameter tensor, filled with its initial value.</summary>
        public static IEnumerable<string> Construction(TensorParam tensor, ICollection<string>? parameters = null)
        {
            // The first dimension from the class's constructor argument when uses differ in it.
            var dims = tensor.Shape.Select(d => Literal.Of(d)).ToList();
            if (tensor.Channels is { } channels && parameters is not null && parameters.Contains(channels)) dims[0] = channels;
            string shape = "new long[] { " + string.Join(", ", dims) + " }";
            yield return $"{tensor.Name} = new {ModuleEmitter.Modules}.Parameter(global::TorchSharp.torch.full({shape}, {Literal.Of(tensor.Init)}));";
            yield return $"register_parameter(\"{tensor.Name}\", {tensor.Name});";
        }

        /// <summary>The doc line of a block's own parameter tensor.</summary>
        public static string Doc(TensorParam tensor, ICollection<string>? parameters = null)
        {
            var dims = tensor.Shape.Select(d => Literal.Of(d)).ToList();
            if (tensor.Channels is { } channels && parameters is not null && parameters.Contains(channels)) dims[0] = channels;
            return $"/// <summary>{tensor.Name}: a parameter of this block, shape [{string.Join(", ", dims)}], starting at {Literal.Of(tensor.Init)}.</summary>";
        }
    }
}
