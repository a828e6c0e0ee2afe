using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// Images in one subfolder per class, as torchvision's <c>ImageFolder</c> reads them: <c>root/&lt;class&gt;/&lt;file&gt;</c>
    /// (files may sit in deeper folders of their class folder). Classes are the subfolder names sorted by code point
    /// (Python's <c>sorted</c>), labelled 0, 1, ... in that order; files are listed per class the way torchvision's
    /// <c>make_dataset</c> walks them (folders in path order, files by name), so sample i is the same file in both.
    /// Files ending with one of <see cref="ImageDecoder.Extensions"/> (any case) are images; other files are ignored.
    /// Construction lists the files only; <see cref="Read"/> decodes one image, to the channels <see cref="Mode"/> says.
    /// </summary>
    public sealed class ImageFolder : Dataset
    {
        private readonly string[] _files;
        private readonly long[] _labels;
        private readonly string[] _classes;

        /// <summary>Lists the images under <paramref name="root"/>.</summary>
        /// <param name="root">The folder holding one subfolder per class.</param>
        /// <param name="mode">The channels images are decoded to (torchvision's default loader converts to RGB).</param>
        /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
        /// <exception cref="InvalidDataException">No class folders, a class folder without images, or images the decoder cannot read by their type (named).</exception>
        public ImageFolder(string root, ImageMode mode = ImageMode.Rgb) : this(root, mode, null) { }

        private ImageFolder(string root, ImageMode mode, IReadOnlyList<string>? expectedClasses)
        {
            if (!Directory.Exists(root))
                throw new DirectoryNotFoundException(
                    File.Exists(root)
                        ? $"{root} is a file; an image folder is a folder holding one subfolder per class ({Layout})."
                        : $"Image folder {root} not found; expected a folder holding one subfolder per class ({Layout}).");
            Root = root;
            Mode = mode;
            _classes = Directory.EnumerateDirectories(root, "*", AllEntries(recurse: false))
                .Select(Path.GetFileName).Select(n => n!).OrderBy(n => n, CodePointComparer.Instance).ToArray();
            if (_classes.Length == 0)
            {
                int stray = Directory.EnumerateFiles(root, "*", AllEntries(recurse: false)).Count(ImageDecoder.IsImageFile);
                throw new InvalidDataException(
                    $"{root} has no class folders{(stray > 0 ? $" ({stray} images lie directly in it)" : "")}; an image folder holds one subfolder per class ({Layout}). Move each class's images into a subfolder named after the class.");
            }
            if (expectedClasses is not null && !expectedClasses.SequenceEqual(_classes))
            {
                var missing = expectedClasses.Except(_classes).ToArray();
                var extra = _classes.Except(expectedClasses).ToArray();
                throw new InvalidDataException(
                    $"{root} does not have the classes of the training folder, so class indices would disagree: " +
                    (missing.Length > 0 ? $"missing {string.Join(", ", missing.Select(c => $"'{c}'"))}" : "") +
                    (missing.Length > 0 && extra.Length > 0 ? "; " : "") +
                    (extra.Length > 0 ? $"not in the training folder: {string.Join(", ", extra.Select(c => $"'{c}'"))}" : "") +
                    ". Give both folders the same class subfolders (an empty class folder is an error too).");
            }

            var files = new List<string>();
            var labels = new List<long>();
            var empty = new List<string>();
            var unsupported = new List<string>();
            for (int c = 0; c < _classes.Length; c++)
            {
                int before = files.Count;
                foreach (var file in ClassFiles(Path.Combine(root, _classes[c])))
                {
                    if (ImageDecoder.IsImageFile(file))
                    {
                        files.Add(file);
                        labels.Add(c);
                    }
                    else if (ImageDecoder.IsUnsupportedImageFile(file))
                    {
                        unsupported.Add(file);
                    }
                }
                if (files.Count == before) empty.Add(Path.Combine(root, _classes[c]));
            }
            if (unsupported.Count > 0)
                throw new InvalidDataException(
                    $"{root}: {unsupported.Count} image(s) in a format the decoder does not read (PPM, PGM or TIFF), such as {First(unsupported)}. " +
                    $"Convert them to PNG (lossless) or JPEG; images are read from {ImageDecoder.ExtensionList}.");
            if (empty.Count > 0)
                throw new InvalidDataException(
                    $"{root}: class folder{(empty.Count > 1 ? "s" : "")} {First(empty)} hold{(empty.Count > 1 ? "" : "s")} no images; images are files ending with {ImageDecoder.ExtensionList} (any case). " +
                    "Add images to each class folder or remove the empty ones.");
            _files = files.ToArray();
            _labels = labels.ToArray();
        }

        /// <summary>The layout in messages.</summary>
        private const string Layout = "root/<class>/<image>, e.g. root/cat/001.jpg and root/dog/002.png";

        /// <summary>The folder holding the class folders, as given.</summary>
        public string Root { get; }

        /// <summary>The channels images are decoded to.</summary>
        public ImageMode Mode { get; }

        /// <summary>Every image file in sample order (full paths as found under <see cref="Root"/>).</summary>
        public IReadOnlyList<string> Files => _files;

        /// <inheritdoc/>
        public override string Name => Root;

        /// <inheritdoc/>
        public override int Count => _files.Length;

        /// <summary>The class folder names, sorted; index = label.</summary>
        public override IReadOnlyList<string> ClassNames => _classes;

        /// <inheritdoc/>
        public override long[]? ClassLabels() => (long[])_labels.Clone();

        /// <summary>Decodes image <paramref name="index"/>: input uint8 [C, H, W], target its class (int64 scalar).</summary>
        /// <exception cref="InvalidDataException">The file is unreadable or truncated (named).</exception>
        public override Example Read(int index)
        {
            if ((uint)index >= (uint)_files.Length) throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has {Count} images.");
            using var scope = torch.NewDisposeScope();
            var image = ImageDecoder.Decode(_files[index], Mode);
            return new Example(image, torch.tensor(_labels[index]), TargetKind.Class, _files[index]);
        }

        /// <summary>
        /// A training and a validation image folder inside <paramref name="root"/>: <c>root/train</c>, and
        /// <c>root/val</c> or else <c>root/test</c> (null when neither exists). Both must have the same class folders,
        /// since labels are indices into the sorted class names.
        /// </summary>
        /// <exception cref="DirectoryNotFoundException"><c>root/train</c> does not exist.</exception>
        /// <exception cref="InvalidDataException">The folders' classes differ, or either folder is not a valid image folder.</exception>
        public static (ImageFolder Train, ImageFolder? Validation) OpenSplits(string root, ImageMode mode = ImageMode.Rgb)
        {
            string train = Path.Combine(root, "train");
            if (!Directory.Exists(train))
                throw new DirectoryNotFoundException(
                    $"{train} not found; a folder with splits holds train/ and val/ (or test/), each with one subfolder per class (e.g. {Path.Combine(root, "train", "cat", "001.jpg")}).");
            var trainSet = new ImageFolder(train, mode);
            string? val = DataSources.ValidationFolderNames.Select(s => Path.Combine(root, s)).FirstOrDefault(Directory.Exists);
            return (trainSet, val is null ? null : new ImageFolder(val, mode, trainSet._classes));
        }

        /// <summary>
        /// The files of one class folder in torchvision's order: <c>sorted(os.walk(folder))</c> visits folders in
        /// the order of their paths, and each folder's files are sorted by name.
        /// </summary>
        private static IEnumerable<string> ClassFiles(string classFolder)
        {
            var folders = new List<(string Relative, string Full)> { ("", classFolder) };
            foreach (var d in Directory.EnumerateDirectories(classFolder, "*", AllEntries(recurse: true)))
                folders.Add((Path.GetRelativePath(classFolder, d).Replace(Path.DirectorySeparatorChar, '/'), d));
            // Paths share the class folder's prefix, so comparing what follows it orders them as whole paths do
            // ("" first: the class folder itself).
            foreach (var (_, full) in folders.OrderBy(f => f.Relative, CodePointComparer.Instance))
            {
                var names = Directory.EnumerateFiles(full, "*", AllEntries(recurse: false)).Select(f => Path.GetFileName(f)!)
                    .OrderBy(n => n, CodePointComparer.Instance);
                foreach (var n in names) yield return Path.Combine(full, n);
            }
        }

        /// <summary>Every entry, hidden ones included, as Python's os.scandir and os.walk list them.</summary>
        internal static EnumerationOptions AllEntries(bool recurse) => new()
        {
            RecurseSubdirectories = recurse,
            AttributesToSkip = 0,
            IgnoreInaccessible = false,
            MatchType = MatchType.Simple,
        };

        /// <summary>The first few items for a message, and how many more.</summary>
        internal static string First(IReadOnlyList<string> items, int shown = 5) =>
            string.Join(", ", items.Take(shown)) + (items.Count > shown ? $" and {items.Count - shown} more" : "");
    }

    /// <summary>Orders strings by Unicode code point, as Python's <c>sorted</c> does (ordinal UTF-16 order differs above U+FFFF).</summary>
    internal sealed class CodePointComparer : IComparer<string>
    {
        public static readonly CodePointComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            if (ReferenceEquals(x, y)) return 0;
            if (x is null) return -1;
            if (y is null) return 1;
            var a = x.EnumerateRunes().GetEnumerator();
            var b = y.EnumerateRunes().GetEnumerator();
            while (true)
            {
                bool hasA = a.MoveNext(), hasB = b.MoveNext();
                if (!hasA || !hasB) return hasA ? 1 : hasB ? -1 : 0;
                int c = a.Current.Value.CompareTo(b.Current.Value);
                if (c != 0) return c;
            }
        }
    }
}
