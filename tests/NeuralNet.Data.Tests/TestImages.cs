using SkiaSharp;

namespace NeuralNet.Data.Tests;

/// <summary>Writes small test images with SkiaSharp: pixels given as unpremultiplied RGBA bytes, row by row.</summary>
internal static class TestImages
{
    /// <summary>Writes an RGBA image (height x width x 4 bytes) as PNG or JPEG.</summary>
    public static string Write(string path, byte[] rgba, int height, int width, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 100)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        rgba.CopyTo(bitmap.GetPixelSpan());
        using SKData data = bitmap.Encode(format, quality);
        using FileStream file = File.Create(path);
        data.SaveTo(file);
        return path;
    }

    /// <summary>An opaque grey image whose pixel (y, x) is <paramref name="values"/>[y, x].</summary>
    public static string WriteGray(string path, byte[,] values)
    {
        int height = values.GetLength(0);
        int width = values.GetLength(1);
        byte[] rgba = new byte[height * width * 4];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = ((y * width) + x) * 4;
                rgba[i] = rgba[i + 1] = rgba[i + 2] = values[y, x];
                rgba[i + 3] = 255;
            }
        }

        return Write(path, rgba, height, width);
    }

    /// <summary>A one-colour opaque image.</summary>
    public static string WriteSolid(string path, byte red, byte green, byte blue, int size = 4, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        byte[] rgba = new byte[size * size * 4];
        for (int i = 0; i < rgba.Length; i += 4)
        {
            (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]) = (red, green, blue, 255);
        }

        return Write(path, rgba, size, size, format, quality: 95);
    }
}
