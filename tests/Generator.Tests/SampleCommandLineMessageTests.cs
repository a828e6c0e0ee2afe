using System;
using System.IO;
using System.Text;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// The sample's command line on mistakes that used to give wrong or unclear output: each exits 2 with one message
    /// naming the option or file and what to pass instead (no negative shapes, no native stack trace, no training advice).
    /// </summary>
    [Collection("Console")]
    public class SampleCommandLineMessageTests : IDisposable
    {
        private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "dsl-cli-messages-" + Guid.NewGuid().ToString("N"))).FullName;

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private static (int ExitCode, string Output, string Error) Run(params string[] args) => SampleCommandLineTests.RunSample(args);

        [Theory]
        [InlineData("0")]
        [InlineData("-3")]
        public void Summary_refuses_a_batch_below_one(string batch)
        {
            var (code, output, error) = Run("summary", "lenet", "--batch", batch);
            Assert.Equal(2, code);
            Assert.Equal($"error: --batch must be a whole number of at least 1 (the batch size shown in the shapes); got {batch}.", error.Trim());
            Assert.DoesNotContain("Total params", output);
        }

        [Fact]
        public void Train_on_a_language_model_says_what_it_takes_before_loading_anything()
        {
            var (code, _, error) = Run("train", "--model", "gpt-mini", "--epochs", "1");
            Assert.Equal(2, code);
            Assert.Equal("error: gpt-mini is a language model: it takes token ids [N, L] (L at most 128, ids in [0, 256)) and gives next-token logits per position. " +
                "Train it on a UTF-8 text file: --data corpus.txt --tokenizer bytes.", error.Trim());
        }

        [Fact]
        public void Summary_with_a_batch_shows_it_in_the_shapes()
        {
            var (code, output, _) = Run("summary", "lenet", "--batch", "4");
            Assert.Equal(0, code);
            Assert.Contains("output shape: [4, 10]", output);
        }

        [Fact]
        public void Evaluate_on_a_folder_says_it_is_a_folder_and_names_the_checkpoint_in_it()
        {
            var (code, _, error) = Run("evaluate", "--checkpoint", _dir);
            Assert.Equal(2, code);
            Assert.Equal($"error: --checkpoint must be a file: a checkpoint.ckpt written by train, or a .safetensors state dict with --model; got {_dir}, which is a folder; pass the checkpoint.ckpt that train wrote into its --out folder.", error.Trim());

            string inside = Path.Combine(_dir, "checkpoint.ckpt");
            File.WriteAllText(inside, "not read");
            (code, _, error) = Run("evaluate", "--checkpoint", _dir);
            Assert.Equal(2, code);
            Assert.Equal($"error: --checkpoint must be a file: a checkpoint.ckpt written by train, or a .safetensors state dict with --model; got {_dir}, which is a folder; pass {inside}.", error.Trim());
        }

        /// <summary>A safetensors file: the 8-byte header length, the JSON header, the data.</summary>
        private string Safetensors(string name, string header, int dataBytes)
        {
            string path = Path.Combine(_dir, name);
            byte[] json = Encoding.UTF8.GetBytes(header);
            using var file = File.Create(path);
            file.Write(BitConverter.GetBytes((ulong)json.Length));
            file.Write(json);
            file.Write(new byte[dataBytes]);
            return path;
        }

        [Theory]
        [InlineData("{\"conv1.weight\": {\"dtype\": \"F32\", \"shape\": [-1, 2], \"data_offsets\": [0, 8]}}", "the safetensors header's entry 'conv1.weight' has no shape of whole numbers of at least 0 (it has [-1, 2]); the file is corrupt")]
        [InlineData("{\"conv1.weight\": {\"dtype\": \"F32\", \"data_offsets\": [0, 8]}}", "the safetensors header's entry 'conv1.weight' has no shape of whole numbers of at least 0; the file is corrupt")]
        [InlineData("{\"conv1.weight\": {\"shape\": [2], \"data_offsets\": [0, 8]}}", "the safetensors header's entry 'conv1.weight' has no dtype; the file is corrupt")]
        [InlineData("{\"conv1.weight\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0]}}", "the safetensors header's entry 'conv1.weight' has no data_offsets [start, end]; the file is corrupt")]
        [InlineData("{\"conv1.weight\": 7}", "the safetensors header's entry 'conv1.weight' is not an object with dtype, shape and data_offsets; the file is corrupt")]
        [InlineData("[1, 2]", "its safetensors header is a JSON array, not an object of tensors; the file is corrupt or not a safetensors file")]
        public void A_corrupt_safetensors_header_is_one_line_naming_the_file(string header, string reason)
        {
            string path = Safetensors("corrupt.safetensors", header, 8);
            var (code, _, error) = Run("evaluate", "--checkpoint", path, "--model", "lenet");
            Assert.Equal(2, code);
            Assert.Equal($"error: Cannot read the checkpoint {path}: {reason}", error.Trim());
        }

        [Fact]
        public void A_libtorch_error_while_reading_keeps_its_first_line_only()
        {
            // Every entry is well-formed, but the shape needs more bytes than its data holds: libtorch refuses it.
            string path = Safetensors("short.safetensors", "{\"conv1.weight\": {\"dtype\": \"F32\", \"shape\": [1000, 1000], \"data_offsets\": [0, 8]}}", 8);
            var (code, _, error) = Run("evaluate", "--checkpoint", path, "--model", "lenet");
            Assert.Equal(2, code);
            Assert.StartsWith($"error: Cannot read the checkpoint {path}: corrupt safetensors file: ", error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.DoesNotContain("frame #", error);
        }

        [Fact]
        public void Exporting_onnx_onto_a_folder_names_the_folder_and_a_file_to_pass()
        {
            var (code, _, error) = Run("export", "lenet", "--format", "onnx", "--out", _dir);
            Assert.Equal(2, code);
            Assert.Equal($"error: --out must be the path of the .onnx file to write; got {_dir}, which is a folder; pass a file in it, such as {Path.Combine(_dir, "lenet.onnx")}.", error.Trim());
            Assert.Empty(Directory.GetFileSystemEntries(_dir));
        }
    }
}
