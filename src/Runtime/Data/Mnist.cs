using System.Net.Http;
using System.Security.Cryptography;

namespace Dsl.Runtime.Data
{
    /// <summary>The two IDX data sets the runtime knows by name.</summary>
    public enum MnistVariant
    {
        /// <summary>Handwritten digits (LeCun, Cortes, Burges).</summary>
        Mnist,
        /// <summary>Zalando's Fashion-MNIST (MIT licence).</summary>
        FashionMnist,
    }

    /// <summary>Thrown when data set files are missing; the message lists them, the folder and where to download them.</summary>
    public sealed class DatasetNotFoundException : FileNotFoundException
    {
        /// <summary>Creates the exception.</summary>
        public DatasetNotFoundException(string message, string folder, IReadOnlyList<string> missing) : base(message)
        {
            Folder = folder;
            MissingFiles = missing;
        }

        /// <summary>The folder that was searched.</summary>
        public string Folder { get; }

        /// <summary>The canonical names of the missing files.</summary>
        public IReadOnlyList<string> MissingFiles { get; }
    }

    /// <summary>
    /// MNIST and Fashion-MNIST in their canonical IDX .gz files:
    /// train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz,
    /// all four directly in one folder.
    /// </summary>
    public static class Mnist
    {
        /// <summary>Training images file name.</summary>
        public const string TrainImages = "train-images-idx3-ubyte.gz";
        /// <summary>Training labels file name.</summary>
        public const string TrainLabels = "train-labels-idx1-ubyte.gz";
        /// <summary>Test images file name.</summary>
        public const string TestImages = "t10k-images-idx3-ubyte.gz";
        /// <summary>Test labels file name.</summary>
        public const string TestLabels = "t10k-labels-idx1-ubyte.gz";

        /// <summary>The four canonical file names.</summary>
        public static IReadOnlyList<string> FileNames { get; } = new[] { TrainImages, TrainLabels, TestImages, TestLabels };

        /// <summary>Fashion-MNIST class names by label.</summary>
        public static IReadOnlyList<string> FashionClassNames { get; } = new[]
        {
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        };

        /// <summary>MNIST class names by label.</summary>
        public static IReadOnlyList<string> DigitClassNames { get; } = new[] { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" };

        /// <summary>Download base URLs, first choice first.</summary>
        public static IReadOnlyList<string> Mirrors(MnistVariant variant) => variant == MnistVariant.Mnist
            ? new[] { "https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/" }
            : new[] { "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/" };

        /// <summary>MD5 of the original files (the sums torchvision checks).</summary>
        public static IReadOnlyDictionary<string, string> Md5(MnistVariant variant) => variant == MnistVariant.Mnist
            ? new Dictionary<string, string>
            {
                [TrainImages] = "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                [TrainLabels] = "d53e105ee54ea40749a09fcbcd1e9432",
                [TestImages] = "9fb629c4189551a2d022fa330f9573f3",
                [TestLabels] = "ec29112dd5afa0611ce80d1b7f02629c",
            }
            : new Dictionary<string, string>
            {
                [TrainImages] = "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                [TrainLabels] = "25c81989df183df01b3e8a0aad5dffbe",
                [TestImages] = "bef4ecab320f06d8554ea6380940ec79",
                [TestLabels] = "bb300cfdad3c16e7a12a480ee83cd310",
            };

        /// <summary>Class names of a variant.</summary>
        public static IReadOnlyList<string> ClassNames(MnistVariant variant) =>
            variant == MnistVariant.Mnist ? DigitClassNames : FashionClassNames;

        private static string Label(MnistVariant variant) => variant == MnistVariant.Mnist ? "mnist" : "fashion-mnist";

        /// <summary>Loads the training and test sets from <paramref name="folder"/>.</summary>
        /// <exception cref="DatasetNotFoundException">Some of the four files are missing.</exception>
        public static (ImageDataset Train, ImageDataset Test) Load(string folder, MnistVariant variant)
        {
            EnsurePresent(folder, variant, FileNames);
            var train = Load(folder, variant, train: true);
            try { return (train, Load(folder, variant, train: false)); }
            catch { train.Dispose(); throw; }
        }

        /// <summary>Loads one split (train or test) from <paramref name="folder"/>.</summary>
        /// <exception cref="DatasetNotFoundException">A file of that split is missing.</exception>
        public static ImageDataset Load(string folder, MnistVariant variant, bool train)
        {
            string img = train ? TrainImages : TestImages, lbl = train ? TrainLabels : TestLabels;
            EnsurePresent(folder, variant, new[] { img, lbl });
            return ImageDataset.FromIdx(Path.Combine(folder, img), Path.Combine(folder, lbl),
                $"{Label(variant)} {(train ? "train" : "test")}", ClassNames(variant));
        }

        /// <summary>Throws <see cref="DatasetNotFoundException"/> listing the missing files, the folder and the URLs.</summary>
        public static void EnsurePresent(string folder, MnistVariant variant, IEnumerable<string> files)
        {
            var missing = files.Where(f => !File.Exists(Path.Combine(folder, f))).ToArray();
            if (missing.Length == 0) return;
            string full = Path.GetFullPath(folder);
            string mirror = Mirrors(variant)[0];
            string message =
                $"{Label(variant)}: missing {string.Join(", ", missing)} in {full}. " +
                $"Put the canonical IDX .gz files in that folder; download them from: {string.Join(" ", missing.Select(m => mirror + m))} " +
                $"(or call Mnist.Download(\"{full}\", MnistVariant.{variant})).";
            throw new DatasetNotFoundException(message, full, missing);
        }

        /// <summary>
        /// Downloads the four files into <paramref name="folder"/> (skipping files already present with the right MD5),
        /// verifying each MD5 against the published sum. Needs internet access; opt-in only.
        /// </summary>
        public static void Download(string folder, MnistVariant variant, TextWriter? log = null)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            Download(folder, Mirrors(variant), Md5(variant), http, log);
        }

        /// <summary>
        /// Fetches each of the four files that is missing or has the wrong MD5 from the first mirror that serves it with
        /// the expected MD5; a file is written (atomically, through a ".part" file) only once its checksum matched.
        /// </summary>
        internal static void Download(string folder, IReadOnlyList<string> mirrors, IReadOnlyDictionary<string, string> sums, HttpClient http, TextWriter? log)
        {
            Directory.CreateDirectory(folder);
            foreach (var file in FileNames)
            {
                string target = Path.Combine(folder, file);
                if (File.Exists(target) && Md5Hex(File.ReadAllBytes(target)) == sums[file]) continue;
                Exception? last = null;
                bool done = false;
                foreach (var mirror in mirrors)
                {
                    string url = mirror + file;
                    try
                    {
                        log?.WriteLine($"Downloading {url}");
                        byte[] data = http.GetByteArrayAsync(url).GetAwaiter().GetResult();
                        string md5 = Md5Hex(data);
                        if (md5 != sums[file])
                            throw new InvalidDataException($"{file} from {url} has MD5 {md5}, expected {sums[file]}.");
                        string tmp = target + ".part";
                        File.WriteAllBytes(tmp, data);
                        File.Move(tmp, target, overwrite: true);
                        done = true;
                        break;
                    }
                    catch (Exception e) when (e is HttpRequestException or InvalidDataException or System.Threading.Tasks.TaskCanceledException)
                    {
                        last = e;
                        log?.WriteLine($"  failed: {e.Message}");
                    }
                }
                if (!done) throw new IOException($"Could not download {file} into {Path.GetFullPath(folder)}: {last?.Message}", last);
            }
        }

        private static string Md5Hex(byte[] data) => Convert.ToHexString(MD5.HashData(data)).ToLowerInvariant();
    }
}
