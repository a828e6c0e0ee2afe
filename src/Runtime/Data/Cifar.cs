namespace Dsl.Runtime.Data
{
    /// <summary>The two CIFAR data sets.</summary>
    public enum CifarVariant
    {
        /// <summary>CIFAR-10: 10 classes.</summary>
        Cifar10,
        /// <summary>CIFAR-100: 100 fine classes grouped into 20 coarse ones.</summary>
        Cifar100,
    }

    /// <summary>
    /// CIFAR-10 and CIFAR-100 in their "binary version" files (Krizhevsky, https://www.cs.toronto.edu/~kriz/cifar.html),
    /// 32x32 colour images. CIFAR-10 (cifar-10-binary.tar.gz, folder <c>cifar-10-batches-bin</c>): data_batch_1.bin to
    /// data_batch_5.bin (training), test_batch.bin, batches.meta.txt; a record is 1 label byte then 3072 pixel bytes.
    /// CIFAR-100 (cifar-100-binary.tar.gz, folder <c>cifar-100-binary</c>): train.bin, test.bin, fine_label_names.txt,
    /// coarse_label_names.txt; a record is a coarse label byte, a fine label byte, then 3072 pixel bytes. The pixels are
    /// the red plane, the green plane and the blue plane, each 32x32 row-major: a uint8 [3, 32, 32] image as stored.
    /// </summary>
    public static class Cifar
    {
        /// <summary>Where the files are published.</summary>
        public const string DownloadPage = "https://www.cs.toronto.edu/~kriz/cifar.html";

        /// <summary>Pixel bytes per image (3 x 32 x 32).</summary>
        public const int ImageBytes = 3 * 32 * 32;

        /// <summary>CIFAR-10's training files.</summary>
        public static IReadOnlyList<string> Cifar10TrainFiles { get; } = new[] { "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin" };

        /// <summary>CIFAR-10's test file.</summary>
        public const string Cifar10TestFile = "test_batch.bin";

        /// <summary>CIFAR-10's class names file (one name per line).</summary>
        public const string Cifar10NamesFile = "batches.meta.txt";

        /// <summary>CIFAR-100's training file.</summary>
        public const string Cifar100TrainFile = "train.bin";

        /// <summary>CIFAR-100's test file.</summary>
        public const string Cifar100TestFile = "test.bin";

        /// <summary>CIFAR-100's fine class names file.</summary>
        public const string Cifar100FineNamesFile = "fine_label_names.txt";

        /// <summary>CIFAR-100's coarse class names file.</summary>
        public const string Cifar100CoarseNamesFile = "coarse_label_names.txt";

        /// <summary>The folder the archive extracts to.</summary>
        public static string ArchiveFolder(CifarVariant variant) => variant == CifarVariant.Cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary";

        /// <summary>The archive's file name on <see cref="DownloadPage"/>.</summary>
        public static string ArchiveName(CifarVariant variant) => variant == CifarVariant.Cifar10 ? "cifar-10-binary.tar.gz" : "cifar-100-binary.tar.gz";

        /// <summary>CIFAR-10's class names, used when batches.meta.txt is absent.</summary>
        public static IReadOnlyList<string> Cifar10ClassNames { get; } = new[]
        {
            "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
        };

        /// <summary>CIFAR-100's fine class names, used when fine_label_names.txt is absent.</summary>
        public static IReadOnlyList<string> Cifar100FineClassNames { get; } = new[]
        {
            "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle", "bowl", "boy",
            "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle", "chair", "chimpanzee", "clock",
            "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest",
            "fox", "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion", "lizard",
            "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom", "oak_tree", "orange", "orchid",
            "otter", "palm_tree", "pear", "pickup_truck", "pine_tree", "plain", "plate", "poppy", "porcupine", "possum",
            "rabbit", "raccoon", "ray", "road", "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper",
            "snail", "snake", "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone",
            "television", "tiger", "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf",
            "woman", "worm",
        };

        /// <summary>CIFAR-100's coarse class names (superclasses), used when coarse_label_names.txt is absent.</summary>
        public static IReadOnlyList<string> Cifar100CoarseClassNames { get; } = new[]
        {
            "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables", "household_electrical_devices",
            "household_furniture", "insects", "large_carnivores", "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
            "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people", "reptiles",
            "small_mammals", "trees", "vehicles_1", "vehicles_2",
        };

        /// <summary>The data files of one split.</summary>
        public static IReadOnlyList<string> DataFiles(CifarVariant variant, bool train) => variant switch
        {
            CifarVariant.Cifar10 => train ? Cifar10TrainFiles : new[] { Cifar10TestFile },
            _ => new[] { train ? Cifar100TrainFile : Cifar100TestFile },
        };

        /// <summary>
        /// The folder holding the files: <paramref name="folder"/> itself when it holds the first data file, else its
        /// subfolder <see cref="ArchiveFolder"/> when that does; null when neither.
        /// </summary>
        public static string? FindFolder(string folder, CifarVariant variant)
        {
            string probe = DataFiles(variant, train: false)[0];
            if (File.Exists(Path.Combine(folder, probe))) return folder;
            string inner = Path.Combine(folder, ArchiveFolder(variant));
            return File.Exists(Path.Combine(inner, probe)) ? inner : null;
        }

        /// <summary>Loads the training and the test set (see <see cref="Load(string, CifarVariant, bool, bool)"/>).</summary>
        public static (CifarDataset Train, CifarDataset Test) Load(string folder, CifarVariant variant, bool coarseLabels = false)
        {
            var train = Load(folder, variant, train: true, coarseLabels);
            try { return (train, Load(folder, variant, train: false, coarseLabels)); }
            catch { train.Dispose(); throw; }
        }

        /// <summary>
        /// Opens one split from <paramref name="folder"/> (the folder holding the files, or the folder the archive was
        /// extracted in). Labels are read now (one or two bytes per record); pixels when a sample is read.
        /// </summary>
        /// <param name="folder">The folder holding the files, or its parent.</param>
        /// <param name="variant">CIFAR-10 or CIFAR-100.</param>
        /// <param name="train">The training files (else the test file).</param>
        /// <param name="coarseLabels">CIFAR-100 only: the 20 coarse labels instead of the 100 fine ones.</param>
        /// <exception cref="DatasetNotFoundException">Files are missing (listed, with where to download them).</exception>
        /// <exception cref="InvalidDataException">A file is not a whole number of records (truncated), a label is out of range, or a names file lists the wrong number of names.</exception>
        /// <exception cref="InvalidOptionException"><paramref name="coarseLabels"/> with CIFAR-10.</exception>
        public static CifarDataset Load(string folder, CifarVariant variant, bool train, bool coarseLabels = false)
        {
            if (coarseLabels && variant != CifarVariant.Cifar100)
                throw new InvalidOptionException("coarse labels", "used with CIFAR-100 only (CIFAR-10 has one label per image)", "CIFAR-10");
            string dir = FindFolder(folder, variant) ?? folder;
            var files = DataFiles(variant, train);
            var missing = files.Where(f => !File.Exists(Path.Combine(dir, f))).ToArray();
            if (missing.Length > 0) throw NotFound(folder, dir, variant, missing);

            string namesFile, label = variant == CifarVariant.Cifar10 ? "cifar-10" : "cifar-100";
            IReadOnlyList<string> standard;
            if (variant == CifarVariant.Cifar10) (namesFile, standard) = (Cifar10NamesFile, Cifar10ClassNames);
            else if (coarseLabels) (namesFile, standard) = (Cifar100CoarseNamesFile, Cifar100CoarseClassNames);
            else (namesFile, standard) = (Cifar100FineNamesFile, Cifar100FineClassNames);
            var names = ReadNames(Path.Combine(dir, namesFile), standard.Count) ?? standard;

            return new CifarDataset(
                $"{label} {(train ? "train" : "test")}{(coarseLabels ? " (coarse labels)" : "")}",
                files.Select(f => Path.Combine(dir, f)).ToArray(),
                labelBytes: variant == CifarVariant.Cifar10 ? 1 : 2,
                labelOffset: variant == CifarVariant.Cifar100 && !coarseLabels ? 1 : 0,
                names);
        }

        /// <summary>The names in a names file (one per line, blank lines skipped), or null when the file is absent.</summary>
        private static IReadOnlyList<string>? ReadNames(string path, int expected)
        {
            if (!File.Exists(path)) return null;
            var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            if (names.Length != expected)
                throw new InvalidDataException(
                    $"{path} lists {names.Length} class names; expected {expected}, one per line. Restore the file from the archive or delete it to use the standard names.");
            return names;
        }

        private static DatasetNotFoundException NotFound(string given, string dir, CifarVariant variant, string[] missing)
        {
            string full = Path.GetFullPath(dir);
            string archive = ArchiveName(variant);
            string python = variant == CifarVariant.Cifar10 ? "cifar-10-batches-py" : "cifar-100-python";
            bool pythonVersion = Directory.Exists(Path.Combine(given, python)) || File.Exists(Path.Combine(given, "data_batch_1")) || File.Exists(Path.Combine(given, "train"));
            string message =
                $"{(variant == CifarVariant.Cifar10 ? "cifar-10" : "cifar-100")}: missing {string.Join(", ", missing)} in {full}" +
                (full != Path.GetFullPath(given) ? "" : $" (or in its subfolder {ArchiveFolder(variant)})") + ". " +
                (pythonVersion ? "The folder holds the Python version (pickled batches); this reader takes the binary version. " : "") +
                $"Download the binary version, {archive}, from {DownloadPage} and extract it there (it creates {ArchiveFolder(variant)}/).";
            return new DatasetNotFoundException(message, full, missing);
        }
    }
}
