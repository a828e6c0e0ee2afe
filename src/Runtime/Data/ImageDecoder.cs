using System.Runtime.InteropServices;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// Decodes image files (JPEG, PNG, BMP, WebP) with SkiaSharp into uint8 [C, H, W] tensors, converting channels as
    /// <see cref="ImageMode"/> says. Pixels are taken as stored: no colour profile is applied and the EXIF orientation
    /// is not applied, as PIL's <c>Image.open</c> does neither. An animated image gives its first frame.
    /// 16-bit PNGs keep the high byte of each sample (Skia's conversion to 8 bits): the same as PIL for colour, while
    /// PIL's <c>convert("L")</c> of a 16-bit grey PNG clips values above 255 instead, so save grey images as 8-bit for
    /// identical results. Masks must be 8-bit (<see cref="DecodeMask"/>).
    /// A file that cannot be decoded entirely (unknown format, corrupt or truncated data) is an error naming the file:
    /// Skia fills the missing part of a truncated image with zeros, which would otherwise train silently.
    /// </summary>
    public static class ImageDecoder
    {
        /// <summary>
        /// File name endings read as images (compared ignoring case): those of torchvision's <c>IMG_EXTENSIONS</c>
        /// that Skia decodes.
        /// </summary>
        public static IReadOnlyList<string> Extensions { get; } = new[] { ".jpg", ".jpeg", ".png", ".bmp", ".webp" };

        /// <summary>Endings torchvision reads as images (through PIL) that Skia cannot decode; a folder holding them is an error, not a silently smaller data set.</summary>
        internal static IReadOnlyList<string> UnsupportedExtensions { get; } = new[] { ".ppm", ".pgm", ".tif", ".tiff" };

        /// <summary>Whether <paramref name="path"/> ends with one of <see cref="Extensions"/> (ignoring case).</summary>
        public static bool IsImageFile(string path) => Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

        internal static bool IsUnsupportedImageFile(string path) => UnsupportedExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

        /// <summary>The extensions for messages: ".jpg, .jpeg, .png, .bmp, .webp".</summary>
        internal static string ExtensionList => string.Join(", ", Extensions);

        /// <summary>PIL's <c>convert("L")</c> of one pixel: ITU-R 601-2 luma in 16-bit fixed point, rounded.</summary>
        internal static byte Luma(byte r, byte g, byte b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);

        /// <summary>Decodes <paramref name="path"/> into a uint8 [C, H, W] tensor (C = 3 for <see cref="ImageMode.Rgb"/>, 1 for <see cref="ImageMode.Grey"/>).</summary>
        /// <exception cref="InvalidDataException">The file is not an image Skia decodes, or it is corrupt or truncated (named).</exception>
        /// <exception cref="FileNotFoundException">The file does not exist.</exception>
        public static Tensor Decode(string path, ImageMode mode)
        {
            var (pixels, channels, height, width) = DecodePlanar(path, mode);
            return torch.tensor(pixels, new long[] { channels, height, width }, ScalarType.Byte);
        }

        /// <summary>Width and height from the file's header, without decoding the pixels.</summary>
        /// <exception cref="InvalidDataException">The file is not an image Skia recognises (named).</exception>
        public static (int Width, int Height) ReadSize(string path)
        {
            using var codec = Open(path);
            return (codec.Info.Width, codec.Info.Height);
        }

        /// <summary>
        /// Decodes <paramref name="path"/> into planar bytes: channel after channel, each row-major.
        /// </summary>
        internal static (byte[] Pixels, int Channels, int Height, int Width) DecodePlanar(string path, ImageMode mode)
        {
            using var codec = Open(path);
            int w = codec.Info.Width, h = codec.Info.Height, n = w * h;
            if (codec.Info.ColorType == SKColorType.Gray8)
            {
                // A grey source (grey JPEG, 8-bit grey PNG without alpha) decodes to its own channel.
                var grey = Pixels(codec, path, SKColorType.Gray8, 1);
                if (mode == ImageMode.Grey) return (grey, 1, h, w);
                var rgb = new byte[3 * n];
                for (int c = 0; c < 3; c++) Buffer.BlockCopy(grey, 0, rgb, c * n, n);
                return (rgb, 3, h, w);
            }
            // Unpremultiplied so a translucent pixel keeps its stored colour (PIL drops alpha without compositing).
            var rgba = Pixels(codec, path, SKColorType.Rgba8888, 4);
            if (mode == ImageMode.Grey)
            {
                var l = new byte[n];
                for (int i = 0; i < n; i++)
                {
                    int o = 4 * i;
                    l[i] = Luma(rgba[o], rgba[o + 1], rgba[o + 2]);
                }
                return (l, 1, h, w);
            }
            var planes = new byte[3 * n];
            for (int i = 0; i < n; i++)
            {
                int o = 4 * i;
                planes[i] = rgba[o];
                planes[n + i] = rgba[o + 1];
                planes[2 * n + i] = rgba[o + 2];
            }
            return (planes, 3, h, w);
        }

        /// <summary>
        /// Decodes a segmentation mask: an 8-bit single-channel (greyscale) PNG whose values are class indices.
        /// Anything else is refused rather than converted, since converting colours or 16-bit values would change the
        /// indices.
        /// </summary>
        internal static (byte[] Values, int Height, int Width) DecodeMask(string path)
        {
            using var codec = Open(path);
            CheckMaskFormat(codec, path);
            return (Pixels(codec, path, SKColorType.Gray8, 1), codec.Info.Height, codec.Info.Width);
        }

        /// <summary>Width and height of a mask from its header, after checking it is an 8-bit greyscale PNG.</summary>
        internal static (int Width, int Height) ReadMaskSize(string path)
        {
            using var codec = Open(path);
            CheckMaskFormat(codec, path);
            return (codec.Info.Width, codec.Info.Height);
        }

        private static void CheckMaskFormat(SKCodec codec, string path)
        {
            // Skia reports 1-, 2-, 4- and 16-bit grey PNGs as 8-bit grey too (scaled, or the high byte), which would
            // change the class indices: the bit depth is read from the PNG header itself (IHDR, bytes 24 and 25).
            int bitDepth = -1, colourType = -1;
            if (codec.EncodedFormat == SKEncodedImageFormat.Png)
            {
                Span<byte> header = stackalloc byte[26];
                using var file = File.OpenRead(path);
                if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length)
                    (bitDepth, colourType) = (header[24], header[25]);
            }
            if (colourType == 0 && bitDepth != 8)
                throw new InvalidDataException(
                    $"{path}: a mask must be an 8-bit greyscale PNG holding one class index per pixel, but this is a {bitDepth}-bit greyscale PNG. " +
                    "Save the class indices as 8-bit (PIL: Image.fromarray(indices.astype(numpy.uint8)).save(path)).");
            if (codec.EncodedFormat != SKEncodedImageFormat.Png || codec.Info.ColorType != SKColorType.Gray8 || colourType != 0)
                throw new InvalidDataException(
                    $"{path}: a mask must be an 8-bit greyscale PNG holding one class index per pixel, but this is a {Describe(codec)}. " +
                    "Save the class indices as a single-channel 8-bit PNG (PIL: Image.fromarray(indices.astype(numpy.uint8)).save(path); " +
                    "a palette PNG such as Pascal VOC's converts with Image.fromarray(numpy.array(Image.open(path))).");
        }

        private static string Describe(SKCodec codec)
        {
            string format = codec.EncodedFormat.ToString().ToUpperInvariant();
            string colour = codec.Info.ColorType switch
            {
                SKColorType.Gray8 => "8-bit grey",
                SKColorType.Rgba8888 or SKColorType.Bgra8888 => "8-bit colour or palette",
                SKColorType.Rgb888x => "8-bit colour",
                SKColorType.RgbaF16 or SKColorType.Rgba16161616 or SKColorType.Alpha16 or SKColorType.Rg1616 => "16-bit",
                var other => other.ToString(),
            };
            return $"{colour} {format} image";
        }

        private static SKCodec Open(string path)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: image file not found.", path);
            if (new FileInfo(path).Length == 0)
                throw new InvalidDataException($"{path}: the image file is empty (0 bytes); replace it with a readable image or remove it.");
            var codec = SKCodec.Create(path, out var result);
            if (codec is null && result == SKCodecResult.IncompleteInput)
                throw new InvalidDataException($"{path}: the image is truncated (the file ends inside its header); the copy is incomplete. Copy or download it again, or remove it.");
            if (codec is null)
                throw new InvalidDataException(
                    $"{path}: unreadable image: the content is not a JPEG, PNG, BMP or WebP image the decoder recognises. Replace or remove the file.");
            return codec;
        }

        private static byte[] Pixels(SKCodec codec, string path, SKColorType colorType, int bytesPerPixel)
        {
            var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, colorType, SKAlphaType.Unpremul);
            var pixels = new byte[(long)info.Width * info.Height * bytesPerPixel];
            var pin = GCHandle.Alloc(pixels, GCHandleType.Pinned);
            SKCodecResult result;
            try { result = codec.GetPixels(info, pin.AddrOfPinnedObject()); }
            finally { pin.Free(); }
            if (result == SKCodecResult.IncompleteInput)
                throw new InvalidDataException(
                    $"{path}: the image is truncated (the file ends before all its pixels, {info.Width}x{info.Height}, are decoded); the copy is incomplete. Copy or download it again, or remove it.");
            if (result != SKCodecResult.Success)
                throw new InvalidDataException(
                    $"{path}: unreadable image ({Reason(result)}); the file is corrupt or not a JPEG, PNG, BMP or WebP image. Replace or remove the file.");
            return pixels;
        }

        private static string Reason(SKCodecResult result) => result switch
        {
            SKCodecResult.IncompleteInput => "the file is truncated",
            SKCodecResult.ErrorInInput => "the data is corrupt",
            SKCodecResult.Unimplemented => "an image format or variant the decoder does not support",
            SKCodecResult.InvalidInput => "the data is not an image the decoder recognises",
            _ => "decoder result " + result,
        };
    }
}
