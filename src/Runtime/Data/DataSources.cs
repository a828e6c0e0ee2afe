using System.Globalization;

namespace Dsl.Runtime.Data
{
    /// <summary>The kinds of data the runtime reads; the command-line words are in <see cref="DataSources.Words"/>.</summary>
    public enum DataFormat
    {
        /// <summary>Detect from the path (<see cref="DataSources.Detect"/>).</summary>
        Auto,
        /// <summary>A folder with the four MNIST-format IDX files (MNIST, Fashion-MNIST).</summary>
        Idx,
        /// <summary>A folder with one subfolder of images per class (torchvision's ImageFolder).</summary>
        ImageFolder,
        /// <summary>The binary version of CIFAR-10.</summary>
        Cifar10,
        /// <summary>The binary version of CIFAR-100 (fine labels).</summary>
        Cifar100,
        /// <summary>A CSV file: numeric feature columns and a target column.</summary>
        Csv,
        /// <summary>NumPy arrays: inputs and targets as .npy files, or one .npz.</summary>
        Npy,
        /// <summary>A folder with <c>images/</c> and <c>masks/</c> (8-bit PNG masks of class indices).</summary>
        Segmentation,
        /// <summary>A UTF-8 text file, tokenized into windows of next-token samples (<see cref="TextCorpus"/>).</summary>
        Text,
    }

    /// <summary>How <see cref="DataSources.Open"/> reads a source; each setting applies to the formats it names.</summary>
    public sealed record DataOptions
    {
        /// <summary>The format; <see cref="DataFormat.Auto"/> detects it from the path.</summary>
        public DataFormat Format { get; init; } = DataFormat.Auto;

        /// <summary>A separate validation source of the same format (a folder or file); null uses the source's own split.</summary>
        public string? ValidationPath { get; init; }

        /// <summary>
        /// Holds out this fraction of the training samples for validation (a seeded split), instead of the source's
        /// own test split; required for a source without one (a single CSV or image folder) to be validated.
        /// </summary>
        public double? ValidationFraction { get; init; }

        /// <summary>Seed of <see cref="ValidationFraction"/>'s split.</summary>
        public long Seed { get; init; } = 42;

        /// <summary>
        /// Channels images are converted to: <see cref="ImageMode.Rgb"/> (grey is repeated into three channels) or
        /// <see cref="ImageMode.Grey"/> (colour becomes PIL's luma). Null keeps each source's own channels
        /// (image folders then decode as RGB, as torchvision's ImageFolder does).
        /// </summary>
        public ImageMode? ImageMode { get; init; }

        /// <summary>IDX: which data set the files are (names the classes).</summary>
        public MnistVariant MnistVariant { get; init; } = MnistVariant.FashionMnist;

        /// <summary>CSV: the target column (name, or 0-based index); null is the last column.</summary>
        public string? Target { get; init; }

        /// <summary>CSV: whether the target is a class or a value.</summary>
        public CsvTargetKind TargetKind { get; init; } = CsvTargetKind.Auto;

        /// <summary>NumPy: the names of the input and target arrays in an .npz file.</summary>
        public string NpzInputs { get; init; } = "x";

        /// <summary>NumPy: the name of the target array in an .npz file.</summary>
        public string NpzTargets { get; init; } = "y";

        /// <summary>NumPy: inputs are [N, H, W, C] images (as Python libraries keep them) and become [C, H, W] samples.</summary>
        public bool ChannelsLast { get; init; }

        /// <summary>Segmentation: number of classes (mask values 0..Classes-1); null reads it from the model.</summary>
        public int? Classes { get; init; }

        /// <summary>Segmentation: the mask value that marks pixels without a class (not scored).</summary>
        public int IgnoreIndex { get; init; } = SegmentationFolder.DefaultIgnoreIndex;

        /// <summary>Text: the tokenizer (<see cref="Language.TextTokenizer.Names"/>); GPT-2's byte-pair encoding by default.</summary>
        public string Tokenizer { get; init; } = "gpt2";

        /// <summary>Text: tokens per sample; null is an error for text (the command line takes it from the model's input length).</summary>
        public int? Context { get; init; }
    }

    /// <summary>A training set and its validation set, opened from one source.</summary>
    public sealed class DataSplit : IDisposable
    {
        private readonly IDisposable[] _owned;

        internal DataSplit(Dataset train, Dataset? validation, DataFormat format, string description, params IDisposable[] owned)
        {
            Train = train;
            Validation = validation;
            Format = format;
            Description = description;
            _owned = owned;
        }

        /// <summary>The samples to train on.</summary>
        public Dataset Train { get; }

        /// <summary>The samples to validate on, or null.</summary>
        public Dataset? Validation { get; }

        /// <summary>The format read.</summary>
        public DataFormat Format { get; }

        /// <summary>One line saying what was read and where the validation samples come from.</summary>
        public string Description { get; }

        /// <summary>Releases the sources.</summary>
        public void Dispose()
        {
            foreach (var d in _owned) d.Dispose();
        }
    }

    /// <summary>
    /// Opens any source the runtime reads by its path: detects the format, finds the validation samples (the source's
    /// own test split, a separate path, or a seeded fraction) and converts image channels where asked.
    /// </summary>
    public static class DataSources
    {
        /// <summary>The command-line word of each format (and the words train.py accepts).</summary>
        public static IReadOnlyDictionary<DataFormat, string> Words { get; } = new Dictionary<DataFormat, string>
        {
            [DataFormat.Auto] = "auto",
            [DataFormat.Idx] = "idx",
            [DataFormat.ImageFolder] = "image-folder",
            [DataFormat.Cifar10] = "cifar10",
            [DataFormat.Cifar100] = "cifar100",
            [DataFormat.Csv] = "csv",
            [DataFormat.Npy] = "npy",
            [DataFormat.Segmentation] = "segmentation",
            [DataFormat.Text] = "text",
        };

        /// <summary>The format named by <paramref name="word"/> (a <see cref="Words"/> value, any case).</summary>
        /// <exception cref="InvalidOptionException">Not a known word (the message lists them).</exception>
        public static DataFormat ParseFormat(string word)
        {
            foreach (var (format, w) in Words)
                if (string.Equals(w, word?.Trim(), StringComparison.OrdinalIgnoreCase)) return format;
            throw new InvalidOptionException("format", "one of " + string.Join(", ", Words.Values), word ?? "");
        }

        /// <summary>
        /// The format of <paramref name="path"/>: a .csv file is CSV, .npy/.npz NumPy; a folder with the IDX files is IDX,
        /// with CIFAR binary batches (or a <c>cifar-10-batches-bin</c> / <c>cifar-100-binary</c> folder) CIFAR, with
        /// <c>images/</c> and <c>masks/</c> segmentation, with subfolders (class folders, or <c>train/</c>) an image folder.
        /// </summary>
        /// <exception cref="InvalidDataException">The path does not exist or matches no format (the message lists the layouts).</exception>
        public static DataFormat Detect(string path)
        {
            if (File.Exists(path))
            {
                string ext = Path.GetExtension(path).ToLowerInvariant();
                if (ext is ".csv" or ".tsv") return DataFormat.Csv;
                if (ext is ".npy" or ".npz") return DataFormat.Npy;
                if (ext is ".txt" or ".text") return DataFormat.Text;
                throw new InvalidDataException($"{path} is a file of a kind the runtime does not read ({ext}); files can be .csv, .npy, .npz or .txt, and folders hold IDX, CIFAR, image-folder or segmentation data. Pass --format to say which.");
            }
            if (!Directory.Exists(path))
                throw new InvalidDataException($"{path} does not exist: give a data folder or file (see --format for the layouts read).");
            bool Has(string f) => File.Exists(Path.Combine(path, f));
            if (Mnist.FileNames.All(Has) || Mnist.FileNames.Select(f => f.EndsWith(".gz", StringComparison.Ordinal) ? f[..^3] : f).All(Has)) return DataFormat.Idx;
            if (Has("data_batch_1.bin") || Has("test_batch.bin") || Directory.Exists(Path.Combine(path, "cifar-10-batches-bin"))) return DataFormat.Cifar10;
            if ((Has("train.bin") && (Has("fine_label_names.txt") || Has("test.bin"))) || Directory.Exists(Path.Combine(path, "cifar-100-binary"))) return DataFormat.Cifar100;
            if (Directory.Exists(Path.Combine(path, "images")) && Directory.Exists(Path.Combine(path, "masks"))) return DataFormat.Segmentation;
            string trainDir = Path.Combine(path, "train");
            if (Directory.Exists(trainDir) && Directory.Exists(Path.Combine(trainDir, "images"))) return DataFormat.Segmentation;
            if (Directory.EnumerateDirectories(path).Any()) return DataFormat.ImageFolder;
            throw new InvalidDataException(
                $"{path}: no known data layout. Expected one of: the four IDX files ({string.Join(", ", Mnist.FileNames)}); CIFAR-10/100 binary batches; " +
                "images/ and masks/ folders (segmentation); one subfolder of images per class (image folder, optionally under train/ and val/); a .csv, .npy or .npz file.");
        }

        /// <summary>
        /// Opens <paramref name="path"/> as training data with its validation data (see <see cref="DataOptions"/>).
        /// Folder layouts with <c>train/</c> and <c>val/</c> (or <c>test/</c>) use those; IDX and CIFAR use their test files.
        /// </summary>
        /// <exception cref="InvalidDataException">The data cannot be read; the message names the file and the fix.</exception>
        /// <exception cref="InvalidOptionException">An option does not fit the format.</exception>
        public static DataSplit Open(string path, DataOptions? options = null)
        {
            options ??= new DataOptions();
            var format = options.Format == DataFormat.Auto ? Detect(path) : options.Format;
            var owned = new List<IDisposable>();
            try
            {
                var (train, val, where) = OpenFormat(path, format, options, owned);
                if (options.ValidationPath is string vp)
                {
                    var (other, _, _) = OpenFormat(vp, format, options, owned, validationOnly: true);
                    val = other;
                    where = $"validation from {vp}";
                }
                else if (options.ValidationFraction is double f && format != DataFormat.Text)
                {
                    var (t, v) = train.Split(f, options.Seed);
                    train = t;
                    val = v;
                    where = $"validation: a seeded {f.ToString("0.###", CultureInfo.InvariantCulture)} of the training samples (seed {options.Seed})";
                }
                if (options.ImageMode is ImageMode mode)
                {
                    train = ChannelConversion.To(train, mode);
                    if (val is not null) val = ChannelConversion.To(val, mode);
                }
                string description = $"{Words[format]} {path}: {train.Count:N0} training samples, " +
                    (val is null ? "no validation samples" : $"{val.Count:N0} validation samples ({where})") +
                    (train.ClassNames.Count > 0 ? $", {train.ClassNames.Count} classes" : "");
                return new DataSplit(train, val, format, description, owned.ToArray());
            }
            catch
            {
                foreach (var d in owned) d.Dispose();
                throw;
            }
        }

        private static (Dataset Train, Dataset? Validation, string Where) OpenFormat(string path, DataFormat format, DataOptions o, List<IDisposable> owned, bool validationOnly = false)
        {
            T Own<T>(T d) where T : IDisposable { owned.Add(d); return d; }
            CheckPathKind(path, format);
            switch (format)
            {
                case DataFormat.Idx:
                    if (validationOnly) return (Own(Mnist.Load(path, o.MnistVariant, train: false)), null, "");
                    var (tr, te) = Mnist.Load(path, o.MnistVariant);
                    return (Own(tr), Own(te), "the IDX test files");
                case DataFormat.Cifar10:
                case DataFormat.Cifar100:
                    var variant = format == DataFormat.Cifar10 ? CifarVariant.Cifar10 : CifarVariant.Cifar100;
                    if (validationOnly) return (Own(Cifar.Load(path, variant, train: false)), null, "");
                    return (Own(Cifar.Load(path, variant, train: true)), Own(Cifar.Load(path, variant, train: false)), "the CIFAR test batch");
                case DataFormat.ImageFolder:
                    var mode = o.ImageMode ?? ImageMode.Rgb;
                    if (validationOnly || !Directory.Exists(Path.Combine(path, "train"))) return (Own(new ImageFolder(path, mode)), null, "");
                    var (folderTrain, folderVal) = ImageFolder.OpenSplits(path, mode);
                    Own(folderTrain);
                    if (folderVal is null) return (folderTrain, null, "");
                    return (folderTrain, Own(folderVal), $"the {Path.GetFileName(folderVal.Root)}/ folder");
                case DataFormat.Segmentation:
                    var (segTrain, segVal) = SplitFolders(path);
                    int classes = o.Classes ?? throw new InvalidOptionException("classes", "the number of classes of the masks (segmentation)", "none");
                    var segMode = o.ImageMode ?? ImageMode.Rgb;
                    if (validationOnly || segVal is null) return (Own(SegmentationFolder.Open(segTrain, classes, segMode, o.IgnoreIndex)), null, "");
                    return (Own(SegmentationFolder.Open(segTrain, classes, segMode, o.IgnoreIndex)), Own(SegmentationFolder.Open(segVal, classes, segMode, o.IgnoreIndex)), $"the {Path.GetFileName(segVal)}/ folder");
                case DataFormat.Csv:
                    return (Own(CsvDataset.Load(path, new CsvOptions { Target = o.Target, TargetKind = o.TargetKind })), null, "");
                case DataFormat.Npy:
                    return (Own(OpenNumpy(path, o)), null, "");
                case DataFormat.Text:
                    int context = o.Context ?? throw new InvalidOptionException("context", "the tokens per sample (the language model's input length)", "none");
                    var (textTrain, textVal) = TextCorpus.Open(path, Language.TextTokenizer.Parse(o.Tokenizer), context, validationOnly ? null : o.ValidationFraction);
                    Own(textTrain);
                    if (textVal is null) return (textTrain, null, "");
                    return (textTrain, Own(textVal), $"the last {o.ValidationFraction!.Value.ToString("0.###", CultureInfo.InvariantCulture)} of the text's tokens");
                default:
                    throw new InvalidOptionException("format", "one of " + string.Join(", ", Words.Values.Skip(1)), Words[format]);
            }
        }

        /// <summary>
        /// CSV and NumPy read a file, the other formats a folder: the wrong kind of path (or none) is named with the
        /// fix, rather than left to fail as an access error when a folder is opened as a file.
        /// </summary>
        private static void CheckPathKind(string path, DataFormat format)
        {
            bool wantsFile = format is DataFormat.Csv or DataFormat.Npy or DataFormat.Text;
            string reads = format switch
            {
                DataFormat.Csv => "a .csv file",
                DataFormat.Npy => "an .npy file of inputs (with its targets file beside it) or an .npz file",
                DataFormat.Text => "a UTF-8 text file",
                _ => "a folder",
            };
            if (wantsFile ? File.Exists(path) : Directory.Exists(path)) return;
            if (Directory.Exists(path) || File.Exists(path))
                throw new InvalidDataException($"{path} is a {(wantsFile ? "folder" : "file")}, but the {Words[format]} format reads {reads}: give {(wantsFile ? "the file's" : "its folder's")} path, or another --format.");
            // A missing folder is left to the source, whose message lists the files it needs and where to get them.
            if (wantsFile) throw new InvalidDataException($"{path} does not exist: the {Words[format]} format reads {reads}.");
        }

        /// <summary>
        /// NumPy: an .npz holds both arrays; an .npy of inputs takes its targets from the file beside it whose name
        /// has "x" replaced by "y" or "inputs"/"images"/"features" replaced by "targets"/"labels".
        /// </summary>
        private static Dataset OpenNumpy(string path, DataOptions o)
        {
            var options = new NumpyOptions { InputsName = o.NpzInputs, TargetsName = o.NpzTargets, ChannelsLast = o.ChannelsLast };
            if (Path.GetExtension(path).Equals(".npz", StringComparison.OrdinalIgnoreCase)) return NumpyDataset.Load(path, null, options);
            string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
            string stem = Path.GetFileNameWithoutExtension(path);
            var candidates = new List<string>();
            foreach (var (from, to) in new[] { ("x", "y"), ("inputs", "targets"), ("images", "labels"), ("features", "targets"), ("features", "labels"), ("data", "labels") })
            {
                if (stem == from) candidates.Add(to);
                else if (stem.EndsWith("_" + from, StringComparison.Ordinal)) candidates.Add(stem[..^from.Length] + to);
                else if (stem.StartsWith(from + "_", StringComparison.Ordinal)) candidates.Add(to + stem[from.Length..]);
            }
            string? targets = candidates.Select(c => Path.Combine(dir, c + ".npy")).FirstOrDefault(File.Exists);
            if (targets is null)
                throw new InvalidDataException(
                    $"{path}: no targets file beside it (looked for {(candidates.Count == 0 ? "x.npy/y.npy-style pairs" : string.Join(", ", candidates.Select(c => c + ".npy")))}). " +
                    "Name the pair x.npy and y.npy (or train_x.npy and train_y.npy), or put both in one .npz with arrays x and y.");
            return NumpyDataset.Load(path, targets, options);
        }

        /// <summary>The subfolders a folder with splits holds its validation data in, in the order they are looked for (train.py looks for the same).</summary>
        internal static readonly string[] ValidationFolderNames = { "val", "test" };

        /// <summary>A folder's train/ and val/ (or test/) subfolders when it has them; else the folder itself and no validation.</summary>
        private static (string Train, string? Validation) SplitFolders(string path)
        {
            string train = Path.Combine(path, "train");
            if (!Directory.Exists(train)) return (path, null);
            foreach (var name in ValidationFolderNames)
            {
                string v = Path.Combine(path, name);
                if (Directory.Exists(v)) return (train, v);
            }
            return (train, null);
        }
    }
}
