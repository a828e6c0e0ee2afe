using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Dsl.Runtime.Data;
using Dsl.Runtime.Tests.PyTorch;
using SkiaSharp;
using Xunit;

namespace Dsl.Runtime.Tests.Data
{
    /// <summary>
    /// The sample's <c>train</c> and <c>evaluate</c> on data the tests write themselves (a CIFAR-10 binary folder, a
    /// JPEG image folder, a CSV file, NumPy arrays, IDX files): networks train for an epoch and evaluate, the printed
    /// data and transform lines say what was read, and bad data or options exit 2 with a message naming the fix and
    /// nothing written to <c>--out</c>.
    /// </summary>
    public class DataCommandLineTests
    {
        private static (int ExitCode, string Output, string Error) Cli(params string[] args) => Dsl.Tests.Shared.SampleCli.Run(args);

        /// <summary>One small epoch on 2 threads into <paramref name="dir"/>.</summary>
        private static string[] Train(string model, string data, string dir, params string[] more) =>
            new[] { "train", "--model", model, "--data", data, "--epochs", "1", "--batch-size", "32", "--threads", "2", "--out", dir }.Concat(more).ToArray();

        /// <summary>The line of <paramref name="output"/> starting with <paramref name="prefix"/>.</summary>
        private static string Line(string output, string prefix) =>
            output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no line starting with \"{prefix}\" in:\n{output}");

        /// <summary>metrics.csv's rows (after the header) as numbers by column name.</summary>
        private static List<Dictionary<string, double>> Metrics(string dir)
        {
            var lines = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
            var names = lines[0].Split(',');
            return lines.Skip(1).Select(l => l.Split(',').Select((v, i) => (names[i], double.Parse(v, CultureInfo.InvariantCulture))).ToDictionary(p => p.Item1, p => p.Item2)).ToList();
        }

        /// <summary>Accuracy (0..1) and image count printed by <c>evaluate</c>.</summary>
        private static (double Accuracy, int Count) Evaluated(string output)
        {
            var m = Regex.Match(output, @"test accuracy ([0-9.]+) %, loss [0-9.]+ on ([0-9,]+) (?:images|samples)");
            Assert.True(m.Success, output);
            return (double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) / 100, int.Parse(m.Groups[2].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture));
        }

        // ---- data written by the tests ------------------------------------------------------------------------------

        /// <summary>
        /// A CIFAR-10 binary folder from the Fashion-MNIST subset: each 28x28 image padded by 2 to 32x32 and coloured
        /// into three planes, five training batches of <paramref name="perBatch"/> records, a test batch of
        /// <paramref name="test"/>, and batches.meta.txt with the Fashion-MNIST class names.
        /// </summary>
        private static string CifarFolder(int perBatch, int test)
        {
            string dir = TestData.TempDir("cli-cifar");
            int next = 0;
            void Batch(string name, int count)
            {
                using var f = File.Create(Path.Combine(dir, name));
                for (int r = 0; r < count; r++, next++)
                {
                    var padded = new byte[32 * 32];
                    var src = ImageFiles.Fashion(next);
                    for (int y = 0; y < 28; y++) Array.Copy(src, y * 28, padded, (y + 2) * 32 + 2, 28);
                    f.WriteByte((byte)ImageFiles.FashionLabel(next));
                    f.Write(ImageFiles.Coloured(padded, 32, 32));
                }
            }
            for (int b = 1; b <= 5; b++) Batch($"data_batch_{b}.bin", perBatch);
            Batch("test_batch.bin", test);
            File.WriteAllText(Path.Combine(dir, "batches.meta.txt"), string.Join("\n", Mnist.FashionClassNames) + "\n\n");
            return dir;
        }

        /// <summary>Nearest-neighbour upscaling of planar [c, h, w] bytes to [c, oh, ow].</summary>
        private static byte[] Upscale(byte[] planar, int c, int h, int w, int oh, int ow)
        {
            var result = new byte[c * oh * ow];
            for (int k = 0; k < c; k++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                        result[(k * oh + y) * ow + x] = planar[(k * h + y * h / oh) * w + x * w / ow];
            return result;
        }

        /// <summary>
        /// An image folder of colour JPEGs of mixed sizes (coloured Fashion-MNIST images upscaled) with train/ and val/,
        /// one subfolder per class for three classes.
        /// </summary>
        private static string ColourJpegFolder(int trainPerClass, int valPerClass)
        {
            string dir = TestData.TempDir("cli-jpegs");
            var sizes = new[] { (40, 40), (56, 48), (64, 80), (36, 44) };
            var classes = new[] { 1, 5, 8 }; // trouser, sandal, bag
            var counts = new Dictionary<long, int>();
            for (int i = 0, written = 0; written < classes.Length * (trainPerClass + valPerClass); i++)
            {
                long label = ImageFiles.FashionLabel(i);
                if (!classes.Contains((int)label)) continue;
                int n = counts.GetValueOrDefault(label);
                if (n == trainPerClass + valPerClass) continue;
                counts[label] = n + 1;
                written++;
                var (h, w) = sizes[i % sizes.Length];
                string split = n < trainPerClass ? "train" : "val";
                var pixels = Upscale(ImageFiles.Coloured(ImageFiles.Fashion(i), 28, 28), 3, 28, 28, h, w);
                ImageFiles.Write(Path.Combine(dir, split, Mnist.FashionClassNames[(int)label], $"{i:D4}.jpg"), pixels, 3, h, w, SKEncodedImageFormat.Jpeg, 90);
            }
            return dir;
        }

        /// <summary>A CSV file: a header px0..px783,label, then one row per Fashion-MNIST image (pixel values 0-255).</summary>
        private static string FashionCsv(int rows)
        {
            string path = Path.Combine(TestData.TempDir("cli-csv"), "fashion.csv");
            var text = new StringBuilder();
            text.AppendLine(string.Join(",", Enumerable.Range(0, 784).Select(i => "px" + i)) + ",label");
            for (int i = 0; i < rows; i++)
                text.AppendLine(string.Join(",", ImageFiles.Fashion(i).Select(b => b.ToString(CultureInfo.InvariantCulture))) + "," + ImageFiles.FashionLabel(i).ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(path, text.ToString());
            return path;
        }

        /// <summary>IDX files of the first training and test images of the Fashion-MNIST subset.</summary>
        private static string IdxFolder(int train, int test)
        {
            string dir = TestData.TempDir("cli-idx");
            foreach (var (images, labels, first, count) in new[] { (Mnist.TrainImages, Mnist.TrainLabels, 0, train), (Mnist.TestImages, Mnist.TestLabels, train, test) })
            {
                var pixels = Enumerable.Range(first, count).SelectMany(ImageFiles.Fashion).ToArray();
                IdxReader.WriteImages(Path.Combine(dir, images), pixels, count, 28, 28, gzip: true);
                IdxReader.WriteLabels(Path.Combine(dir, labels), Enumerable.Range(first, count).Select(i => (byte)ImageFiles.FashionLabel(i)).ToArray(), gzip: true);
            }
            return dir;
        }

        private static readonly Lazy<string?> NumpyMissing = new(() =>
        {
            if (!File.Exists(PythonTorch.Python)) return PythonTorch.Python + " is not installed";
            var r = PythonTorch.Run(new[] { "-c", "import numpy" }, TimeSpan.FromMinutes(1));
            return r.ExitCode == 0 ? null : "numpy is not importable: " + r.Error.Trim();
        });

        // ---- the "done when" runs ------------------------------------------------------------------------------------

        [Fact]
        public void Resnet18_trains_on_a_cifar10_folder_with_the_cifar_preset_and_evaluate_scores_the_test_batch()
        {
            string data = CifarFolder(perBatch: 60, test: 100);
            string dir = Path.Combine(TestData.TempDir("cli-cifar-run"), "run");
            var (code, output, error) = Cli(Train("resnet18", data, dir, "--transforms", "cifar", "--limit", "200", "--workers", "2"));
            Assert.True(code == 0, error + output);

            Assert.Equal($"data: cifar10 {data}: 300 training samples, 100 validation samples (the CIFAR test batch), 10 classes; training on the first 200", Line(output, "data: "));
            // The preset at the images' own size (32), whatever the network's declared input (224 for resnet18).
            string transforms = Line(output, "transforms: ");
            const string normalize = "Normalize(mean=[0.4914, 0.4822, 0.4465], std=[0.247, 0.2435, 0.2616])";
            Assert.StartsWith("transforms: train RandomCrop(32, padding=4", transforms);
            Assert.Contains("RandomHorizontalFlip(p=0.5); " + normalize + "; evaluation " + normalize, transforms);
            var rows = Metrics(dir);
            var row = Assert.Single(rows);
            Assert.Equal(1, row["epoch"]);
            // Accuracy over the 200 training images of --limit, over the 100 test records.
            Assert.Equal(Math.Round(row["train_acc"] * 200), row["train_acc"] * 200, 4);
            Assert.Equal(Math.Round(row["val_acc"] * 100), row["val_acc"] * 100, 4);

            string checkpoint = Path.Combine(dir, "checkpoint.ckpt");
            var ev = Cli("evaluate", "--checkpoint", checkpoint, "--data", data, "--transforms", "cifar", "--workers", "2");
            Assert.True(ev.ExitCode == 0, ev.Error + ev.Output);
            Assert.StartsWith($"resnet18 from {checkpoint} (epoch 1): test accuracy ", ev.Output);
            var (accuracy, count) = Evaluated(ev.Output);
            Assert.Equal(100, count);
            // The same test batch with the same evaluation transforms as the run's validation.
            Assert.Equal(row["val_acc"], accuracy, 4);
        }

        [Fact]
        public void Mobilenet_v2_trains_on_a_colour_jpeg_folder_with_the_imagenet_preset_at_64_and_evaluate_scores_val()
        {
            string data = ColourJpegFolder(trainPerClass: 24, valPerClass: 8);
            string dir = Path.Combine(TestData.TempDir("cli-jpeg-run"), "run");
            var (code, output, error) = Cli(Train("mobilenet_v2", data, dir, "--transforms", "imagenet", "--image-size", "64"));
            Assert.True(code == 0, error + output);

            Assert.Equal($"data: image-folder {data}: 72 training samples, 24 validation samples (the val/ folder), 3 classes", Line(output, "data: "));
            const string normalize = "Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])";
            string transforms = Line(output, "transforms: ");
            Assert.StartsWith("transforms: train RandomResizedCrop(64, ", transforms);
            // Evaluation: torchvision's resize to int(64 * 256 / 224) = 73, then the centre 64x64.
            Assert.EndsWith("; evaluation Resize(73, antialias=True); CenterCrop(64); " + normalize, transforms);
            var row = Assert.Single(Metrics(dir));
            Assert.Equal(Math.Round(row["val_acc"] * 24), row["val_acc"] * 24, 4);

            string checkpoint = Path.Combine(dir, "checkpoint.ckpt");
            var ev = Cli("evaluate", "--checkpoint", checkpoint, "--data", data, "--transforms", "imagenet", "--image-size", "64");
            Assert.True(ev.ExitCode == 0, ev.Error + ev.Output);
            var (accuracy, count) = Evaluated(ev.Output);
            Assert.Equal(24, count);
            Assert.Equal(row["val_acc"], accuracy, 4);
        }

        [Fact]
        public void Mlp_trains_on_a_csv_file_with_a_seeded_validation_fraction_and_evaluate_scores_every_row()
        {
            const int rows = 303; // 0.2 of it is 60.6: 61 rows are held out
            string csv = FashionCsv(rows);
            string dir = Path.Combine(TestData.TempDir("cli-csv-run"), "run");
            var (code, output, error) = Cli(Train("mlp", csv, dir, "--val-fraction", "0.2", "--workers", "2"));
            Assert.True(code == 0, error + output);
            Assert.Equal($"data: csv {csv}: 242 training samples, 61 validation samples (validation: a seeded 0.2 of the training samples (seed 42))", Line(output, "data: "));
            Assert.Equal("transforms: train none; evaluation none", Line(output, "transforms: "));
            var row = Assert.Single(Metrics(dir));
            Assert.Equal(Math.Round(row["val_acc"] * 61), row["val_acc"] * 61, 4);

            var ev = Cli("evaluate", "--checkpoint", Path.Combine(dir, "checkpoint.ckpt"), "--data", csv);
            Assert.True(ev.ExitCode == 0, ev.Error + ev.Output);
            Assert.Equal(rows, Evaluated(ev.Output).Count);
        }

        [SkippableFact]
        public void Images_whose_channels_no_conversion_fits_are_refused_by_name()
        {
            Skip.If(NumpyMissing.Value is not null, NumpyMissing.Value);
            string folder = TestData.TempDir("cli-npy-2ch");
            var r = PythonTorch.Run(new[] { "-c", """
                import numpy as np
                np.save('x.npy', np.zeros((4, 2, 32, 32), np.uint8))
                np.save('y.npy', np.arange(4, dtype=np.int64))
                """ }, TimeSpan.FromMinutes(1), folder);
            Assert.True(r.ExitCode == 0, r.ToString());
            string x = Path.Combine(folder, "x.npy");
            Assert.Equal($"error: resnet18 takes 3-channel input but the images of npy x.npy have 2 channels, and no conversion fits: --image-mode converts between grey (1 channel) and colour (3). Choose a network declared for 2 channels, or give 3-channel data.",
                Fails("resnet18", x));
        }

        [SkippableFact]
        public void Mlp_trains_on_npy_arrays_written_by_numpy()
        {
            Skip.If(NumpyMissing.Value is not null, NumpyMissing.Value);
            const int n = 250;
            string folder = TestData.TempDir("cli-npy");
            File.WriteAllBytes(Path.Combine(folder, "pixels.raw"), Enumerable.Range(0, n).SelectMany(ImageFiles.Fashion).ToArray());
            File.WriteAllBytes(Path.Combine(folder, "labels.raw"), Enumerable.Range(0, n).Select(i => (byte)ImageFiles.FashionLabel(i)).ToArray());
            var r = PythonTorch.Run(new[] { "-c", $"""
                import numpy as np
                np.save('x.npy', np.fromfile('pixels.raw', np.uint8).reshape({n}, 784).astype(np.float32) / 255)
                np.save('y.npy', np.fromfile('labels.raw', np.uint8).astype(np.int64))
                """ }, TimeSpan.FromMinutes(1), folder);
            Assert.True(r.ExitCode == 0, r.ToString());

            string x = Path.Combine(folder, "x.npy");
            string dir = Path.Combine(TestData.TempDir("cli-npy-run"), "run");
            var (code, output, error) = Cli(Train("mlp", x, dir, "--val-fraction", "0.2", "--limit", "150"));
            Assert.True(code == 0, error + output);
            Assert.Equal($"data: npy {x}: 200 training samples, 50 validation samples (validation: a seeded 0.2 of the training samples (seed 42)); training on the first 150", Line(output, "data: "));
            var row = Assert.Single(Metrics(dir));
            Assert.Equal(Math.Round(row["train_acc"] * 150), row["train_acc"] * 150, 4);
        }

        [Fact]
        public void Image_mode_rgb_lets_a_3_channel_model_train_on_grey_idx_files()
        {
            string data = IdxFolder(train: 128, test: 64);
            string dir = Path.Combine(TestData.TempDir("cli-idx-rgb"), "run");
            var (code, output, error) = Cli(Train("resnet18", data, dir, "--image-mode", "rgb", "--workers", "2"));
            Assert.True(code == 0, error + output);
            Assert.StartsWith($"data: idx {data}: 128 training samples, 64 validation samples (the IDX test files), 10 classes", Line(output, "data: "));
            Assert.Single(Metrics(dir));
        }

        // ---- errors -----------------------------------------------------------------------------------------------

        /// <summary>
        /// Runs train into a folder that does not exist yet; asserts exit code 2 and that the folder was not made (or,
        /// for errors found at the first batch, that it holds no checkpoint); returns the message.
        /// </summary>
        private static string Fails(string model, string? data, params string[] more) => Fails(model, data, false, more);

        private static string Fails(string model, string? data, bool allowMetricsHeader, params string[] more)
        {
            string dir = Path.Combine(TestData.TempDir("cli-data-error"), "run");
            var args = new List<string> { "train", "--model", model, "--epochs", "1", "--batch-size", "32", "--threads", "2", "--out", dir };
            if (data is not null) args.AddRange(new[] { "--data", data });
            var (code, output, error) = Cli(args.Concat(more).ToArray());
            Assert.True(code == 2, $"exit code {code}\n{output}\n{error}");
            Assert.False(File.Exists(Path.Combine(dir, "checkpoint.ckpt")), "a checkpoint was written");
            if (!allowMetricsHeader) Assert.False(Directory.Exists(dir), $"{dir} was created");
            Assert.StartsWith("error: ", error);
            return error.Trim();
        }

        [Theory]
        [InlineData("--workers", "-1", "error: --workers must be 0 or more; got -1.")]
        [InlineData("--image-mode", "purple", "error: --image-mode must be rgb (3 channels) or grey (1 channel); got purple.")]
        [InlineData("--val-fraction", "1.5", "error: --val-fraction must be a number between 0 and 1 (exclusive), such as 0.1; got 1.5.")]
        [InlineData("--val-fraction", "0", "error: --val-fraction must be a number between 0 and 1 (exclusive), such as 0.1; got 0.")]
        public void A_data_option_out_of_range_is_named(string option, string value, string message)
        {
            string data = IdxFolder(train: 8, test: 8);
            Assert.Equal(message, Fails(ResNetSample.ModelCatalog.DefaultModel, data, option, value));
        }

        [Fact]
        public void Grey_idx_data_into_a_3_channel_model_names_image_mode_rgb()
        {
            // The built-in subset (the IDX path of before) ...
            Assert.Equal("error: resnet18 takes 3-channel input but FashionMnist images are grey (1 channel); pass --image-mode rgb to repeat the grey channel, or choose a 1-channel model such as resnet-mini or d2l-resnet18.",
                Fails("resnet18", null));
            // ... and IDX files read as a data source (here with a validation fraction).
            string data = IdxFolder(train: 64, test: 32);
            Assert.Equal("error: resnet18 takes 3-channel input but the images of idx fashion-mnist train (train split) are grey (1 channel): pass --image-mode rgb to convert them (the grey channel is repeated), or choose a 1-channel model.",
                Fails("resnet18", data, "--val-fraction", "0.25"));
        }

        [Fact]
        public void A_colour_image_folder_into_a_1_channel_model_names_image_mode_grey()
        {
            string data = ColourJpegFolder(trainPerClass: 2, valPerClass: 1);
            string error = Fails("lenet", data, "--transforms", "Resize([28, 28])");
            Assert.Equal($"error: lenet takes 1-channel input but the images of image-folder {Path.Combine(data, "train")} are 3-channel: pass --image-mode grey to convert them (colour becomes luma as PIL's convert(\"L\")), or choose a 3-channel model.", error);
        }

        [Fact]
        public void An_unknown_format_lists_the_formats()
        {
            string data = IdxFolder(train: 8, test: 8);
            Assert.Equal("error: --format must be one of auto, idx, image-folder, cifar10, cifar100, csv, npy, segmentation, text; got nonsense.",
                Fails("lenet", data, "--format", "nonsense"));
        }

        [Fact]
        public void A_format_given_the_wrong_kind_of_path_says_which_it_reads()
        {
            string folder = ColourJpegFolder(trainPerClass: 2, valPerClass: 1);
            Assert.Equal($"error: {folder} is a folder, but the csv format reads a .csv file: give the file's path, or another --format.",
                Fails("resnet18", folder, "--format", "csv"));
            string csv = FashionCsv(20);
            Assert.Equal($"error: {csv} is a file, but the cifar10 format reads a folder: give its folder's path, or another --format.",
                Fails("resnet18", csv, "--format", "cifar10"));
            string missing = Path.Combine(Path.GetDirectoryName(csv)!, "missing.npy");
            Assert.Equal($"error: {missing} does not exist: the npy format reads an .npy file of inputs (with its targets file beside it) or an .npz file.",
                Fails("mlp", missing, "--format", "npy"));
        }

        [Fact]
        public void Table_rows_are_not_images_for_an_image_model_or_image_transforms()
        {
            string csv = FashionCsv(20);
            Assert.Equal($"error: resnet18 takes images [3, 224, 224] (channels, height, width) but the samples of csv fashion.csv are [784], not images; choose a model on flat features such as mlp, or give images (NumPy arrays of [N, C, H, W], or [N, H, W, C] with --channels-last).",
                Fails("resnet18", csv));
            Assert.Equal($"error: --transforms and --eval-transforms apply to images; {csv} holds csv samples of shape [784], which are not images: leave them out.",
                Fails("mlp", csv, "--transforms", "imagenet"));
        }

        [Fact]
        public void An_unknown_transform_is_named()
        {
            string data = ColourJpegFolder(trainPerClass: 2, valPerClass: 1);
            string error = Fails("resnet18", data, "--transforms", "RandomCrap(3)");
            Assert.StartsWith("error: --transforms must be ", error);
            Assert.Contains("RandomCrap", error);
            foreach (var known in new[] { "Resize", "CenterCrop", "RandomResizedCrop", "RandomCrop", "RandomHorizontalFlip", "ColorJitter", "Normalize", "Grayscale" })
                Assert.Contains(known, error);
            // The evaluation transforms' own option is named.
            string evalError = Fails("resnet18", data, "--transforms", "imagenet", "--eval-transforms", "Resize(36); CentreCrop(32)");
            Assert.StartsWith("error: --eval-transforms must be ", evalError);
            Assert.Contains("'CentreCrop' at character 13 of \"Resize(36); CentreCrop(32)\"", evalError);
        }

        [Fact]
        public void A_folder_of_no_known_layout_lists_the_layouts()
        {
            string data = TestData.TempDir("cli-no-layout");
            File.WriteAllText(Path.Combine(data, "notes.txt"), "not data");
            string error = Fails("resnet18", data);
            Assert.StartsWith($"error: {data}: no known data layout. Expected one of: the four IDX files (", error);
            foreach (var layout in new[] { "CIFAR-10/100 binary batches", "images/ and masks/", "one subfolder of images per class", ".csv, .npy or .npz" })
                Assert.Contains(layout, error);
        }

        [Fact]
        public void An_image_folder_of_mixed_sizes_without_transforms_names_both_files_and_suggests_a_resize()
        {
            string data = TestData.TempDir("cli-mixed");
            string small = Path.Combine(data, "shirt", "a.png"), large = Path.Combine(data, "trouser", "b.png");
            ImageFiles.Write(small, ImageFiles.Coloured(ImageFiles.Fashion(0), 28, 28), 3, 28, 28);
            ImageFiles.Write(large, Upscale(ImageFiles.Coloured(ImageFiles.Fashion(1), 28, 28), 3, 28, 28, 40, 40), 3, 40, 40);
            // Found before the first batch (samples spread over the set are compared): nothing is written.
            string error = Fails("resnet18", data);
            Assert.Contains(small, error);
            Assert.Contains(large, error);
            Assert.Contains("[3, 28, 28]", error);
            Assert.Contains("[3, 40, 40]", error);
            Assert.Contains("samples are stacked into batches, so they must have one shape. Add a Resize (with a CenterCrop or RandomResizedCrop) to the transforms, or use a preset such as 'imagenet'.", error);
        }
    }
}
