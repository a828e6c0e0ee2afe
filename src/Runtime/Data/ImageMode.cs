namespace Dsl.Runtime.Data
{
    /// <summary>
    /// The channels images are decoded to, chosen explicitly because a network takes either (the command line's
    /// <c>--image-mode rgb|grey</c>). Conversions follow PIL, so a folder reads as torchvision's <c>ImageFolder</c>
    /// reads it with <c>convert("RGB")</c> or <c>convert("L")</c>.
    /// </summary>
    public enum ImageMode
    {
        /// <summary>
        /// Three channels (R, G, B): grey images repeat their one channel; an alpha channel is dropped without
        /// compositing (colour values as stored, unpremultiplied), as PIL's <c>convert("RGB")</c> does.
        /// </summary>
        Rgb,

        /// <summary>
        /// One channel: colour images become L = (R * 19595 + G * 38470 + B * 7471 + 0x8000) &gt;&gt; 16, PIL's
        /// <c>convert("L")</c> (ITU-R 601-2 luma in integers); alpha is ignored.
        /// </summary>
        Grey,
    }
}
