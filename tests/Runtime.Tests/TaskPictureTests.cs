using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Dsl.Runtime.Data;
using Dsl.Runtime.Training;
using SkiaSharp;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// Predicts the class written in the input: each sample is a uint8 image whose (first) pixel holds the class to
    /// predict, scaled to [0, 1] by the batch transform; the logits are one-hot. Its one parameter is multiplied by 0,
    /// so training runs (the optimizer has something to step) without changing a prediction.
    /// </summary>
    internal sealed class ClassFromPixelModel : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter bias;
        private readonly int _classes;

        public ClassFromPixelModel(int classes) : base(nameof(ClassFromPixelModel))
        {
            _classes = classes;
            bias = nn.Parameter(torch.zeros(classes));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var cls = x.flatten(1).select(1, 0).mul(255).round().to_type(ScalarType.Int64);
            return nn.functional.one_hot(cls, _classes).to_type(ScalarType.Float32).mul(10).add(bias.mul(0));
        }
    }

    /// <summary>
    /// Predicts, for each pixel, the class written in that pixel of the input (uint8, scaled to [0, 1] and optionally
    /// normalised with <paramref name="mean"/> and <paramref name="std"/>, which it undoes): logits [N, classes, H, W].
    /// </summary>
    internal sealed class ClassPerPixelModel : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter bias;
        private readonly int _classes;
        private readonly double _mean, _std;

        public ClassPerPixelModel(int classes, double mean = 0, double std = 1) : base(nameof(ClassPerPixelModel))
        {
            _classes = classes;
            _mean = mean;
            _std = std;
            bias = nn.Parameter(torch.zeros(classes));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var cls = x.select(1, 0).mul(_std).add(_mean).mul(255).round().to_type(ScalarType.Int64);
            var logits = nn.functional.one_hot(cls, _classes).to_type(ScalarType.Float32).permute(0, 3, 1, 2).mul(10);
            return logits.add(bias.mul(0).reshape(1, -1, 1, 1));
        }
    }

    /// <summary>Masks held in memory: grey images uint8 [1, H, W] and int64 masks [H, W].</summary>
    internal sealed class MasksInMemory : Dataset
    {
        private readonly byte[][,] _images;
        private readonly long[][,] _masks;

        public MasksInMemory(byte[][,] images, long[][,] masks)
        {
            _images = images;
            _masks = masks;
        }

        public override string Name => "masks in memory";
        public override int Count => _images.Length;
        public override TargetKind TargetKind => TargetKind.Mask;

        public override Example Read(int index)
        {
            var img = _images[index];
            int h = img.GetLength(0), w = img.GetLength(1);
            var input = torch.tensor(img.Cast<byte>().ToArray(), new long[] { 1, h, w });
            var target = torch.tensor(_masks[index].Cast<long>().ToArray(), new long[] { h, w });
            return new Example(input, target, TargetKind.Mask, $"sample {index}");
        }
    }

    public class TaskPictureTests
    {
        // The fixed example: true and predicted classes of ten samples over three classes.
        private static readonly long[] True = { 0, 0, 0, 1, 1, 2, 2, 2, 2, 0 };
        private static readonly long[] Predicted = { 0, 1, 0, 1, 2, 2, 2, 0, 2, 2 };

        // Counted by hand from the two lines above: row = true class, column = predicted class.
        private static readonly long[,] HandConfusion =
        {
            { 2, 1, 1 },
            { 0, 1, 1 },
            { 1, 0, 3 },
        };

        private static readonly string[] Names = { "cat", "dog", "bird" };

        private static ImageDataset ClassSet(string name) =>
            new(name, torch.tensor(Predicted.Select(p => (byte)p).ToArray(), new long[] { Predicted.Length, 1, 1, 1 }), torch.tensor(True), Names);

        private static TrainOptions Options(string dir) => new()
        {
            Epochs = 1,
            BatchSize = 4,
            LearningRate = 0.01,
            OutputDir = dir,
            Progress = ProgressMode.Silent,
            Seed = 1,
        };

        [Fact]
        public void ClassificationConfusionCountsTrueAgainstPredicted()
        {
            using var scope = torch.NewDisposeScope();
            var flat = ClassificationTask.Confusion(torch.tensor(Predicted), torch.tensor(True), 3).data<double>().ToArray();
            for (int t = 0; t < 3; t++)
                for (int p = 0; p < 3; p++)
                    Assert.Equal(HandConfusion[t, p], flat[t * 3 + p]);
        }

        [Fact]
        public void CountRunsTheModelOverEveryBatchInEvalMode()
        {
            using var data = ClassSet("val");
            var model = new ClassFromPixelModel(3);
            model.train();
            var counts = ConfusionPicture.Count(model, new BatchLoader(data, 3, shuffle: false));
            Assert.Equal(HandConfusion, counts);
            Assert.True(model.training); // the mode it had
        }

        [Fact]
        public void ViewNormalisesEachRow()
        {
            var view = ConfusionPicture.View(HandConfusion);
            Assert.Equal(new[] { 0, 1, 2 }, view.Classes);
            Assert.False(view.Truncated);
            Assert.Equal(new long[] { 4, 2, 4 }, view.RowTotals);
            double[,] expected = { { 0.5, 0.25, 0.25 }, { 0, 0.5, 0.5 }, { 0.25, 0, 0.75 } };
            Assert.Equal(expected, view.Fractions);
        }

        [Fact]
        public void ViewOfManyClassesKeepsTheMostFrequentAndAnOtherColumn()
        {
            // Class t has t + 1 samples, all predicted right, except class 39, of which 5 more are predicted as class 0.
            var counts = new long[40, 40];
            for (int t = 0; t < 40; t++) counts[t, t] = t + 1;
            counts[39, 0] = 5;
            var view = ConfusionPicture.View(counts);
            Assert.True(view.Truncated);
            Assert.Equal(40, view.TotalClasses);
            Assert.Equal(Enumerable.Range(10, 30).ToArray(), view.Classes); // the 30 most frequent, in index order
            Assert.Equal(31, view.Fractions.GetLength(1));
            Assert.Equal(1.0, view.Fractions[0, 0]); // class 10
            Assert.Equal(0.0, view.Fractions[0, 30]);
            Assert.Equal(40.0 / 45, view.Fractions[29, 29], 12); // class 39
            Assert.Equal(5.0 / 45, view.Fractions[29, 30], 12); // predicted as class 0, which is not shown
            Assert.Equal(45, view.RowTotals[29]);
        }

        [Fact]
        public void ClassificationRunWritesConfusionPicture()
        {
            string dir = TestData.TempDir("confusion");
            using var train = ClassSet("train");
            using var val = ClassSet("val");
            var result = Trainer.Fit(new ClassFromPixelModel(3), train, val, Options(dir));

            string path = Path.Combine(dir, ConfusionPicture.FileName);
            Assert.Equal(new[] { path }, result.PicturePaths);
            Assert.False(File.Exists(path + ".tmp"));
            using var png = SKBitmap.Decode(path);
            Assert.NotNull(png);
            Assert.Equal(560, png.Width); // the smallest picture, for up to 12 classes
            Assert.Equal(480, png.Height);
        }

        [Fact]
        public void ManyClassesGiveALargerPicture()
        {
            string path = Path.Combine(TestData.TempDir("confusion-many"), ConfusionPicture.FileName);
            var counts = new long[40, 40];
            for (int t = 0; t < 40; t++) counts[t, t] = t + 1;
            ConfusionPicture.Save(path, counts);
            using var png = SKBitmap.Decode(path);
            Assert.Equal(220 + 24 * 31, png.Width); // 30 classes and "other"
            Assert.Equal(170 + 24 * 30, png.Height);
        }

        [Fact]
        public void PicturesCanBeTurnedOff()
        {
            string dir = TestData.TempDir("no-pictures");
            using var train = ClassSet("train");
            using var val = ClassSet("val");
            var result = Trainer.Fit(new ClassFromPixelModel(3), train, val, Options(dir) with { Pictures = false });
            Assert.Empty(result.PicturePaths);
            Assert.False(File.Exists(Path.Combine(dir, ConfusionPicture.FileName)));
            Assert.True(File.Exists(result.CheckpointPath));
        }

        [Fact]
        public void NoPicturesWithoutValidationData()
        {
            string dir = TestData.TempDir("no-val");
            using var train = ClassSet("train");
            var result = Trainer.Fit(new ClassFromPixelModel(3), train, null, Options(dir));
            Assert.Empty(result.PicturePaths);
            Assert.False(File.Exists(Path.Combine(dir, ConfusionPicture.FileName)));

            var seg = Segmentation(out _, out _);
            result = Trainer.Fit(new ClassPerPixelModel(4), seg, null, Options(TestData.TempDir("no-val-seg")));
            Assert.Empty(result.PicturePaths);
            Assert.False(File.Exists(Path.Combine(result.OutputDir, PredictionsPicture.FileName)));
        }

        [Fact]
        public void PaletteIsPascalVoc()
        {
            Assert.Equal(new SKColor(0, 0, 0), PredictionsPicture.ClassColor(0));
            Assert.Equal(new SKColor(128, 0, 0), PredictionsPicture.ClassColor(1));
            Assert.Equal(new SKColor(0, 128, 0), PredictionsPicture.ClassColor(2));
            Assert.Equal(new SKColor(128, 128, 0), PredictionsPicture.ClassColor(3));
            Assert.Equal(new SKColor(0, 0, 128), PredictionsPicture.ClassColor(4));
            Assert.Equal(new SKColor(64, 0, 0), PredictionsPicture.ClassColor(8));
            Assert.Equal(new SKColor(0, 64, 128), PredictionsPicture.ClassColor(20)); // tvmonitor
        }

        /// <summary>
        /// Ten 6 x 5 samples over 4 classes: the true mask of sample i has class (x + y + i) % 4 at (x, y), except a
        /// band of ignored pixels in row 0; the image (and so the prediction) holds (x * y + i) % 4.
        /// </summary>
        private static MasksInMemory Segmentation(out byte[][,] images, out long[][,] masks)
        {
            images = new byte[10][,];
            masks = new long[10][,];
            for (int i = 0; i < 10; i++)
            {
                images[i] = new byte[6, 5];
                masks[i] = new long[6, 5];
                for (int y = 0; y < 6; y++)
                    for (int x = 0; x < 5; x++)
                    {
                        images[i][y, x] = (byte)((x * y + i) % 4);
                        masks[i][y, x] = y == 0 && x >= 2 ? 255 : (x + y + i) % 4;
                    }
            }
            return new MasksInMemory(images, masks);
        }

        private static SKColor At(SKBitmap png, int sample, int column, int x, int y, int factor)
        {
            var (px, py) = PredictionsPicture.PanelOrigin(sample, column, 5 * factor, 6 * factor);
            return png.GetPixel(px + x * factor + factor / 2, py + y * factor + factor / 2);
        }

        [Fact]
        public void SegmentationRunWritesPredictionsBesideMasks()
        {
            string dir = TestData.TempDir("predictions");
            var train = Segmentation(out var images, out var masks);
            var val = Segmentation(out _, out _);
            var result = Trainer.Fit(new ClassPerPixelModel(4), train, val, Options(dir));

            string path = Path.Combine(dir, PredictionsPicture.FileName);
            Assert.Equal(new[] { path }, result.PicturePaths);
            using var png = SKBitmap.Decode(path);
            Assert.NotNull(png);
            const int factor = 22; // the smallest whole factor that makes 6 pixels at least 128
            Assert.Equal((5 * factor, 6 * factor), PredictionsPicture.PanelSize(6, 5));
            Assert.Equal(3 * 5 * factor + 4 * 8, png.Width);
            Assert.Equal(24 + 8 * (6 * factor + 8) + 20 + 8, png.Height); // titles, 8 rows of panels, one line of legend

            for (int i = 0; i < 8; i++) // the first 8 of the 10 samples
                for (int y = 0; y < 6; y++)
                    for (int x = 0; x < 5; x++)
                    {
                        byte v = images[i][y, x];
                        Assert.Equal(new SKColor(v, v, v), At(png, i, 0, x, y, factor));
                        long t = masks[i][y, x];
                        Assert.Equal(t == 255 ? PredictionsPicture.IgnoreColor : PredictionsPicture.ClassColor((int)t), At(png, i, 1, x, y, factor));
                        Assert.Equal(PredictionsPicture.ClassColor(v), At(png, i, 2, x, y, factor));
                    }
        }

        [Fact]
        public void PredictionsShowTheImageBeforeNormalisation()
        {
            string path = Path.Combine(TestData.TempDir("denormalised"), PredictionsPicture.FileName);
            var data = Segmentation(out var images, out _);
            var transform = new ImageTransform { Mean = new[] { 0.5 }, Std = new[] { 0.25 } };
            var task = new SegmentationTask(4);
            PredictionsPicture.Save(path, new ClassPerPixelModel(4, mean: 0.5, std: 0.25), data, task, transform, samples: 2);

            using var png = SKBitmap.Decode(path);
            const int factor = 22;
            for (int i = 0; i < 2; i++)
                for (int y = 0; y < 6; y++)
                    for (int x = 0; x < 5; x++)
                    {
                        byte v = images[i][y, x];
                        Assert.Equal(new SKColor(v, v, v), At(png, i, 0, x, y, factor));
                        Assert.Equal(PredictionsPicture.ClassColor(v), At(png, i, 2, x, y, factor));
                    }
            Assert.True(png.Height < 3 * (6 * factor + 8), "two samples, two rows");
        }

        [Fact]
        public void ImagesOutsideTheUnitRangeAreScaledPerImage()
        {
            using var scope = torch.NewDisposeScope();
            // Two one-channel 1 x 3 images: [-1, 0, 3] and [2, 2.5, 4].
            var x = torch.tensor(new float[] { -1, 0, 3, 2, 2.5f, 4 }, new long[] { 2, 1, 1, 3 });
            var shown = PredictionsPicture.Displayable(x, ImageTransform.ScaleOnly)!;
            Assert.Equal(new long[] { 2, 1, 3, 3 }, shown.shape);
            var grey = shown.select(3, 0).flatten().data<byte>().ToArray();
            Assert.Equal(new byte[] { 0, 64, 255, 0, 64, 255 }, grey); // (v - min) / (max - min) * 255, rounded
            // Three channels are shown as they are.
            var rgb = torch.tensor(new float[] { 0, 0.5f, 1 }, new long[] { 1, 3, 1, 1 });
            Assert.Equal(new byte[] { 0, 128, 255 }, PredictionsPicture.Displayable(rgb, ImageTransform.ScaleOnly)!.flatten().data<byte>().ToArray());
        }
    }
}
