namespace Dsl.Runtime.Interop
{
    /// <summary>A key whose tensor has a different shape in the file than in the module.</summary>
    /// <param name="Key">The state_dict key, e.g. <c>layer1.0.conv1.weight</c>.</param>
    /// <param name="Expected">The shape the module has.</param>
    /// <param name="Actual">The shape stored in the file.</param>
    public sealed record ShapeMismatch(string Key, long[] Expected, long[] Actual)
    {
        /// <inheritdoc/>
        public override string ToString() => $"{Key}: expected [{string.Join(", ", Expected)}], file has [{string.Join(", ", Actual)}]";
    }

    /// <summary>
    /// The checkpoint does not fit the module: keys the module needs but the file lacks, keys the file has but the
    /// module does not, and tensors of the wrong shape. The message lists them all.
    /// </summary>
    public sealed class StateDictMismatchException(string path, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<ShapeMismatch> shapes) : Exception(Describe(path, missing, unexpected, shapes))
    {
        /// <summary>The checkpoint file.</summary>
        public string Path { get; } = path;

        /// <summary>Keys of the module's state_dict that the file does not contain.</summary>
        public IReadOnlyList<string> MissingKeys { get; } = missing;

        /// <summary>Keys in the file that the module's state_dict does not have.</summary>
        public IReadOnlyList<string> UnexpectedKeys { get; } = unexpected;

        /// <summary>Keys present in both with different shapes.</summary>
        public IReadOnlyList<ShapeMismatch> ShapeMismatches { get; } = shapes;

        private static string Describe(string path, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<ShapeMismatch> shapes)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing keys ({missing.Count}): {List(missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected keys ({unexpected.Count}): {List(unexpected)}");
            if (shapes.Count > 0) parts.Add($"shape mismatches ({shapes.Count}): {List(shapes.Select(s => s.ToString()).ToList())}");
            return $"The checkpoint {path} does not fit the module: " + string.Join("; ", parts) + ".";
        }

        private static string List(IReadOnlyList<string> items) =>
            string.Join(", ", items.Take(10)) + (items.Count > 10 ? $", ... ({items.Count - 10} more)" : "");
    }

    /// <summary>The file is not a readable PyTorch (.pth, zip) or safetensors state dict: truncated, corrupt or another format.</summary>
    public sealed class CheckpointFormatException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public CheckpointFormatException(string path, string reason, Exception? inner = null)
            : base($"Cannot read the checkpoint {path}: {reason}", inner)
        {
            Path = path;
        }

        /// <summary>The checkpoint file.</summary>
        public string Path { get; }
    }
}
