using System;
using System.IO;
using System.Linq;
using Dsl.Runtime.Data;
using Xunit;

namespace Dsl.Runtime.Tests
{
    public class MnistTests
    {
        [Fact]
        public void Missing_files_are_listed_with_folder_and_download_urls()
        {
            string dir = TestData.TempDir("mnist-missing");
            IdxReader.WriteLabels(Path.Combine(dir, Mnist.TrainLabels), new byte[] { 1 }, gzip: true);
            var e = Assert.Throws<DatasetNotFoundException>(() => Mnist.Load(dir, MnistVariant.FashionMnist));
            Assert.Contains(Mnist.TrainImages, e.Message);
            Assert.Contains(Mnist.TestImages, e.Message);
            Assert.Contains(Mnist.TestLabels, e.Message);
            Assert.DoesNotContain(Mnist.TrainLabels + ",", e.Message);
            Assert.Contains(Path.GetFullPath(dir), e.Message);
            Assert.Contains("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz", e.Message);
            Assert.Equal(new[] { Mnist.TrainImages, Mnist.TestImages, Mnist.TestLabels }, e.MissingFiles);

            var e2 = Assert.Throws<DatasetNotFoundException>(() => Mnist.Load(dir, MnistVariant.Mnist, train: false));
            Assert.Contains("https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz", e2.Message);
        }

        [Fact]
        public void Builtin_fashion_subset_is_balanced_and_canonical()
        {
            var (train, test) = Mnist.Load(TestData.FashionSubset, MnistVariant.FashionMnist);
            using (train)
            using (test)
            {
                Assert.Equal(6000, train.Count);
                Assert.Equal(1000, test.Count);
                Assert.Equal(new Shape(1, 28, 28), train.SampleShape);
                using var counts = TorchSharp.torch.bincount(train.Labels);
                Assert.All(counts.data<long>().ToArray(), c => Assert.Equal(600L, c));
                using var testCounts = TorchSharp.torch.bincount(test.Labels);
                Assert.All(testCounts.data<long>().ToArray(), c => Assert.Equal(100L, c));
                Assert.Equal("Ankle boot", train.ClassNames[9]);
            }
        }

        [SkippableFact]
        public void Full_shared_mnist_loads_when_present()
        {
            string? shared = TestData.SharedData;
            Skip.If(shared is null || !Directory.Exists(Path.Combine(shared, "mnist")),
                "shared/data/mnist not found beside the repository (optional: holds the full MNIST IDX files)");
            using var test = Mnist.Load(Path.Combine(shared!, "mnist"), MnistVariant.Mnist, train: false);
            Assert.Equal(10000, test.Count);
            Assert.Equal(new Shape(1, 28, 28), test.SampleShape);
            Assert.InRange(test.Labels.max().item<long>(), 9, 9);
        }
   
        [SkippableFact]
        public void Builtin_subset_is_the_first_images_of_each_class_of_the_shared_copy()
        {
            string? shared = TestData.SharedData;
            Skip.If(shared is null || !Directory.Exists(Path.Combine(shared, "fashion-mnist")),
                "shared/data/fashion-mnist not found beside the repository (optional: the full Fashion-MNIST the subset was cut from)");
            string full = Path.Combine(shared!, "fashion-mnist");
            foreach (var (split, perClass) in new[] { ("t10k", 100), ("train", 600) })
            {
                var images = IdxReader.ReadImages(Path.Combine(full, $"{split}-images-idx3-ubyte.gz"));
                var labels = IdxReader.ReadLabels(Path.Combine(full, $"{split}-labels-idx1-ubyte.gz"));
                var subImages = IdxReader.ReadImages(Path.Combine(TestData.FashionSubset, $"{split}-images-idx3-ubyte.gz"));
                var subLabels = IdxReader.ReadLabels(Path.Combine(TestData.FashionSubset, $"{split}-labels-idx1-ubyte.gz"));
                var taken = new int[10];
                int k = 0;
                for (int i = 0; i < labels.Length; i++)
                {
                    if (taken[labels[i]] >= perClass) continue;
                    taken[labels[i]]++;
                    Assert.Equal(labels[i], subLabels[k]);
                    Assert.True(images.Pixels.AsSpan(i * 784, 784).SequenceEqual(subImages.Pixels.AsSpan(k * 784, 784)), $"{split} image {k}");
                    k++;
                }
                Assert.Equal(10 * perClass, k);
                Assert.Equal(k, subLabels.Length);
            }
        }
    }
}
