using System.Reflection;

namespace Dsl.Generator.Layers
{
    /// <summary>
    /// Marks a layer kind's static reader (<c>LayerSpec Read(AttributeReader)</c>) with the attribute class it reads. The
    /// mark sits on the reader in the kind's own file; <see cref="LayerRegistry"/> collects the marks, so adding a kind
    /// is its attribute class and its file under Layers/, with no list to keep in step.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class ReadsAttribute : Attribute
    {
        /// <summary>The kind's own attribute: the record's name without "Spec", then "Attribute" (<c>ELUSpec</c> reads <c>ELUAttribute</c>).</summary>
        public ReadsAttribute() { }

        /// <summary>Another attribute, for a record that reads several (<c>Conv2dAttribute</c> and <c>Conv1dAttribute</c>).</summary>
        public ReadsAttribute(string attributeClass) => AttributeClass = attributeClass;

        /// <summary>The attribute's class name as Roslyn names it (<c>Conv2dAttribute</c>); null for the kind's own attribute.</summary>
        public string? AttributeClass { get; }

        /// <summary>The kind adds a learned tensor to the module holding it (a block using one is a class, not a Sequential).</summary>
        public bool HoldsTensors { get; set; }

        /// <summary>The kind adds a step to the forward of the module holding it, without a module of its own (a block using one is a class, not a Sequential).</summary>
        public bool NeedsForward { get; set; }

        /// <summary>The kind reads or names values of a network's forward ([Output], [Merge], [Backbone]): it belongs to a network's top level, never to a block.</summary>
        public bool TopLevelOnly { get; set; }
    }

    /// <summary>Every layer attribute the generator knows, by attribute class name, collected from the kinds' <see cref="ReadsAttribute"/> marks.</summary>
    internal static class LayerRegistry
    {
        private static readonly (ReadsAttribute Mark, string AttributeClass, Func<AttributeReader, LayerSpec> Read)[] Marked =
            LoadableTypes()
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
                .Select(m => (Mark: m.GetCustomAttribute<ReadsAttribute>(), Method: m))
                .Where(p => p.Mark is not null)
                .Select(p => (p.Mark!, p.Mark!.AttributeClass ?? OwnAttribute(p.Method.DeclaringType!), (Func<AttributeReader, LayerSpec>)p.Method.CreateDelegate(typeof(Func<AttributeReader, LayerSpec>))))
                .ToArray();

        /// <summary>A kind record's own attribute class: <c>ELUSpec</c> reads <c>ELUAttribute</c>.</summary>
        private static string OwnAttribute(Type kind) => LayerSpec.KindOf(kind) + "Attribute";

        private static IEnumerable<Type> LoadableTypes()
        {
            try
            {
                return typeof(LayerRegistry).Assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException e)
            {
                return e.Types.Where(t => t is not null)!; // the kinds load with the generator itself
            }
        }

        /// <summary>The reader of each layer attribute class.</summary>
        public static readonly IReadOnlyDictionary<string, Func<AttributeReader, LayerSpec>> Readers =
            Marked.ToDictionary(p => p.AttributeClass, p => p.Read, StringComparer.Ordinal);

        /// <summary>The kinds that add a learned tensor to the module holding them (a block using one is a class, not a Sequential).</summary>
        public static readonly ISet<string> HoldsTensors =
            new HashSet<string>(Marked.Where(p => p.Mark.HoldsTensors).Select(p => p.AttributeClass), StringComparer.Ordinal);

        /// <summary>The kinds that belong to a network's top level only (the block checker reports them in a block).</summary>
        public static readonly ISet<string> TopLevelOnly =
            new HashSet<string>(Marked.Where(p => p.Mark.TopLevelOnly).Select(p => p.AttributeClass), StringComparer.Ordinal);

        /// <summary>The kinds that need the forward of the module holding them: a tensor of their own, or a step without a module.</summary>
        public static readonly ISet<string> NeedsForward =
            new HashSet<string>(Marked.Where(p => p.Mark.HoldsTensors || p.Mark.NeedsForward).Select(p => p.AttributeClass), StringComparer.Ordinal);
    }
}
