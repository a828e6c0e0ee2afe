using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dsl.Runtime.Data;
using Dsl.Runtime.PyTorch;
using Dsl.Runtime.Training;
using SkiaSharp;
using TorchSharp;
using Xunit;

namespace Dsl.Runtime.Tests.PyTorch
{
    /// <summary>
    /// The exported train.py on every data source: each test writes a small data set with the library of its format
    /// (SkiaSharp PNG and JPEG, CIFAR binary records, CSV text, numpy's .npy/.npz, image and mask folders), trains a tiny
    /// twin (tiny_twins.py) for one epoch in one process, and checks the data line, the raw samples against the values
    /// written (twin_data_probe.py) and a finite loss in metrics.csv. The transform parser and the validation split
    /// are checked against torchvision and the .NET runtime (twin_transforms_check.py).
    /// </summary>
    public sealed class TwinDataTests : IDisposable
    {
        private readonly string _dir = TestData.TempDir("twin-data");
        private readonly string _train;

        public TwinDataTests()
        {
            // The script as exported, from the runtime's resources.
            _train = Path.Combine(_dir, "train.py");
            File.WriteAllText(_train, PyTorchExport.TrainingScript);
        }

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

        private string Tiny => Path.Combine(PythonTorch.Helpers, "tiny_twins.py");

        /// <summary>Runs train.py for one epoch through the probe; returns its output and the raw samples it printed.</summary>
        private (string Output, Dictionary<int, JsonElement> Samples, string[] Metrics) Train(string model, string samples, params string[] arguments) =>
            Train(new ClassificationTask(), model, samples, arguments);

        /// <summary>As <see cref="Train(string, string, string[])"/>, for a run whose metrics.csv has the columns of <paramref name="task"/>.</summary>
        private (string Output, Dictionary<int, JsonElement> Samples, string[] Metrics) Train(TrainingTask task, string model, string samples, params string[] arguments)
        {
            string run = Path.Combine(_dir, "run-" + Guid.NewGuid().ToString("N")[..6]);
            var args = new List<string> { Path.Combine(PythonTorch.Helpers, "twin_data_probe.py"), _train, samples, "--",
                "--model-file", Tiny, "--model-class", model, "--epochs", "1", "--batch-size", "4", "--out", run };
            args.AddRange(arguments);
            var result = PythonTorch.Run(args, Timeout);
            Assert.True(result.ExitCode == 0, "train.py failed: " + result);
            var found = new Dictionary<int, JsonElement>();
            foreach (Match m in Regex.Matches(result.Output, @"^sample (\d+): (.*)$", RegexOptions.Multiline))
                found[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] = JsonDocument.Parse(m.Groups[2].Value).RootElement;
            string[] metrics = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
            Assert.Equal(MetricsCsv.HeaderFor(task), metrics[0]);
            double loss = double.Parse(metrics[1].Split(',')[1], CultureInfo.InvariantCulture);
            Assert.True(double.IsFinite(loss), metrics[1]);
            return (result.Output, found, metrics);
        }

        /// <summary>Runs train.py expecting it to stop; returns its error output.</summary>
        private string Refused(string model, params string[] arguments)
        {
            var args = new List<string> { _train, "--model-file", Tiny, "--model-class", model, "--epochs", "1", "--out", Path.Combine(_dir, "refused") };
            args.AddRange(arguments);
            var result = PythonTorch.Run(args, Timeout);
            Assert.True(result.ExitCode != 0, "train.py accepted bad data: " + result);
            return result.Error;
        }

        private static double[] Input(JsonElement sample) => sample.GetProperty("input").EnumerateArray().Select(v => v.GetDouble()).ToArray();

        private static void AssertValues(IReadOnlyList<double> expected, IReadOnlyList<double> actual, string what)
        {
            Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} values read, {expected.Count} written");
            for (int i = 0; i < expected.Count; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"{what}: value {i} is {actual[i]}, written {expected[i]}");
        }

        // ------------------------------------------------------------------------------------------ writers

        private static byte[] RandomBytes(int count, int seed)
        {
            var bytes = new byte[count];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }

        /// <summary>Writes interleaved RGB bytes [H, W, 3] as a PNG or JPEG with SkiaSharp.</summary>
        private static void WriteColour(string path, byte[] rgb, int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
        {
            using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int i = 3 * (y * width + x);
                    bitmap.SetPixel(x, y, new SKColor(rgb[i], rgb[i + 1], rgb[i + 2]));
                }
            Save(bitmap, path, format);
        }

        /// <summary>Writes bytes [H, W] as an 8-bit grey PNG with SkiaSharp.</summary>
        private static void WriteGrey(string path, byte[] values, int width, int height)
        {
            using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
            IntPtr pixels = bitmap.GetPixels();
            for (int y = 0; y < height; y++)
                Marshal.Copy(values, y * width, pixels + y * bitmap.RowBytes, width);
            Save(bitmap, path, SKEncodedImageFormat.Png);
        }

        private static void Save(SKBitmap bitmap, string path, SKEncodedImageFormat format)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var data = bitmap.Encode(format, 95);
            File.WriteAllBytes(path, data.ToArray());
        }

        /// <summary>[H, W, 3] interleaved to [3, H, W] planes, as train.py reads images.</summary>
        private static double[] Planes(byte[] rgb, int width, int height) =>
            Enumerable.Range(0, 3).SelectMany(c => Enumerable.Range(0, width * height).Select(p => (double)rgb[3 * p + c])).ToArray();

        // ------------------------------------------------------------------------------------------ tests

        [SkippableFact]
        public void An_image_folder_with_train_and_val_folders_trains_with_the_imagenet_preset_and_reads_the_pixels_written()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            string root = Path.Combine(_dir, "photos");
            var written = new Dictionary<string, (byte[] Bytes, int W, int H)>();
            string[] classes = { "cat", "dog", "fish" };
            int seed = 0;
            foreach (var (split, count) in new[] { ("train", 3), ("val", 1) })
                foreach (string c in classes)
                    for (int i = 0; i < count; i++)
                    {
                        int w = 17 + 2 * i + seed % 3, h = 15 + i;
                        string file = Path.Combine(root, split, c, $"{i}.png");
                        if (c == "dog" && i == 0)
                        {
                            var grey = RandomBytes(w * h, ++seed);
                            WriteGrey(file, grey, w, h);
                            written[file] = (grey, w, h);
                        }
                        else if (c == "fish" && i == 2)
                        {
                            WriteColour(Path.ChangeExtension(file, ".jpg"), RandomBytes(3 * w * h, ++seed), w, h, SKEncodedImageFormat.Jpeg);
                        }
                        else
                        {
                            var rgb = RandomBytes(3 * w * h, ++seed);
                            WriteColour(file, rgb, w, h);
                            written[file] = (rgb, w, h);
                        }
                    }

            // Samples 0 (cat/0.png, colour) and 3 (dog/0.png, grey); one DataLoader worker process.
            var (output, samples, _) = Train("Colour10", "0,3", "--data", root, "--transforms", "imagenet", "--image-size", "16", "--workers", "1");

            Assert.Contains("data: image-folder 9 train / 3 validation samples, classes [cat, dog, fish]", output);
            Assert.Contains("images: rgb; transforms: train RandomResizedCrop(16); RandomHorizontalFlip(); Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]); " +
                            "eval Resize(18); CenterCrop(16); Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])", output);
            string cat = Path.Combine(root, "train", "cat", "0.png"), dog = Path.Combine(root, "train", "dog", "0.png");
            Assert.Equal(cat, samples[0].GetProperty("source").GetString());
            Assert.Equal(0, samples[0].GetProperty("target").GetInt32());
            AssertValues(Planes(written[cat].Bytes, written[cat].W, written[cat].H), Input(samples[0]), cat);
            // A grey image in an rgb run: PIL's convert("RGB") repeats the grey channel.
            var greyImage = written[dog];
            Assert.Equal(new[] { 3, greyImage.H, greyImage.W }, samples[3].GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
            Assert.Equal(1, samples[3].GetProperty("target").GetInt32());
            AssertValues(Enumerable.Repeat(greyImage.Bytes.Select(b => (double)b), 3).SelectMany(v => v).ToArray(), Input(samples[3]), dog);
        }

        [SkippableFact]
        public void A_flat_image_folder_converts_colour_to_grey_with_pils_formula_and_splits_a_seeded_fraction()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            string root = Path.Combine(_dir, "flat");
            byte[] first = Array.Empty<byte>();
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < 3; i++)
                {
                    var rgb = RandomBytes(3 * 14 * 13, 100 + 3 * c + i);
                    if (c == 0 && i == 0) first = rgb;
                    WriteColour(Path.Combine(root, "class" + c, $"img{i}.png"), rgb, 14, 13);
                }

            var (output, samples, _) = Train("Grey10", "0", "--data", root, "--transforms", "Resize([12, 12])", "--val-fraction", "0.34");

            Assert.Contains("data: image-folder 6 train / 3 validation samples, classes [class0, class1, class2]", output);
            Assert.Contains("images: grey; transforms: train Resize([12, 12]); eval Resize([12, 12])", output);
            var expected = Enumerable.Range(0, 14 * 13)
                .Select(p => (double)((first[3 * p] * 19595 + first[3 * p + 1] * 38470 + first[3 * p + 2] * 7471 + 0x8000) >> 16)).ToArray();
            AssertValues(expected, Input(samples[0]), "class0/img0.png as grey");
        }

        /// <summary>CIFAR records: the label byte(s), then 3072 bytes of CHW pixels.</summary>
        private static byte[] CifarRecords(int count, int seed, bool fine, Func<int, int> label)
        {
            int size = fine ? 3074 : 3073;
            var bytes = RandomBytes(count * size, seed);
            for (int i = 0; i < count; i++)
            {
                if (fine)
                {
                    bytes[i * size] = (byte)(19 - label(i)); // the coarse label, which must not be read as the class
                    bytes[i * size + 1] = (byte)label(i);
                }
                else
                {
                    bytes[i * size] = (byte)label(i);
                }
            }
            return bytes;
        }

        [SkippableFact]
        public void Cifar10_batches_are_read_in_place_with_their_names_and_test_batch_and_train_with_the_cifar_preset()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            string folder = Path.Combine(_dir, "download", "cifar-10-batches-bin");
            Directory.CreateDirectory(folder);
            var batch2 = CifarRecords(6, 2, fine: false, i => (i * 3) % 10);
            File.WriteAllBytes(Path.Combine(folder, "data_batch_1.bin"), CifarRecords(10, 1, fine: false, i => i));
            File.WriteAllBytes(Path.Combine(folder, "data_batch_2.bin"), batch2);
            File.WriteAllBytes(Path.Combine(folder, "test_batch.bin"), CifarRecords(4, 3, fine: false, i => i));
            string[] names = Enumerable.Range(0, 10).Select(i => "kind" + i).ToArray();
            File.WriteAllLines(Path.Combine(folder, "batches.meta.txt"), names.Append(""));

            // The download folder: detected through its cifar-10-batches-bin. Sample 12 is data_batch_2.bin's record 2.
            var (output, samples, _) = Train("Colour10", "12", "--data", Path.Combine(_dir, "download"), "--transforms", "cifar", "--image-size", "32");

            Assert.Contains($"data: cifar10 16 train / 4 validation samples, classes [{string.Join(", ", names)}]", output);
            Assert.Contains("transforms: train RandomCrop(32, padding=4); RandomHorizontalFlip(); Normalize(mean=[0.4914, 0.4822, 0.4465], std=[0.247, 0.2435, 0.2616]); " +
                            "eval Normalize(mean=[0.4914, 0.4822, 0.4465], std=[0.247, 0.2435, 0.2616])", output);
            Assert.Equal("data_batch_2.bin record 2", samples[12].GetProperty("source").GetString());
            Assert.Equal(6, samples[12].GetProperty("target").GetInt32());
            AssertValues(batch2.Skip(2 * 3073 + 1).Take(3072).Select(b => (double)b).ToArray(), Input(samples[12]), "data_batch_2.bin record 2");
        }

        [SkippableFact]
        public void Cifar100_uses_the_fine_labels_and_their_names()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            string folder = Path.Combine(_dir, "cifar-100-binary");
            Directory.CreateDirectory(folder);
            var train = CifarRecords(8, 4, fine: true, i => i);
            File.WriteAllBytes(Path.Combine(folder, "train.bin"), train);
            File.WriteAllBytes(Path.Combine(folder, "test.bin"), CifarRecords(4, 5, fine: true, i => 9 - i));
            File.WriteAllLines(Path.Combine(folder, "fine_label_names.txt"), Enumerable.Range(0, 100).Select(i => "fine" + i));

            var (output, samples, _) = Train("Colour10", "5", "--data", folder);

            Assert.Contains("data: cifar100 8 train / 4 validation samples, classes [fine0, fine1, fine2, fine3, fine4, fine5, fine6, fine7, fine8, fine9, ... 100 in all]", output);
            Assert.Equal("train.bin record 5", samples[5].GetProperty("source").GetString());
            Assert.Equal(5, samples[5].GetProperty("target").GetInt32());
            AssertValues(train.Skip(5 * 3074 + 2).Take(3072).Select(b => (double)b).ToArray(), Input(samples[5]), "train.bin record 5");
        }

        [SkippableFact]
        public void A_csv_with_a_header_and_class_names_trains_with_a_named_target_and_a_fraction_held_out()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            string file = Path.Combine(_dir, "flowers.csv");
            string[] species = { "setosa", "Versicolor", "virginica" };
            var lines = new List<string> { "petal,species,sepal,width,depth" };
            for (int i = 0; i < 12; i++)
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"{i * 0.5},{species[i % 3]},{i * 2},{-i},{i % 4 + 0.25}"));
            File.WriteAllLines(file, lines);

            var (output, samples, _) = Train("Table3", "7", "--data", file, "--target", "species", "--val-fraction", "0.25");

            // Class names are sorted ordinally: upper case first.
            Assert.Contains("data: csv 9 train / 3 validation samples, classes [Versicolor, setosa, virginica]", output);
            Assert.Equal(file + " line 9", samples[7].GetProperty("source").GetString());
            AssertValues(new[] { 3.5, 14, -7, 3.25 }, Input(samples[7]), "row 7's features");
            Assert.Equal(0, samples[7].GetProperty("target").GetInt32()); // "Versicolor"
        }

        [SkippableFact]
        public void A_csv_without_a_header_and_decimal_targets_trains_a_regression_with_mse_and_r2()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            string file = Path.Combine(_dir, "prices.csv");
            File.WriteAllLines(file, Enumerable.Range(0, 10).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i},{i % 3},{i * 0.1},{i * 0.25 + 0.1}")));

            var (output, samples, metrics) = Train(new RegressionTask(), "Regression1", "4", "--data", file, "--lr", "0.01");

            Assert.Contains("data: csv 10 train / 0 validation samples, values [1]", output);
            Assert.Contains("task: regression (MSE; R² and MAE)", output);
            Assert.Contains("train loss ", output);
            AssertValues(new[] { 4, 1, 0.4 }, Input(samples[4]), "row 4's features");
            AssertValues(new[] { 1.1 }, samples[4].GetProperty("target").EnumerateArray().Select(v => v.GetDouble()).ToArray(), "row 4's target");
            Assert.True(double.IsFinite(double.Parse(metrics[1].Split(',')[2], CultureInfo.InvariantCulture)), metrics[1]); // train_r2
        }

        /// <summary>Writes raw bytes as a .npy (or an .npz of two arrays) with numpy.</summary>
        private void Numpy(string code)
        {
            var result = PythonTorch.Run(new[] { "-c", "import numpy as np\n" + code }, Timeout, _dir);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        [SkippableFact]
        public void Npy_channels_last_images_with_their_targets_file_and_an_npz_archive_train()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            var pixels = RandomBytes(10 * 12 * 12 * 1, 7);
            File.WriteAllBytes(Path.Combine(_dir, "pixels.raw"), pixels);
            Numpy("x = np.fromfile('pixels.raw', np.uint8).reshape(10, 12, 12, 1)\n" +
                  "np.save('x_train.npy', x); np.save('y_train.npy', np.arange(10, dtype=np.int64) % 7)\n" +
                  "np.savez('arrays.npz', images=x[..., 0], labels=np.arange(10, dtype=np.int32) % 4)");

            var (output, samples, _) = Train("Grey10", "3", "--data", Path.Combine(_dir, "x_train.npy"), "--channels-last");
            Assert.Contains("data: npy 10 train / 0 validation samples, classes [0, 1, 2, 3, 4, 5, 6]", output);
            Assert.Equal(new[] { 1, 12, 12 }, samples[3].GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
            AssertValues(pixels.Skip(3 * 144).Take(144).Select(b => (double)b).ToArray(), Input(samples[3]), "x_train.npy sample 3");
            Assert.Equal(3, samples[3].GetProperty("target").GetInt32());

            (output, samples, _) = Train("Grey10", "9", "--data", Path.Combine(_dir, "arrays.npz"), "--val-fraction", "0.2");
            Assert.Contains("data: npy 8 train / 2 validation samples, classes [0, 1, 2, 3]", output);
            AssertValues(pixels.Skip(9 * 144).Take(144).Select(b => (double)b).ToArray(), Input(samples[9]), "arrays.npz sample 9");
            Assert.Equal(1, samples[9].GetProperty("target").GetInt32());
        }

        [SkippableFact]
        public void A_segmentation_folder_pairs_images_and_masks_and_trains_with_joint_transforms()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            string root = Path.Combine(_dir, "shapes");
            byte[] mask1 = Array.Empty<byte>(), image1 = Array.Empty<byte>();
            for (int i = 0; i < 5; i++)
            {
                var mask = new byte[20 * 18];
                for (int p = 0; p < mask.Length; p++) mask[p] = (byte)((p % 18 / 6 + p / 18 / 7) % 3);
                mask[i] = 255; // unlabelled pixels
                var rgb = RandomBytes(3 * 20 * 18, 50 + i);
                WriteColour(Path.Combine(root, "images", $"shape{i}.png"), rgb, 18, 20);
                WriteGrey(Path.Combine(root, "masks", $"shape{i}.png"), mask, 18, 20);
                if (i == 1) (mask1, image1) = (mask, rgb);
            }

            var (output, samples, metrics) = Train(new SegmentationTask(3), "Segmenter3", "1", "--data", root, "--val-fraction", "0.4",
                "--transforms", "RandomHorizontalFlip(); RandomCrop(16, padding=2); ColorJitter(brightness=0.3)", "--eval-transforms", "CenterCrop(16)");

            Assert.Contains("data: segmentation 3 train / 2 validation samples, classes [0, 1, 2]", output);
            Assert.Contains("train loss ", output);
            Assert.Contains(" pixel_acc ", output);
            Assert.Equal(Path.Combine(root, "images", "shape1.png"), samples[1].GetProperty("source").GetString());
            AssertValues(Planes(image1, 18, 20), Input(samples[1]), "shape1.png");
            AssertValues(mask1.Select(b => (double)b).ToArray(),
                samples[1].GetProperty("target").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetDouble()).ToArray(), "masks/shape1.png");
            Assert.True(double.IsFinite(double.Parse(metrics[1].Split(',')[3], CultureInfo.InvariantCulture)), metrics[1]);
        }

        [SkippableFact]
        public void Bad_data_is_refused_before_training_with_the_file_and_the_fix()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            string empty = Path.Combine(_dir, "nothing");
            Directory.CreateDirectory(empty);
            File.WriteAllText(Path.Combine(empty, "notes.txt"), "not data");
            string error = Refused("Colour10", "--data", empty);
            Assert.Contains($"error: cannot tell the format of {empty}; pass --format with one of:", error);
            foreach (string format in new[] { "idx", "image-folder", "cifar10", "cifar100", "csv", "npy", "segmentation" })
                Assert.Contains($"  {format}: ", error);

            string root = Path.Combine(_dir, "badmask");
            WriteColour(Path.Combine(root, "images", "a.png"), RandomBytes(3 * 16 * 16, 9), 16, 16);
            var mask = new byte[16 * 16];
            mask[5 * 16 + 7] = 7; // class 7 of 3
            WriteGrey(Path.Combine(root, "masks", "a.png"), mask, 16, 16);
            error = Refused("Segmenter3", "--data", root);
            Assert.Contains($"error: {Path.Combine(root, "masks", "a.png")} pixel (x=7, y=5) holds 7, outside the 3 classes 0..2 and not the ignore index 255; " +
                            "fix the mask or pass --classes / --ignore-index", error);
        }

        [SkippableFact]
        public void The_transform_parser_builds_torchvisions_objects_and_the_fraction_split_equals_dotnets()
        {
            Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
            var cases = new[] { (10, 0.3, 42L), (1000, 0.1, -5L), (7, 0.5, 0L), (3, 0.01, 123456789L) };
            var args = new List<string> { Path.Combine(PythonTorch.Helpers, "twin_transforms_check.py"), _train };
            args.AddRange(cases.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Item1}:{c.Item2}:{c.Item3}")));
            var result = PythonTorch.Run(args, Timeout);
            Assert.True(result.ExitCode == 0, result.ToString());
            foreach (string check in new[] { "preset imagenet: ok", "preset cifar: ok", "preset none: ok", "explicit: ok", "refusals: ok", "joint: ok" })
                Assert.Contains(check, result.Output);

            foreach (var (count, fraction, seed) in cases)
            {
                // The .NET runtime's split of a set whose labels are the sample indices.
                using var data = new ImageDataset("indices", torch.zeros(new long[] { count, 1, 1, 1 }, torch.uint8), torch.arange(count, dtype: torch.int64));
                var (_, held) = data.Split(fraction, seed);
                string expected = string.Join(" ", held.ClassLabels()!);
                string line = string.Create(CultureInfo.InvariantCulture, $"split {count} {fraction} {seed}: ");
                Assert.Contains(line + expected + "\n", result.Output);
            }
        }
    }
}
