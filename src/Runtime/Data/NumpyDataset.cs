using System.Globalization;
using System.IO.Compression;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// Samples from NumPy arrays, what Python users hand over: inputs [N, ...] and targets [N] (class ids) or [N] /
    /// [N, K] floats (values), either as two <c>.npy</c> files (<c>numpy.save</c>) or as one <c>.npz</c> archive holding
    /// both (<c>numpy.savez(path, x=inputs, y=targets)</c> or <c>savez_compressed</c>). See <see cref="NpyFile"/> for the
    /// element types read. uint8 inputs stay uint8 (images: the loader scales them by 1/255, as it does decoded images);
    /// other types become float32.
    /// </summary>
    /// <remarks>
    /// A <c>.npy</c> inputs file is read lazily: sample i is read from byte offset (header + i x sample bytes) when asked,
    /// so an array larger than memory trains with bounded memory (a Fortran-order file, written by
    /// <c>numpy.asfortranarray</c>, has no contiguous samples and is read whole). A <c>.npz</c> archive, whose members may
    /// be compressed, is read into memory when loaded. Targets are always read when loading, so bad ones (a negative class
    /// id, a NaN value, a count that differs from the inputs') are reported before training.
    /// </remarks>
    public sealed class NumpyDataset : Dataset
    {
        private readonly NpyHeader _inputHeader;
        private readonly SafeFileHandle? _file;          // lazy .npy inputs
        private readonly Tensor? _inputs;                // inputs held in memory: [N, ...] uint8 or float32, samples' layout
        private readonly Tensor _targets;                // int64 [N] or float32 [N, K]
        private readonly long[] _storedSampleShape;      // one sample as stored (before ChannelsLast)
        private readonly int _sampleBytes;
        private readonly bool _channelsLast;
        private readonly long[]? _labels;

        private NumpyDataset(string path, NpyHeader inputHeader, SafeFileHandle? file, Tensor? inputs, Tensor targets, TargetKind kind, bool channelsLast, long[]? labels)
        {
            Path = path;
            _inputHeader = inputHeader;
            _file = file;
            _inputs = inputs?.DetachFromDisposeScope();
            _targets = targets.DetachFromDisposeScope();
            TargetKind = kind;
            _channelsLast = channelsLast;
            _labels = labels;
            _storedSampleShape = inputHeader.Shape.Skip(1).ToArray();
            _sampleBytes = checked((int)(_storedSampleShape.Aggregate(1L, (a, b) => a * b) * inputHeader.ItemSize));
            var s = _storedSampleShape;
            SampleShape = new Dsl.Shape(channelsLast ? new[] { s[2], s[0], s[1] } : s);
            Count = checked((int)inputHeader.Shape[0]);
        }

        /// <summary>The inputs file (.npy or .npz).</summary>
        public string Path { get; }

        /// <inheritdoc/>
        public override string Name => System.IO.Path.GetFileName(Path);

        /// <inheritdoc/>
        public override int Count { get; }

        /// <inheritdoc/>
        public override TargetKind TargetKind { get; }

        /// <summary>One sample's shape: the inputs' shape without N ([C, H, W] with <see cref="NumpyOptions.ChannelsLast"/>).</summary>
        public override Dsl.Shape SampleShape { get; }

        /// <summary>The inputs' element type as stored, e.g. "&lt;f4".</summary>
        public string InputType => _inputHeader.Descr;

        /// <summary>Whether samples are read from the file when asked (a .npy file) rather than held in memory.</summary>
        public bool ReadsFromDisk => _file is not null;

        /// <inheritdoc/>
        public override long[]? ClassLabels() => _labels is null ? null : (long[])_labels.Clone();

        /// <inheritdoc/>
        public override Example Read(int index)
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has {Count} samples.");
            using var scope = torch.NewDisposeScope();
            Tensor x;
            if (_inputs is not null)
            {
                x = _inputs[index].clone();
            }
            else
            {
                var buffer = new byte[_sampleBytes];
                long offset = _inputHeader.DataOffset + index * (long)_sampleBytes;
                // RandomAccess reads at an offset without a shared file position, so workers read samples in parallel.
                int done = 0;
                while (done < buffer.Length)
                {
                    int n = RandomAccess.Read(_file!, buffer.AsSpan(done), offset + done);
                    if (n == 0)
                        throw new InvalidDataException($"{Path} is truncated: sample {index} ends at byte {offset + buffer.Length}, but the file now ends at {offset + done}. It changed after it was loaded.");
                    done += n;
                }
                x = NpyFile.ToTensor(buffer, _inputHeader, _storedSampleShape, keepBytes: true);
                if (_channelsLast) x = x.permute(2, 0, 1).contiguous();
            }
            return new Example(x, _targets[index].clone(), TargetKind, $"{Name} sample {index}");
        }

        /// <inheritdoc/>
        protected internal override (Tensor Input, Tensor Target)? ReadBatch(long[] indices)
        {
            if (_inputs is null) return null; // read sample by sample on the loader's workers
            using var index = torch.tensor(indices, ScalarType.Int64);
            return (_inputs.index_select(0, index), _targets.index_select(0, index));
        }

        /// <summary>Closes the file and releases the tensors.</summary>
        public override void Dispose()
        {
            _file?.Dispose();
            _inputs?.Dispose();
            _targets.Dispose();
        }

        /// <summary>
        /// Opens NumPy arrays: <paramref name="inputs"/> is a <c>.npy</c> file of inputs [N, ...] with
        /// <paramref name="targets"/> a <c>.npy</c> file of targets, or a <c>.npz</c> archive holding both (named by
        /// <see cref="NumpyOptions.InputsName"/> and <see cref="NumpyOptions.TargetsName"/>, "x" and "y" by default;
        /// <paramref name="targets"/> is then null).
        /// </summary>
        /// <exception cref="InvalidOptionException">An option does not fit the files (no targets file for a .npy, ChannelsLast on inputs that are not [N, H, W, C]...).</exception>
        /// <exception cref="InvalidDataException">A file is not NumPy's, holds an unsupported type, is truncated, lacks a member, or its counts, shapes or targets do not fit (named, with the fix).</exception>
        public static NumpyDataset Load(string inputs, string? targets = null, NumpyOptions? options = null)
        {
            options ??= new NumpyOptions();
            if (string.IsNullOrWhiteSpace(options.InputsName))
                throw new InvalidOptionException(nameof(NumpyOptions.InputsName), "the name of the inputs' array in the .npz file", "an empty name");
            if (string.IsNullOrWhiteSpace(options.TargetsName))
                throw new InvalidOptionException(nameof(NumpyOptions.TargetsName), "the name of the targets' array in the .npz file", "an empty name");
            if (options.TargetKind is { } k && k != Data.TargetKind.Class && k != Data.TargetKind.Values)
                throw new InvalidOptionException(nameof(NumpyOptions.TargetKind), "Class, Values or null (decided from the targets' type)", k.ToString());

            if (string.Equals(System.IO.Path.GetExtension(inputs), ".npz", StringComparison.OrdinalIgnoreCase))
            {
                if (targets is not null)
                    throw new InvalidOptionException(nameof(targets), $"null with a .npz file (its targets are the array named '{options.TargetsName}' inside it)", targets);
                return LoadArchive(inputs, options);
            }
            if (targets is null)
                throw new InvalidOptionException(nameof(targets), "a .npy file of targets [N] beside a .npy file of inputs (or give one .npz file holding both)", "none");

            var inputHeader = NpyFile.ReadHeader(inputs);
            var (targetHeader, targetData) = ReadWhole(targets);
            CheckInputs(inputs, inputHeader, options);
            CheckCounts(inputs, inputHeader, targets, targetHeader);
            using var scope = torch.NewDisposeScope();
            var (y, kind, labels) = Targets(targets, targetHeader, targetData, options);
            if (inputHeader.FortranOrder)
            {
                var (_, data) = ReadWhole(inputs);
                var x = InMemory(data, inputHeader, options.ChannelsLast);
                return new NumpyDataset(System.IO.Path.GetFullPath(inputs), inputHeader, null, x, y, kind, options.ChannelsLast, labels);
            }
            var file = File.OpenHandle(inputs, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
            return new NumpyDataset(System.IO.Path.GetFullPath(inputs), inputHeader, file, null, y, kind, options.ChannelsLast, labels);
        }

        private static NumpyDataset LoadArchive(string path, NumpyOptions options)
        {
            ZipArchive zip;
            try
            {
                zip = ZipFile.OpenRead(path);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path} is not a .npz file (a zip archive of .npy arrays, as numpy.savez writes): {e.Message}", e);
            }
            using (zip)
            {
                var (xName, xHeader, xData) = Member(zip, path, options.InputsName, nameof(NumpyOptions.InputsName));
                var (yName, yHeader, yData) = Member(zip, path, options.TargetsName, nameof(NumpyOptions.TargetsName));
                CheckInputs(xName, xHeader, options);
                CheckCounts(xName, xHeader, yName, yHeader);
                using var scope = torch.NewDisposeScope();
                var (y, kind, labels) = Targets(yName, yHeader, yData, options);
                var x = InMemory(xData, xHeader, options.ChannelsLast);
                return new NumpyDataset(System.IO.Path.GetFullPath(path), xHeader, null, x, y, kind, options.ChannelsLast, labels);
            }
        }

        /// <summary>A member of a .npz archive: its name for messages ("data.npz array 'x'"), header and data bytes.</summary>
        private static (string Name, NpyHeader Header, byte[] Data) Member(ZipArchive zip, string path, string array, string option)
        {
            var entry = zip.GetEntry(array + ".npy") ?? zip.GetEntry(array);
            string name = $"{path} array '{array}'";
            if (entry is null)
            {
                var present = zip.Entries.Select(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal) ? e.FullName[..^4] : e.FullName).ToArray();
                throw new InvalidDataException(
                    $"{path} has no array '{array}'; it holds {(present.Length == 0 ? "no arrays" : string.Join(", ", present.Select(p => $"'{p}'")))}. " +
                    $"Save it with numpy.savez(path, x=inputs, y=targets), or set {option} to the name it has.");
            }
            if (entry.Length > Array.MaxLength)
                throw new InvalidDataException($"{name} holds {entry.Length} bytes, more than an in-memory .npz array can (2 GB); save the inputs with numpy.save as a .npy file, which is read from disk sample by sample.");
            var bytes = new byte[entry.Length];
            using (var stream = entry.Open())
            {
                int done = 0;
                while (done < bytes.Length)
                {
                    int n = stream.Read(bytes, done, bytes.Length - done);
                    if (n == 0) break;
                    done += n;
                }
                if (done < bytes.Length) throw new InvalidDataException($"{name} is truncated: {entry.Length} bytes expected, {done} read. Save the archive again.");
            }
            using var ms = new MemoryStream(bytes, writable: false);
            var header = NpyFile.ReadHeader(ms, name);
            return (name, header, bytes);
        }

        private static (NpyHeader Header, byte[] Data) ReadWhole(string path)
        {
            var bytes = File.ReadAllBytes(path);
            using var ms = new MemoryStream(bytes, writable: false);
            return (NpyFile.ReadHeader(ms, path), bytes);
        }

        private static Tensor InMemory(byte[] file, NpyHeader header, bool channelsLast)
        {
            var data = file.AsSpan(checked((int)header.DataOffset), checked((int)header.DataBytes));
            var x = NpyFile.WholeArray(data, header, keepBytes: true);
            return channelsLast ? x.permute(0, 3, 1, 2).contiguous() : x;
        }

        private static void CheckInputs(string name, NpyHeader header, NumpyOptions options)
        {
            if (header.Shape.Count < 2)
                throw new InvalidDataException(
                    $"{name} is {header}: inputs hold one sample per row, [N, ...] with at least one dimension after N. For one feature per sample save x.reshape(-1, 1).");
            if (header.Shape[0] == 0)
                throw new InvalidDataException($"{name} is {header}: it holds no samples.");
            if (options.ChannelsLast && header.Shape.Count != 4)
                throw new InvalidOptionException(nameof(NumpyOptions.ChannelsLast), "used with images stored [N, H, W, C]", $"{name} of shape {Dsl.Shape.Format(header.Shape.ToArray())}");
        }

        private static void CheckCounts(string inputsName, NpyHeader inputs, string targetsName, NpyHeader targets)
        {
            long n = inputs.Shape[0];
            long m = targets.Shape.Count == 0 ? 1 : targets.Shape[0];
            if (targets.Shape.Count == 0 || n != m)
                throw new InvalidDataException(
                    $"{inputsName} holds {n} samples ({inputs}) but {targetsName} holds {(targets.Shape.Count == 0 ? "a single value" : $"{m} targets")} ({targets}); " +
                    "the first dimension of both is the number of samples, so they must be equal.");
        }

        /// <summary>The targets as a tensor (int64 [N] or float32 [N, K]) in the current dispose scope, with their kind and class ids.</summary>
        private static (Tensor Targets, TargetKind Kind, long[]? Labels) Targets(string name, NpyHeader header, byte[] file, NumpyOptions options)
        {
            var data = file.AsSpan(checked((int)header.DataOffset), checked((int)header.DataBytes));
            var kind = options.TargetKind ?? (header.IsInteger ? Data.TargetKind.Class : Data.TargetKind.Values);
            int n = checked((int)header.Shape[0]);
            if (kind == Data.TargetKind.Class)
            {
                if (header.Shape.Count != 1)
                    throw new InvalidDataException(
                        $"{name} is {header}: class targets are one id per sample, [N]. For several values per sample save floats (or set TargetKind to Values); for ids stored [N, 1] save y.reshape(-1).");
                var labels = new long[n];
                for (int i = 0; i < n; i++)
                {
                    double d = NpyFile.Element(data, header, i);
                    if (!(Math.Floor(d) == d))
                        throw new InvalidDataException($"{name}: target {i} is {d.ToString(CultureInfo.InvariantCulture)}, not a whole number; class ids are 0, 1, 2, ... (or leave TargetKind unset to read floats as values).");
                    if (d < 0)
                        throw new InvalidDataException($"{name}: target {i} is class id {d.ToString(CultureInfo.InvariantCulture)}, which is negative; class ids are 0, 1, 2, ...");
                    labels[i] = header.Descr == "<i8" ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(data[(8 * i)..]) : (long)d;
                }
                return (torch.tensor(labels, new long[] { n }, ScalarType.Int64), kind, labels);
            }
            if (header.Shape.Count is not (1 or 2))
                throw new InvalidDataException($"{name} is {header}: value targets are [N] (one value per sample) or [N, K].");
            long k = header.Shape.Count == 2 ? header.Shape[1] : 1;
            var values = new float[n * k];
            // Through the same row-major view as the inputs (a Fortran-order [N, K] array is transposed back).
            using (var whole = NpyFile.WholeArray(data, header, keepBytes: false)) whole.reshape(-1).data<float>().CopyTo(values, 0);
            for (long i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                    throw new InvalidDataException($"{name}: target {i / k}{(k > 1 ? $", value {i % k}" : "")} is {values[i].ToString(CultureInfo.InvariantCulture)}, not a finite number (or beyond float32's range); it cannot be trained on.");
            }
            return (torch.tensor(values, new long[] { n, k }, ScalarType.Float32), kind, null);
        }
    }
}
