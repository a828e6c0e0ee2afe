namespace Dsl.Runtime.Training
{
    /// <summary>Draws the training curves like D2L's animator: train loss, val loss, train acc and val acc against the epoch.</summary>
    public static class MetricsPlot
    {
        /// <summary>Writes a PNG (atomically: temp file then move).</summary>
        public static void Save(string path, IReadOnlyList<EpochMetrics> rows, int width = 640, int height = 420, TrainingTask? task = null) => Save(path, rows, width, height, null, task);

        internal static void Save(string path, IReadOnlyList<EpochMetrics> rows, int width, int height, Func<string, Stream, Stream>? filter, TrainingTask? task = null)
        {
            string metric = (task ?? new ClassificationTask()).MetricKey;
            int n = rows.Count;
            var x = new double[n];
            var trainLoss = new double[n];
            var trainAcc = new double[n];
            var valLoss = new double[n];
            var valAcc = new double[n];
            bool hasVal = false;
            for (int i = 0; i < n; i++)
            {
                var r = rows[i];
                x[i] = r.Epoch;
                trainLoss[i] = r.TrainLoss;
                trainAcc[i] = r.TrainAccuracy;
                valLoss[i] = r.ValLoss;
                valAcc[i] = r.ValAccuracy;
                hasVal |= !double.IsNaN(r.ValLoss);
            }
            var plt = new ScottPlot.Plot();
            Add(plt, x, trainLoss, "train loss", ScottPlot.Colors.C0, dashed: false);
            if (hasVal) Add(plt, x, valLoss, "val loss", ScottPlot.Colors.C1, dashed: true);
            Add(plt, x, trainAcc, "train " + metric, ScottPlot.Colors.C2, dashed: false);
            if (hasVal) Add(plt, x, valAcc, "val " + metric, ScottPlot.Colors.C3, dashed: true);
            plt.XLabel("epoch");
            plt.Title("training curves");
            plt.ShowLegend(ScottPlot.Alignment.UpperRight);
            plt.Axes.SetLimitsX(0.8, Math.Max(2, n) + 0.2);
            plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            byte[] png = plt.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
            AtomicFile.Write(path, s => s.Write(png), filter);
        }

        private static void Add(ScottPlot.Plot plt, double[] x, double[] y, string label, ScottPlot.Color color, bool dashed)
        {
            var s = plt.Add.Scatter(x, y, color);
            s.LegendText = label;
            s.LineWidth = 2;
            s.MarkerSize = 5;
            if (dashed) s.LinePattern = ScottPlot.LinePattern.Dashed;
        }
    }

    /// <summary>Redraws metrics.png after every epoch (and at the start of a resumed run).</summary>
    internal sealed class MetricsPlotCallback : TrainingCallback
    {
        private static string PathIn(TrainingContext c) => Path.Combine(c.OutputDir, Trainer.PlotName);

        public override void OnTrainStart(TrainingContext context)
        {
            if (context.Metrics.Count > 0) MetricsPlot.Save(PathIn(context), context.Metrics, 640, 420, context.Options.WriteFilter, context.Task);
        }

        public override void OnEpochEnd(TrainingContext context, EpochMetrics metrics) =>
            MetricsPlot.Save(PathIn(context), context.Metrics, 640, 420, context.Options.WriteFilter, context.Task);
    }
}
