using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Dsl.Runtime.Data;
using TorchSharp;
using Xunit;

namespace Dsl.Runtime.Tests.Data
{
    public class CifarTests
    {
        private static byte[] Bytes(torch.Tensor t) => t.data<byte>().ToArray();

        /// <summary>A 32x32 colour image from subset image <paramref name="i"/>: the 28x28 image padded by 2 on each side, coloured (planar R, G, B).</summary>
        private static byte[] Image(int i)
        {
            var padded = new byte[32 * 32];
            var src = ImageFiles.Fashion(i);
            for (int y = 0; y < 28; y++) Array.Copy(src, y * 28, padded, (y + 2) * 32 + 2, 28);
            return ImageFiles.Coloured(padded, 32, 32);
        }

        /// <summary>Writes records (label bytes, then the image's 3072 bytes) and returns what was written per record.</summary>
        private static List<(byte[] Labels, byte[] Pixels)> WriteRecords(string path, int first, int count, Func<int, byte[]> labels)
        {
            var records = new List<(byte[], byte[])>();
            using var f = File.Create(path);
            for (int i = first; i < first + count; i++)
            {
                var l = labels(i);
                var p = Image(i);
                f.Write(l);
                f.Write(p);
                records.Add((l, p));
            }
            return records;
        }

        private static string Cifar10Folder(string parent, out List<(byte[] Labels, byte[] Pixels)> train, out List<(byte[] Labels, byte[] Pixels)> test)
        {
            string dir = Path.Combine(parent, "cifar-10-batches-bin");
            Directory.CreateDirectory(dir);
            train = new List<(byte[], byte[])>();
            for (int b = 1; b <= 5; b++)
                train.AddRange(WriteRecords(Path.Combine(dir, $"data_batch_{b}.bin"), 10 * b, 3 + b, i => new[] { (byte)ImageFiles.FashionLabel(i) }));
            test = WriteRecords(Path.Combine(dir, "test_batch.bin"), 200, 9, i => new[] { (byte)ImageFiles.FashionLabel(i) });
            return dir;
        }

        [Fact]
        public void Cifar10_reads_every_record_exactly_across_the_batch_files_with_the_names_file()
        {
            string parent = TestData.TempDir("cifar10");
            string dir = Cifar10Folder(parent, out var train, out var test);
            // The archive's names file: one name per line, then blank lines.
            File.WriteAllText(Path.Combine(dir, "batches.meta.txt"), string.Join("\n", Mnist.FashionClassNames) + "\n\n");

            foreach (var folder in new[] { dir, parent }) // the folder holding the files, or the one it was extracted in
            {
                var (trainSet, testSet) = Cifar.Load(folder, CifarVariant.Cifar10);
                using (trainSet)
                using (testSet)
                {
                    Assert.Equal("cifar-10 train", trainSet.Name);
                    Assert.Equal(Mnist.FashionClassNames, trainSet.ClassNames);
                    Assert.Equal(new Dsl.Shape(3, 32, 32), trainSet.SampleShape);
                    foreach (var (set, records) in new[] { (trainSet, train), (testSet, test) })
                    {
                        Assert.Equal(records.Count, set.Count);
                        Assert.Equal(records.Select(r => (long)r.Labels[0]), set.ClassLabels());
                        for (int i = 0; i < set.Count; i++)
                        {
                            using var e = set.Read(i);
                            Assert.Equal(new long[] { 3, 32, 32 }, e.Input.shape);
                            Assert.Equal(records[i].Pixels, Bytes(e.Input));
                            Assert.Equal(records[i].Labels[0], e.Target.item<long>());
                        }
                    }
                    // Records are numbered within their file: the 5th training sample is record 0 of data_batch_2.bin (4 + 5 records).
                    using (var e = trainSet.Read(4)) Assert.Equal(Path.Combine(dir, "data_batch_2.bin") + " record 0", e.Source);
                    using (var e = testSet.Read(8)) Assert.Equal(Path.Combine(dir, "test_batch.bin") + " record 8", e.Source);
                }
            }

            // Without the names file: CIFAR-10's own class names.
            File.Delete(Path.Combine(dir, "batches.meta.txt"));
            using var plain = Cifar.Load(dir, CifarVariant.Cifar10, train: false);
            Assert.Equal(new[] { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" }, plain.ClassNames);
        }

        [Fact]
        public void Cifar100_reads_fine_or_coarse_labels_and_their_names()
        {
            string parent = TestData.TempDir("cifar100");
            string dir = Path.Combine(parent, "cifar-100-binary");
            Directory.CreateDirectory(dir);
            // Coarse label = the Fashion label, fine label = 10 * Fashion label + image index mod 10 (both in range).
            Func<int, byte[]> labels = i => new[] { (byte)ImageFiles.FashionLabel(i), (byte)(10 * ImageFiles.FashionLabel(i) + i % 10) };
            var train = WriteRecords(Path.Combine(dir, "train.bin"), 0, 23, labels);
            var test = WriteRecords(Path.Combine(dir, "test.bin"), 50, 7, labels);
            var fineNames = Enumerable.Range(0, 100).Select(i => $"fine{i}").ToArray();
            var coarseNames = Enumerable.Range(0, 20).Select(i => $"coarse{i}").ToArray();
            File.WriteAllLines(Path.Combine(dir, "fine_label_names.txt"), fineNames);
            File.WriteAllLines(Path.Combine(dir, "coarse_label_names.txt"), coarseNames);

            using (var fine = Cifar.Load(parent, CifarVariant.Cifar100, train: true))
            {
                Assert.Equal(fineNames, fine.ClassNames);
                Assert.Equal(train.Select(r => (long)r.Labels[1]), fine.ClassLabels());
                for (int i = 0; i < fine.Count; i++)
                {
                    using var e = fine.Read(i);
                    Assert.Equal(train[i].Pixels, Bytes(e.Input));
                    Assert.Equal(train[i].Labels[1], e.Target.item<long>());
                }
            }
            using (var coarse = Cifar.Load(parent, CifarVariant.Cifar100, train: false, coarseLabels: true))
            {
                Assert.Equal("cifar-100 test (coarse labels)", coarse.Name);
                Assert.Equal(coarseNames, coarse.ClassNames);
                Assert.Equal(test.Select(r => (long)r.Labels[0]), coarse.ClassLabels());
                for (int i = 0; i < coarse.Count; i++)
                {
                    using var e = coarse.Read(i);
                    Assert.Equal(test[i].Pixels, Bytes(e.Input));
                    Assert.Equal(test[i].Labels[0], e.Target.item<long>());
                }
            }
            File.Delete(Path.Combine(dir, "fine_label_names.txt"));
            File.Delete(Path.Combine(dir, "coarse_label_names.txt"));
            using (var fine = Cifar.Load(dir, CifarVariant.Cifar100, train: false))
            {
                Assert.Equal(100, fine.ClassNames.Count);
                Assert.Equal(("apple", "worm"), (fine.ClassNames[0], fine.ClassNames[99]));
            }
            using (var coarse = Cifar.Load(dir, CifarVariant.Cifar100, train: false, coarseLabels: true))
            {
                Assert.Equal(20, coarse.ClassNames.Count);
                Assert.Equal(("aquatic_mammals", "vehicles_2"), (coarse.ClassNames[0], coarse.ClassNames[19]));
            }
        }

        [Fact]
        public void Missing_files_are_listed_with_where_to_get_the_binary_version()
        {
            string parent = TestData.TempDir("cifar-missing");
            var e = Assert.Throws<DatasetNotFoundException>(() => Cifar.Load(parent, CifarVariant.Cifar10, train: false));
            Assert.Equal($"cifar-10: missing test_batch.bin in {parent} (or in its subfolder cifar-10-batches-bin). Download the binary version, cifar-10-binary.tar.gz, from https://www.cs.toronto.edu/~kriz/cifar.html and extract it there (it creates cifar-10-batches-bin/).", e.Message);

            string dir = Cifar10Folder(parent, out _, out _);
            File.Delete(Path.Combine(dir, "data_batch_3.bin"));
            File.Delete(Path.Combine(dir, "data_batch_5.bin"));
            var e2 = Assert.Throws<DatasetNotFoundException>(() => Cifar.Load(parent, CifarVariant.Cifar10, train: true));
            Assert.Equal(new[] { "data_batch_3.bin", "data_batch_5.bin" }, e2.MissingFiles);
            Assert.StartsWith($"cifar-10: missing data_batch_3.bin, data_batch_5.bin in {dir}. Download the binary version", e2.Message);

            // The Python version (pickled batches without .bin) is recognised and the right download named.
            string py = TestData.TempDir("cifar-python");
            Directory.CreateDirectory(Path.Combine(py, "cifar-100-python"));
            var e3 = Assert.Throws<DatasetNotFoundException>(() => Cifar.Load(py, CifarVariant.Cifar100, train: true));
            Assert.Contains("The folder holds the Python version (pickled batches); this reader takes the binary version. Download the binary version, cifar-100-binary.tar.gz", e3.Message);
        }

        [Fact]
        public void A_truncated_file_or_a_label_out_of_range_is_named_with_its_record()
        {
            string parent = TestData.TempDir("cifar-bad");
            string dir = Cifar10Folder(parent, out _, out _);
            string test = Path.Combine(dir, "test_batch.bin");
            var bytes = File.ReadAllBytes(test);
            File.WriteAllBytes(test, bytes.AsSpan(0, bytes.Length - 1000).ToArray());
            var e = Assert.Throws<InvalidDataException>(() => Cifar.Load(dir, CifarVariant.Cifar10, train: false));
            Assert.Equal($"{test} is {bytes.Length - 1000} bytes, not a whole number of 3073-byte records (8 records and 2073 bytes more): the file is truncated or not a CIFAR-10 binary file. Download and extract it again (https://www.cs.toronto.edu/~kriz/cifar.html, binary version).", e.Message);

            bytes[3 * 3073] = 10; // record 3's label
            File.WriteAllBytes(test, bytes);
            var e2 = Assert.Throws<InvalidDataException>(() => Cifar.Load(dir, CifarVariant.Cifar10, train: false));
            Assert.Equal($"{test} record 3: label 10 is outside [0, 10); the file is corrupt or not a CIFAR-10 binary file.", e2.Message);

            File.WriteAllText(Path.Combine(dir, "batches.meta.txt"), "cat\ndog\n");
            bytes[3 * 3073] = 1;
            File.WriteAllBytes(test, bytes);
            var e3 = Assert.Throws<InvalidDataException>(() => Cifar.Load(dir, CifarVariant.Cifar10, train: false));
            Assert.StartsWith($"{Path.Combine(dir, "batches.meta.txt")} lists 2 class names; expected 10, one per line.", e3.Message);

            var e4 = Assert.Throws<InvalidOptionException>(() => Cifar.Load(dir, CifarVariant.Cifar10, train: false, coarseLabels: true));
            Assert.Equal("coarse labels must be used with CIFAR-100 only (CIFAR-10 has one label per image); got CIFAR-10.", e4.Message);
        }

        [Fact]
        public void Parallel_reads_give_the_same_samples_as_sequential_reads()
        {
            string parent = TestData.TempDir("cifar-parallel");
            Cifar10Folder(parent, out var train, out _);
            using var data = Cifar.Load(parent, CifarVariant.Cifar10, train: true);
            var sequential = Enumerable.Range(0, data.Count).Select(i => { using var e = data.Read(i); return Bytes(e.Input); }).ToArray();
            var parallel = new byte[data.Count][];
            Parallel.For(0, data.Count * 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
            {
                using var e = data.Read(k % data.Count);
                var b = Bytes(e.Input);
                lock (parallel) parallel[k % data.Count] = b;
            });
            Assert.Equal(sequential, parallel);
            Assert.Equal(train.Select(r => r.Pixels), sequential);
        }
    }
}
