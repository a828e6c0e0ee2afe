using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Dsl.Runtime.Interop
{
    /// <summary>The on-disk format of a state dict.</summary>
    public enum CheckpointFormat
    {
        /// <summary>PyTorch's <c>torch.save(model.state_dict(), path)</c> format (a zip archive holding a pickle), usually <c>.pth</c> or <c>.pt</c>.</summary>
        PyTorch,

        /// <summary>The safetensors format (JSON header + raw little-endian tensor data), <c>.safetensors</c>.</summary>
        Safetensors,
    }

    /// <summary>
    /// Saves and loads module state dicts in PyTorch's formats (TorchSharp.PyBridge underneath), with clear errors:
    /// missing and unexpected keys, shape mismatches (key, expected and actual shape) and unreadable files.
    /// Keys are TorchSharp's <c>state_dict()</c> keys, parameters and buffers (BatchNorm's <c>running_mean</c>,
    /// <c>running_var</c>, <c>num_batches_tracked</c>), the same as PyTorch's for modules with the same names.
    /// </summary>
    public static class PyTorchCheckpoint
    {
        /// <summary>The format of <paramref name="path"/> from its extension: <c>.safetensors</c> or else PyTorch.</summary>
        public static CheckpointFormat FormatOf(string path) =>
            string.Equals(System.IO.Path.GetExtension(path), ".safetensors", StringComparison.OrdinalIgnoreCase) ? CheckpointFormat.Safetensors : CheckpointFormat.PyTorch;

        /// <summary>Writes the module's state dict (parameters and buffers) to <paramref name="path"/>.</summary>
        /// <param name="module">The module to save.</param>
        /// <param name="path">The file; its extension chooses the format unless <paramref name="format"/> is given.</param>
        /// <param name="format">The format; default from the extension.</param>
        public static void Save(nn.Module module, string path, CheckpointFormat? format = null) =>
            SaveTensors(module.state_dict(), path, format);

        /// <summary>Writes named tensors (a state dict, or any tensors such as inputs and outputs) to <paramref name="path"/>.</summary>
        public static void SaveTensors(IReadOnlyDictionary<string, Tensor> tensors, string path, CheckpointFormat? format = null)
        {
            var cpu = tensors.ToDictionary(p => p.Key, p => p.Value.detach().cpu().contiguous());
            try
            {
                using var stream = File.Create(path);
                if ((format ?? FormatOf(path)) == CheckpointFormat.Safetensors)
                {
                    Safetensors.SaveStateDict(stream, cpu, leaveOpen: true);
                }
                else
                {
                    var table = new Hashtable();
                    foreach (var (key, value) in cpu) table[key] = value;
                    PyTorchPickler.PickleStateDict(stream, table, leaveOpen: true);
                }
            }
            finally
            {
                foreach (var t in cpu.Values) t.Dispose();
            }
        }

        /// <summary>Reads every tensor of a PyTorch or safetensors file (format detected from the content).</summary>
        /// <exception cref="CheckpointFormatException">The file is missing, truncated, corrupt or in another format.</exception>
        public static Dictionary<string, Tensor> ReadTensors(string path)
        {
            if (!File.Exists(path)) throw new CheckpointFormatException(path, "the file does not exist");
            long length = new FileInfo(path).Length;
            byte[] head = new byte[8];
            using (var probe = File.OpenRead(path))
            {
                if (probe.Read(head, 0, 8) < 8) throw new CheckpointFormatException(path, $"the file has only {length} bytes");
            }
            bool zip = head[0] == 0x50 && head[1] == 0x4b && head[2] == 0x03 && head[3] == 0x04;
            try
            {
                if (zip)
                {
                    using var stream = File.OpenRead(path);
                    var table = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
                    var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                    foreach (DictionaryEntry entry in table)
                    {
                        if (entry.Key is string key && entry.Value is Tensor tensor) result[key] = tensor;
                        else throw new CheckpointFormatException(path, $"entry {entry.Key} is not a tensor: save model.state_dict(), not the model or a nested object");
                    }
                    return result;
                }
                ulong header = BitConverter.ToUInt64(head, 0);
                if (header == 0 || header > (ulong)(length - 8))
                {
                    throw new CheckpointFormatException(path, "it is neither a PyTorch zip archive (.pth) nor a safetensors file (its safetensors header length " + header + " does not fit the file of " + length + " bytes)");
                }
                CheckSafetensorsIndex(path, length, (long)header);
                using (var stream = File.OpenRead(path))
                {
                    return Safetensors.LoadStateDict(stream, leaveOpen: true);
                }
            }
            catch (CheckpointFormatException)
            {
                throw;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new CheckpointFormatException(path, (zip ? "corrupt PyTorch archive: " : "corrupt safetensors file: ") + FirstLine(e.Message), e);
            }
        }

        /// <summary>
        /// Loads a PyTorch (<c>.pth</c>) or safetensors state dict into <paramref name="module"/>. Every key must match
        /// with the same shape (as PyTorch's <c>load_state_dict(strict=True)</c>); tensors are converted to the
        /// module's dtype and device. Nothing is copied when the file does not fit.
        /// </summary>
        /// <exception cref="StateDictMismatchException">Missing or unexpected keys, or shape mismatches.</exception>
        /// <exception cref="CheckpointFormatException">The file cannot be read.</exception>
        public static void Load(nn.Module module, string path, bool strict = true) => LoadSkipping(module, path, strict, skipWhenShapeDiffers: null);

        /// <summary>
        /// <see cref="Load(nn.Module, string, bool)"/>, except that keys for which <paramref name="skipWhenShapeDiffers"/>
        /// is true are left as they are when their shape differs from the file's (a replaced classifier); returns the
        /// keys copied and those skipped.
        /// </summary>
        internal static (List<string> Loaded, List<ShapeMismatch> Skipped) LoadSkipping(nn.Module module, string path, bool strict, Func<string, bool>? skipWhenShapeDiffers)
        {
            var source = ReadTensors(path);
            try
            {
                var target = module.state_dict();
                var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
                // PyTorch's state_dict lists a tied weight under both names (nanoGPT's lm_head.weight and transformer.wte.weight);
                // a TiedLinear holds no weight of its own, so its key is expected when the file also has the layer it is tied to.
                var tied = module.named_modules().Where(m => m.module is Dsl.Layers.TiedLinear)
                    .ToDictionary(m => m.name + ".weight", m => ((Dsl.Layers.TiedLinear)m.module).tied_to + ".weight", StringComparer.Ordinal);
                var unexpected = source.Keys.Where(k => !target.ContainsKey(k) && !(tied.TryGetValue(k, out var of) && source.ContainsKey(of)))
                    .OrderBy(k => k, StringComparer.Ordinal).ToList();
                var shapes = new List<ShapeMismatch>();
                var skipped = new List<ShapeMismatch>();
                foreach (var (key, tensor) in target)
                {
                    if (source.TryGetValue(key, out var stored) && !SameShape(tensor.shape, stored.shape))
                        (skipWhenShapeDiffers?.Invoke(key) == true ? skipped : shapes).Add(new ShapeMismatch(key, tensor.shape, stored.shape));
                }
                if (shapes.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
                {
                    throw new StateDictMismatchException(path, missing, unexpected, shapes);
                }
                var loaded = new List<string>();
                using (no_grad())
                {
                    foreach (var (key, tensor) in target)
                    {
                        if (!source.TryGetValue(key, out var stored) || skipped.Any(s => s.Key == key)) continue;
                        using var converted = stored.to(tensor.dtype, tensor.device).reshape(tensor.shape);
                        tensor.copy_(converted);
                        loaded.Add(key);
                    }
                }
                return (loaded, skipped);
            }
            finally
            {
                foreach (var t in source.Values) t.Dispose();
            }
        }

        /// <summary>
        /// The header as the safetensors format defines it, checked before any tensor is created (libtorch would fail on a
        /// negative dimension with a native stack trace): a JSON object whose entries (besides <c>__metadata__</c>) have a
        /// string <c>dtype</c>, a <c>shape</c> of whole numbers of at least 0 and two <c>data_offsets</c> inside the data
        /// section. Anything else is a <see cref="CheckpointFormatException"/> naming the file and the entry.
        /// </summary>
        private static void CheckSafetensorsIndex(string path, long length, long header)
        {
            byte[] json = new byte[header];
            using (var stream = File.OpenRead(path))
            {
                stream.Position = 8;
                stream.ReadExactly(json, 0, json.Length);
            }
            long dataLength = length - 8 - header;
            System.Text.Json.JsonDocument document;
            try
            {
                document = System.Text.Json.JsonDocument.Parse(json);
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new CheckpointFormatException(path, "its safetensors header is not valid JSON (" + e.Message + "); the file is corrupt or not a safetensors file", e);
            }
            using (document)
            {
                if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
                    throw new CheckpointFormatException(path, $"its safetensors header is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object of tensors; the file is corrupt or not a safetensors file");
                foreach (var entry in document.RootElement.EnumerateObject())
                {
                    if (entry.Name == "__metadata__") continue;
                    string Corrupt(string what) => $"the safetensors header's entry '{entry.Name}' {what}; the file is corrupt";
                    var value = entry.Value;
                    if (value.ValueKind != System.Text.Json.JsonValueKind.Object)
                        throw new CheckpointFormatException(path, Corrupt("is not an object with dtype, shape and data_offsets"));
                    if (!value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != System.Text.Json.JsonValueKind.String)
                        throw new CheckpointFormatException(path, Corrupt("has no dtype"));
                    if (!value.TryGetProperty("shape", out var shape) || shape.ValueKind != System.Text.Json.JsonValueKind.Array
                        || shape.EnumerateArray().Any(d => d.ValueKind != System.Text.Json.JsonValueKind.Number || !d.TryGetInt64(out long n) || n < 0))
                        throw new CheckpointFormatException(path, Corrupt("has no shape of whole numbers of at least 0" + (value.TryGetProperty("shape", out var s) ? " (it has " + s.GetRawText() + ")" : "")));
                    if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != System.Text.Json.JsonValueKind.Array || offsets.GetArrayLength() != 2
                        || !offsets[0].TryGetInt64(out long start) || !offsets[1].TryGetInt64(out long end))
                        throw new CheckpointFormatException(path, Corrupt("has no data_offsets [start, end]"));
                    if (start < 0 || end < start || end > dataLength)
                        throw new CheckpointFormatException(path, $"the data of {entry.Name} lies outside the file (truncated?)");
                }
            }
        }

        /// <summary>The first line of a message: libtorch appends its native stack trace to its errors, which says nothing to a user.</summary>
        private static string FirstLine(string message)
        {
            int end = message.IndexOf('\n');
            return (end < 0 ? message : message.Substring(0, end)).TrimEnd();
        }

        /// <summary>Equal shapes; a scalar and a one-element vector count as equal (older readers store scalars as [1]).</summary>
        private static bool SameShape(long[] expected, long[] actual) =>
            expected.SequenceEqual(actual)
            || (expected.Aggregate(1L, (a, b) => a * b) == 1 && actual.Aggregate(1L, (a, b) => a * b) == 1 && expected.Length <= 1 && actual.Length <= 1);

        /// <summary>Loads a PyTorch or safetensors state dict into the module; see <see cref="Load"/>.</summary>
        public static T LoadPyTorch<T>(this T module, string path, bool strict = true) where T : nn.Module
        {
            Load(module, path, strict);
            return module;
        }

        /// <summary>Saves the module's state dict for PyTorch; see <see cref="Save"/>.</summary>
        public static T SavePyTorch<T>(this T module, string path, CheckpointFormat? format = null) where T : nn.Module
        {
            Save(module, path, format);
            return module;
        }
    }
}
