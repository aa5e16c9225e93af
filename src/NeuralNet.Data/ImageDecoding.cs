using SkiaSharp;

namespace NeuralNet.Data;

/// <summary>
/// Decodes an image file with SkiaSharp into 8-bit channels-last pixels of the requested colour mode: unpremultiplied
/// RGBA first (so colours under transparency are kept, as TensorFlow's decoders keep them), then the channels chosen.
/// </summary>
internal static class ImageDecoding
{
    /// <summary>The largest image decoded, in pixels (a header can claim any size; this bounds memory per image).</summary>
    public const long MaxPixels = 1L << 28;

    /// <summary>Decodes <paramref name="path"/> (the first frame of an animation).</summary>
    /// <exception cref="IOException">The file cannot be read (<see cref="FileNotFoundException"/> when it is gone); the message names it.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read; the message names it.</exception>
    /// <exception cref="InvalidDataException">The file is not an image SkiaSharp can decode, is truncated or damaged, or is too large.</exception>
    public static (byte[] Pixels, int Height, int Width) Decode(string path, ImageColorMode mode)
    {
        // Read here rather than by SKCodec.Create(path), which answers null for a file it cannot open, as for one it
        // cannot decode: a missing or unreadable file is an I/O error, not a decoding one.
        byte[] file = File.ReadAllBytes(path);
        using SKCodec? codec = SKCodec.Create(new MemoryStream(file, writable: false), out SKCodecResult created);
        if (codec is null)
        {
            throw new InvalidDataException($"Cannot decode the image '{path}' ({created}); expected a PNG, JPEG, BMP or GIF file.");
        }

        int width = codec.Info.Width;
        int height = codec.Info.Height;
        if (width < 1 || height < 1 || (long)width * height > MaxPixels)
        {
            throw new InvalidDataException($"The image '{path}' claims {width} x {height} pixels; expected between 1 and {MaxPixels} pixels.");
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        SKCodecResult result = codec.GetPixels(info, out byte[] rgba);
        if (result != SKCodecResult.Success)
        {
            throw new InvalidDataException($"Cannot decode the image '{path}' ({result}); the file is truncated or damaged.");
        }

        return (ToChannels(rgba, mode), height, width);
    }

    /// <summary>Converts RGBA pixels to the channels of <paramref name="mode"/> (a new array, or the input for RGBA).</summary>
    internal static byte[] ToChannels(byte[] rgba, ImageColorMode mode)
    {
        int pixels = rgba.Length / 4;
        switch (mode)
        {
            case ImageColorMode.Rgba:
                return rgba;
            case ImageColorMode.Rgb:
                {
                    byte[] rgb = new byte[pixels * 3];
                    for (int i = 0; i < pixels; i++)
                    {
                        rgb[(i * 3) + 0] = rgba[(i * 4) + 0];
                        rgb[(i * 3) + 1] = rgba[(i * 4) + 1];
                        rgb[(i * 3) + 2] = rgba[(i * 4) + 2];
                    }

                    return rgb;
                }

            default:
                {
                    byte[] gray = new byte[pixels];
                    for (int i = 0; i < pixels; i++)
                    {
                        gray[i] = Luma(rgba[i * 4], rgba[(i * 4) + 1], rgba[(i * 4) + 2]);
                    }

                    return gray;
                }
        }
    }

    /// <summary>
    /// ITU-R 601 luma in PIL's fixed-point form (<c>convert("L")</c>): weights 19595, 38470 and 7471 out of 65536, rounded.
    /// A grey pixel keeps its value exactly.
    /// </summary>
    internal static byte Luma(byte red, byte green, byte blue) =>
        (byte)(((red * 19595) + (green * 38470) + (blue * 7471) + 0x8000) >> 16);
}
