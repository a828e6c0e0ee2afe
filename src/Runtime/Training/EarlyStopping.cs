using System.Globalization;
using System.Text.Json.Nodes;

namespace Dsl.Runtime.Training
{
    /// <summary>
    /// Tracks the best epoch of the watched validation metric and, with a patience, ends the run after that many
    /// epochs without an improvement of at least the minimum delta. Its counters are kept in the checkpoint, so a
    /// resumed run stops exactly where an uninterrupted one would.
    /// </summary>
    internal sealed class EarlyStopping : TrainingCallback
    {
        public const string Key = "EarlyStopping";
        private readonly int? _patience;
        private readonly EarlyStoppingMetric _metric;
        private readonly double _minDelta;

        public EarlyStopping(TrainOptions o)
        {
            _patience = o.EarlyStoppingPatience;
            _metric = o.EarlyStoppingMetric;
            _minDelta = o.EarlyStoppingMinDelta;
        }

        public override string StateKey => Key;

        /// <summary>Best value of the watched metric so far (null before the first validation).</summary>
        public double? Best { get; private set; }

        /// <summary>Epoch of <see cref="Best"/> (0 before the first validation).</summary>
        public int BestEpoch { get; private set; }

        /// <summary>Epochs since the last improvement.</summary>
        public int EpochsWithoutImprovement { get; private set; }

        public override void OnEpochEnd(TrainingContext context, EpochMetrics m)
        {
            if (double.IsNaN(m.ValLoss)) return; // no validation data
            bool lowerIsBetter = _metric == EarlyStoppingMetric.ValLoss;
            double v = lowerIsBetter ? m.ValLoss : m.ValAccuracy;
            bool improved = Best is not double b || (lowerIsBetter ? v < b - _minDelta : v > b + _minDelta);
            if (improved)
            {
                Best = v;
                BestEpoch = m.Epoch;
                EpochsWithoutImprovement = 0;
            }
            else EpochsWithoutImprovement++;
            if (_patience is int p && EpochsWithoutImprovement >= p)
            {
                context.RequestStop(string.Format(CultureInfo.InvariantCulture,
                    "early stopping: no improvement of {0} for {1} epochs (best epoch {2})",
                    lowerIsBetter ? "val loss" : "val accuracy", EpochsWithoutImprovement, BestEpoch));
            }
        }

        public override JsonNode SaveState() => new JsonObject
        {
            ["best"] = Best,
            ["bestEpoch"] = BestEpoch,
            ["epochsWithoutImprovement"] = EpochsWithoutImprovement,
        };

        public override void LoadState(JsonNode state)
        {
            Best = state["best"]?.GetValue<double>();
            BestEpoch = state["bestEpoch"]?.GetValue<int>() ?? 0;
            EpochsWithoutImprovement = state["epochsWithoutImprovement"]?.GetValue<int>() ?? 0;
        }

        /// <summary>The state as checkpoints written before callbacks existed hold it (three header fields).</summary>
        public static JsonNode? FromLegacyHeader(CheckpointHeader h) =>
            h.BestMetric is null && h.BestEpoch == 0 && h.EpochsWithoutImprovement == 0
                ? null
                : new JsonObject { ["best"] = h.BestMetric, ["bestEpoch"] = h.BestEpoch, ["epochsWithoutImprovement"] = h.EpochsWithoutImprovement };
    }
}
