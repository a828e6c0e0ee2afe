using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Dsl.Runtime.Training
{
    /// <summary>Thrown when a checkpoint file cannot be used; the message names the file and what is wrong.</summary>
    public sealed class CheckpointException : IOException
    {
        /// <summary>Creates the exception.</summary>
        public CheckpointException(string path, string problem, Exception? inner = null)
            : base($"Checkpoint {path} cannot be loaded: {problem}", inner)
        {
            Path = path;
        }

        /// <summary>The checkpoint file.</summary>
        public string Path { get; }
    }

    /// <summary>The JSON header of a checkpoint: where the run stands.</summary>
    public sealed class CheckpointHeader
    {
        /// <summary>Format version of the file.</summary>
        public int FormatVersion { get; set; } = CheckpointFile.Version;

        /// <summary>Last finished epoch (1-based).</summary>
        public int Epoch { get; set; }

        /// <summary>Optimizer steps taken so far (drives the learning-rate schedule).</summary>
        public long GlobalStep { get; set; }

        /// <summary>Seed of the data order and of torch's generator.</summary>
        public long Seed { get; set; }

        /// <summary>How the data order of an epoch is derived; epoch e uses the order of (Seed, e).</summary>
        public string DataOrder { get; set; } = "splitmix64-fisher-yates(seed, epoch)";

        /// <summary>Next epoch to run.</summary>
        public int NextEpoch { get; set; }

        /// <summary>Total epochs the run was started with.</summary>
        public int PlannedEpochs { get; set; }

        /// <summary>Training batch size.</summary>
        public int BatchSize { get; set; }

        /// <summary>Optimizer kind.</summary>
        public string Optimizer { get; set; } = "";

        /// <summary>Schedule kind.</summary>
        public string Schedule { get; set; } = "";

        /// <summary>
        /// Early stopping's best value, as checkpoints written before <see cref="Callbacks"/> existed hold it. Read
        /// from such files only; early stopping now keeps its state in <see cref="Callbacks"/>.
        /// </summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
        public double? BestMetric { get; set; }

        /// <summary>Early stopping's best epoch in checkpoints written before <see cref="Callbacks"/> existed.</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
        public int BestEpoch { get; set; }

        /// <summary>Early stopping's count in checkpoints written before <see cref="Callbacks"/> existed.</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
        public int EpochsWithoutImprovement { get; set; }

        /// <summary>Each callback's state (<see cref="TrainingCallback.SaveState"/>) by its <see cref="TrainingCallback.StateKey"/>.</summary>
        public Dictionary<string, JsonNode?> Callbacks { get; set; } = new();

        /// <summary>
        /// Classifiers replaced for another number of classes (<see cref="FineTuning.ReplaceClassifier"/>):
        /// <see cref="Trainer.LoadWeights"/> replaces them again before loading, so the declared network loads the checkpoint.
        /// </summary>
        public List<HeadReplacement>? Heads { get; set; }

        /// <summary>The run's <see cref="TrainOptions.Freeze"/> patterns.</summary>
        public List<string>? Freeze { get; set; }

        /// <summary>The optimizer's parameter groups; a resumed run must have the same (null in checkpoints written before groups existed).</summary>
        public List<ParameterGroupRecord>? ParameterGroups { get; set; }

        /// <summary>The model's CLR type name (informational).</summary>
        public string ModelType { get; set; } = "";

        /// <summary>Every finished epoch's metrics.</summary>
        public List<EpochMetrics> Metrics { get; set; } = new();

        /// <summary>UTC time the file was written.</summary>
        public DateTime WrittenUtc { get; set; }
    }

    /// <summary>A checkpoint in memory: header plus the serialized model and optimizer states.</summary>
    public sealed class CheckpointData
    {
        /// <summary>Creates the record.</summary>
        public CheckpointData(CheckpointHeader header, byte[] modelState, byte[] optimizerState)
        {
            Header = header;
            ModelState = modelState;
            OptimizerState = optimizerState;
        }

        /// <summary>Where the run stands.</summary>
        public CheckpointHeader Header { get; }

        /// <summary>The model's state_dict in TorchSharp's <c>Module.save</c> format.</summary>
        public byte[] ModelState { get; }

        /// <summary>The optimizer state in TorchSharp's <c>save_state_dict</c> format.</summary>
        public byte[] OptimizerState { get; }
    }

    /// <summary>
    /// The checkpoint file format (version 1), one file:
    /// <code>
    /// "DSLCKPT\n"            8 bytes magic
    /// version               int32 little-endian (1)
    /// header length H       int32
    /// header                H bytes UTF-8 JSON (<see cref="CheckpointHeader"/>)
    /// model length M        int64, then M bytes: TorchSharp Module.save (state_dict: parameters and buffers)
    /// optimizer length O    int64, then O bytes: TorchSharp optimizer save_state_dict
    /// SHA-256               32 bytes over everything before it
    /// </code>
    /// Written to a temporary file in the same folder, flushed to disk, then moved over the old file, so an
    /// interrupted write leaves the previous checkpoint intact. Loading checks magic, version, lengths and the hash.
    /// </summary>
    public static class CheckpointFile
    {
        /// <summary>Current format version.</summary>
        public const int Version = 1;

        /// <summary>Default file name inside the run folder.</summary>
        public const string FileName = "checkpoint.ckpt";

        private static readonly byte[] Magic = Encoding.ASCII.GetBytes("DSLCKPT\n");
        private const int HashLength = 32;


        /// <summary>Writes the checkpoint atomically (temp file in the same folder, flush, rename over the old one).</summary>
        /// <param name="path">Target file.</param>
        /// <param name="data">What to write.</param>
        /// <exception cref="OutputWriteException">The write failed; the previous file is unchanged and the temp file removed.</exception>
        public static void Save(string path, CheckpointData data) => Save(path, data, null);

        /// <summary>As <see cref="Save(string, CheckpointData)"/>; <paramref name="filter"/> wraps the file stream (tests inject failures and pauses).</summary>
        internal static void Save(string path, CheckpointData data, Func<string, Stream, Stream>? filter)
        {
            data.Header.FormatVersion = Version;
            data.Header.WrittenUtc = DateTime.UtcNow;
            byte[] bytes = Serialize(data);
            AtomicFile.Write(path, s => s.Write(bytes), filter);
        }

        /// <summary>Serializes to the file layout.</summary>
        internal static byte[] Serialize(CheckpointData data)
        {
            byte[] header = JsonSerializer.SerializeToUtf8Bytes(data.Header, CheckpointJson.Default.CheckpointHeader);
            using var ms = new MemoryStream(header.Length + data.ModelState.Length + data.OptimizerState.Length + 64);
            using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write(Version);
                w.Write(header.Length);
                w.Write(header);
                w.Write((long)data.ModelState.Length);
                w.Write(data.ModelState);
                w.Write((long)data.OptimizerState.Length);
                w.Write(data.OptimizerState);
            }
            byte[] hash = SHA256.HashData(ms.GetBuffer().AsSpan(0, (int)ms.Length));
            ms.Write(hash);
            return ms.ToArray();
        }

        /// <summary>Reads and validates a checkpoint file.</summary>
        /// <exception cref="CheckpointException">The file is missing, truncated, corrupt or of another version.</exception>
        public static CheckpointData Load(string path)
        {
            if (!File.Exists(path)) throw new CheckpointException(path, "the file does not exist.");
            byte[] b = File.ReadAllBytes(path);
            int minimum = Magic.Length + 4 + 4 + 8 + 8 + HashLength;
            if (b.Length < Magic.Length || !b.AsSpan(0, Magic.Length).SequenceEqual(Magic))
                throw new CheckpointException(path, $"it is not a checkpoint (expected the magic bytes \"DSLCKPT\\n\" at the start; the file has {b.Length} bytes). It may be corrupt or another kind of file.");
            if (b.Length < minimum)
                throw new CheckpointException(path, $"it is truncated: {b.Length} bytes, shorter than the smallest possible checkpoint ({minimum} bytes).");
            int version = BitConverter.ToInt32(b, Magic.Length);
            if (version != Version)
                throw new CheckpointException(path, $"format version {version} is not supported (this runtime reads version {Version}).");
            int pos = Magic.Length + 4;
            int headerLength = BitConverter.ToInt32(b, pos); pos += 4;
            if (headerLength <= 0 || pos + (long)headerLength + 16 + HashLength > b.Length)
                throw new CheckpointException(path, $"it is truncated or corrupt: the header declares {headerLength} bytes of JSON but the file has {b.Length} bytes in all.");
            int headerPos = pos; pos += headerLength;
            long modelLength = BitConverter.ToInt64(b, pos); pos += 8;
            if (modelLength < 0 || pos + modelLength + 8 + HashLength > b.Length)
                throw new CheckpointException(path, $"it is truncated: the model section declares {modelLength} bytes but only {Math.Max(0, b.Length - pos - 8 - HashLength)} remain.");
            int modelPos = pos; pos += (int)modelLength;
            long optLength = BitConverter.ToInt64(b, pos); pos += 8;
            if (optLength < 0 || pos + optLength + HashLength != b.Length)
                throw new CheckpointException(path, pos + optLength + HashLength > b.Length
                    ? $"it is truncated: the optimizer section declares {optLength} bytes but only {Math.Max(0, b.Length - pos - HashLength)} remain."
                    : $"it has {b.Length - (pos + optLength + HashLength)} unexpected extra bytes at the end.");
            int optPos = pos; pos += (int)optLength;
            byte[] expected = SHA256.HashData(b.AsSpan(0, pos));
            if (!b.AsSpan(pos, HashLength).SequenceEqual(expected))
                throw new CheckpointException(path, "its SHA-256 checksum does not match the content (the file is corrupt).");
            CheckpointHeader? header;
            try { header = JsonSerializer.Deserialize(b.AsSpan(headerPos, headerLength), CheckpointJson.Default.CheckpointHeader); }
            catch (JsonException e) { throw new CheckpointException(path, "its JSON header cannot be read: " + e.Message, e); }
            if (header is null) throw new CheckpointException(path, "its JSON header is empty.");
            return new CheckpointData(header, b.AsSpan(modelPos, (int)modelLength).ToArray(), b.AsSpan(optPos, (int)optLength).ToArray());
        }
    }

    /// <summary>Source-generated JSON for the checkpoint header (works with trimming and without reflection).</summary>
    [JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    [JsonSerializable(typeof(CheckpointHeader))]
    internal sealed partial class CheckpointJson : JsonSerializerContext
    {
    }
}
