using System.Globalization;
using System.Threading;
using Dsl.Runtime.Data;
using Dsl.Runtime.Device;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// The confusion-matrix picture of a classifier (<c>confusion.png</c>): rows are true classes, columns predicted
    /// ones, each row normalised to fractions of that class's samples (the diagonal is the per-class recall), drawn as
    /// a ScottPlot heatmap with the class names on the axes and the fractions written in the cells when there are at
    /// most <see cref="MaxAnnotatedClasses"/> classes.
    /// </summary>
    /// <remarks>
    /// More than <see cref="MaxClasses"/> classes do not fit a readable picture: it then shows the
    /// <see cref="MaxClasses"/> most frequent true classes (ties to the lower index) in index order, with a last
    /// column "other" holding the predictions of classes not shown, so every row still sums to 1; the title says so.
    /// The picture is 560 x 480 pixels up to 12 classes and grows by 24 pixels per further row or column.
    /// </remarks>
    public static class ConfusionPicture
    {
        /// <summary>Name of the picture in the run folder.</summary>
        public const string FileName = "confusion.png";

        /// <summary>The most classes the picture shows.</summary>
        public const int MaxClasses = 30;

        /// <summary>The most classes whose cells get their fraction written in them.</summary>
        public const int MaxAnnotatedClasses = 15;

        /// <summary>
        /// Counts (true, predicted) pairs of <paramref name="model"/> over every batch of <paramref name="loader"/>
        /// in eval mode without gradients (the previous mode is restored): [classes, classes], classes being the
        /// model's output width; the counts stay on the device until the end (one read). Empty when the loader is.
        /// </summary>
        public static long[,] Count(nn.Module<Tensor, Tensor> model, BatchLoader loader, DeviceSetup? device = null, CancellationToken cancellation = default)
        {
            bool wasTraining = model.training;
            model.eval();
            try
            {
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                Tensor? sums = null;
                int classes = 0;
                foreach (var batch in loader.Epoch(1, cancellation))
                {
                    using (batch)
                    using (torch.NewDisposeScope())
                    {
                        var x = device?.PrepareInput(batch.X) ?? batch.X;
                        var output = model.call(x);
                        if (output.dim() != 2)
                            throw new InvalidDataException($"{model.GetType().Name} returns {Dsl.Shape.Format(output.shape)} for a batch of '{loader.Data.Name}'; a confusion matrix needs one score per class ([N, classes]).");
                        classes = (int)output.shape[1];
                        var counts = ClassificationTask.Confusion(output.argmax(1), batch.Y.to(output.device), classes);
                        if (sums is null) sums = counts.MoveToOuterDisposeScope();
                        else sums.add_(counts);
                    }
                }
                if (sums is null) return new long[0, 0];
                double[] values = sums.cpu().data<double>().ToArray();
                var result = new long[classes, classes];
                for (int t = 0; t < classes; t++)
                    for (int p = 0; p < classes; p++)
                        result[t, p] = (long)values[t * classes + p];
                return result;
            }
            finally
            {
                model.train(wasTraining);
            }
        }

        /// <summary>
        /// What the picture shows of <paramref name="counts"/> [true, predicted]: the classes of the rows (and of the
        /// columns, in the same order), and the fractions [rows, columns] of each row's total (NaN for a class without
        /// samples); when there are more than <paramref name="maxClasses"/> classes, the most frequent true classes
        /// and a last column "other" for predictions of the rest.
        /// </summary>
        public static ConfusionView View(long[,] counts, int maxClasses = MaxClasses)
        {
            int n = counts.GetLength(0);
            if (counts.GetLength(1) != n) throw new ArgumentException($"a confusion matrix is square; got {n} x {counts.GetLength(1)}.", nameof(counts));
            var rowTotals = new long[n];
            for (int t = 0; t < n; t++)
                for (int p = 0; p < n; p++) rowTotals[t] += counts[t, p];
            bool truncated = n > maxClasses;
            int[] shown = truncated
                ? Enumerable.Range(0, n).OrderByDescending(c => rowTotals[c]).ThenBy(c => c).Take(maxClasses).OrderBy(c => c).ToArray()
                : Enumerable.Range(0, n).ToArray();
            int columns = shown.Length + (truncated ? 1 : 0);
            var fractions = new double[shown.Length, columns];
            for (int r = 0; r < shown.Length; r++)
            {
                long total = rowTotals[shown[r]];
                long inShown = 0;
                for (int c = 0; c < shown.Length; c++)
                {
                    long k = counts[shown[r], shown[c]];
                    inShown += k;
                    fractions[r, c] = total == 0 ? double.NaN : (double)k / total;
                }
                if (truncated) fractions[r, columns - 1] = total == 0 ? double.NaN : (double)(total - inShown) / total;
            }
            return new ConfusionView(shown, fractions, shown.Select(c => rowTotals[c]).ToArray(), truncated, n);
        }

        /// <summary>
        /// Draws <paramref name="counts"/> [true, predicted] to a PNG at <paramref name="path"/>, replaced atomically
        /// (temp file, then rename). Class <c>i</c> is labelled <c>classNames[i]</c> when given, else its index.
        /// </summary>
        /// <exception cref="OutputWriteException">The file could not be written (the previous one is unchanged).</exception>
        public static void Save(string path, long[,] counts, IReadOnlyList<string>? classNames = null) => Save(path, counts, classNames, null);

        internal static void Save(string path, long[,] counts, IReadOnlyList<string>? classNames, Func<string, Stream, Stream>? filter)
        {
            var view = View(counts);
            int rows = view.Classes.Length, columns = view.Fractions.GetLength(1);
            string Label(int c) => classNames is not null && c < classNames.Count && classNames[c].Length > 0
                ? (classNames[c].Length > 18 ? classNames[c][..17] + "…" : classNames[c])
                : c.ToString(CultureInfo.InvariantCulture);

            var plt = new ScottPlot.Plot();
            var heatmap = plt.Add.Heatmap(view.Fractions);
            // White for 0 to dark blue for 1 (matplotlib's "Blues", as scikit-learn's ConfusionMatrixDisplay draws).
            heatmap.Colormap = new ScottPlot.Colormaps.CustomInterpolated(new[]
            {
                ScottPlot.Color.FromHex("#f7fbff"), ScottPlot.Color.FromHex("#c6dbef"), ScottPlot.Color.FromHex("#6baed6"),
                ScottPlot.Color.FromHex("#2171b5"), ScottPlot.Color.FromHex("#08306b"),
            });
            heatmap.ManualRange = new ScottPlot.Range(0, 1);
            heatmap.NaNCellColor = ScottPlot.Colors.LightGray;
            // Cell (r, c) centred on (c, rows - 1 - r): row 0 at the top, as confusion matrices are read.
            heatmap.Rectangle = new ScottPlot.CoordinateRect(-0.5, columns - 0.5, -0.5, rows - 0.5);
            plt.Add.ColorBar(heatmap).Label = "fraction of the true class";

            if (rows <= MaxAnnotatedClasses)
            {
                float size = rows <= 6 ? 14 : rows <= 10 ? 12 : 10;
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < columns; c++)
                    {
                        double v = view.Fractions[r, c];
                        var text = plt.Add.Text(double.IsNaN(v) ? "-" : v.ToString("0.00", CultureInfo.InvariantCulture), c, rows - 1 - r);
                        text.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
                        text.LabelFontSize = size;
                        text.LabelFontColor = v > 0.5 ? ScottPlot.Colors.White : ScottPlot.Colors.Black;
                    }
            }

            var xTicks = new ScottPlot.TickGenerators.NumericManual();
            for (int c = 0; c < view.Classes.Length; c++) xTicks.AddMajor(c, Label(view.Classes[c]));
            if (view.Truncated) xTicks.AddMajor(columns - 1, "other");
            plt.Axes.Bottom.TickGenerator = xTicks;
            var yTicks = new ScottPlot.TickGenerators.NumericManual();
            for (int r = 0; r < rows; r++) yTicks.AddMajor(rows - 1 - r, Label(view.Classes[r]));
            plt.Axes.Left.TickGenerator = yTicks;
            bool rotate = columns > 8 || view.Classes.Any(c => Label(c).Length > 4);
            if (rotate)
            {
                plt.Axes.Bottom.TickLabelStyle.Rotation = -45;
                plt.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleRight;
                plt.Axes.Bottom.MinimumSize = 90;
            }
            plt.Axes.SetLimits(-0.5, columns - 0.5, -0.5, rows - 0.5);
            plt.XLabel("predicted class");
            plt.YLabel("true class");
            plt.Title(view.Truncated
                ? $"confusion (rows normalised): the {rows} most frequent of {view.TotalClasses} classes"
                : "confusion (rows normalised)");

            int width = Math.Max(560, 220 + 24 * columns), height = Math.Max(480, 170 + 24 * rows);
            byte[] png = plt.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
            AtomicFile.Write(path, s => s.Write(png), filter);
        }
    }

    /// <summary>What the confusion picture shows (<see cref="ConfusionPicture.View"/>).</summary>
    /// <param name="Classes">The class of each row, and of each column in the same order (ascending indices).</param>
    /// <param name="Fractions">[rows, columns]: the count of (row class, column class) over the row class's total; NaN for a class without samples. With <paramref name="Truncated"/>, a last column for the classes not shown.</param>
    /// <param name="RowTotals">The samples of each row's class.</param>
    /// <param name="Truncated">True when only the most frequent classes are shown.</param>
    /// <param name="TotalClasses">The classes of the whole matrix.</param>
    public sealed record ConfusionView(int[] Classes, double[,] Fractions, long[] RowTotals, bool Truncated, int TotalClasses);
}
