using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Runtime.Autocast
{
    /// <summary>
    /// Dynamic loss scaling for float16 training (PyTorch's <c>GradScaler</c> and its defaults): the loss is multiplied
    /// by <see cref="Scale"/> before backward so small float16 gradients do not flush to zero; the float32 gradients are
    /// divided by it again before the optimizer step. A step whose gradients hold an infinity or NaN is skipped and the
    /// scale halved; after <c>growthInterval</c> finite steps in a row the scale doubles. bfloat16 has float32's range
    /// and needs none of this.
    /// </summary>
    public sealed class GradScaler
    {
        private readonly double _growthFactor;
        private readonly double _backoffFactor;
        private readonly int _growthInterval;
        private int _finiteSteps;

        /// <summary>Creates a scaler (PyTorch's defaults: 2^16, x2 every 2000 finite steps, x0.5 on overflow).</summary>
        public GradScaler(double initialScale = 65536, double growthFactor = 2, double backoffFactor = 0.5, int growthInterval = 2000)
        {
            Scale = initialScale;
            _growthFactor = growthFactor;
            _backoffFactor = backoffFactor;
            _growthInterval = growthInterval;
        }

        /// <summary>The factor the loss is multiplied by.</summary>
        public double Scale { get; private set; }

        /// <summary>Steps skipped because their gradients overflowed.</summary>
        public int SkippedSteps { get; private set; }

        /// <summary>The loss to call backward on.</summary>
        public Tensor ScaleLoss(Tensor loss) => loss.mul(Scale);

        /// <summary>
        /// Divides every gradient by <see cref="Scale"/> and says whether all are finite (one read from the device),
        /// then updates the scale: when this returns false, skip the optimizer step.
        /// </summary>
        public bool UnscaleAndUpdate(IReadOnlyList<Parameter> parameters)
        {
            using var scope = NewDisposeScope();
            var checks = new List<Tensor>(parameters.Count);
            foreach (var p in parameters)
            {
                if (p.grad is not { } g) continue;
                g.mul_(1.0 / Scale);
                checks.Add(isfinite(g).all());
            }
            bool ok = checks.Count == 0 || stack(checks).all().cpu().item<bool>();
            if (!ok)
            {
                Scale *= _backoffFactor;
                _finiteSteps = 0;
                SkippedSteps++;
            }
            else if (++_finiteSteps >= _growthInterval)
            {
                Scale *= _growthFactor;
                _finiteSteps = 0;
            }
            return ok;
        }
    }
}
