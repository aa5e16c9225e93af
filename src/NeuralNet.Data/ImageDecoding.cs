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

        return (ToChannels(rgba, mode, mode == ImageColorMode.Grayscale && IsPlainColourPng(file)), height, width);
    }

    /// <summary>
    /// Whether <paramref name="file"/> is a PNG whose grey values TensorFlow computes with libpng's integer formula
    /// (<see cref="LibpngLuma"/>): colour with 8-bit channels (RGB, RGBA, or a palette of any depth) and none of the
    /// chunks that make libpng convert in linear light instead (gAMA, sRGB; iCCP, which can stand for sRGB).
    /// </summary>
    internal static bool IsPlainColourPng(ReadOnlySpan<byte> file)
    {
        ReadOnlySpan<byte> signature = [137, 80, 78, 71, 13, 10, 26, 10];
        if (!file.StartsWith(signature))
        {
            return false;
        }

        bool colour8 = false;
        long offset = signature.Length;
        while (offset + 8 <= file.Length)
        {
            long length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(file.Slice((int)offset, 4));
            ReadOnlySpan<byte> type = file.Slice((int)offset + 4, 4);
            if (type.SequenceEqual("IHDR"u8))
            {
                if (length < 13 || offset + 8 + 13 > file.Length)
                {
                    return false;
                }

                byte depth = file[(int)offset + 16];
                byte colourType = file[(int)offset + 17];
                colour8 = colourType == 3 || (colourType is 2 or 6 && depth == 8);
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                return colour8;
            }
            else if (type.SequenceEqual("gAMA"u8) || type.SequenceEqual("sRGB"u8) || type.SequenceEqual("iCCP"u8))
            {
                return false;
            }

            offset += 12 + length;
        }

        return false;
    }

    /// <summary>
    /// Converts RGBA pixels to the channels of <paramref name="mode"/> (a new array, or the input for RGBA); grey values
    /// with <see cref="LibpngLuma"/> when <paramref name="libpngGray"/>, otherwise <see cref="Luma"/>.
    /// </summary>
    internal static byte[] ToChannels(byte[] rgba, ImageColorMode mode, bool libpngGray = false)
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
                        (byte red, byte green, byte blue) = (rgba[i * 4], rgba[(i * 4) + 1], rgba[(i * 4) + 2]);
                        gray[i] = libpngGray ? LibpngLuma(red, green, blue) : Luma(red, green, blue);
                    }

                    return gray;
                }
        }
    }

    /// <summary>
    /// ITU-R 601 luma in PIL's fixed-point form (<c>convert("L")</c>, Pillow's <c>rgb2l</c>): weights 19595, 38470 and
    /// 7471 out of 65536, rounded. A grey pixel keeps its value exactly.
    /// </summary>
    internal static byte Luma(byte red, byte green, byte blue) =>
        (byte)(((red * 19595) + (green * 38470) + (blue * 7471) + 0x8000) >> 16);

    /// <summary>
    /// The grey value TensorFlow's PNG decoder gives a colour pixel: it calls libpng's
    /// <c>png_set_rgb_to_gray(png, 1, 0.299, 0.587)</c>, which stores the weights truncated to 15 bits
    /// (29900 x 32768 / 100000 = 9797, 19234, and 32768 - 9797 - 19234 = 3737 for blue), and without gamma
    /// <c>png_do_rgb_to_gray</c> truncates the sum: (10, 200, 30) gives 123 where PIL's rounding gives 124. Checked
    /// against libpng 1.6.39 with TensorFlow's settings, pixel for pixel. A grey pixel keeps its value exactly.
    /// </summary>
    internal static byte LibpngLuma(byte red, byte green, byte blue) =>
        (byte)(((red * 9797) + (green * 19234) + (blue * 3737)) >> 15);
}
