using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// The header of a NumPy <c>.npy</c> file: the array's element type, shape and layout, and where its data starts.
    /// See <see cref="NpyFile"/> for the format.
    /// </summary>
    public sealed class NpyHeader
    {
        internal NpyHeader(string descr, bool fortranOrder, long[] shape, long dataOffset, (int Major, int Minor) version)
        {
            Descr = descr;
            FortranOrder = fortranOrder;
            Shape = shape;
            DataOffset = dataOffset;
            Version = version;
            Kind = descr[1];
            ItemSize = descr[2] - '0';
            long count = 1;
            foreach (var d in shape) count = checked(count * d);
            ElementCount = count;
            DataBytes = checked(count * ItemSize);
        }

        /// <summary>NumPy's type string, e.g. "&lt;f4" (little-endian float32) or "|u1" (uint8).</summary>
        public string Descr { get; }

        /// <summary>Whether the data is stored column-major (Fortran order) rather than row-major (C order).</summary>
        public bool FortranOrder { get; }

        /// <summary>The array's shape (empty for a scalar).</summary>
        public IReadOnlyList<long> Shape { get; }

        /// <summary>Byte offset of the first element (the length of the magic string, version, header length and header).</summary>
        public long DataOffset { get; }

        /// <summary>The format version (1.0, 2.0 or 3.0).</summary>
        public (int Major, int Minor) Version { get; }

        /// <summary>Number of elements.</summary>
        public long ElementCount { get; }

        /// <summary>Bytes of data after the header: <see cref="ElementCount"/> x <see cref="ItemSize"/>.</summary>
        public long DataBytes { get; }

        /// <summary>Bytes per element.</summary>
        public int ItemSize { get; }

        /// <summary>NumPy's kind letter: 'u' unsigned integer, 'i' signed integer, 'f' float, 'b' bool.</summary>
        internal char Kind { get; }

        /// <summary>Integer or bool elements (class ids); floats are values.</summary>
        public bool IsInteger => Kind != 'f';

        /// <summary>The shape as NumPy prints it with the type, e.g. "[100, 28, 28] uint8".</summary>
        public override string ToString() => $"{Dsl.Shape.Format(Shape.ToArray())} {TypeName(Descr)}";

        internal static string TypeName(string descr) => descr[1..] switch
        {
            "u1" => "uint8", "i1" => "int8", "b1" => "bool", "i2" => "int16", "u2" => "uint16", "i4" => "int32",
            "u4" => "uint32", "i8" => "int64", "f2" => "float16", "f4" => "float32", "f8" => "float64", _ => descr,
        };
    }

    /// <summary>
    /// Reads NumPy's <c>.npy</c> format (versions 1.0, 2.0 and 3.0, as written by <c>numpy.save</c>): the magic string
    /// "\x93NUMPY", a version, a header length, a header holding a Python dict literal with 'descr', 'fortran_order' and
    /// 'shape', then the elements. Supported element types (little-endian, NumPy's default on every common machine):
    /// <see cref="SupportedTypes"/>. Big-endian data, object arrays (pickled Python objects), strings, complex numbers
    /// and structured arrays are refused with the conversion to write instead.
    /// </summary>
    public static class NpyFile
    {
        private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

        // numpy.load refuses headers above 10000 bytes unless asked; a megabyte is past any real header and stops a
        // corrupt length from allocating gigabytes.
        private const int MaxHeaderBytes = 1 << 20;

        private static readonly string[] Codes = { "u1", "i1", "b1", "i2", "u2", "i4", "u4", "i8", "f2", "f4", "f8" };

        /// <summary>The element types read, as NumPy writes them.</summary>
        public static IReadOnlyList<string> SupportedTypes { get; } = Codes.Select(c => (c[1] == '1' ? "|" : "<") + c + " (" + NpyHeader.TypeName("|" + c) + ")").ToArray();

        /// <summary>Reads the header of the <c>.npy</c> file at <paramref name="path"/> and checks the file holds all its data.</summary>
        /// <exception cref="InvalidDataException">Not a .npy file, an unsupported type, or a truncated file (named, with the fix).</exception>
        public static NpyHeader ReadHeader(string path)
        {
            using var stream = File.OpenRead(path);
            return ReadHeader(stream, path);
        }

        /// <summary>
        /// Reads a header from the start of <paramref name="stream"/> (left after the header) and checks the stream's
        /// length holds the data. <paramref name="name"/> names the file in messages.
        /// </summary>
        /// <exception cref="InvalidDataException">Not a .npy file, an unsupported type, or truncated.</exception>
        public static NpyHeader ReadHeader(Stream stream, string name)
        {
            var prelude = new byte[8];
            int got = ReadFully(stream, prelude);
            if (got < 8 || !prelude.AsSpan(0, 6).SequenceEqual(Magic))
            {
                string found = got == 0 ? "the file is empty" : "it starts with " + string.Join(" ", prelude.Take(got).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
                string hint = got >= 4 && prelude[0] == 'P' && prelude[1] == 'K' ? " It is a zip archive: arrays saved with numpy.savez are read as a .npz file." : " Save arrays with numpy.save(path, array).";
                throw new InvalidDataException($"{name} is not a .npy file: it does not start with NumPy's magic string \\x93NUMPY ({found}).{hint}");
            }
            int major = prelude[6], minor = prelude[7];
            if (major is < 1 or > 3)
                throw new InvalidDataException($"{name}: .npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are). Save it again with numpy.save.");
            var lengthBytes = new byte[major == 1 ? 2 : 4];
            if (ReadFully(stream, lengthBytes) < lengthBytes.Length) throw Truncated(name, "the header length", 8 + lengthBytes.Length, stream);
            long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
            if (headerLength > MaxHeaderBytes)
                throw new InvalidDataException($"{name}: the .npy header claims {headerLength} bytes, more than any array's header needs; the file is corrupt.");
            var headerBytes = new byte[headerLength];
            long dataOffset = 8 + lengthBytes.Length + headerLength;
            if (ReadFully(stream, headerBytes) < headerBytes.Length) throw Truncated(name, "the header", dataOffset, stream);
            // Version 3.0 exists only to allow UTF-8 field names; 1.0 and 2.0 headers are latin-1.
            string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
            var header = Parse(text, name, dataOffset, (major, minor));
            if (stream.CanSeek && stream.Length < dataOffset + header.DataBytes)
                throw Truncated(name, $"{header} data ({header.DataBytes} bytes after a header of {dataOffset})", dataOffset + header.DataBytes, stream);
            return header;
        }

        private static InvalidDataException Truncated(string name, string what, long expected, Stream stream) =>
            new($"{name} is truncated: {what} needs {expected} bytes in all, but the file has {(stream.CanSeek ? stream.Length.ToString(CultureInfo.InvariantCulture) : "fewer")} bytes. Copy or save it again.");

        private static int ReadFully(Stream stream, byte[] buffer)
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int n = stream.Read(buffer, total, buffer.Length - total);
                if (n == 0) break;
                total += n;
            }
            return total;
        }

        private static NpyHeader Parse(string text, string name, long dataOffset, (int, int) version)
        {
            Dictionary<string, object?> dict;
            try
            {
                var parser = new LiteralParser(text);
                dict = parser.ParseDict();
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{name}: the .npy header is not the dictionary numpy.save writes ({e.Message}): {text.Trim()}");
            }
            object? Field(string key) => dict.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{name}: the .npy header has no '{key}': {text.Trim()}");
            var descrValue = Field("descr");
            if (descrValue is not string descr)
                throw new InvalidDataException($"{name} holds a structured array (fields {Describe(descrValue)}), which cannot be read: save each field as its own numeric array.");
            if (Field("fortran_order") is not bool fortran)
                throw new InvalidDataException($"{name}: the .npy header's 'fortran_order' is not True or False: {text.Trim()}");
            if (Field("shape") is not List<object?> dims || dims.Any(d => d is not long l || l < 0))
                throw new InvalidDataException($"{name}: the .npy header's 'shape' is not a tuple of sizes: {text.Trim()}");
            CheckType(descr, name);
            // One-byte types have no byte order; NumPy writes them with '|'.
            return new NpyHeader(descr[2] == '1' ? "|" + descr[1..] : descr, fortran, dims.Select(d => (long)d!).ToArray(), dataOffset, version);
        }

        private static void CheckType(string descr, string name)
        {
            string supported = "Supported: " + string.Join(", ", SupportedTypes) + ".";
            if (descr.Length >= 2 && descr[1] == 'O')
                throw new InvalidDataException($"{name} holds an object array (pickled Python objects, dtype '{descr}'), which cannot be read. Save a numeric array instead, e.g. numpy.save(path, numpy.asarray(a, dtype=numpy.float32)). {supported}");
            if (descr.Length == 3 && Codes.Contains(descr[1..]))
            {
                char order = descr[0];
                bool oneByte = descr[2] == '1';
                if (order == '<' || (oneByte && order is '|' or '>' or '=')) return;
                if (order == '>')
                    throw new InvalidDataException($"{name} is big-endian (dtype '{descr}'), which is not read: save it little-endian with numpy.save(path, a.astype('<{descr[1..]}')).");
            }
            throw new InvalidDataException($"{name}: the element type '{descr}' is not supported. {supported} Convert with a.astype(numpy.float32) (or numpy.int64 for class ids).");
        }

        private static string Describe(object? v) => v switch
        {
            List<object?> list => "[" + string.Join(", ", list.Select(Describe)) + "]",
            string s => "'" + s + "'",
            null => "None",
            _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
        };

        /// <summary>Converts elements stored as <paramref name="header"/> says into float32.</summary>
        internal static void ToFloat(ReadOnlySpan<byte> src, NpyHeader header, Span<float> dst)
        {
            int n = dst.Length;
            switch (header.Descr[1..])
            {
                case "u1": for (int i = 0; i < n; i++) dst[i] = src[i]; break;
                case "i1": for (int i = 0; i < n; i++) dst[i] = (sbyte)src[i]; break;
                case "b1": for (int i = 0; i < n; i++) dst[i] = src[i] != 0 ? 1f : 0f; break;
                case "i2": for (int i = 0; i < n; i++) dst[i] = BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]); break;
                case "u2": for (int i = 0; i < n; i++) dst[i] = BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]); break;
                case "i4": for (int i = 0; i < n; i++) dst[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]); break;
                case "u4": for (int i = 0; i < n; i++) dst[i] = BinaryPrimitives.ReadUInt32LittleEndian(src[(4 * i)..]); break;
                case "i8": for (int i = 0; i < n; i++) dst[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]); break;
                case "f2": for (int i = 0; i < n; i++) dst[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]); break;
                case "f4": for (int i = 0; i < n; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]); break;
                case "f8": for (int i = 0; i < n; i++) dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]); break;
                default: throw new InvalidOperationException("unchecked dtype " + header.Descr);
            }
        }

        /// <summary>Element <paramref name="i"/> as a double (exact for every supported type except int64 beyond 2^53).</summary>
        internal static double Element(ReadOnlySpan<byte> src, NpyHeader header, long i)
        {
            int at = checked((int)(i * header.ItemSize));
            return header.Descr[1..] switch
            {
                "u1" => src[at],
                "i1" => (sbyte)src[at],
                "b1" => src[at] != 0 ? 1 : 0,
                "i2" => BinaryPrimitives.ReadInt16LittleEndian(src[at..]),
                "u2" => BinaryPrimitives.ReadUInt16LittleEndian(src[at..]),
                "i4" => BinaryPrimitives.ReadInt32LittleEndian(src[at..]),
                "u4" => BinaryPrimitives.ReadUInt32LittleEndian(src[at..]),
                "i8" => BinaryPrimitives.ReadInt64LittleEndian(src[at..]),
                "f2" => (double)BinaryPrimitives.ReadHalfLittleEndian(src[at..]),
                "f4" => BinaryPrimitives.ReadSingleLittleEndian(src[at..]),
                "f8" => BinaryPrimitives.ReadDoubleLittleEndian(src[at..]),
                _ => throw new InvalidOperationException("unchecked dtype " + header.Descr),
            };
        }

        /// <summary>
        /// The elements as a tensor of <paramref name="shape"/> (C order): uint8 when stored as uint8 and
        /// <paramref name="keepBytes"/> is set, float32 otherwise. The tensor belongs to the current dispose scope.
        /// </summary>
        internal static Tensor ToTensor(ReadOnlySpan<byte> src, NpyHeader header, long[] shape, bool keepBytes)
        {
            long count = 1;
            foreach (var d in shape) count *= d;
            if (keepBytes && header.Descr == "|u1")
                return torch.tensor(src[..checked((int)count)].ToArray(), shape, ScalarType.Byte);
            var values = new float[count];
            ToFloat(src, header, values);
            return torch.tensor(values, shape, ScalarType.Float32);
        }

        /// <summary>
        /// The whole array as a C-order tensor (a Fortran-order array is transposed back), from its data bytes.
        /// The tensor belongs to the current dispose scope.
        /// </summary>
        internal static Tensor WholeArray(ReadOnlySpan<byte> data, NpyHeader header, bool keepBytes)
        {
            var shape = header.Shape.ToArray();
            if (!header.FortranOrder || shape.Length < 2) return ToTensor(data, header, shape, keepBytes);
            // Column-major data of shape S is the row-major array of shape reverse(S), transposed.
            var reversed = shape.Reverse().ToArray();
            using var t = ToTensor(data, header, reversed, keepBytes);
            var dims = Enumerable.Range(0, shape.Length).Reverse().Select(d => (long)d).ToArray();
            return t.permute(dims).contiguous();
        }

        /// <summary>A reader of the Python literals numpy.save writes in a header: dicts, strings, True/False/None, integers, tuples and lists.</summary>
        private ref struct LiteralParser
        {
            private readonly string _s;
            private int _i;

            public LiteralParser(string s)
            {
                _s = s;
                _i = 0;
            }

            public Dictionary<string, object?> ParseDict()
            {
                Skip();
                Expect('{');
                var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                while (true)
                {
                    Skip();
                    if (Peek() == '}') { _i++; break; }
                    if (ParseValue() is not string key) throw new FormatException("a key is not a string");
                    Skip();
                    Expect(':');
                    dict[key] = ParseValue();
                    Skip();
                    if (Peek() == ',') { _i++; continue; }
                    Skip();
                    Expect('}');
                    break;
                }
                return dict;
            }

            private object? ParseValue()
            {
                Skip();
                char c = Peek();
                if (c is '\'' or '"')
                {
                    int end = _s.IndexOf(c, _i + 1);
                    if (end < 0) throw new FormatException("a string is not closed");
                    string value = _s.Substring(_i + 1, end - _i - 1);
                    _i = end + 1;
                    return value;
                }
                if (c is '(' or '[')
                {
                    char close = c == '(' ? ')' : ']';
                    _i++;
                    var items = new List<object?>();
                    while (true)
                    {
                        Skip();
                        if (Peek() == close) { _i++; break; }
                        items.Add(ParseValue());
                        Skip();
                        if (Peek() == ',') { _i++; continue; }
                        Skip();
                        Expect(close);
                        break;
                    }
                    return items;
                }
                int start = _i;
                while (_i < _s.Length && (char.IsLetterOrDigit(_s[_i]) || _s[_i] == '-' || _s[_i] == '_')) _i++;
                string word = _s[start.._i];
                switch (word)
                {
                    case "True": return true;
                    case "False": return false;
                    case "None": return null;
                }
                // Python 2's numpy wrote long sizes with an L suffix.
                if (word.EndsWith('L')) word = word[..^1];
                if (long.TryParse(word, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) return n;
                throw new FormatException(word.Length == 0 ? $"unexpected '{c}' at {start}" : $"unexpected '{word}'");
            }

            private char Peek() => _i < _s.Length ? _s[_i] : throw new FormatException("the header ends early");

            private void Expect(char c)
            {
                if (Peek() != c) throw new FormatException($"expected '{c}' at {_i}, found '{_s[_i]}'");
                _i++;
            }

            private void Skip()
            {
                while (_i < _s.Length && char.IsWhiteSpace(_s[_i])) _i++;
            }
        }
    }
}
