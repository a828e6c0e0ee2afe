using System;
using System.IO;
using ResNetSample;

namespace Dsl.Generator.Tests
{
    /// <summary>The sample's command line, run through its real entry point.</summary>
    [Collection("Console")]
    public class SampleCommandLineTests
    {
        internal static (int ExitCode, string Output, string Error) RunSample(params string[] args) => Dsl.Tests.Shared.SampleCli.Run(args);

        [Fact]
        public void Summary_d2l_resnet18_prints_the_chapter_lines_and_the_parameter_count()
        {
            var (code, output, _) = RunSample("summary", "d2l-resnet18");
            Assert.Equal(0, code);
            var lines = output.Split('\n');
            Assert.Equal("stem    Stem            output shape: [1, 64, 24, 24]", lines[0]);
            Assert.Equal("stage1  ResidualStage   output shape: [1, 64, 24, 24]", lines[1]);
            Assert.Equal("stage2  ResidualStage   output shape: [1, 128, 12, 12]", lines[2]);
            Assert.Equal("stage3  ResidualStage   output shape: [1, 256, 6, 6]", lines[3]);
            Assert.Equal("stage4  ResidualStage   output shape: [1, 512, 3, 3]", lines[4]);
            Assert.Equal("head    ClassifierHead  output shape: [1, 10]", lines[5]);
            Assert.Contains("Total params: 11,178,378", output);
        }

        [Fact]
        public void Summary_of_an_unknown_model_names_the_known_ones()
        {
            var (code, _, error) = RunSample("summary", "resnet-9000");
            Assert.Equal(2, code);
            Assert.Contains("Unknown model 'resnet-9000'", error);
            Assert.Contains("d2l-resnet18", error);
        }
    }
}

namespace Dsl.Generator.Tests
{
    /// <summary>The sample's train and evaluate commands on the built-in data subset.</summary>
    [Collection("Console")]
    public class SampleTrainingTests : IDisposable
    {
        private readonly string _out = Path.Combine(Path.GetTempPath(), "dsl-train-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
        }

        [Fact]
        public void Train_on_the_built_in_subset_writes_metrics_plot_and_checkpoint_and_evaluate_reads_it()
        {
            var (code, output, error) = SampleCommandLineTests.RunSample(
                "train", "--model", "lenet", "--epochs", "1", "--limit", "512", "--batch-size", "64", "--out", _out, "--threads", "1");
            Assert.True(code == 0, error);
            Assert.Contains("device: cpu, threads: 1, seed: 42", output);
            Assert.Contains("512 training and 1,000 test images", output);
            Assert.Contains("done: 1 epoch(s), test accuracy", output);
            Assert.Equal(2, File.ReadAllLines(Path.Combine(_out, "metrics.csv")).Length);
            Assert.True(File.Exists(Path.Combine(_out, "metrics.png")));
            var checkpoint = Path.Combine(_out, "checkpoint.ckpt");
            Assert.True(File.Exists(checkpoint));

            var (evalCode, evalOutput, evalError) = SampleCommandLineTests.RunSample("evaluate", "--checkpoint", checkpoint);
            Assert.True(evalCode == 0, evalError);
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(evalOutput, @"lenet from .* \(epoch 1\): test accuracy \d+\.\d\d ?%, loss [\d.]+ on 1,000 images"), evalOutput);
        }

        [Fact]
        public void Train_rejects_an_image_size_that_does_not_match_the_declaration()
        {
            var (code, _, error) = SampleCommandLineTests.RunSample("train", "--model", "d2l-resnet18", "--image-size", "64", "--out", _out);
            Assert.Equal(2, code);
            Assert.Contains("--image-size 64 does not match d2l-resnet18, which is declared for 96x96 input", error);
            Assert.False(Directory.Exists(_out));
        }

        [Fact]
        public void Train_rejects_a_three_channel_model_on_grey_images()
        {
            var (code, _, error) = SampleCommandLineTests.RunSample("train", "--model", "resnet18", "--out", _out);
            Assert.Equal(2, code);
            Assert.Contains("resnet18 takes 3-channel input", error);
        }

        [Fact]
        public void Train_rejects_a_per_pixel_model_on_class_labels()
        {
            var (code, _, error) = SampleCommandLineTests.RunSample("train", "--model", "unet-bilinear", "--out", _out);
            Assert.Equal(2, code);
            Assert.Contains("BilinearUNet returns [2, 32, 32] per sample of the training set 'fashion-mnist train', but classification needs one score per class ([classes]); a network with an output per pixel trains on masks (segmentation)", error);
            Assert.False(Directory.Exists(_out));
        }

        [Fact]
        public void Evaluate_reports_a_corrupt_checkpoint_clearly()
        {
            Directory.CreateDirectory(_out);
            var path = Path.Combine(_out, "checkpoint.ckpt");
            File.WriteAllText(path, "not a checkpoint");
            var (code, _, error) = SampleCommandLineTests.RunSample("evaluate", "--checkpoint", path);
            Assert.Equal(2, code);
            Assert.Contains(path, error);
        }
    }
}
