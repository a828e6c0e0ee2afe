using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Dsl.Benchmarks
{
    /// <summary>Median, quartiles and range of a set of measurements.</summary>
    public sealed class Stats
    {
        public Stats(IEnumerable<double> samples)
        {
            Raw = samples.ToArray();
            Samples = Raw.OrderBy(v => v).ToArray();
            if (Samples.Length == 0) throw new ArgumentException("no samples");
        }

        /// <summary>The measurements in the order they were taken.</summary>
        public double[] Raw { get; }

        /// <summary>The measurements in ascending order.</summary>
        public double[] Samples { get; }
        public int Count => Samples.Length;
        public double Min => Samples[0];
        public double Max => Samples[^1];
        public double Median => Quantile(0.5);
        public double Q1 => Quantile(0.25);
        public double Q3 => Quantile(0.75);

        public double Quantile(double q)
        {
            double pos = q * (Samples.Length - 1);
            int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
            return Samples[lo] + (Samples[hi] - Samples[lo]) * (pos - lo);
        }

        /// <summary>"median [min-max, IQR q1-q3] (n)" with <paramref name="format"/> for the numbers.</summary>
        public string Format(string format = "F1") =>
            string.Create(CultureInfo.InvariantCulture,
                $"{Median.ToString(format, CultureInfo.InvariantCulture)} [min {Min.ToString(format, CultureInfo.InvariantCulture)}, max {Max.ToString(format, CultureInfo.InvariantCulture)}, IQR {Q1.ToString(format, CultureInfo.InvariantCulture)}-{Q3.ToString(format, CultureInfo.InvariantCulture)}, n={Count}]");
    }

    /// <summary>One line of the final summary table: a measured value against its target.</summary>
    public sealed record Verdict(string Benchmark, string Measured, string Target, bool? Met, string Note = "");
}
