using System;
using System.Linq;
using Dsl.Runtime.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.Tasks
{
    /// <summary>Each task's loss and metrics on small fixed examples, against values computed by hand in the comments.</summary>
    public sealed class TaskMetricTests
    {
        private static double[] Sums(TrainingTask task, Tensor output, Tensor target)
        {
            using var s = task.Statistics(output, target);
            return s.data<double>().ToArray();
        }

        [Fact]
        public void Classification_loss_top1_and_top5_match_hand_computed_values()
        {
            // Two samples, two classes. Sample 0: logits [0, ln 3] -> p = [1/4, 3/4], label 1: -ln(3/4).
            // Sample 1: logits [0, 0] -> p = [1/2, 1/2], label 0: -ln(1/2). Mean = (ln(4/3) + ln 2) / 2.
            using var logits = torch.tensor(new float[] { 0, (float)Math.Log(3), 0, 0 }, new long[] { 2, 2 });
            using var labels = torch.tensor(new long[] { 1, 0 });
            var task = new ClassificationTask();
            using var loss = task.Loss(logits, labels);
            Assert.Equal((Math.Log(4.0 / 3) + Math.Log(2)) / 2, loss.item<float>(), 5);

            // Label smoothing 0.2 over 2 classes: target = (1 - 0.2) one-hot + 0.1 each.
            // Sample 0: -(0.1 ln 1/4 + 0.9 ln 3/4); sample 1: -(0.9 ln 1/2 + 0.1 ln 1/2) = ln 2.
            using var smoothed = new ClassificationTask(0.2).Loss(logits, labels);
            double s0 = -(0.1 * Math.Log(0.25) + 0.9 * Math.Log(0.75)), s1 = Math.Log(2);
            Assert.Equal((s0 + s1) / 2, smoothed.item<float>(), 5);
        }

        [Fact]
        public void Classification_top_k_counts_a_label_in_the_five_best_scores()
        {
            // 7 classes. Sample 0: label 6 scores best (top-1 and top-5 hit). Sample 1: label 0 is 3rd best (top-5 only).
            // Sample 2: label 1 scores worst (no hit). Top-1 = 1/3, top-5 = 2/3.
            using var logits = torch.tensor(new float[]
            {
                0, 1, 2, 3, 4, 5, 6,
                5, 7, 6, 1, 2, 3, 0,
                6, 0, 5, 4, 3, 2, 1,
            }, new long[] { 3, 7 });
            using var labels = torch.tensor(new long[] { 6, 0, 1 });
            var task = new ClassificationTask();
            var sums = Sums(task, logits, labels);
            Assert.Equal(new double[] { 1, 2, 3 }, sums);
            var (top1, extra) = task.Compute(sums);
            Assert.Equal(1.0 / 3, top1, 12);
            Assert.Equal(2.0 / 3, extra[0], 12);
        }

        [Fact]
        public void Segmentation_metrics_follow_the_confusion_matrix_and_skip_ignored_pixels()
        {
            // One 2x3 image, 3 classes. Predictions (argmax) and masks, 255 = ignore:
            //   predicted 0 0 1      mask 0 1 1
            //             2 2 1           2 0 255
            // Confusion over the 5 labelled pixels (true, predicted): (0,0) (1,0) (1,1) (2,2) (0,2).
            // class 0: TP 1, FP 1 (true 1), FN 1 (pred 2) -> IoU 1/3; class 1: TP 1, FN 1 -> 1/2; class 2: TP 1, FP 1 -> 1/2.
            // Mean IoU = (1/3 + 1/2 + 1/2) / 3 = 4/9; pixel accuracy = 3/5.
            var predicted = new long[] { 0, 0, 1, 2, 2, 1 };
            using var logits = torch.zeros(1, 3, 2, 3);
            for (int i = 0; i < 6; i++) logits[0, predicted[i], i / 3, i % 3] = torch.tensor(5f);
            using var mask = torch.tensor(new long[] { 0, 1, 1, 2, 0, 255 }, new long[] { 1, 2, 3 });
            var task = new SegmentationTask(3);
            var sums = Sums(task, logits, mask);
            Assert.Equal(new double[] { 1, 0, 1, 1, 1, 0, 0, 0, 1 }, sums);
            var (miou, extra) = task.Compute(sums);
            Assert.Equal(4.0 / 9, miou, 12);
            Assert.Equal(3.0 / 5, extra[0], 12);

            // The loss is the mean cross-entropy over the 5 labelled pixels only: each pixel's logits are 5 for its
            // predicted class and 0 otherwise, so -log p(true) is log(2 + e^5) - 5 when right, log(2 + e^5) when wrong.
            using var loss = task.Loss(logits, mask);
            double z = Math.Log(2 + Math.Exp(5));
            Assert.Equal((3 * (z - 5) + 2 * z) / 5, loss.item<float>(), 4);
        }

        [Fact]
        public void Segmentation_mean_iou_leaves_out_classes_absent_from_masks_and_predictions()
        {
            // 4 classes, class 3 never occurs: IoU over classes 0..2 only. Perfect predictions: mean IoU 1.
            var task = new SegmentationTask(4);
            var sums = new double[16];
            sums[0] = 5; sums[5] = 3; sums[10] = 2;
            Assert.Equal(1.0, task.Compute(sums).Metric, 12);
        }

        [Fact]
        public void Regression_losses_r2_and_mae_match_hand_computed_values()
        {
            // Targets 1, 2, 3, 4 (mean 2.5, SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5); outputs 1, 2, 2, 6:
            // errors 0, 0, -1, 2 -> SS_res = 5, MSE = 5/4, MAE = 3/4, R² = 1 - 5/5 = 0.
            using var output = torch.tensor(new float[] { 1, 2, 2, 6 }, new long[] { 4, 1 });
            using var target = torch.tensor(new float[] { 1, 2, 3, 4 }, new long[] { 4, 1 });
            using (var mse = new RegressionTask().Loss(output, target)) Assert.Equal(1.25, mse.item<float>(), 6);
            using (var mae = new RegressionTask(RegressionLoss.Mae).Loss(output, target)) Assert.Equal(0.75, mae.item<float>(), 6);
            // Huber, delta 1: |e| <= 1 -> e^2/2, else |e| - 1/2: (0 + 0 + 0.5 + 1.5) / 4 = 0.5.
            using (var huber = new RegressionTask(RegressionLoss.Huber).Loss(output, target)) Assert.Equal(0.5, huber.item<float>(), 6);

            var task = new RegressionTask();
            var (r2, extra) = task.Compute(Sums(task, output, target));
            Assert.Equal(0.0, r2, 12);
            Assert.Equal(0.75, extra[0], 12);

            // Two batches add up to the whole epoch's R²: outputs 1.5, 2.5, 3.5, 3.5 -> SS_res = 0.25 * 3 + 0.25 = 1, R² = 0.8.
            using var o1 = torch.tensor(new float[] { 1.5f, 2.5f }, new long[] { 2, 1 });
            using var o2 = torch.tensor(new float[] { 3.5f, 3.5f }, new long[] { 2, 1 });
            var a = Sums(task, o1, target.narrow(0, 0, 2));
            var b = Sums(task, o2, target.narrow(0, 2, 2));
            Assert.Equal(0.8, task.Compute(a.Zip(b, (x, y) => x + y).ToArray()).Metric, 12);
        }

        [Fact]
        public void Regression_r2_averages_over_output_columns()
        {
            // Column 0 perfect (R² 1); column 1 predicts the mean (R² 0): uniform average 0.5, as scikit-learn's r2_score.
            using var target = torch.tensor(new float[] { 1, 10, 2, 20, 3, 30 }, new long[] { 3, 2 });
            using var output = torch.tensor(new float[] { 1, 20, 2, 20, 3, 20 }, new long[] { 3, 2 });
            var task = new RegressionTask();
            Assert.Equal(0.5, task.Compute(Sums(task, output, target)).Metric, 12);
        }

        /// <summary>A mask set that reads nothing: only its kind, classes and ignore index matter here.</summary>
        private sealed class MaskSet : Dsl.Runtime.Data.Dataset
        {
            public override string Name => "masks";
            public override int Count => 4;
            public override Dsl.Runtime.Data.TargetKind TargetKind => Dsl.Runtime.Data.TargetKind.Mask;
            public override System.Collections.Generic.IReadOnlyList<string> ClassNames { get; } = new[] { "0", "1" };
            public override int? IgnoreIndex => 7;
            public override Dsl.Runtime.Data.Example Read(int index) => throw new NotSupportedException();
        }

        [Fact]
        public void The_chosen_segmentation_task_keeps_the_ignore_index_of_the_data_through_views()
        {
            using var masks = new MaskSet();
            var view = masks.Subset(new[] { 0, 2 }).WithTransform(new Dsl.Runtime.Data.Transforms.RandomHorizontalFlip());
            var task = Assert.IsType<SegmentationTask>(TrainingTask.For(view, new long[] { 2, 4, 4 }));
            Assert.Equal(7, task.IgnoreIndex);
            Assert.Equal(2, task.Classes);
        }
    }
}
