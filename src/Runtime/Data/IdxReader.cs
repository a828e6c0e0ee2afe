using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;

namespace Dsl.Runtime.Data
{
    /// <summary>Images read from an IDX file: <see cref="Count"/> images of <see cref="Rows"/> x <see cref="Columns"/> bytes, row-major.</summary>
    public sealed class IdxImages(int count, int rows, int columns, byte[] pixels)
    {
        /// <summary>Number of images.</summary>
        public int Count { get; } = count;

        /// <summary>Image height.</summary>
        public int Rows { get; } = rows;

        /// <summary>Image width.</summary>
        public int Columns { get; } = columns;

        /// <summary>All pixels, image after image, row-major (Count * Rows * Columns bytes).</summary>
        public byte[] Pixels { get; } = pixels;
    }

    /// <summary>
    /// Reads and writes the IDX format of MNIST and Fashion-MNIST: a 4-byte magic number
    /// (0x00000803 for images, 0x00000801 for labels), big-endian 32-bit dimensions, then unsigned bytes.
    /// Files may be gzip-compressed (detected by the magic bytes 1f 8b, whatever the file name) or raw.
    /// Every mismatch gives an <see cref="InvalidDataException"/> naming the file, what was expected and what was found.
    /// </summary>
    public static class IdxReader
    {
        /// <summary>Magic number of an IDX file of unsigned-byte images (3 dimensions).</summary>
        public const int ImagesMagic = 0x00000803;

        /// <summary>Magic number of an IDX file of unsigned-byte labels (1 dimension).</summary>
        public const int LabelsMagic = 0x00000801;

        /// <summary>Reads an image file.</summary>
        public static IdxImages ReadImages(string path)
        {
            var (bytes, gz) = ReadContent(path);
            string name = Path.GetFileName(path);
            CheckMagic(name, bytes, ImagesMagic, "images");
            if (bytes.Length < 16) throw Truncated(name, gz, "a 16-byte image header", bytes.Length);
            int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
            int rows = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8));
            int cols = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12));
            if (count < 0 || rows <= 0 || cols <= 0)
                throw new InvalidDataException($"{name} has an invalid header: it declares {count} images of {rows}x{cols}; expected a non-negative count and positive sizes.");
            long expected = 16L + (long)count * rows * cols;
            string declared = $"the header declares {N(count)} images of {rows}x{cols} ({N(expected)} bytes)";
            CheckLength(name, gz, declared, expected, bytes.Length);
            var pixels = new byte[expected - 16];
            Buffer.BlockCopy(bytes, 16, pixels, 0, pixels.Length);
            return new IdxImages(count, rows, cols, pixels);
        }

        /// <summary>Reads a label file.</summary>
        public static byte[] ReadLabels(string path)
        {
            var (bytes, gz) = ReadContent(path);
            string name = Path.GetFileName(path);
            CheckMagic(name, bytes, LabelsMagic, "labels");
            if (bytes.Length < 8) throw Truncated(name, gz, "an 8-byte label header", bytes.Length);
            int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
            if (count < 0) throw new InvalidDataException($"{name} has an invalid header: it declares {count} labels.");
            long expected = 8L + count;
            CheckLength(name, gz, $"the header declares {N(count)} labels ({N(expected)} bytes)", expected, bytes.Length);
            var labels = new byte[count];
            Buffer.BlockCopy(bytes, 8, labels, 0, count);
            return labels;
        }

        /// <summary>Writes an image file (gzip-compressed when <paramref name="gzip"/>).</summary>
        public static void WriteImages(string path, ReadOnlySpan<byte> pixels, int count, int rows, int columns, bool gzip)
        {
            if ((long)count * rows * columns != pixels.Length)
                throw new ArgumentException($"{pixels.Length} pixels do not make {count} images of {rows}x{columns}.", nameof(pixels));
            var header = new byte[16];
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), ImagesMagic);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), rows);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), columns);
            Write(path, header, pixels, gzip);
        }

        /// <summary>Writes a label file (gzip-compressed when <paramref name="gzip"/>).</summary>
        public static void WriteLabels(string path, ReadOnlySpan<byte> labels, bool gzip)
        {
            var header = new byte[8];
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), LabelsMagic);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), labels.Length);
            Write(path, header, labels, gzip);
        }

        private static void Write(string path, byte[] header, ReadOnlySpan<byte> body, bool gzip)
        {
            using var file = File.Create(path);
            // Fixed mtime (zero) in the gzip header keeps written files byte-for-byte reproducible.
            using Stream s = gzip ? new GZipStream(file, CompressionLevel.SmallestSize) : file;
            s.Write(header);
            s.Write(body);
        }

        /// <summary>The file's content, decompressed when it starts with the gzip magic bytes 1f 8b.</summary>
        internal static (byte[] Bytes, bool Gzip) ReadContent(string path)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
            byte[] raw = File.ReadAllBytes(path);
            if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return (raw, false);
            using var output = new MemoryStream(raw.Length * 4);
            try
            {
                using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                gz.CopyTo(output);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
            {
                // A cut-off gzip stream: keep what was decompressed so the length check can say how much is missing.
                if (output.Length == 0)
                    throw new InvalidDataException($"{Path.GetFileName(path)} is not a valid gzip file ({e.Message}); download it again.", e);
            }
            return (output.ToArray(), true);
        }

        private static void CheckMagic(string name, byte[] bytes, int expected, string kind)
        {
            if (bytes.Length < 4)
                throw new InvalidDataException($"{name} is truncated: expected an IDX {kind} file starting with the magic number 0x{expected:X8} but the file holds only {bytes.Length} bytes; download it again.");
            int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
            if (magic != expected)
            {
                string hint = magic == ImagesMagic ? " (that is an images file)" : magic == LabelsMagic ? " (that is a labels file)" : " (not an IDX file of unsigned bytes)";
                throw new InvalidDataException($"{name} has the wrong magic number: expected 0x{expected:X8} (IDX {kind}) but found 0x{magic:X8}{hint}.");
            }
        }

        private static void CheckLength(string name, bool gz, string declared, long expected, long actual)
        {
            string holds = gz ? "the file holds " + N(actual) + " bytes once decompressed" : "the file holds " + N(actual) + " bytes";
            if (actual < expected)
                throw new InvalidDataException($"{name} is truncated: {declared} but {holds}; download it again.");
            if (actual > expected)
                throw new InvalidDataException($"{name} does not match its header: {declared} but {holds} ({N(actual - expected)} extra); download it again.");
        }

        private static InvalidDataException Truncated(string name, bool gz, string what, long actual) =>
            new($"{name} is truncated: expected {what} but the file holds {N(actual)} bytes{(gz ? " once decompressed" : "")}; download it again.");

        private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
    }
}
