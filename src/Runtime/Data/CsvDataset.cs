using System.Globalization;
using nietras.SeparatedValues;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// A table read from a CSV file: one sample per row, numeric feature columns as the input (float32 [F]) and one
    /// target column, either a class (int64 scalar) or a value (float32 [1]); see <see cref="CsvOptions"/> and
    /// <see cref="CsvTargetKind.Auto"/> for how the target is chosen and read. The whole table is parsed when loaded
    /// and held in memory as float32 [N, F]: CSV files are small next to image sets (a million rows of 20 features are
    /// 80 MB), and parsing everything at once reports every bad cell before training starts.
    /// </summary>
    /// <remarks>
    /// Cells follow RFC 4180 (quoted cells may hold the separator, line breaks and doubled quotes), parsed by the Sep
    /// library; spaces around cells are ignored and blank lines skipped. Numbers are read in the invariant culture
    /// ("1.5", "1e-3", "-2"; a decimal comma must be quoted or the separator changed). Cells that cannot be trained on
    /// are refused when loading with the file, line (1-based, as an editor shows it) and column: a cell that is not a
    /// number, an empty cell (a missing value: the runtime does not guess one), "NaN", "inf" and numbers beyond
    /// float32's range (not finite), a row with too few or too many cells, and negative class ids.
    /// </remarks>
    public sealed class CsvDataset : Dataset
    {
        private readonly int[] _lines;
        private readonly long[]? _labels;

        private CsvDataset(string path, string[] featureNames, string targetName, TargetKind kind, IReadOnlyList<string> classNames,
            Tensor inputs, Tensor targets, int[] lines, long[]? labels)
        {
            Path = path;
            FeatureNames = featureNames;
            TargetName = targetName;
            TargetKind = kind;
            ClassNames = classNames;
            Inputs = inputs.DetachFromDisposeScope();
            Targets = targets.DetachFromDisposeScope();
            _lines = lines;
            _labels = labels;
        }

        /// <summary>The file read.</summary>
        public string Path { get; }

        /// <inheritdoc/>
        public override string Name => System.IO.Path.GetFileName(Path);

        /// <summary>The feature columns in input order (header names, or "column 3" for a file without a header, 0-based).</summary>
        public IReadOnlyList<string> FeatureNames { get; }

        /// <summary>The target column (a header name, or "column 3").</summary>
        public string TargetName { get; }

        /// <summary><see cref="Data.TargetKind.Class"/> or <see cref="Data.TargetKind.Values"/> (one value).</summary>
        public override TargetKind TargetKind { get; }

        /// <summary>Class names sorted ordinally when the target holds names; empty for class ids and values.</summary>
        public override IReadOnlyList<string> ClassNames { get; }

        /// <summary>Every row's features, float32 [N, F], CPU.</summary>
        public Tensor Inputs { get; }

        /// <summary>Every row's target: int64 [N] classes or float32 [N, 1] values, CPU.</summary>
        public Tensor Targets { get; }

        /// <inheritdoc/>
        public override int Count => (int)Inputs.shape[0];

        /// <summary>[F]: the number of features.</summary>
        public override Dsl.Shape SampleShape => new(Inputs.shape[1]);

        /// <inheritdoc/>
        public override long[]? ClassLabels() => _labels is null ? null : (long[])_labels.Clone();

        /// <summary>The line (1-based) sample <paramref name="index"/> starts on.</summary>
        public int LineOf(int index) => _lines[index];

        /// <inheritdoc/>
        public override Example Read(int index)
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has {Count} rows.");
            using var scope = torch.NewDisposeScope();
            return new Example(Inputs[index].clone(), Targets[index].clone(), TargetKind, $"{Name} line {_lines[index]}");
        }

        /// <inheritdoc/>
        protected internal override (Tensor Input, Tensor Target)? ReadBatch(long[] indices)
        {
            using var index = torch.tensor(indices, ScalarType.Int64);
            return (Inputs.index_select(0, index), Targets.index_select(0, index));
        }

        /// <summary>Releases the tensors.</summary>
        public override void Dispose()
        {
            Inputs.Dispose();
            Targets.Dispose();
        }

        /// <summary>Reads a CSV file (see the class remarks for what is accepted).</summary>
        /// <exception cref="InvalidOptionException">An option cannot work (an empty target name, a quote as separator...).</exception>
        /// <exception cref="InvalidDataException">The file cannot be trained on; the message names the file, the line and the column.</exception>
        public static CsvDataset Load(string path, CsvOptions? options = null)
        {
            options ??= new CsvOptions();
            var separator = CheckOptions(options);
            var (rows, lines) = ReadRows(path, separator);
            if (rows.Count == 0)
                throw new InvalidDataException($"{path} is empty: it holds no rows. A CSV data set holds one sample per line: feature cells and a target cell.");

            int width = rows[0].Length;
            bool header = options.HasHeader ?? DetectHeader(rows[0], options);
            string[] columns = header
                ? rows[0].Select((n, i) => n.Length == 0 ? $"column {i}" : n).ToArray()
                : Enumerable.Range(0, width).Select(i => $"column {i}").ToArray();
            string Label(int c) => header ? $"column \"{columns[c]}\"" : columns[c];

            int target = options.Target is null ? width - 1 : Resolve(options.Target, header ? rows[0] : null, width)
                ?? throw new InvalidDataException(
                    $"{path} has no column {Quote(options.Target)} for the target; its columns are {ColumnList(columns, header)}." +
                    (header ? " Name one of them, or give a 0-based index." : " The file has no header (its first line holds numbers), so name the column by its 0-based index, or set HasHeader."));
            int[] features;
            if (options.Features is null)
            {
                features = Enumerable.Range(0, width).Where(c => c != target).ToArray();
            }
            else
            {
                features = new int[options.Features.Count];
                for (int i = 0; i < features.Length; i++)
                {
                    features[i] = Resolve(options.Features[i], header ? rows[0] : null, width)
                        ?? throw new InvalidDataException($"{path} has no feature column {Quote(options.Features[i])}; its columns are {ColumnList(columns, header)}.");
                    if (features[i] == target)
                        throw new InvalidOptionException(nameof(CsvOptions.Features), "columns other than the target", $"the target column {Quote(options.Features[i])}");
                }
            }
            if (features.Length == 0)
                throw new InvalidDataException($"{path} has only one column, {Label(target)}, the target: a sample needs at least one feature column besides it.");

            int first = header ? 1 : 0;
            int n = rows.Count - first;
            if (n == 0)
                throw new InvalidDataException($"{path} holds no data rows: line {lines[0]} is the header ({string.Join(", ", columns)}) and no row follows it.");

            var x = new float[n * (long)features.Length];
            var targetCells = new string[n];
            var rowLines = new int[n];
            for (int r = 0; r < n; r++)
            {
                var cells = rows[first + r];
                int line = lines[first + r];
                rowLines[r] = line;
                if (cells.Length != width)
                    throw new InvalidDataException(
                        $"{path} line {line} has {cells.Length} cell{(cells.Length == 1 ? "" : "s")} but {(header ? "the header has" : $"line {lines[0]} has")} {width} " +
                        $"({ColumnList(columns, header)}): every row needs one cell per column. Look for a missing or extra separator '{Show(options.Separator)}' (a cell holding it must be quoted).");
                for (int f = 0; f < features.Length; f++)
                    x[r * (long)features.Length + f] = Number(cells[features[f]], path, line, Label(features[f]),
                        "Features must be numbers with a '.' decimal point (1.5, 1e-3, -2); encode categories as numbers, or leave the column out with Features.");
                targetCells[r] = cells[target];
                if (targetCells[r].Length == 0) throw Missing(path, line, Label(target));
            }

            var (kind, names, labels, values) = ReadTargets(targetCells, options.TargetKind, path, rowLines, Label(target));
            using var scope = torch.NewDisposeScope();
            var inputs = torch.tensor(x, new long[] { n, features.Length }, ScalarType.Float32);
            var y = kind == TargetKind.Class
                ? torch.tensor(labels!, new long[] { n }, ScalarType.Int64)
                : torch.tensor(values!, new long[] { n, 1 }, ScalarType.Float32);
            return new CsvDataset(System.IO.Path.GetFullPath(path), features.Select(c => columns[c]).ToArray(), columns[target], kind, names,
                inputs, y, rowLines, labels);
        }

        private static Sep CheckOptions(CsvOptions options)
        {
            char s = options.Separator;
            if (s == '"' || char.IsLetterOrDigit(s) || s == '.' || s == '-' || s == '+' || (s != '\t' && (s < ' ' || s > '~')))
                throw new InvalidOptionException(nameof(CsvOptions.Separator),
                    "a printable ASCII character that cannot be part of a number or a quote, such as ',', ';', '|' or a tab", $"'{Show(s)}'");
            if (options.Target is { } t && string.IsNullOrWhiteSpace(t))
                throw new InvalidOptionException(nameof(CsvOptions.Target), "a column name or a 0-based column index (null for the last column)", "an empty name");
            if (options.Features is { } fs)
            {
                if (fs.Count == 0)
                    throw new InvalidOptionException(nameof(CsvOptions.Features), "at least one column (null for every column except the target)", "an empty list");
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var f in fs)
                {
                    if (string.IsNullOrWhiteSpace(f))
                        throw new InvalidOptionException(nameof(CsvOptions.Features), "column names or 0-based column indices", "an empty name");
                    if (!seen.Add(f))
                        throw new InvalidOptionException(nameof(CsvOptions.Features), "columns named once each", $"{Quote(f)} twice");
                }
            }
            if (!Enum.IsDefined(options.TargetKind))
                throw new InvalidOptionException(nameof(CsvOptions.TargetKind), "Auto, Class or Value", options.TargetKind.ToString());
            try { return Sep.New(s); }
            catch (ArgumentException e) { throw new InvalidOptionException(nameof(CsvOptions.Separator), "a separator the CSV reader accepts (" + e.Message + ")", $"'{Show(s)}'"); }
        }

        /// <summary>Every non-blank row's cells (unquoted, trimmed) and the line it starts on (1-based).</summary>
        private static (List<string[]> Rows, List<int> Lines) ReadRows(string path, Sep separator)
        {
            var rows = new List<string[]>();
            var lines = new List<int>();
            // The header is found by DetectHeader's rule, and row widths are checked here with a message naming the line.
            using var reader = separator.Reader(o => o with { HasHeader = false, DisableColCountCheck = true, Unescape = true, Trim = SepTrim.All })
                .FromFile(path);
            // A row starts on the line where the previous one ended: Sep 0.17.1 reports the first row of a read without
            // a header as starting on line 2 (its LineNumberToExcl is right for every row).
            int line = 1;
            foreach (var row in reader)
            {
                int from = line;
                line = row.LineNumberToExcl;
                if (row.ColCount == 1 && row[0].Span.Length == 0) continue; // blank line
                var cells = new string[row.ColCount];
                for (int c = 0; c < cells.Length; c++) cells[c] = row[c].ToString();
                rows.Add(cells);
                lines.Add(from);
            }
            return (rows, lines);
        }

        /// <summary>
        /// The shared rule: the first row is a header when any of its feature cells is not a number. Options that name
        /// columns (rather than giving indices) need a header, so they make one.
        /// </summary>
        private static bool DetectHeader(string[] first, CsvOptions options)
        {
            if (options.Target is { } t && !IsIndex(t)) return true;
            if (options.Features is { } fs && fs.Any(f => !IsIndex(f))) return true;
            int target = options.Target is { } ti ? int.Parse(ti, NumberStyles.Integer, CultureInfo.InvariantCulture) : first.Length - 1;
            IEnumerable<int> features = options.Features is { } fi
                ? fi.Select(f => int.Parse(f, NumberStyles.Integer, CultureInfo.InvariantCulture)).Where(c => c >= 0 && c < first.Length)
                : Enumerable.Range(0, first.Length).Where(c => c != target);
            return features.Any(c => !double.TryParse(first[c], NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        }

        private static bool IsIndex(string s) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);

        /// <summary>A column by header name (looked up first) or 0-based index; null when there is none.</summary>
        private static int? Resolve(string spec, string[]? header, int width)
        {
            if (header is not null)
            {
                int byName = Array.IndexOf(header, spec.Trim());
                if (byName >= 0) return byName;
            }
            if (int.TryParse(spec, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) && i >= 0 && i < width) return i;
            return null;
        }

        private static float Number(string cell, string path, int line, string column, string hint)
        {
            if (cell.Length == 0) throw Missing(path, line, column);
            bool parsed = float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out float v);
            if (!parsed && !IsNonFiniteWord(cell))
                throw new InvalidDataException($"{path} line {line}, {column}: {Quote(cell)} is not a number. {hint}");
            if (!parsed || !float.IsFinite(v))
                throw new InvalidDataException(
                    $"{path} line {line}, {column}: {Quote(cell)} is not a finite number (NaN, an infinity, or beyond float32's range of ±3.4e38), which cannot be trained on. Replace the value or drop the row.");
            return v;
        }

        // Python and R write "inf" and "Inf", which .NET does not parse; they are refused as what they mean.
        private static bool IsNonFiniteWord(string cell) =>
            cell.TrimStart('+', '-').ToLowerInvariant() is "inf" or "infinity" or "nan";

        private static InvalidDataException Missing(string path, int line, string column) =>
            new($"{path} line {line}, {column}: the cell is empty (a missing value). Fill it in or drop the row; missing values are not guessed.");

        /// <summary>Decides what the target column holds (see <see cref="CsvTargetKind.Auto"/>) and reads it.</summary>
        private static (TargetKind Kind, IReadOnlyList<string> Names, long[]? Labels, float[]? Values) ReadTargets(
            string[] cells, CsvTargetKind requested, string path, int[] lines, string column)
        {
            bool allNumbers = true, allIntegers = true;
            foreach (var cell in cells)
            {
                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
                {
                    allIntegers = false;
                    if (IsNonFiniteWord(cell)) continue; // a number that cannot be trained on: refused below as a value, not taken for a name
                    allNumbers = false;
                    break;
                }
                if (!IsInteger(d)) allIntegers = false;
            }
            var kind = requested switch
            {
                CsvTargetKind.Class => TargetKind.Class,
                CsvTargetKind.Value => TargetKind.Values,
                _ => allIntegers || !allNumbers ? TargetKind.Class : TargetKind.Values,
            };
            if (kind == TargetKind.Values)
            {
                var values = new float[cells.Length];
                for (int r = 0; r < cells.Length; r++)
                    values[r] = Number(cells[r], path, lines[r], column,
                        "The target kind is value, which needs numbers; for class names use the target kind class (--target-kind class).");
                return (kind, Array.Empty<string>(), null, values);
            }
            var labels = new long[cells.Length];
            if (allIntegers)
            {
                for (int r = 0; r < cells.Length; r++)
                {
                    double d = double.Parse(cells[r], NumberStyles.Float, CultureInfo.InvariantCulture);
                    if (d < 0)
                        throw new InvalidDataException(
                            $"{path} line {lines[r]}, {column}: class id {Quote(cells[r])} is negative; class ids are 0, 1, 2, ... (or write class names, which are numbered in sorted order).");
                    labels[r] = (long)d;
                }
                return (kind, Array.Empty<string>(), labels, null);
            }
            var names = cells.Distinct(StringComparer.Ordinal).OrderBy(s => s, StringComparer.Ordinal).ToArray();
            var ids = new Dictionary<string, long>(StringComparer.Ordinal);
            for (int i = 0; i < names.Length; i++) ids[names[i]] = i;
            for (int r = 0; r < cells.Length; r++) labels[r] = ids[cells[r]];
            return (kind, names, labels, null);
        }

        // Beyond 2^53 a double no longer tells integers apart; class ids never come near.
        private static bool IsInteger(double d) => double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) < 9007199254740992.0;

        private static string ColumnList(string[] columns, bool header) =>
            header ? string.Join(", ", columns.Select(c => $"\"{c}\"")) : $"{string.Join(", ", columns)} (0-based)";

        private static string Quote(string s) => "\"" + s + "\"";

        private static string Show(char c) => c == '\t' ? "\\t" : c < ' ' ? $"\\u{(int)c:x4}" : c.ToString();
    }
}
