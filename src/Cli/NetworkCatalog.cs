using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace Dsl.Cli
{
    /// <summary>One network the commands accept: its command-line name, a description, its factory and compile-time facts.</summary>
    public sealed record ModelEntry(string Name, string Description, Func<nn.Module<Tensor, Tensor>> Create, NetworkInfo Info);

    /// <summary>The networks a command line offers, by name: the sample's list, or the networks found in a user's project.</summary>
    public sealed class NetworkCatalog
    {
        /// <summary>Creates a catalogue; <paramref name="where"/> names where the networks come from, for messages.</summary>
        public NetworkCatalog(IReadOnlyList<ModelEntry> all, string? defaultModel, string where)
        {
            All = all;
            DefaultModel = defaultModel;
            Where = where;
        }

        /// <summary>Every network, in the order <c>models</c> lists them.</summary>
        public IReadOnlyList<ModelEntry> All { get; }

        /// <summary>The network <c>train</c> uses without <c>--model</c>; null when there is none to choose (then --model is required).</summary>
        public string? DefaultModel { get; }

        /// <summary>Where the networks come from ("this sample", "project MyNet"), for messages.</summary>
        public string Where { get; }

        /// <summary>The names, comma-separated, for help texts and messages.</summary>
        public string Names => string.Join(", ", All.Select(m => m.Name));

        /// <summary>The entry called <paramref name="name"/> (or whose class is, full name or not); an error listing the known names otherwise.</summary>
        /// <exception cref="ArgumentException">No network or more than one has that name.</exception>
        public ModelEntry Find(string? name)
        {
            if (name is null)
            {
                return DefaultModel is not null ? Find(DefaultModel)
                    : throw new ArgumentException($"{Where} declares {All.Count} networks ({Names}); pass --model with one of them.");
            }
            var exact = All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
            if (exact is not null) return exact;
            var byClass = All.Where(m => string.Equals(m.Info.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (byClass.Count == 1) return byClass[0];
            if (byClass.Count > 1)
                throw new ArgumentException($"'{name}' is ambiguous in {Where}: {string.Join(", ", byClass.Select(m => m.Name))}; pass the full name.");
            throw new ArgumentException($"Unknown model '{name}'. Known models: {Names}.");
        }
    }
}
