using Dsl.Generator.Graph;

namespace Dsl.Generator.Layers
{
    /// <summary>Input-rank requirements shared by the layer kinds.</summary>
    internal static class Require
    {
        /// <summary>Whether <paramref name="x"/> is an image (channels, height, width); reports at the layer otherwise.</summary>
        public static bool Image(GraphBuilder b, string path, string kind, Value x)
        {
            if (b.Failed) return false;
            if (x.Shape.Count == 3) return true;
            b.ReportWhole(ProblemCode.NeedsImageInput, path, kind, GraphBuilder.Format(x.Shape));
            return false;
        }

        /// <summary>Whether <paramref name="x"/> is flat (features); reports at the layer otherwise.</summary>
        public static bool Flat(GraphBuilder b, string path, Value x)
        {
            if (b.Failed) return false;
            if (x.Shape.Count == 1) return true;
            b.ReportWhole(ProblemCode.NeedsFlatInput, path, GraphBuilder.Format(x.Shape));
            return false;
        }

        public static string Size(long h, long w) => h + "x" + w;
    }
}
