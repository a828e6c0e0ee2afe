namespace Dsl.Runtime.Data
{
    /// <summary>What the target column of a CSV file holds (the command line's <c>--target-kind class|value|auto</c>).</summary>
    public enum CsvTargetKind
    {
        /// <summary>
        /// Decided from the cells: <see cref="Class"/> when every target cell is an integer (class ids) or when any is not
        /// a number (class names); <see cref="Value"/> when every cell is a number and some is not an integer. A column of
        /// integer measurements (ages, counts) is therefore read as classes: choose <see cref="Value"/> for it
        /// (<c>--target-kind value</c>).
        /// </summary>
        Auto,

        /// <summary>
        /// Classes: integer cells are class ids as given (0 or more); otherwise every cell is a class name, and the names,
        /// sorted ordinally, become <see cref="Dataset.ClassNames"/> (so "10" comes before "2").
        /// </summary>
        Class,

        /// <summary>One real value per row: the target is float32 [1] (<see cref="TargetKind.Values"/>).</summary>
        Value,
    }

    /// <summary>How <see cref="CsvDataset.Load"/> reads a CSV file. The defaults read a file whose last column is the target.</summary>
    public sealed record CsvOptions
    {
        /// <summary>
        /// The target column: a header name, or a 0-based column index written as a number ("4"). A name is looked up
        /// first, so a header column called "4" is found by name. Null: the last column.
        /// </summary>
        public string? Target { get; init; }

        /// <summary>What the target holds; <see cref="CsvTargetKind.Auto"/> decides from the cells (see there).</summary>
        public CsvTargetKind TargetKind { get; init; } = CsvTargetKind.Auto;

        /// <summary>
        /// The feature columns, in the order they form the input (header names, or 0-based indices written as numbers).
        /// Null: every column except the target, in file order.
        /// </summary>
        public IReadOnlyList<string>? Features { get; init; }

        /// <summary>The cell separator (',' by default; ';' or '\t' for other exports). Cells may be quoted ("a, b") as in RFC 4180.</summary>
        public char Separator { get; init; } = ',';

        /// <summary>
        /// Whether the first row names the columns. Null detects it: the first row is a header when any of its feature
        /// cells is not a number (a first row of data whose features are all numbers is data).
        /// </summary>
        public bool? HasHeader { get; init; }
    }
}
