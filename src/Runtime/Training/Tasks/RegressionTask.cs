using Dsl.Runtime.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Training
{
    /// <summary>The loss of a <see cref="RegressionTask"/>.</summary>
    public enum RegressionLoss
    {
        /// <summary>Mean squared error (<c>torch.nn.MSELoss</c>).</summary>
        Mse,
        /// <summary>Mean absolute error (<c>torch.nn.L1Loss</c>).</summary>
        Mae,
        /// <summary>Huber loss with <see cref="RegressionTask.HuberDelta"/> (<c>torch.nn.HuberLoss</c>).</summary>
        Huber,
    }

    /// <summary>
    /// Real-valued targets [N, K] from outputs [N, K]: MSE, MAE or Huber loss; metrics R² (the main one) and MAE.
    /// </summary>
    /// <remarks>
    /// R² = 1 - SS_res / SS_tot per output column over the whole epoch (SS_tot around the epoch's mean target), averaged
    /// over the columns: scikit-learn's <c>r2_score</c> and torchmetrics' <c>R2Score(multioutput="uniform_average")</c>.
    /// A column whose targets are all equal has no R² (NaN). MAE is the mean absolute error over every value.
    /// </remarks>
    public sealed class RegressionTask : TrainingTask
    {
        /// <summary>Creates the task.</summary>
        public RegressionTask(RegressionLoss loss = RegressionLoss.Mse, double huberDelta = 1.0)
        {
            if (!(huberDelta > 0)) throw new InvalidOptionException("Huber delta", "a number greater than 0", huberDelta.ToString(System.Globalization.CultureInfo.InvariantCulture));
            LossKind = loss;
            HuberDelta = huberDelta;
        }

        /// <summary>The loss.</summary>
        public RegressionLoss LossKind { get; }

        /// <summary>The Huber loss's threshold between its squared and linear parts.</summary>
        public double HuberDelta { get; }

        /// <inheritdoc/>
        public override string Name => "regression";

        /// <inheritdoc/>
        public override string MetricName => "R²";

        /// <inheritdoc/>
        public override string MetricKey => "r2";

        /// <inheritdoc/>
        public override IReadOnlyList<string> ExtraMetrics { get; } = new[] { "mae" };

        /// <inheritdoc/>
        public override Tensor Loss(Tensor output, Tensor target)
        {
            var y = target.to_type(output.dtype).reshape(output.shape);
            return LossKind switch
            {
                RegressionLoss.Mae => nn.functional.l1_loss(output, y),
                RegressionLoss.Huber => nn.functional.huber_loss(output, y, delta: HuberDelta),
                _ => nn.functional.mse_loss(output, y),
            };
        }

        /// <inheritdoc/>
        /// <remarks>[SS_res per column (K), sum of targets per column (K), sum of squared targets per column (K), sum of absolute errors, samples].</remarks>
        public override Tensor Statistics(Tensor output, Tensor target)
        {
            var o = output.to_type(ScalarType.Float64).reshape(output.shape[0], -1);
            var y = target.to_type(ScalarType.Float64).reshape(o.shape);
            var err = o - y;
            var n = torch.tensor((double)o.shape[0], ScalarType.Float64, output.device).reshape(1);
            return torch.cat(new[] { err.square().sum(dim: 0), y.sum(dim: 0), y.square().sum(dim: 0), err.abs().sum().reshape(1), n });
        }

        /// <inheritdoc/>
        public override (double Metric, double[] Extra) Compute(double[] sums)
        {
            int k = (sums.Length - 2) / 3;
            double n = sums[3 * k + 1];
            if (n == 0) return (double.NaN, new[] { double.NaN });
            double r2 = 0;
            for (int j = 0; j < k; j++)
            {
                double ssRes = sums[j], sum = sums[k + j], sumSq = sums[2 * k + j];
                double ssTot = sumSq - sum * sum / n;
                r2 += ssTot > 0 ? 1 - ssRes / ssTot : double.NaN;
            }
            return (r2 / k, new[] { sums[3 * k] / (n * k) });
        }

        /// <inheritdoc/>
        public override string ToString() =>
            $"regression ({(LossKind == RegressionLoss.Huber ? $"Huber loss, delta {HuberDelta.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : LossKind.ToString().ToUpperInvariant())}; R² and MAE)";

        /// <inheritdoc/>
        public override void Check(string model, Dataset data, string role, long[] output, Tensor target)
        {
            long values = 1;
            foreach (var d in output) values *= d;
            if (values != target.numel())
                throw new InvalidDataException(
                    $"{model} returns {Dsl.Shape.Format(output)} per sample of the {role} '{data.Name}', whose targets hold {target.numel()} value(s); a regression network ends in as many outputs as the target has values.");
        }
    }
}
