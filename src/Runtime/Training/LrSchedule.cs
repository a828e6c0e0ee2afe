namespace Dsl.Runtime.Training
{
    /// <summary>
    /// Learning rate as a pure function of the optimizer step, so a resumed run needs only the step count
    /// (stored in the checkpoint) to continue the schedule exactly. Step decays at epoch boundaries;
    /// cosine and one-cycle change every batch.
    /// </summary>
    public static class LrSchedule
    {
        /// <summary>The learning rate for optimizer step <paramref name="step"/> (0-based) of a run.</summary>
        public static double At(TrainOptions o, long step, int stepsPerEpoch)
        {
            double baseLr = o.LearningRate;
            long total = Math.Max(1L, (long)o.Epochs * Math.Max(1, stepsPerEpoch));
            step = Math.Clamp(step, 0, total);
            switch (o.Schedule)
            {
                case LrScheduleKind.Constant:
                    return baseLr;
                case LrScheduleKind.Step:
                    {
                        long epochIndex = step / Math.Max(1, stepsPerEpoch);
                        return baseLr * Math.Pow(o.StepGamma, epochIndex / o.StepEpochs);
                    }
                case LrScheduleKind.Cosine:
                    return o.MinLearningRate + (baseLr - o.MinLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * step / total));
                case LrScheduleKind.OneCycle:
                    {
                        double start = baseLr / o.OneCycleDivFactor;
                        double end = start / o.OneCycleFinalDivFactor;
                        double warm = Math.Max(1.0, o.OneCyclePctStart * total);
                        if (step <= warm) return Anneal(start, baseLr, step / warm);
                        return Anneal(baseLr, end, (step - warm) / Math.Max(1.0, total - warm));
                    }
                default:
                    throw new ArgumentOutOfRangeException(nameof(o), o.Schedule, "unknown schedule");
            }
        }

        private static double Anneal(double from, double to, double t) =>
            to + (from - to) * 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(t, 0, 1)));
    }
}
