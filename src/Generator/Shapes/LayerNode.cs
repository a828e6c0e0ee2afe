using Dsl.Generator.Model;

namespace Dsl.Generator.Shapes
{
    /// <summary>
    /// One module of the expanded network with its compile-time facts. Top-level nodes are the
    /// declared attributes; children are the submodules a composite expands into.
    /// </summary>
    internal sealed record LayerNode(
        string Name,
        string Path,
        string Type,
        int Depth,
        EquatableArray<long> Input,
        EquatableArray<long> Output,
        long Parameters,
        long MultiplyAdds,
        EquatableArray<LayerNode> Children)
    {
        public static EquatableArray<long> Dims(params long[] dims) => new(dims);
    }

    /// <summary>A network declaration with its inferred layers and the problems found.</summary>
    internal sealed record NetworkModel(
        NetworkSpec Spec,
        EquatableArray<LayerNode> Layers,
        EquatableArray<Problem> Problems)
    {
        public bool HasErrors => Problems.Count > 0;

        public EquatableArray<long> InputShape => LayerNode.Dims(Spec.InputChannels, Spec.InputHeight, Spec.InputWidth);

        public EquatableArray<long> OutputShape => Layers.Count == 0 ? InputShape : Layers[Layers.Count - 1].Output;

        public long Parameters => System.Linq.Enumerable.Sum(Layers, l => l.Parameters);

        public long MultiplyAdds => System.Linq.Enumerable.Sum(Layers, l => l.MultiplyAdds);
    }
}
