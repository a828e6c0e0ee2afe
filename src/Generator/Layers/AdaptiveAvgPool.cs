using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[AdaptiveAvgPool1d(outputSize = 1)]</c> over a sequence and <c>[AdaptiveAvgPool2d(outputSize = 1)]</c> over an
    /// image: average pooling to a fixed length or square size, written once over the rank.
    /// </summary>
    internal sealed record AdaptiveAvgPoolSpec(string? Name, int Rank, int OutputSize) : LayerSpec(Name)
    {
        public override string Kind => KindOf(Rank);
        public override string NamePrefix => "gap";
        public override (string Prefix, bool Numbered) TorchVisionName => ("avgpool", false);

        private static string KindOf(int rank) => "AdaptiveAvgPool" + rank + "d";

        /// <summary>nn.AdaptiveAvgPool1d/2d; in none of autocast's lists.</summary>
        private static LeafRendering Rendering(int rank) =>
            LeafRendering.Module(PyTorchConstructor.Of("nn." + KindOf(rank), "output_size*"), AutocastRule.FallThrough("adaptive_avg_pool" + rank + "d")) with { Family = LayerFamily.Pooling };

        [Reads("AdaptiveAvgPool1dAttribute")]
        public static LayerSpec Read1d(AttributeReader a) => new AdaptiveAvgPoolSpec(a.Name, 1, a.Int(0, 1));

        [Reads("AdaptiveAvgPool2dAttribute")]
        public static LayerSpec Read2d(AttributeReader a) => new AdaptiveAvgPoolSpec(a.Name, 2, a.Int(0, 1));

        public override void Validate(Validation v) => v.AtLeast("outputSize", OutputSize, 1);

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, Rank, x, OutputSize);

        /// <summary>Adds an adaptive average pool to <paramref name="outputSize"/> in each of <paramref name="rank"/> spatial dimensions.</summary>
        public static Value Add(GraphBuilder b, string name, int rank, Value x, long outputSize, string? into = null, string? doc = null)
        {
            string kind = KindOf(rank), path = b.ChildPath(name);
            if (!(rank == 2 ? Require.Image(b, path, kind, x) : Require.Sequence(b, path, kind, x))) return x;
            return b.Leaf(name, kind, x, GraphNode.Dims(new[] { x.Shape[0] }.Concat(Spatial.Repeat(outputSize, rank)).ToArray()), 0, 0, SizeRule.Fixed,
                new[] { Literal.Arg("output_size", outputSize) }, into, doc,
                // ONNX: a global or a fixed average pool where the output divides the input, products with averaging
                // matrices otherwise (windows of different sizes): code, in the runtime.
                rendering: Rendering(rank), onnx: Function(rank == 2 ? "adaptive_avg_pool2d" : "adaptive_avg_pool1d"),
                saves: SavedForBackward.Input); // the input, also for a global pool to size 1
        }
    }
}
