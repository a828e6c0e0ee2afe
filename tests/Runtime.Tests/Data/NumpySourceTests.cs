using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using Dsl.Runtime.Data;
using Dsl.Runtime.Tests.PyTorch;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.Data
{
    /// <summary>Arrays written by NumPy itself (numpy.save, savez, savez_compressed, format versions 1-3), and broken files written byte by byte.</summary>
    public class NumpySourceTests
    {
        private const int N = 5;

        // Element j (row-major index) of every test array, per type: exact in the type and in float32.
        private static readonly Dictionary<string, Func<long, double>> Formula = new()
        {
            ["u1"] = j => j * 7 % 256,
            ["i1"] = j => j * 7 % 256 - 128,
            ["b1"] = j => j % 3 == 0 ? 1 : 0,
            ["i2"] = j => j * 100 - 3000,
            ["u2"] = j => j * 300,
            ["i4"] = j => j * 100000 - 7,
            ["u4"] = j => j * 100000,
            ["i8"] = j => j * 1000 - 50,
            ["f2"] = j => j * 0.25 - 3,
            ["f4"] = j => j * 0.1 - 1,
            ["f8"] = j => j * 0.1 - 1,
        };

        private const string Script = """
import sys, numpy as np
d = sys.argv[1]
N = 5
def formula(code, shape):
    j = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    f = {'u1': j * 7 % 256, 'i1': j * 7 % 256 - 128, 'b1': j % 3 == 0, 'i2': j * 100 - 3000, 'u2': j * 300,
         'i4': j * 100000 - 7, 'u4': j * 100000, 'i8': j * 1000 - 50, 'f2': j * 0.25 - 3, 'f4': j * 0.1 - 1, 'f8': j * 0.1 - 1}[code]
    return f.astype({'b1': np.bool_}.get(code, '<' + code))
for code in ['u1', 'i1', 'b1', 'i2', 'u2', 'i4', 'u4', 'i8', 'f2', 'f4', 'f8']:
    np.save(f'{d}/x_{code}.npy', formula(code, (N, 2, 3)))
y = np.arange(N, dtype=np.int64) % 3
np.save(f'{d}/y.npy', y)
for code in ['u1', 'i1', 'i2', 'u2', 'i4', 'u4']:
    np.save(f'{d}/y_{code}.npy', (np.arange(N) % 3).astype('<' + code))
np.save(f'{d}/y_b1.npy', np.arange(N) % 3 == 0)
x = formula('f4', (N, 2, 3))
for v in [(1, 0), (2, 0), (3, 0)]:
    with open(f'{d}/x_v{v[0]}.npy', 'wb') as f:
        np.lib.format.write_array(f, x, version=v)
np.save(f'{d}/x_fortran.npy', np.asfortranarray(x))
img = formula('u1', (N, 4, 3, 2))
np.save(f'{d}/img.npy', img)
np.savez(f'{d}/data.npz', x=x, y=y)
np.savez_compressed(f'{d}/compressed.npz', inputs=img, labels=y)
np.savez(f'{d}/other_names.npz', a=x, b=y)
np.save(f'{d}/values.npy', (np.arange(N) * 0.5 - 1).astype(np.float32))
np.save(f'{d}/values2.npy', np.arange(N * 2, dtype=np.float64).reshape(N, 2) / 8)
np.save(f'{d}/values_fortran.npy', np.asfortranarray(np.arange(N * 2, dtype=np.float64).reshape(N, 2) / 8))
np.save(f'{d}/float_ids.npy', np.array([0, 2, 1, 1, 0], dtype=np.float32))
np.save(f'{d}/half_ids.npy', np.array([0, 2.5, 1, 1, 0], dtype=np.float32))
np.save(f'{d}/negative.npy', np.array([0, 2, -1, 1, 0], dtype=np.int64))
np.save(f'{d}/nan.npy', np.array([0, 2, np.nan, 1, 0], dtype=np.float32))
np.save(f'{d}/y4.npy', np.arange(4))
np.save(f'{d}/flat.npy', np.arange(N, dtype=np.float32))
np.save(f'{d}/complex.npy', np.zeros((N, 2), dtype=np.complex64))
np.save(f'{d}/big.npy', x.astype('>f4'))
np.save(f'{d}/objects.npy', np.array([[1, 'a']] * N, dtype=object), allow_pickle=True)
""";

        private static readonly Lazy<(string? Missing, string Dir)> Files = new(() =>
        {
            if (!File.Exists(PythonTorch.Python)) return (PythonTorch.Python + " is not installed", "");
            string dir = TestData.TempDir("numpy");
            var result = PythonTorch.Run(new[] { "-c", Script, dir }, TimeSpan.FromMinutes(2));
            if (result.ExitCode != 0)
            {
                var probe = PythonTorch.Run(new[] { "-c", "import numpy" }, TimeSpan.FromMinutes(1));
                if (probe.ExitCode != 0) return ("numpy is not importable: " + probe.Error.Trim(), "");
                throw new InvalidOperationException("writing the arrays failed: " + result);
            }
            return (null, dir);
        });

        /// <summary>The folder of NumPy-written files; skips the test visibly when python3 or numpy is missing.</summary>
        private static string Dir
        {
            get
            {
                var (missing, dir) = Files.Value;
                Skip.If(missing != null, missing);
                return dir;
            }
        }

        private static string F(string name) => Path.Combine(Dir, name);

        private static double[] Values(Tensor t) => t.to_type(ScalarType.Float64).data<double>().ToArray();

        [SkippableFact]
        public void Every_type_reads_back_the_values_numpy_wrote()
        {
            foreach (var (code, formula) in Formula)
            {
                using var data = NumpyDataset.Load(F($"x_{code}.npy"), F("y.npy"));
                Assert.Equal(N, data.Count);
                Assert.True(data.ReadsFromDisk);
                Assert.Equal(new Dsl.Shape(2, 3), data.SampleShape);
                Assert.EndsWith(code, data.InputType);
                Assert.Equal(TargetKind.Class, data.TargetKind);
                Assert.Equal(new long[] { 0, 1, 2, 0, 1 }, data.ClassLabels());
                for (int i = 0; i < N; i++)
                {
                    using var e = data.Read(i);
                    Assert.Equal(code == "u1" ? ScalarType.Byte : ScalarType.Float32, e.Input.dtype);
                    Assert.Equal(new long[] { 2, 3 }, e.Input.shape);
                    var expected = Enumerable.Range(0, 6).Select(k => (double)(float)formula(i * 6 + k)).ToArray();
                    Assert.Equal(expected, Values(e.Input));
                    Assert.Equal(ScalarType.Int64, e.Target.dtype);
                    Assert.Equal(0, e.Target.dim());
                    Assert.Equal(i % 3, e.Target.item<long>());
                    Assert.Equal($"x_{code}.npy sample {i}", e.Source);
                }
            }
        }

        [SkippableFact]
        public void Integer_targets_of_every_width_are_class_ids()
        {
            foreach (var code in new[] { "u1", "i1", "i2", "u2", "i4", "u4", "b1" })
            {
                using var data = NumpyDataset.Load(F("x_f4.npy"), F($"y_{code}.npy"));
                Assert.Equal(TargetKind.Class, data.TargetKind);
                Assert.Equal(code == "b1" ? new long[] { 1, 0, 0, 1, 0 } : new long[] { 0, 1, 2, 0, 1 }, data.ClassLabels());
                using var e = data.Read(2);
                Assert.Equal(ScalarType.Int64, e.Target.dtype);
                Assert.Equal(data.ClassLabels()![2], e.Target.item<long>());
            }
        }

        [SkippableFact]
        public void Format_versions_and_fortran_order_read_the_same_samples()
        {
            using var reference = NumpyDataset.Load(F("x_f4.npy"), F("y.npy"));
            foreach (var name in new[] { "x_v1.npy", "x_v2.npy", "x_v3.npy", "x_fortran.npy" })
            {
                var header = NpyFile.ReadHeader(F(name));
                if (name.Contains('v')) Assert.Equal(name[3] - '0', header.Version.Major);
                Assert.Equal(name == "x_fortran.npy", header.FortranOrder);
                Assert.Equal(new long[] { N, 2, 3 }, header.Shape);
                using var data = NumpyDataset.Load(F(name), F("y.npy"));
                for (int i = 0; i < N; i++)
                {
                    using var a = reference.Read(i);
                    using var b = data.Read(i);
                    Assert.Equal(Values(a.Input), Values(b.Input));
                }
            }
        }

        [SkippableFact]
        public void Channels_last_images_become_channels_first_uint8_samples()
        {
            using var data = NumpyDataset.Load(F("img.npy"), F("y.npy"), new NumpyOptions { ChannelsLast = true });
            Assert.Equal(new Dsl.Shape(2, 4, 3), data.SampleShape);
            for (int n = 0; n < N; n++)
            {
                using var e = data.Read(n);
                Assert.Equal(ScalarType.Byte, e.Input.dtype);
                Assert.Equal(new long[] { 2, 4, 3 }, e.Input.shape);
                var px = e.Input.data<byte>().ToArray();
                for (int c = 0; c < 2; c++)
                    for (int h = 0; h < 4; h++)
                        for (int w = 0; w < 3; w++)
                            Assert.Equal((byte)Formula["u1"](((n * 4 + h) * 3 + w) * 2 + c), px[(c * 4 + h) * 3 + w]);
            }
            // Without the option the layout is kept as stored.
            using var stored = NumpyDataset.Load(F("img.npy"), F("y.npy"));
            Assert.Equal(new Dsl.Shape(4, 3, 2), stored.SampleShape);

            // The loader scales uint8 by 1/255 into float32 [B, C, H, W].
            var loader = new BatchLoader(data, 2, shuffle: false, workers: 2);
            using var batch = loader.Epoch(1).First();
            using var first = data.Read(0);
            using var second = data.Read(1);
            Assert.Equal(new long[] { 2, 2, 4, 3 }, batch.X.shape);
            Assert.Equal(ScalarType.Float32, batch.X.dtype);
            var expected = first.Input.data<byte>().Concat(second.Input.data<byte>()).Select(b => (double)(b / 255f)).ToArray();
            Assert.Equal(expected, Values(batch.X));
            Assert.Equal(new long[] { 0, 1 }, batch.Y.data<long>().ToArray());
        }

        [SkippableFact]
        public void Npz_archives_stored_or_compressed_give_the_samples_of_the_npy_files()
        {
            using var lazy = NumpyDataset.Load(F("x_f4.npy"), F("y.npy"));
            using var stored = NumpyDataset.Load(F("data.npz"));
            Assert.False(stored.ReadsFromDisk);
            Assert.Equal(lazy.SampleShape, stored.SampleShape);
            Assert.Equal(lazy.ClassLabels(), stored.ClassLabels());
            for (int i = 0; i < N; i++)
            {
                using var a = lazy.Read(i);
                using var b = stored.Read(i);
                Assert.Equal(Values(a.Input), Values(b.Input));
                Assert.Equal(a.Target.item<long>(), b.Target.item<long>());
                Assert.Equal($"data.npz sample {i}", b.Source);
            }

            var names = new NumpyOptions { InputsName = "inputs", TargetsName = "labels", ChannelsLast = true };
            using var images = NumpyDataset.Load(F("img.npy"), F("y.npy"), names);
            using var compressed = NumpyDataset.Load(F("compressed.npz"), null, names);
            using (var zip = ZipFile.OpenRead(F("compressed.npz")))
                Assert.All(zip.Entries, e => Assert.True(e.CompressedLength < e.Length, $"{e.FullName} is not compressed"));
            Assert.Equal(images.SampleShape, compressed.SampleShape);
            for (int i = 0; i < N; i++)
            {
                using var a = images.Read(i);
                using var b = compressed.Read(i);
                Assert.Equal(ScalarType.Byte, b.Input.dtype);
                Assert.Equal(a.Input.data<byte>().ToArray(), b.Input.data<byte>().ToArray());
            }
            // In memory, the loader cuts batches with index_select; the same values as sample by sample.
            var loader = new BatchLoader(compressed, 3, shuffle: false, prefetch: 0);
            using var batch = loader.Epoch(1).First();
            using var s2 = images.Read(2);
            Assert.Equal(s2.Input.data<byte>().Select(v => (double)(v / 255f)).ToArray(), Values(batch.X[2]));
        }

        [SkippableFact]
        public void Float_targets_are_values_and_the_kind_option_overrides_the_type()
        {
            using (var data = NumpyDataset.Load(F("x_f4.npy"), F("values.npy")))
            {
                Assert.Equal(TargetKind.Values, data.TargetKind);
                Assert.Null(data.ClassLabels());
                using var e = data.Read(3);
                Assert.Equal(ScalarType.Float32, e.Target.dtype);
                Assert.Equal(new long[] { 1 }, e.Target.shape);
                Assert.Equal(0.5f, e.Target[0].item<float>());
                Assert.Equal(TargetKind.Values, e.Kind);
            }
            foreach (var name in new[] { "values2.npy", "values_fortran.npy" })
            {
                using var data = NumpyDataset.Load(F("x_f4.npy"), F(name));
                using var e = data.Read(3);
                Assert.Equal(new long[] { 2 }, e.Target.shape);
                Assert.Equal(new[] { 6 / 8.0, 7 / 8.0 }, Values(e.Target));
                var loader = new BatchLoader(data, 4, shuffle: false);
                using var batch = loader.Epoch(1).First();
                Assert.Equal(new long[] { 4, 2 }, batch.Y.shape);
                Assert.Equal(new long[] { 4, 2, 3 }, batch.X.shape);
            }
            using (var data = NumpyDataset.Load(F("x_f4.npy"), F("float_ids.npy"), new NumpyOptions { TargetKind = TargetKind.Class }))
            {
                Assert.Equal(TargetKind.Class, data.TargetKind);
                Assert.Equal(new long[] { 0, 2, 1, 1, 0 }, data.ClassLabels());
            }
            using (var data = NumpyDataset.Load(F("x_f4.npy"), F("y.npy"), new NumpyOptions { TargetKind = TargetKind.Values }))
            {
                Assert.Equal(TargetKind.Values, data.TargetKind);
                using var e = data.Read(2);
                Assert.Equal(new[] { 2.0 }, Values(e.Target));
            }
        }

        [SkippableFact]
        public void Arrays_that_cannot_be_trained_on_are_named_with_the_fix()
        {
            string x = F("x_f4.npy");
            var e = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(x, F("y4.npy")));
            Assert.Equal($"{x} holds 5 samples ([5, 2, 3] float32) but {F("y4.npy")} holds 4 targets ([4] int64); the first dimension of both is the number of samples, so they must be equal.", e.Message);

            e = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(F("complex.npy"), F("y.npy")));
            Assert.StartsWith($"{F("complex.npy")}: the element type '<c8' is not supported. Supported: |u1 (uint8), |i1 (int8), |b1 (bool), <i2 (int16), <u2 (uint16), <i4 (int32), <u4 (uint32), <i8 (int64), <f2 (float16), <f4 (float32), <f8 (float64).", e.Message);

            e = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(F("big.npy"), F("y.npy")));
            Assert.Equal($"{F("big.npy")} is big-endian (dtype '>f4'), which is not read: save it little-endian with numpy.save(path, a.astype('<f4')).", e.Message);

            e = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(F("objects.npy"), F("y.npy")));
            Assert.StartsWith($"{F("objects.npy")} holds an object array (pickled Python objects, dtype '|O'), which cannot be read.", e.Message);

            e = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(F("flat.npy"), F("y.npy")));
            Assert.Equal($"{F("flat.npy")} is [5] float32: inputs hold one sample per row, [N, ...] with at least one dimension after N. For one feature per sample save x.reshape(-1, 1).", e.Message);

            e = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(x, F("negative.npy")));
            Assert.Equal($"{F("negative.npy")}: target 2 is class id -1, which is negative; class ids are 0, 1, 2, ...", e.Message);

            e = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(x, F("nan.npy")));
            Assert.Equal($"{F("nan.npy")}: target 2 is NaN, not a finite number (or beyond float32's range); it cannot be trained on.", e.Message);

            e = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(x, F("half_ids.npy"), new NumpyOptions { TargetKind = TargetKind.Class }));
            Assert.Equal($"{F("half_ids.npy")}: target 1 is 2.5, not a whole number; class ids are 0, 1, 2, ... (or leave TargetKind unset to read floats as values).", e.Message);

            e = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(x, F("values2.npy"), new NumpyOptions { TargetKind = TargetKind.Class }));
            Assert.StartsWith($"{F("values2.npy")} is [5, 2] float64: class targets are one id per sample, [N].", e.Message);

            e = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(F("other_names.npz")));
            Assert.Equal($"{F("other_names.npz")} has no array 'x'; it holds 'a', 'b'. Save it with numpy.savez(path, x=inputs, y=targets), or set InputsName to the name it has.", e.Message);
            using (var renamed = NumpyDataset.Load(F("other_names.npz"), null, new NumpyOptions { InputsName = "a", TargetsName = "b" }))
                Assert.Equal(N, renamed.Count);
            e = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(F("data.npz"), null, new NumpyOptions { TargetsName = "labels" }));
            Assert.Equal($"{F("data.npz")} has no array 'labels'; it holds 'x', 'y'. Save it with numpy.savez(path, x=inputs, y=targets), or set TargetsName to the name it has.", e.Message);
        }

        [SkippableFact]
        public void Options_that_do_not_fit_the_files_are_refused_by_name()
        {
            var e = Assert.Throws<InvalidOptionException>(() => NumpyDataset.Load(F("x_f4.npy"), F("y.npy"), new NumpyOptions { ChannelsLast = true }));
            Assert.Equal($"ChannelsLast must be used with images stored [N, H, W, C]; got {F("x_f4.npy")} of shape [5, 2, 3].", e.Message);
            e = Assert.Throws<InvalidOptionException>(() => NumpyDataset.Load(F("x_f4.npy")));
            Assert.Equal("targets must be a .npy file of targets [N] beside a .npy file of inputs (or give one .npz file holding both); got none.", e.Message);
            e = Assert.Throws<InvalidOptionException>(() => NumpyDataset.Load(F("data.npz"), F("y.npy")));
            Assert.Equal("targets", e.Option);
            e = Assert.Throws<InvalidOptionException>(() => NumpyDataset.Load(F("data.npz"), null, new NumpyOptions { TargetKind = TargetKind.Mask }));
            Assert.Equal("TargetKind", e.Option);
        }

        // ---- files written byte by byte: what numpy never writes, so no Python is needed

        /// <summary>A version 1.0 .npy file with <paramref name="header"/> (padded as numpy pads it) and <paramref name="data"/>.</summary>
        private static byte[] Npy(string header, byte[] data)
        {
            int unpadded = 10 + header.Length + 1;
            string text = header + new string(' ', (64 - unpadded % 64) % 64) + "\n";
            var bytes = new List<byte> { 0x93 };
            bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
            bytes.Add(1);
            bytes.Add(0);
            bytes.AddRange(BitConverter.GetBytes((ushort)text.Length));
            bytes.AddRange(Encoding.ASCII.GetBytes(text));
            bytes.AddRange(data);
            return bytes.ToArray();
        }

        private static string WriteBytes(string name, byte[] bytes)
        {
            string path = Path.Combine(TestData.TempDir("npy-bytes"), name);
            File.WriteAllBytes(path, bytes);
            return path;
        }

        private static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

        [Fact]
        public void A_hand_written_file_is_read_and_broken_ones_are_named()
        {
            var labels = WriteBytes("y.npy", Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }));
            // Double quotes, Python 2's long suffix and no trailing comma: still the dict numpy reads.
            var x = WriteBytes("x.npy", Npy("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2L, 3L)}", Floats(1, 2, 3, 4, 5, 6.5f)));
            using (var data = NumpyDataset.Load(x, labels))
            {
                using var e = data.Read(1);
                Assert.Equal(new[] { 4f, 5f, 6.5f }, e.Input.data<float>().ToArray());
                Assert.Equal(new long[] { 1, 0 }, data.ClassLabels());
            }

            var notNpy = WriteBytes("x.npy", Encoding.ASCII.GetBytes("1,2,3\n"));
            var ex = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(notNpy, labels));
            Assert.Equal($"{notNpy} is not a .npy file: it does not start with NumPy's magic string \\x93NUMPY (it starts with 31 2c 32 2c 33 0a). Save arrays with numpy.save(path, array).", ex.Message);

            var zip = WriteBytes("x.npy", new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0, 0, 0 });
            ex = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(zip, labels));
            Assert.EndsWith("It is a zip archive: arrays saved with numpy.savez are read as a .npz file.", ex.Message);

            var truncated = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Floats(1, 2, 3, 4, 5));
            var cut = WriteBytes("x.npy", truncated);
            ex = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(cut, labels));
            Assert.Equal($"{cut} is truncated: [2, 3] float32 data (24 bytes after a header of 128) needs 152 bytes in all, but the file has 148 bytes. Copy or save it again.", ex.Message);

            var cutHeader = WriteBytes("x.npy", truncated[..30]);
            ex = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(cutHeader, labels));
            Assert.Equal($"{cutHeader} is truncated: the header needs 128 bytes in all, but the file has 30 bytes. Copy or save it again.", ex.Message);

            var structured = WriteBytes("x.npy", Npy("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }", new byte[16]));
            ex = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(structured, labels));
            Assert.Equal($"{structured} holds a structured array (fields [['a', '<f4'], ['b', '<i4']]), which cannot be read: save each field as its own numeric array.", ex.Message);

            var version = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Floats(1, 2, 3, 4, 5, 6));
            version[6] = 4;
            var v4 = WriteBytes("x.npy", version);
            ex = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(v4, labels));
            Assert.Equal($"{v4}: .npy format version 4.0 is not supported (1.0, 2.0 and 3.0 are). Save it again with numpy.save.", ex.Message);

            var garbled = WriteBytes("x.npy", Npy("{'descr': '<f4', 'fortran_order': maybe, 'shape': (2, 3), }", Floats(1, 2, 3, 4, 5, 6)));
            ex = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(garbled, labels));
            Assert.Equal($"{garbled}: the .npy header is not the dictionary numpy.save writes (unexpected 'maybe'): {{'descr': '<f4', 'fortran_order': maybe, 'shape': (2, 3), }}", ex.Message);

            var npz = WriteBytes("data.npz", Encoding.ASCII.GetBytes("not a zip at all"));
            ex = Assert.Throws<InvalidDataException>(() => NumpyDataset.Load(npz));
            Assert.StartsWith($"{npz} is not a .npz file (a zip archive of .npy arrays, as numpy.savez writes): ", ex.Message);
        }
    }
}
