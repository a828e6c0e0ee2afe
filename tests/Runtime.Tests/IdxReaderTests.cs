using System.IO;
using System.Linq;
using Dsl.Runtime.Data;
using Xunit;

namespace Dsl.Runtime.Tests
{
    public class IdxReaderTests
    {
        private static byte[] Pixels(int count, int rows, int cols) =>
            Enumerable.Range(0, count * rows * cols).Select(i => (byte)(i * 7 % 256)).ToArray();

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void Reads_a_good_file_gzip_or_raw(bool gzip)
        {
            string dir = TestData.TempDir("idx-good");
            string img = Path.Combine(dir, "train-images-idx3-ubyte.gz"), lbl = Path.Combine(dir, "train-labels-idx1-ubyte.gz");
            var pixels = Pixels(5, 4, 3);
            IdxReader.WriteImages(img, pixels, 5, 4, 3, gzip);
            IdxReader.WriteLabels(lbl, new byte[] { 0, 1, 2, 3, 9 }, gzip);
            Assert.Equal(gzip, File.ReadAllBytes(img)[0] == 0x1f);

            var images = IdxReader.ReadImages(img);
            Assert.Equal((5, 4, 3), (images.Count, images.Rows, images.Columns));
            Assert.Equal(pixels, images.Pixels);
            Assert.Equal(new byte[] { 0, 1, 2, 3, 9 }, IdxReader.ReadLabels(lbl));

            using var ds = ImageDataset.FromIdx(img, lbl);
            Assert.Equal(new long[] { 5, 1, 4, 3 }, ds.Images.shape);
            Assert.Equal(9L, ds.Labels[4].item<long>());
            Assert.Equal(pixels[13], ds.Images[1, 0, 0, 1].item<byte>());
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void Truncated_file_names_file_declared_and_actual_sizes(bool gzip)
        {
            string dir = TestData.TempDir("idx-trunc");
            string full = Path.Combine(dir, "full.idx"), cut = Path.Combine(dir, "train-images-idx3-ubyte.gz");
            IdxReader.WriteImages(full, Pixels(100, 28, 28), 100, 28, 28, gzip: false);
            byte[] bytes = File.ReadAllBytes(full);
            // Keep the header and 10 images: as if the download stopped early.
            byte[] partial = bytes.Take(16 + 10 * 784).ToArray();
            if (gzip)
            {
                using var f = File.Create(cut);
                using var gz = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionLevel.Fastest);
                gz.Write(partial);
            }
            else File.WriteAllBytes(cut, partial);

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(cut));
            Assert.Contains("train-images-idx3-ubyte.gz is truncated", e.Message);
            Assert.Contains("100 images of 28x28 (78,416 bytes)", e.Message);
            Assert.Contains("7,856 bytes", e.Message);
            Assert.Contains("download it again", e.Message);
        }

        [Fact]
        public void Gzip_stream_cut_in_the_middle_is_reported_as_truncated()
        {
            string dir = TestData.TempDir("idx-gzcut");
            string good = Path.Combine(dir, "good.gz"), cut = Path.Combine(dir, "t10k-images-idx3-ubyte.gz");
            IdxReader.WriteImages(good, Pixels(200, 28, 28), 200, 28, 28, gzip: true);
            byte[] bytes = File.ReadAllBytes(good);
            File.WriteAllBytes(cut, bytes.Take(bytes.Length / 2).ToArray());
            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(cut));
            Assert.Contains("t10k-images-idx3-ubyte.gz", e.Message);
            Assert.Contains("truncated", e.Message);
            Assert.Contains("200 images of 28x28", e.Message);
        }

        [Fact]
        public void Wrong_magic_names_expected_and_found()
        {
            string dir = TestData.TempDir("idx-magic");
            string lbl = Path.Combine(dir, "train-labels-idx1-ubyte.gz");
            IdxReader.WriteLabels(lbl, new byte[] { 1, 2, 3 }, gzip: true);
            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(lbl));
            Assert.Contains("train-labels-idx1-ubyte.gz has the wrong magic number", e.Message);
            Assert.Contains("expected 0x00000803", e.Message);
            Assert.Contains("found 0x00000801", e.Message);

            string junk = Path.Combine(dir, "junk.bin");
            File.WriteAllBytes(junk, new byte[] { 0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0 });
            var e2 = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(junk));
            Assert.Contains("junk.bin", e2.Message);
            Assert.Contains("found 0x504B0304", e2.Message);
        }

        [Fact]
        public void Extra_bytes_are_reported_as_a_mismatch()
        {
            string dir = TestData.TempDir("idx-extra");
            string lbl = Path.Combine(dir, "labels.idx");
            IdxReader.WriteLabels(lbl, new byte[] { 1, 2, 3 }, gzip: false);
            File.AppendAllText(lbl, "xx");
            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(lbl));
            Assert.Contains("labels.idx does not match its header", e.Message);
            Assert.Contains("3 labels (11 bytes)", e.Message);
            Assert.Contains("13 bytes", e.Message);
        }

        [Fact]
        public void Image_and_label_count_mismatch_names_both_files_and_counts()
        {
            string dir = TestData.TempDir("idx-count");
            string img = Path.Combine(dir, "train-images-idx3-ubyte.gz"), lbl = Path.Combine(dir, "train-labels-idx1-ubyte.gz");
            IdxReader.WriteImages(img, Pixels(4, 2, 2), 4, 2, 2, gzip: true);
            IdxReader.WriteLabels(lbl, new byte[] { 1, 2, 3 }, gzip: true);
            var e = Assert.Throws<InvalidDataException>(() => ImageDataset.FromIdx(img, lbl));
            Assert.Contains("train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz do not match", e.Message);
            Assert.Contains("4 images and 3 labels", e.Message);
        }
    }
}
