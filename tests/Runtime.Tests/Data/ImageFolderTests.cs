using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Dsl.Runtime.Data;
using Dsl.Runtime.Tests.PyTorch;
using SkiaSharp;
using TorchSharp;
using Xunit;

namespace Dsl.Runtime.Tests.Data
{
    public class ImageFolderTests
    {
        private static byte[] Bytes(torch.Tensor t) => t.data<byte>().ToArray();

        /// <summary>Fashion-MNIST class names as folder names ("T-shirt/top" cannot be one).</summary>
        private static string Folder(long label) => Mnist.FashionClassNames[(int)label].Replace('/', '-');

        /// <summary>An image folder of the first <paramref name="count"/> subset images, one subfolder per Fashion-MNIST class; returns each file's source image index.</summary>
        private static Dictionary<string, int> FashionFolder(string root, int count, SKEncodedImageFormat format, string extension)
        {
            var written = new Dictionary<string, int>();
            for (int i = 0; i < count; i++)
            {
                string path = Path.Combine(root, Folder(ImageFiles.FashionLabel(i)), $"img{i:D3}.{extension}");
                ImageFiles.Write(path, ImageFiles.Fashion(i), 1, 28, 28, format);
                written[path] = i;
            }
            return written;
        }

        [Fact]
        public void Png_folder_reads_every_image_exactly_with_its_class_from_the_folder_name()
        {
            string root = TestData.TempDir("folder-png");
            var written = FashionFolder(root, 60, SKEncodedImageFormat.Png, "png");
            using var data = new ImageFolder(root, ImageMode.Grey);

            // Classes: the folder names in code-point order (these are ASCII, so ordinal order).
            var folders = Enumerable.Range(0, 60).Select(i => Folder(ImageFiles.FashionLabel(i))).Distinct().ToArray();
            Array.Sort(folders, string.CompareOrdinal);
            Assert.Equal(folders, data.ClassNames);
            Assert.Equal(60, data.Count);
            Assert.Null(data.SampleShape);
            Assert.Equal(TargetKind.Class, data.TargetKind);

            var labels = data.ClassLabels()!;
            for (int i = 0; i < data.Count; i++)
            {
                string file = data.Files[i];
                int source = written[file];
                Assert.Equal(Folder(ImageFiles.FashionLabel(source)), data.ClassNames[(int)labels[i]]);
                using var e = data.Read(i);
                Assert.Equal(new long[] { 1, 28, 28 }, e.Input.shape);
                Assert.Equal(ImageFiles.Fashion(source), Bytes(e.Input));
                Assert.Equal(0, e.Target.dim());
                Assert.Equal(torch.ScalarType.Int64, e.Target.dtype);
                Assert.Equal(labels[i], e.Target.item<long>());
                Assert.Equal(file, e.Source);
            }
            // Within a class, files by name.
            var byClass = data.Files.GroupBy(f => Path.GetDirectoryName(f)).ToArray();
            Assert.All(byClass, g => Assert.Equal(g.OrderBy(f => f, StringComparer.Ordinal), g));
            Assert.Equal(written.Keys.OrderBy(f => f, StringComparer.Ordinal), data.Files.OrderBy(f => f, StringComparer.Ordinal));

            using var rgb = new ImageFolder(root); // torchvision's default: RGB
            using var first = rgb.Read(0);
            Assert.Equal(new long[] { 3, 28, 28 }, first.Input.shape);
            var grey = ImageFiles.Fashion(written[rgb.Files[0]]);
            Assert.Equal(grey.Concat(grey).Concat(grey).ToArray(), Bytes(first.Input));
        }

        [SkippableFact]
        public void Jpeg_folder_reads_what_pil_decodes_with_the_classes_and_order_of_torchvisions_image_folder()
        {
            Skip.If(PythonTorch.MissingReason != null, PythonTorch.MissingReason);
            string root = TestData.TempDir("folder-jpeg");
            var written = FashionFolder(root, 40, SKEncodedImageFormat.Jpeg, "jpg");
            // A colour image in one class, so RGB is not just grey repeated.
            string colour = Path.Combine(root, Folder(ImageFiles.FashionLabel(0)), "colour.JPEG");
            ImageFiles.Write(colour, ImageFiles.Coloured(ImageFiles.Fashion(0), 28, 28), 3, 28, 28, SKEncodedImageFormat.Jpeg);
            using var data = new ImageFolder(root);

            const string script = """
                import sys, base64, numpy as np
                from torchvision.datasets import ImageFolder
                ds = ImageFolder(sys.argv[1])
                print('|'.join(ds.classes))
                for i, (path, target) in enumerate(ds.samples):
                    image, label = ds[i]
                    a = np.asarray(image).transpose(2, 0, 1)
                    print(path, target, base64.b64encode(np.ascontiguousarray(a).tobytes()).decode(), sep='\t')
                """;
            var r = PythonTorch.Run(new[] { "-c", script, root }, TimeSpan.FromMinutes(3));
            Assert.True(r.ExitCode == 0, r.ToString());
            var lines = r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(lines[0].Split('|'), data.ClassNames);
            Assert.Equal(lines.Length - 1, data.Count);
            var labels = data.ClassLabels()!;
            for (int i = 0; i < data.Count; i++)
            {
                var parts = lines[i + 1].Split('\t');
                Assert.Equal(parts[0], data.Files[i]);
                Assert.Equal(long.Parse(parts[1]), labels[i]);
                using var e = data.Read(i);
                Assert.Equal(Convert.FromBase64String(parts[2]), Bytes(e.Input));
            }
            Assert.Contains(colour, data.Files);
            Assert.Equal(written.Count + 1, data.Count);
        }

        [Fact]
        public void Files_are_listed_in_torchvisions_walk_order_and_other_files_are_ignored()
        {
            string root = TestData.TempDir("folder-order");
            var image = ImageFiles.Fashion(0);
            void Put(string relative) => ImageFiles.Write(Path.Combine(root, relative), image, 1, 28, 28);
            // Classes "B" < "a" < "a_1" < "b" by code point (capitals first).
            Put("b/1.png");
            Put("B/1.png");
            Put("a_1/1.png");
            Put("a/9.png");
            Put("a/10.png");
            Put("a/UPPER.PNG");
            Put("a/sub/1.png");
            Put("a/sub-x/2.png");
            Put("a/sub/deeper/3.png");
            File.WriteAllText(Path.Combine(root, "a", "notes.txt"), "not an image");
            File.WriteAllText(Path.Combine(root, "README.md"), "a file beside the class folders");

            using var data = new ImageFolder(root);
            Assert.Equal(new[] { "B", "a", "a_1", "b" }, data.ClassNames);
            // os.walk's folders sorted by path ("sub" < "sub-x" < "sub/deeper": '-' < '/'), files by name ('1' < '9' < 'U').
            var expected = new[]
            {
                "B/1.png", "a/10.png", "a/9.png", "a/UPPER.PNG", "a/sub/1.png", "a/sub-x/2.png", "a/sub/deeper/3.png", "a_1/1.png", "b/1.png",
            }.Select(p => Path.Combine(root, p)).ToArray();
            Assert.Equal(expected, data.Files);
            Assert.Equal(new long[] { 0, 1, 1, 1, 1, 1, 1, 2, 3 }, data.ClassLabels());
        }

        [Fact]
        public void Errors_name_the_folder_or_file_and_say_the_layout()
        {
            string root = TestData.TempDir("folder-errors");
            string missing = Path.Combine(root, "nowhere");
            var e1 = Assert.Throws<DirectoryNotFoundException>(() => new ImageFolder(missing));
            Assert.Equal($"Image folder {missing} not found; expected a folder holding one subfolder per class (root/<class>/<image>, e.g. root/cat/001.jpg and root/dog/002.png).", e1.Message);

            string flat = Path.Combine(root, "flat");
            ImageFiles.Write(Path.Combine(flat, "1.png"), ImageFiles.Fashion(0), 1, 28, 28);
            var e2 = Assert.Throws<InvalidDataException>(() => new ImageFolder(flat));
            Assert.Equal($"{flat} has no class folders (1 images lie directly in it); an image folder holds one subfolder per class (root/<class>/<image>, e.g. root/cat/001.jpg and root/dog/002.png). Move each class's images into a subfolder named after the class.", e2.Message);

            string withEmpty = Path.Combine(root, "empty-class");
            ImageFiles.Write(Path.Combine(withEmpty, "cat", "1.png"), ImageFiles.Fashion(0), 1, 28, 28);
            Directory.CreateDirectory(Path.Combine(withEmpty, "dog"));
            File.WriteAllText(Path.Combine(withEmpty, "dog", "list.txt"), "no images here");
            var e3 = Assert.Throws<InvalidDataException>(() => new ImageFolder(withEmpty));
            Assert.Equal($"{withEmpty}: class folder {Path.Combine(withEmpty, "dog")} holds no images; images are files ending with .jpg, .jpeg, .png, .bmp, .webp (any case). Add images to each class folder or remove the empty ones.", e3.Message);

            string tiff = Path.Combine(root, "tiff");
            ImageFiles.Write(Path.Combine(tiff, "cat", "1.png"), ImageFiles.Fashion(0), 1, 28, 28);
            File.WriteAllBytes(Path.Combine(tiff, "cat", "2.tif"), new byte[] { 0x49, 0x49, 0x2A, 0 });
            var e4 = Assert.Throws<InvalidDataException>(() => new ImageFolder(tiff));
            Assert.Contains(Path.Combine(tiff, "cat", "2.tif"), e4.Message);
            Assert.Contains("Convert them to PNG", e4.Message);
        }

        [Theory]
        [InlineData("unreadable")]
        [InlineData("truncated")]
        public void A_bad_image_is_reported_by_name_when_read(string kind)
        {
            string root = TestData.TempDir("folder-bad");
            ImageFiles.Write(Path.Combine(root, "cat", "1.png"), ImageFiles.Fashion(0), 1, 28, 28);
            string bad = Path.Combine(root, "cat", "2.jpg");
            if (kind == "unreadable") File.WriteAllText(bad, "<html>a download error page</html>");
            else
            {
                ImageFiles.Write(bad, ImageFiles.Fashion(1), 1, 28, 28, SKEncodedImageFormat.Jpeg);
                ImageFiles.Truncate(bad, 0.5);
            }
            using var data = new ImageFolder(root); // construction lists files only
            using (var good = data.Read(0)) Assert.Equal(ImageFiles.Fashion(0).Concat(ImageFiles.Fashion(0)).Concat(ImageFiles.Fashion(0)).ToArray(), Bytes(good.Input));
            var e = Assert.Throws<InvalidDataException>(() => data.Read(1));
            Assert.StartsWith(bad + ": ", e.Message);
            Assert.Contains(kind == "unreadable" ? "unreadable image" : "truncated", e.Message);
        }

        [Fact]
        public void Splits_are_read_from_train_and_val_with_the_same_classes()
        {
            string root = TestData.TempDir("folder-splits");
            FashionFolder(Path.Combine(root, "train"), 30, SKEncodedImageFormat.Png, "png");
            var classes = Enumerable.Range(0, 30).Select(i => Folder(ImageFiles.FashionLabel(i))).Distinct().ToArray();
            for (int c = 0; c < classes.Length; c++)
                ImageFiles.Write(Path.Combine(root, "test", classes[c], "v.png"), ImageFiles.Fashion(100 + c), 1, 28, 28);
            var (train, val) = ImageFolder.OpenSplits(root, ImageMode.Grey);
            using (train)
            using (val)
            {
                Assert.Equal(30, train.Count);
                Assert.NotNull(val);
                Assert.Equal(Path.Combine(root, "test"), val!.Root);
                Assert.Equal(train.ClassNames, val.ClassNames);
                Assert.Equal(classes.Length, val.Count);
            }

            // A validation folder missing a class would shift every later class index: an error.
            Directory.Delete(Path.Combine(root, "test", classes[0]), recursive: true);
            var e = Assert.Throws<InvalidDataException>(() => ImageFolder.OpenSplits(root));
            Assert.Equal($"{Path.Combine(root, "test")} does not have the classes of the training folder, so class indices would disagree: missing '{classes[0]}'. Give both folders the same class subfolders (an empty class folder is an error too).", e.Message);

            var e2 = Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.OpenSplits(Path.Combine(root, "train")));
            Assert.StartsWith($"{Path.Combine(root, "train", "train")} not found; a folder with splits holds train/ and val/ (or test/)", e2.Message);
        }

        [Fact]
        public void Parallel_reads_give_the_same_samples_as_sequential_reads()
        {
            string root = TestData.TempDir("folder-parallel");
            FashionFolder(root, 48, SKEncodedImageFormat.Jpeg, "jpg");
            for (int i = 0; i < 8; i++)
                ImageFiles.Write(Path.Combine(root, "colour", $"{i}.png"), ImageFiles.Coloured(ImageFiles.Fashion(i), 28, 28), 3, 28, 28);
            using var data = new ImageFolder(root);
            var sequential = Enumerable.Range(0, data.Count).Select(i => { using var e = data.Read(i); return (Bytes(e.Input), e.Target.item<long>()); }).ToArray();
            var parallel = new (byte[], long)[data.Count];
            Parallel.For(0, data.Count * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
            {
                int i = k % data.Count;
                using var e = data.Read(i);
                var v = (Bytes(e.Input), e.Target.item<long>());
                lock (parallel) parallel[i] = v;
            });
            for (int i = 0; i < data.Count; i++)
            {
                Assert.Equal(sequential[i].Item1, parallel[i].Item1);
                Assert.Equal(sequential[i].Item2, parallel[i].Item2);
            }
        }

        [Fact]
        public void Batch_loader_with_several_workers_gives_batches_of_the_images_and_labels_in_epoch_order()
        {
            string root = TestData.TempDir("folder-loader");
            var written = FashionFolder(root, 37, SKEncodedImageFormat.Png, "png");
            using var data = new ImageFolder(root, ImageMode.Grey);
            var labels = data.ClassLabels()!;
            var loader = new BatchLoader(data, batchSize: 8, shuffle: true, seed: 3, workers: 3, prefetch: 2);
            var order = BatchLoader.Order(3, 1, data.Count);
            int seen = 0;
            foreach (var batch in loader.Epoch(1))
            {
                using (batch)
                {
                    int size = Math.Min(8, data.Count - seen);
                    Assert.Equal(new long[] { size, 1, 28, 28 }, batch.X.shape);
                    Assert.Equal(torch.ScalarType.Float32, batch.X.dtype);
                    Assert.Equal(order.Skip(seen).Take(size).Select(i => labels[i]), batch.Y.data<long>().ToArray());
                    var x = batch.X.data<float>().ToArray();
                    for (int j = 0; j < size; j++)
                    {
                        var pixels = ImageFiles.Fashion(written[data.Files[order[seen + j]]]);
                        for (int p = 0; p < 784; p++) Assert.Equal(pixels[p] / 255f, x[j * 784 + p], 6);
                    }
                    seen += size;
                }
            }
            Assert.Equal(data.Count, seen);
        }
    }
}
