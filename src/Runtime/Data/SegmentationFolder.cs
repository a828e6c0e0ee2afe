using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// Segmentation pairs: a folder of images and a folder of masks, paired by file name without its extension
    /// (mask <c>masks/x.png</c> for image <c>images/x.jpg</c>; subfolders pair by their relative path). A mask is an
    /// 8-bit greyscale PNG of the image's size holding one class index per pixel: 0 to <see cref="Classes"/> - 1, or
    /// <see cref="IgnoreIndex"/> for pixels no class is learnt from (borders, unlabelled areas).
    /// Construction lists both folders and reads every file's header (cheap): unpaired files, masks that are not 8-bit
    /// greyscale PNGs and size mismatches are reported before training. <see cref="Read"/> decodes one pair and checks
    /// the mask's values.
    /// </summary>
    public sealed class SegmentationFolder : Dataset
    {
        /// <summary>The ignore index when none is given (the value Pascal VOC's masks use for borders).</summary>
        public const int DefaultIgnoreIndex = 255;

        private readonly (string Image, string Mask)[] _pairs;
        private readonly string[] _classNames;

        /// <summary>Pairs the images in <paramref name="imagesFolder"/> with the masks in <paramref name="masksFolder"/>.</summary>
        /// <param name="imagesFolder">Images (any of <see cref="ImageDecoder.Extensions"/>).</param>
        /// <param name="masksFolder">Masks: 8-bit greyscale PNGs named after their images.</param>
        /// <param name="classes">Number of classes; mask values are 0 to classes - 1, or <paramref name="ignoreIndex"/>.</param>
        /// <param name="mode">The channels images are decoded to.</param>
        /// <param name="ignoreIndex">The mask value of pixels that belong to no class (at least <paramref name="classes"/>, at most 255).</param>
        /// <param name="classNames">Names of the classes (default "0", "1", ...).</param>
        /// <exception cref="InvalidOptionException">The class count, ignore index or class names do not fit 8-bit masks.</exception>
        /// <exception cref="DirectoryNotFoundException">A folder does not exist.</exception>
        /// <exception cref="InvalidDataException">No images, unpaired files, a mask that is not an 8-bit greyscale PNG, or a mask whose size differs from its image's (named).</exception>
        public SegmentationFolder(string imagesFolder, string masksFolder, int classes, ImageMode mode = ImageMode.Rgb,
            int ignoreIndex = DefaultIgnoreIndex, IReadOnlyList<string>? classNames = null)
        {
            if (classes < 1 || classes > 256)
                throw new InvalidOptionException("classes", "between 1 and 256 (masks are 8-bit)", classes.ToString(CultureInfo.InvariantCulture));
            if (ignoreIndex < classes || ignoreIndex > 255)
                throw new InvalidOptionException("ignore index",
                    classes == 256 ? "a mask value that is not a class, but all 256 values are classes" : $"a mask value that is not a class: {classes} to 255",
                    ignoreIndex.ToString(CultureInfo.InvariantCulture));
            if (classNames is not null && classNames.Count != classes)
                throw new InvalidOptionException("class names", $"{classes} names, one per class", $"{classNames.Count}");
            Require(imagesFolder, "images");
            Require(masksFolder, "masks");
            ImagesFolder = imagesFolder;
            MasksFolder = masksFolder;
            Classes = classes;
            IgnoreIndex = ignoreIndex;
            Mode = mode;
            _classNames = classNames?.ToArray() ?? Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

            var images = ByStem(imagesFolder, "image");
            var masks = ByStem(masksFolder, "mask");
            if (images.Count == 0)
                throw new InvalidDataException($"{imagesFolder} holds no images; images are files ending with {ImageDecoder.ExtensionList} (any case).");
            var notPng = masks.Values.Where(m => !m.EndsWith(".png", StringComparison.OrdinalIgnoreCase)).OrderBy(m => m, CodePointComparer.Instance).ToArray();
            if (notPng.Length > 0)
                throw new InvalidDataException(
                    $"{masksFolder}: masks must be PNG files (lossless, 8-bit greyscale, a class index per pixel), but {ImageFolder.First(notPng)} {(notPng.Length > 1 ? "are" : "is")} not. " +
                    "Save the masks as PNG; a JPEG mask changes the class indices near every edge.");
            var noMask = images.Keys.Where(k => !masks.ContainsKey(k)).OrderBy(k => k, CodePointComparer.Instance).Select(k => images[k]).ToArray();
            if (noMask.Length > 0)
                throw new InvalidDataException(
                    $"{noMask.Length} image(s) have no mask in {masksFolder}: {ImageFolder.First(noMask)}. " +
                    "Each image needs a mask with the same name and the extension .png (image x.jpg, mask x.png); add the masks or remove those images.");
            var noImage = masks.Keys.Where(k => !images.ContainsKey(k)).OrderBy(k => k, CodePointComparer.Instance).Select(k => masks[k]).ToArray();
            if (noImage.Length > 0)
                throw new InvalidDataException(
                    $"{noImage.Length} mask(s) have no image in {imagesFolder}: {ImageFolder.First(noImage)}. " +
                    "Each mask needs an image with the same name (mask x.png, image x.jpg or x.png); add the images or remove those masks.");

            _pairs = images.Keys.OrderBy(k => k, CodePointComparer.Instance).Select(k => (images[k], masks[k])).ToArray();

            // Headers only: sizes and mask formats are known without decoding a pixel.
            (int W, int H)? common = null;
            bool uniform = true;
            foreach (var (image, mask) in _pairs)
            {
                var (iw, ih) = ImageDecoder.ReadSize(image);
                var (mw, mh) = ImageDecoder.ReadMaskSize(mask);
                if (iw != mw || ih != mh)
                    throw new InvalidDataException(
                        $"Mask {mask} is {mw}x{mh} (width x height) but its image {image} is {iw}x{ih}; a mask must have its image's size. " +
                        "Resize the mask with nearest-neighbour sampling (never bilinear: it mixes class indices) or re-export it from the image.");
                if (common is null) common = (iw, ih);
                else if (common.Value != (iw, ih)) uniform = false;
            }
            if (uniform && common is { } size)
                SampleShape = new Dsl.Shape(mode == ImageMode.Rgb ? 3 : 1, size.H, size.W);
        }

        /// <summary>
        /// The pairs in <c>root/images</c> and <c>root/masks</c>; see the constructor for the other parameters.
        /// </summary>
        public static SegmentationFolder Open(string root, int classes, ImageMode mode = ImageMode.Rgb,
            int ignoreIndex = DefaultIgnoreIndex, IReadOnlyList<string>? classNames = null)
        {
            if (!Directory.Exists(root))
                throw new DirectoryNotFoundException($"Segmentation folder {root} not found; expected a folder holding images/ and masks/ (root/images/x.jpg with root/masks/x.png).");
            return new SegmentationFolder(Path.Combine(root, "images"), Path.Combine(root, "masks"), classes, mode, ignoreIndex, classNames);
        }

        /// <summary>The folder of images.</summary>
        public string ImagesFolder { get; }

        /// <summary>The folder of masks.</summary>
        public string MasksFolder { get; }

        /// <summary>Number of classes: mask values 0 to Classes - 1 are classes.</summary>
        public int Classes { get; }

        /// <summary>The mask value of pixels that belong to no class; the loss ignores them (never null here).</summary>
        public override int? IgnoreIndex { get; }

        /// <summary>The channels images are decoded to.</summary>
        public ImageMode Mode { get; }

        /// <summary>Every (image, mask) pair in sample order (sorted by name).</summary>
        public IReadOnlyList<(string Image, string Mask)> Pairs => _pairs;

        /// <inheritdoc/>
        public override string Name => ImagesFolder;

        /// <inheritdoc/>
        public override int Count => _pairs.Length;

        /// <summary>Every target is a mask: int64 [H, W].</summary>
        public override TargetKind TargetKind => TargetKind.Mask;

        /// <summary>Class names by index (the given names, or "0", "1", ...); their number is <see cref="Classes"/>.</summary>
        public override IReadOnlyList<string> ClassNames => _classNames;

        /// <summary>[C, H, W] when every image has one size (known from the headers), otherwise null.</summary>
        public override Dsl.Shape? SampleShape { get; }

        /// <summary>Decodes pair <paramref name="index"/>: input uint8 [C, H, W], target int64 [H, W].</summary>
        /// <exception cref="InvalidDataException">A file is unreadable or truncated, or a mask value is neither a class nor the ignore index (file, pixel and value named).</exception>
        public override Example Read(int index)
        {
            if ((uint)index >= (uint)_pairs.Length) throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has {Count} images.");
            var (imagePath, maskPath) = _pairs[index];
            var (values, h, w) = ImageDecoder.DecodeMask(maskPath);
            for (int i = 0; i < values.Length; i++)
            {
                int v = values[i];
                if (v >= Classes && v != IgnoreIndex)
                    throw new InvalidDataException(
                        $"{maskPath}: pixel (x={i % w}, y={i / w}) has value {v}, which is neither a class (0 to {Classes - 1}) nor the ignore index {IgnoreIndex}. " +
                        $"Fix the mask, or give the right number of classes (at least {v + 1}) or ignore index.");
            }
            using var scope = torch.NewDisposeScope();
            var image = ImageDecoder.Decode(imagePath, Mode);
            if (image.shape[1] != h || image.shape[2] != w)
                throw new InvalidDataException($"Mask {maskPath} is {w}x{h} but its image {imagePath} is {image.shape[2]}x{image.shape[1]}; a mask must have its image's size.");
            var mask = torch.tensor(values, new long[] { h, w }, ScalarType.Byte).to_type(ScalarType.Int64);
            return new Example(image, mask, TargetKind.Mask, imagePath);
        }

        private static void Require(string folder, string what)
        {
            if (!Directory.Exists(folder))
                throw new DirectoryNotFoundException(
                    $"The {what} folder {folder} not found; segmentation data is a folder of images and a folder of masks (8-bit greyscale PNGs, a class index per pixel) with matching names, such as images/x.jpg and masks/x.png.");
        }

        /// <summary>The image files under <paramref name="folder"/> (recursively) by their relative path without extension.</summary>
        private static Dictionary<string, string> ByStem(string folder, string what)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(folder, "*", ImageFolder.AllEntries(recurse: true)))
            {
                if (ImageDecoder.IsUnsupportedImageFile(file))
                    throw new InvalidDataException($"{file}: the decoder does not read PPM, PGM or TIFF; convert the {what}s to PNG (lossless) or, for images only, JPEG.");
                if (!ImageDecoder.IsImageFile(file)) continue;
                string relative = Path.GetRelativePath(folder, file);
                string key = Path.Combine(Path.GetDirectoryName(relative) ?? "", Path.GetFileNameWithoutExtension(relative)).Replace(Path.DirectorySeparatorChar, '/');
                if (result.TryGetValue(key, out var other))
                {
                    var both = new[] { other, file }.OrderBy(f => f, CodePointComparer.Instance).ToArray();
                    throw new InvalidDataException(
                        $"{both[0]} and {both[1]} have the same name without extension, so it is ambiguous which pairs with which {(what == "image" ? "mask" : "image")}; keep one {what} per name.");
                }
                result[key] = file;
            }
            return result;
        }
    }
}
