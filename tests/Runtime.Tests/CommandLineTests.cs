using System;
using System.IO;
using System.Linq;
using Dsl.Runtime.Data;
using ResNetSample;
using Xunit;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// The sample's command line on every runtime failure: a message naming the option, file or index, a
    /// non-zero exit code (2 bad input, 3 divergence, 4 a failed write), and earlier results left intact.
    /// </summary>
    public class CommandLineTests
    {
        internal static (int ExitCode, string Output, string Error) Cli(params string[] args) => Dsl.Tests.Shared.SampleCli.Run(args);

        private static string[] Train(string dir, params string[] more) =>
            new[] { "train", "--model", "lenet", "--epochs", "1", "--limit", "128", "--batch-size", "64", "--threads", "1", "--out", dir }.Concat(more).ToArray();

        [Theory]
        [InlineData("--lr", "NaN", "--lr must be a finite number greater than 0; got NaN.")]
        [InlineData("--lr", "0", "--lr must be a finite number greater than 0; got 0.")]
        [InlineData("--weight-decay", "-1", "--weight-decay must be a finite number of 0 or more; got -1.")]
        [InlineData("--clip", "0", "--clip must be a finite number greater than 0; got 0.")]
        [InlineData("--epochs", "0", "--epochs must be a whole number of at least 1; got 0.")]
        [InlineData("--batch-size", "-8", "--batch-size must be a whole number of at least 1; got -8.")]
        [InlineData("--patience", "0", "--patience must be a whole number of at least 1; got 0.")]
        [InlineData("--limit", "-5", "--limit must be a whole number of at least 1 (images to train on); got -5.")]
        [InlineData("--threads", "100000", "--threads must be 0 (one per core) or between 1 and ")]
        public void A_bad_option_exits_2_naming_the_option_and_its_range(string option, string value, string message)
        {
            string dir = Path.Combine(TestData.TempDir("cli-option"), "run");
            var (code, _, error) = Cli("train", $"{option}={value}", "--out", dir);
            Assert.Equal(2, code);
            Assert.StartsWith("error: " + message, error);
            Assert.False(Directory.Exists(dir));
        }

        [Fact]
        public void Out_naming_a_file_says_it_must_be_a_folder()
        {
            string file = Path.Combine(TestData.TempDir("cli-out-file"), "notes.txt");
            File.WriteAllText(file, "keep me");
            var (code, _, error) = Cli("train", "--out", file);
            Assert.Equal(2, code);
            Assert.Equal($"error: --out must be a folder; got {file}, which is a file.", error.Trim());
            Assert.Equal("keep me", File.ReadAllText(file));
        }

        [Fact]
        public void A_second_run_into_the_same_folder_needs_resume_or_overwrite_and_leaves_the_first_intact()
        {
            string dir = TestData.TempDir("cli-existing");
            var first = Cli(Train(dir));
            Assert.True(first.ExitCode == 0, first.Error);
            string checkpoint = Path.Combine(dir, "checkpoint.ckpt"), csv = Path.Combine(dir, "metrics.csv");
            byte[] before = File.ReadAllBytes(checkpoint);
            string csvBefore = File.ReadAllText(csv);

            var again = Cli(Train(dir));
            Assert.Equal(2, again.ExitCode);
            Assert.Contains($"{checkpoint} already exists: pass --resume to continue that run, or --overwrite", again.Error);
            Assert.Equal(before, File.ReadAllBytes(checkpoint));
            Assert.Equal(csvBefore, File.ReadAllText(csv));

            var both = Cli(Train(dir, "--resume", "--overwrite"));
            Assert.Equal(2, both.ExitCode);
            Assert.Contains("--overwrite must be false when Resume is set", both.Error);

            var overwritten = Cli(Train(dir, "--overwrite"));
            Assert.True(overwritten.ExitCode == 0, overwritten.Error);
        }

        [Fact]
        public void A_diverging_run_exits_3_and_says_no_checkpoint_was_written()
        {
            string dir = TestData.TempDir("cli-diverge");
            var (code, _, error) = Cli(Train(dir, "--lr", "1e30", "--schedule", "constant"));
            Assert.Equal(3, code);
            Assert.Contains("error: Training stopped: the ", error);
            Assert.Contains(" became ", error);
            Assert.Contains("No checkpoint had been written yet", error);
            Assert.False(File.Exists(Path.Combine(dir, "checkpoint.ckpt")));
        }

        /// <summary>Writes the four IDX files of a tiny data set with images of the given size and labels.</summary>
        private static string DataFolder(string name, int size, byte[] labels)
        {
            string dir = TestData.TempDir(name);
            var pixels = new byte[labels.Length * size * size];
            new Random(1).NextBytes(pixels);
            foreach (var (images, labelFile) in new[] { (Mnist.TrainImages, Mnist.TrainLabels), (Mnist.TestImages, Mnist.TestLabels) })
            {
                IdxReader.WriteImages(Path.Combine(dir, images), pixels, labels.Length, size, size, gzip: true);
                IdxReader.WriteLabels(Path.Combine(dir, labelFile), labels, gzip: true);
            }
            return dir;
        }

        [Fact]
        public void Images_of_another_size_are_resized_to_the_model_and_the_log_says_so()
        {
            string data = DataFolder("cli-32", 32, Enumerable.Range(0, 64).Select(i => (byte)(i % 10)).ToArray());
            string dir = TestData.TempDir("cli-resized");
            var (code, output, error) = Cli(Train(dir, "--data", data));
            Assert.True(code == 0, error);
            Assert.Contains("64 training and 64 test images, resized from 32x32 to 28x28", output);
        }

        [Fact]
        public void A_label_outside_the_classes_exits_2_naming_the_file_and_index()
        {
            var labels = Enumerable.Range(0, 64).Select(i => (byte)(i % 10)).ToArray();
            labels[17] = 12;
            string data = DataFolder("cli-label", 28, labels);
            string dir = Path.Combine(TestData.TempDir("cli-label-run"), "run");
            var (code, _, error) = Cli(Train(dir, "--data", data));
            Assert.Equal(2, code);
            Assert.StartsWith("error: train-labels-idx1-ubyte.gz: label 12 at index 17 is outside [0, 10)", error);
            Assert.False(Directory.Exists(dir));
        }
    }
}
