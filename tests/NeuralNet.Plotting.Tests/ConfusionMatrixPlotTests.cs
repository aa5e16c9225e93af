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
        Png.AssertNoTemporaryFiles(_folder.Root);
    }

    [Fact]
    public void Save_DiagonalMatrix_HasDarkBlueCellsForLargeCounts()
    {
        string path = _folder.File("diag.png");

        ConfusionMatrixPlot.Save(path, new int[,] { { 50, 0 }, { 0, 50 } }, ["cat", "dog"], string.Empty);

        int darkBlue = Png.CountPixels(path, c => c.Blue > 80 && c.Red < 40 && c.Green < 80);
        Assert.True(darkBlue > 1000, $"expected the two full cells in dark blue, found {darkBlue} such pixels");
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
