
namespace Dsl.Generator.Layers
{
    /// <summary>Input-rank requirements shared by the layer kinds.</summary>
    internal static class Require
    {
        /// <summary>Whether <paramref name="x"/> is an image (channels, height, width); reports at the layer otherwise.</summary>
        public static bool Image(GraphBuilder b, string path, string kind, Value x) => Rank(b, path, kind, x, 3);

        /// <summary>Whether <paramref name="x"/> is a sequence (channels, length); reports at the layer otherwise.</summary>
        public static bool Sequence(GraphBuilder b, string path, string kind, Value x) => Rank(b, path, kind, x, 2);

        /// <summary>
        /// Whether <paramref name="x"/> has one of <paramref name="ranks"/> (per sample, batch excluded); reports
        /// <see cref="ProblemCode.NeedsImageInput"/> (DSL004, "needs input of another rank") at the layer otherwise.
        /// </summary>
        public static bool Rank(GraphBuilder b, string path, string kind, Value x, params int[] ranks)
        {
            if (b.Failed) return false;
            if (System.Array.IndexOf(ranks, x.Shape.Count) >= 0) return true;
            b.ReportWhole(ProblemCode.NeedsImageInput, path, kind, GraphBuilder.Format(x.Shape), Needs(ranks), RankName(x.Shape.Count), Hint(ranks, x.Shape.Count));
            return false;
        }

        /// <summary>"image input (channels, height, width)", "sequence input (channels, length)", ...</summary>
        private static string Needs(int[] ranks)
        {
            string One(int rank) => rank switch
            {
                1 => "flat input (features)",
                2 => "sequence input (channels, length)",
                3 => "image input (channels, height, width)",
                _ => rank + "-dimensional input",
            };
            return ranks.Length == 1 ? One(ranks[0]) : string.Join(" or ", ranks.Select(One));
        }

        /// <summary>How a shape of <paramref name="rank"/> dimensions is called in messages: flat, sequence, image.</summary>
        public static string RankName(int rank) => rank switch { 1 => "flat", 2 => "sequence", 3 => "image", _ => rank + "-dimensional" };

        private static string Hint(int[] ranks, int actual)
        {
            bool image = System.Array.IndexOf(ranks, 3) >= 0, sequence = System.Array.IndexOf(ranks, 2) >= 0;
            if (actual == 1) return image ? "move it before the Flatten, or remove the Flatten"
                : "move it before the Flatten, or declare [Input(channels, length)]";
            if (image) return "declare [Input(channels, height, width)] for images, or use the 1-d layers (Conv1d, MaxPool1d, AvgPool1d, BatchNorm1d) on sequences";
            if (sequence) return "use the 2-d layers (Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d) on images, or put [Flatten] before it";
            return "put [Flatten] before it";
        }

        /// <summary>
        /// Whether <paramref name="x"/> has at least <paramref name="rank"/> dimensions; reports its input as not
        /// <paramref name="expected"/> (<see cref="ProblemCode.InvalidValue"/>) otherwise.
        /// </summary>
        public static bool AtLeast(GraphBuilder b, string path, Value x, int rank, string expected) =>
            Input(b, path, x, x.Shape.Count >= rank, expected);

        /// <summary>Whether <paramref name="x"/> is tokens [L, D]; reports its input as not <paramref name="expected"/> otherwise.</summary>
        public static bool Tokens(GraphBuilder b, string path, Value x, string expected) => Input(b, path, x, x.Shape.Count == 2, expected);

        private static bool Input(GraphBuilder b, string path, Value x, bool fits, string expected)
        {
            if (b.Failed) return false;
            if (fits) return true;
            b.Report(ProblemCode.InvalidValue, null, path, "input", GraphBuilder.Format(x.Shape), expected);
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
