using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// One split of CIFAR-10 or CIFAR-100 read from its binary files (see <see cref="Cifar"/>): labels are held in
    /// memory, the pixels of a record are read from disk when the sample is read (positional reads on files kept open,
    /// so reads from several threads do not interfere). Samples are uint8 [3, 32, 32] with an int64 class label.
    /// </summary>
    public sealed class CifarDataset : Dataset
    {
        private readonly string[] _paths;
        private readonly SafeFileHandle[] _files;
        private readonly int[] _start; // index of each file's first sample; one more entry: Count
        private readonly long[] _labels;
        private readonly int _labelBytes;

        internal CifarDataset(string name, string[] paths, int labelBytes, int labelOffset, IReadOnlyList<string> classNames)
        {
            Name = name;
            ClassNames = classNames;
            _paths = paths;
            _labelBytes = labelBytes;
            int record = RecordBytes;
            _files = new SafeFileHandle[paths.Length];
            _start = new int[paths.Length + 1];
            var labels = new List<long>();
            Span<byte> head = stackalloc byte[2];
            try
            {
                for (int f = 0; f < paths.Length; f++)
                {
                    _files[f] = File.OpenHandle(paths[f], FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
                    long length = RandomAccess.GetLength(_files[f]);
                    if (length == 0 || length % record != 0)
                        throw new InvalidDataException(
                            $"{paths[f]} is {length} bytes, not a whole number of {record}-byte records ({length / record} records and {length % record} bytes more): " +
                            $"the file is truncated or not a {(labelBytes == 1 ? "CIFAR-10" : "CIFAR-100")} binary file. Download and extract it again ({Cifar.DownloadPage}, binary version).");
                    int n = checked((int)(length / record));
                    _start[f + 1] = _start[f] + n;
                    // One small positional read per record: the labels without reading the pixels.
                    for (int r = 0; r < n; r++)
                    {
                        if (RandomAccess.Read(_files[f], head[..labelBytes], (long)r * record) != labelBytes)
                            throw new InvalidDataException($"{paths[f]} record {r}: the file ended while reading its label; it is truncated.");
                        int value = head[labelOffset];
                        if (value >= classNames.Count)
                            throw new InvalidDataException(
                                $"{paths[f]} record {r}: {(labelBytes == 2 ? (labelOffset == 1 ? "fine " : "coarse ") : "")}label {value} is outside [0, {classNames.Count}); " +
                                $"the file is corrupt or not a {(labelBytes == 1 ? "CIFAR-10" : "CIFAR-100")} binary file.");
                        labels.Add(value);
                    }
                }
            }
            catch
            {
                foreach (var h in _files) h?.Dispose();
                throw;
            }
            _labels = labels.ToArray();
        }

        /// <summary>Bytes per record: the label byte(s) and the pixels.</summary>
        private int RecordBytes => _labelBytes + Cifar.ImageBytes;

        /// <inheritdoc/>
        public override string Name { get; }

        /// <summary>The data files, in sample order.</summary>
        public IReadOnlyList<string> Files => _paths;

        /// <inheritdoc/>
        public override int Count => _start[^1];

        /// <inheritdoc/>
        public override IReadOnlyList<string> ClassNames { get; }

        /// <summary>[3, 32, 32].</summary>
        public override Dsl.Shape? SampleShape => new(3, 32, 32);

        /// <inheritdoc/>
        public override long[]? ClassLabels() => (long[])_labels.Clone();

        /// <summary>Reads record <paramref name="index"/> (counted across the split's files): uint8 [3, 32, 32] and its label.</summary>
        /// <exception cref="InvalidDataException">The file has become shorter since it was opened.</exception>
        public override Example Read(int index)
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has {Count} images.");
            int f = Array.BinarySearch(_start, index);
            if (f < 0) f = ~f - 1; // every file holds at least one record, so the starts increase strictly
            int record = index - _start[f];
            var pixels = new byte[Cifar.ImageBytes];
            long offset = (long)record * RecordBytes + _labelBytes;
            int read = 0;
            while (read < pixels.Length)
            {
                int n = RandomAccess.Read(_files[f], pixels.AsSpan(read), offset + read);
                if (n == 0)
                    throw new InvalidDataException($"{_paths[f]} record {record}: the file ended inside the record; it was truncated after it was opened.");
                read += n;
            }
            using var scope = torch.NewDisposeScope();
            var image = torch.tensor(pixels, new long[] { 3, 32, 32 }, ScalarType.Byte);
            return new Example(image, torch.tensor(_labels[index]), TargetKind.Class, $"{_paths[f]} record {record}");
        }

        /// <summary>Closes the files.</summary>
        public override void Dispose()
        {
            foreach (var h in _files) h.Dispose();
        }
    }
}
