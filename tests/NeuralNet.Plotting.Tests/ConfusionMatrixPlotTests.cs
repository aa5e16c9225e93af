using Xunit;

namespace NeuralNet.Plotting.Tests;

public sealed class ConfusionMatrixPlotTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static readonly string[] s_digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>A deterministic 10x10 matrix: ~970 on the diagonal, a few confusions off it.</summary>
    private static int[,] DigitMatrix()
    {
        var matrix = new int[10, 10];
        for (int i = 0; i < 10; i++)
        {
            for (int j = 0; j < 10; j++)
            {
                matrix[i, j] = i == j ? 960 + (i * 3) : ((i * 7) + (j * 3)) % 11 == 0 ? (i + j) % 9 : 0;
            }
        }

        return matrix;
    }

    [Fact]
    public void Save_TenDigits_WritesPng()
    {
        string path = _folder.File("e3.10", "confusion.png");

        ConfusionMatrixPlot.Save(path, DigitMatrix(), s_digits, "confusion matrix");

        (int width, int height) = Png.ReadSize(path);
        Assert.InRange(width, 640, 1200);
        Assert.InRange(height, 640, 1200);
        Png.AssertOnlyFile(_folder.Root, path);
    }

    private static bool IsDarkBlue(SkiaSharp.SKColor c) => c.Blue > 80 && c.Red < 40 && c.Green < 80;

    [Fact]
    public void Save_LargeCounts_AreDarkBlueAndZerosAreLight()
    {
        string one = _folder.File("one.png");
        string four = _folder.File("four.png");

        ConfusionMatrixPlot.Save(one, new int[,] { { 50, 0 }, { 0, 0 } }, ["cat", "dog"], string.Empty);
        ConfusionMatrixPlot.Save(four, new int[,] { { 50, 50 }, { 50, 50 } }, ["cat", "dog"], string.Empty);

        // Same colour bar in both; one dark cell against four.
        int darkInOne = Png.CountPixels(one, IsDarkBlue);
        int darkInFour = Png.CountPixels(four, IsDarkBlue);
        Assert.True(darkInOne > 1000, $"expected the full cell in dark blue, found {darkInOne} such pixels");
        Assert.True(darkInFour > 2 * darkInOne, $"four full cells ({darkInFour} dark pixels) vs one ({darkInOne})");
    }

    [Fact]
    public void Save_RowZero_IsDrawnAtTheTop()
    {
        string path = _folder.File("top.png");

        ConfusionMatrixPlot.Save(path, new int[,] { { 50, 0 }, { 0, 0 } }, ["cat", "dog"], string.Empty);

        // The only dark cell is [0, 0]: in the left half of the picture (the colour bar is on the right) its pixels
        // must lie in the upper half.
        (int width, int height) = Png.ReadSize(path);
        using SkiaSharp.SKBitmap bitmap = SkiaSharp.SKBitmap.Decode(path);
        long sumY = 0;
        int count = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width / 2; x++)
            {
                if (IsDarkBlue(bitmap.GetPixel(x, y)))
                {
                    sumY += y;
                    count++;
                }
            }
        }

        Assert.True(count > 1000, $"found only {count} dark pixels in the left half");
        Assert.True(sumY / count < height / 2, $"dark cell centred at y = {sumY / count} of {height}");
    }

    [Fact]
    public void Save_AllZeroAndSingleClass_WritesPng()
    {
        ConfusionMatrixPlot.Save(_folder.File("zero.png"), new int[3, 3], ["a", "b", "c"], "nothing predicted");
        ConfusionMatrixPlot.Save(_folder.File("one.png"), new int[,] { { 7 } }, ["only"], "one class");

        Assert.True(Png.ReadSize(_folder.File("zero.png")).Width > 0);
        Assert.True(Png.ReadSize(_folder.File("one.png")).Width > 0);
    }

    [Fact]
    public void Save_NonSquareMatrix_ThrowsNamingTheShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => ConfusionMatrixPlot.Save(_folder.File("x.png"), new int[10, 9], s_digits, "t"));

        Assert.Contains("10x9", ex.Message, StringComparison.Ordinal);
        Assert.Equal("matrix", ex.ParamName);
    }

    [Fact]
    public void Save_ClassNameCountDiffers_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => ConfusionMatrixPlot.Save(_folder.File("x.png"), DigitMatrix(), ["0", "1"], "t"));

        Assert.Equal("classNames", ex.ParamName);
        Assert.Contains("2 class names", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_NegativeCount_ThrowsNamingTheCell()
    {
        int[,] matrix = DigitMatrix();
        matrix[3, 4] = -1;

        var ex = Assert.Throws<ArgumentException>(() => ConfusionMatrixPlot.Save(_folder.File("x.png"), matrix, s_digits, "t"));

        Assert.Contains("[3, 4]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_TooManyClassesForOnePicture_ThrowsNamingMatrixAndLimit()
    {
        const int Classes = 1200;
        string[] names = Enumerable.Range(0, Classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        string path = _folder.File("big.png");

        var ex = Assert.Throws<ArgumentException>(() => ConfusionMatrixPlot.Save(path, new int[Classes, Classes], names, "t"));

        Assert.Equal("matrix", ex.ParamName);
        Assert.Contains("A 1200-class confusion matrix", ex.Message, StringComparison.Ordinal);
        Assert.Matches(@"at most 11\d\d classes fit", ex.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Save_ClassNameWiderThanAPicture_ThrowsNamingClassNames()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            ConfusionMatrixPlot.Save(_folder.File("x.png"), new int[2, 2], [new string('W', 2000), "b"], "t"));

        Assert.Equal("classNames", ex.ParamName);
        Assert.Contains("shorten the names", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_OtherBadInputs_Throw()
    {
        string path = _folder.File("x.png");
        Assert.Throws<ArgumentNullException>(() => ConfusionMatrixPlot.Save(path, null!, s_digits, "t"));
        Assert.Throws<ArgumentNullException>(() => ConfusionMatrixPlot.Save(path, DigitMatrix(), null!, "t"));
        Assert.Throws<ArgumentNullException>(() => ConfusionMatrixPlot.Save(path, DigitMatrix(), s_digits, null!));
        Assert.Throws<ArgumentException>(() => ConfusionMatrixPlot.Save(path, new int[0, 0], [], "t"));
        Assert.Throws<ArgumentException>(() => ConfusionMatrixPlot.Save(_folder.File("x.bmp"), DigitMatrix(), s_digits, "t"));
        Assert.False(File.Exists(path));
    }
}
