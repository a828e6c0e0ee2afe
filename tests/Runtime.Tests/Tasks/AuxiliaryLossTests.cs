using System;
using System.Linq;
using Dsl.Runtime.Data;
using Dsl.Runtime.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.Tasks
{
    /// <summary>A classifier with an auxiliary classifier on an earlier value, its loss weighted 0.4 (no normalisation or dropout: both modes are deterministic).</summary>
    [Input(1, 8, 8)]
    [Conv2d(4, 3, Padding = 1, Name = "conv")] [ReLU]
    [Conv2d(4, 3, Stride = 2, Padding = 1, Name = "mid")]
    [Flatten(From = "mid", Name = "aux_flat")] [Linear(3, Name = "aux")]
    [Output("aux", Auxiliary = true, LossWeight = 0.4)]
    [Conv2d(4, 3, Padding = 1, From = "mid", Name = "late")] [Flatten] [Linear(3, Name = "fc")]
    public partial class AuxClassifier;

    /// <summary>
    /// The trainer trains a network's weighted outputs as torchvision's reference scripts do: the main output's loss plus
    /// each auxiliary output's times its weight (the loss it reports is that sum); evaluation scores the main output alone.
    /// </summary>
    public class AuxiliaryLossTests
    {
        /// <summary>Sixteen samples in memory, read as they are.</summary>
        private sealed class Samples : Dataset
        {
            private readonly Tensor _x, _y;

            public Samples(Tensor x, Tensor y) { _x = x; _y = y; }

            public override string Name => "samples";
            public override int Count => (int)_x.shape[0];
            public override Dsl.Shape? SampleShape => new(1, 8, 8);
            public override Example Read(int index) => new(_x[index].clone(), _y[index].clone(), TargetKind.Class, "samples");
        }

        [Fact]
        public void Training_adds_the_auxiliary_loss_times_its_weight()
        {
            manual_seed(3);
            using var scope = NewDisposeScope();
            var x = randn(16, 1, 8, 8);
            var y = tensor(Enumerable.Range(0, 16).Select(i => (long)(i % 3)).ToArray());
            using var net = new AuxClassifier();
            Assert.Equal(new[] { "out", "aux" }, AuxClassifier.Info.Outputs.Select(o => o.Name));
            Assert.Equal(0.4, AuxClassifier.Info.Outputs[1].LossWeight);

            // The loss before the step, computed here: both heads in training mode, cross-entropy of each.
            net.train();
            double expected;
            using (no_grad())
            using (var outputs = net.ForwardOutputs(x))
                expected = (nn.functional.cross_entropy(outputs.@out, y) + 0.4 * nn.functional.cross_entropy(outputs.aux!, y)).item<float>();
            double mainOnly;
            using (no_grad()) mainOnly = nn.functional.cross_entropy(net.call(x), y).item<float>();

            // One batch of all sixteen: the epoch's training loss is the loss of that batch, computed before the optimizer's step.
            using var data = new Samples(x, y);
            var result = Trainer.Fit(net, data, null, new TrainOptions
            {
                OutputDir = TestData.TempDir("aux-loss"),
                Epochs = 1,
                BatchSize = 16,
                LearningRate = 0.01,
                Momentum = 0,
                Seed = 1,
                Progress = ProgressMode.Silent,
                Plot = false,
                ReleaseMemoryEachEpoch = false,
            });
            double trained = result.Last!.TrainLoss;
            Assert.True(Math.Abs(trained - expected) < 1e-4, $"training loss {trained}, expected {expected} (main output alone {mainOnly})");
            Assert.True(Math.Abs(expected - mainOnly) > 1e-3, "the auxiliary loss must change the sum for this test to tell them apart");

            // Evaluation scores the main output alone (the auxiliary head does not run in evaluation mode).
            double after;
            using (no_grad()) after = nn.functional.cross_entropy(net.call(x), y).item<float>();
            var evaluated = Trainer.Evaluate(net, data, batchSize: 16);
            Assert.True(Math.Abs(evaluated.Loss - after) < 1e-4, $"evaluation loss {evaluated.Loss}, main output's {after}");
        }
    }
}
