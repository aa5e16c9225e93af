using System.Buffers.Binary;
using SkiaSharp;
using Xunit;

namespace NeuralNet.Plotting.Tests;

/// <summary>Reads what a test needs from a PNG file: the signature, the IHDR size, and decoded pixels.</summary>
internal static class Png
{
    private static readonly byte[] s_signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Asserts the file is a PNG (signature, then an IHDR chunk first) and returns its width and height.</summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        Assert.True(System.IO.File.Exists(path), $"{path} was not written");
        byte[] bytes = System.IO.File.ReadAllBytes(path);
        Assert.True(bytes.Length > 33, $"{path} is only {bytes.Length} bytes");
        Assert.Equal(s_signature, bytes[..8]);
        Assert.Equal(13u, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(8, 4)));
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        int width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4));
        int height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4));
        Assert.InRange(width, 1, 10_000);
        Assert.InRange(height, 1, 10_000);
        return (width, height);
    }

    /// <summary>Counts pixels matching <paramref name="predicate"/> in the decoded image.</summary>
    public static int CountPixels(string path, Func<SKColor, bool> predicate)
    {
        using SKBitmap bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        int count = 0;
        for (int y = 0; y < bitmap.Height; y++)
        {
            for (int x = 0; x < bitmap.Width; x++)
            {
                if (predicate(bitmap.GetPixel(x, y)))
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Counts pixels whose position and colour match <paramref name="predicate"/> (x, y, colour).</summary>
    public static int CountPixels(string path, Func<int, int, SKColor, bool> predicate)
    {
        using SKBitmap bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        int count = 0;
        for (int y = 0; y < bitmap.Height; y++)
        {
            for (int x = 0; x < bitmap.Width; x++)
            {
                if (predicate(x, y, bitmap.GetPixel(x, y)))
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Counts the pixels of <paramref name="bitmap"/> within [x0, x1] x [y0, y1] close to <paramref name="target"/>.</summary>
    public static int CountNear(SKBitmap bitmap, ScottPlot.Color target, float x0, float x1, float y0, float y1, int tolerance = 40)
    {
        int count = 0;
        for (int y = Math.Max(0, (int)Math.Floor(Math.Min(y0, y1))); y <= Math.Min(bitmap.Height - 1, (int)Math.Ceiling(Math.Max(y0, y1))); y++)
        {
            for (int x = Math.Max(0, (int)Math.Floor(Math.Min(x0, x1))); x <= Math.Min(bitmap.Width - 1, (int)Math.Ceiling(Math.Max(x0, x1))); x++)
            {
                if (IsNear(bitmap.GetPixel(x, y), target, tolerance))
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Whether <paramref name="c"/> is within <paramref name="tolerance"/> of <paramref name="target"/> in every channel.</summary>
    public static bool IsNear(SKColor c, ScottPlot.Color target, int tolerance = 40) =>
        Math.Abs(c.Red - target.R) <= tolerance && Math.Abs(c.Green - target.G) <= tolerance && Math.Abs(c.Blue - target.B) <= tolerance;

    /// <summary>Renders one panel as the charts do (no title band) and decodes the PNG.</summary>
    public static SKBitmap Render(ScottPlot.Plot plot, int width, int height)
    {
        byte[] png = Figure.RenderPanels(string.Empty, [plot], columns: 1, width, height);
        SKBitmap bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        return bitmap;
    }

    /// <summary>
    /// Renders <paramref name="plot"/> and returns the box its inside legend covers (with its shadow) as ScottPlot lays it
    /// out, or null when no legend is drawn inside the data area.
    /// </summary>
    public static ScottPlot.PixelRect? InsideLegendBox(ScottPlot.Plot plot, int width, int height)
    {
        using SKBitmap _ = Render(plot, width, height);
        if (!plot.Legend.IsVisible || plot.Legend.GetItems().Length == 0)
        {
            return null;
        }

        ScottPlot.PixelSize size = plot.Legend.LastRenderSize;
        ScottPlot.PixelRect box = new ScottPlot.PixelRect(0, size.Width, size.Height, 0)
            .AlignedInside(plot.LastRender.DataRect.Contract(plot.Legend.Margin), plot.Legend.Alignment);
        return new ScottPlot.PixelRect(box.Left, box.Right + plot.Legend.ShadowOffset.X, box.Bottom + plot.Legend.ShadowOffset.Y, box.Top);
    }

    /// <summary>
    /// Counts the pixels of the first <paramref name="seriesCount"/> series colours that the inside legend of
    /// <paramref name="plot"/> would hide: inside its box, in the picture drawn without it. Zero when there is no inside
    /// legend.
    /// </summary>
    public static int SeriesPixelsUnderLegend(ScottPlot.Plot plot, int width, int height, int seriesCount)
    {
        ScottPlot.PixelRect? box = InsideLegendBox(plot, width, height);
        if (box is not ScottPlot.PixelRect b)
        {
            return 0;
        }

        plot.Legend.IsVisible = false;
        try
        {
            using SKBitmap bitmap = Render(plot, width, height);
            int count = 0;
            for (int s = 0; s < seriesCount; s++)
            {
                count += CountNear(bitmap, Figure.SeriesColor(s), b.Left, b.Right, b.Top, b.Bottom, tolerance: 30);
            }

            return count;
        }
        finally
        {
            plot.Legend.IsVisible = true;
        }
    }

    /// <summary>The colour at one pixel.</summary>
    public static SKColor PixelAt(string path, int x, int y)
    {
        using SKBitmap bitmap = SKBitmap.Decode(path);
        return bitmap.GetPixel(x, y);
    }

    /// <summary>Strongly red pixels (the colour of wrong-prediction captions).</summary>
    public static bool IsRed(SKColor c) => c.Red > 180 && c.Green < 90 && c.Blue < 90;

    /// <summary>
    /// Asserts that <paramref name="folder"/>, sub-folders and hidden files included, holds <paramref name="path"/> and no
    /// other file: the write left nothing behind, whatever a temporary file would be called.
    /// </summary>
    public static void AssertOnlyFile(string folder, string path) =>
        Assert.Equal([Path.GetFullPath(path)], Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(Path.GetFullPath));

    /// <summary>Counts the pixels of <paramref name="path"/> near <paramref name="color"/> with x in [x0, x1).</summary>
    public static int CountColumnsNear(string path, ScottPlot.Color color, int x0, int x1, int tolerance = 30) =>
        CountPixels(path, (x, _, c) => x >= x0 && x < x1 && IsNear(c, color, tolerance));
}
