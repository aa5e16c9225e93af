using Xunit;

namespace NeuralNet.Plotting.Tests;

public sealed class LineComparisonTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static Dictionary<string, IReadOnlyList<double>> Curves() => new()
    {
        ["ReLU"] = [1, 0.42, 0.30, 0.24, 0.2],
        ["sigmoid"] = [1, 0.6, 0.45, 0.37, 0.31],
        ["none"] = [1, 0.8, 0.76],
    };

    [Fact]
    public void Save_ThreeCurvesOfDifferentLengths_WritesPng()
    {
        string path = _folder.File("e3.6", "normalised-loss.png");

        LineComparison.Save(path, Curves(), "normalised loss", "epoch", "loss / loss at epoch 1");

        Assert.Equal((900, Figure.TitleBandHeight + 560), Png.ReadSize(path));
        Png.AssertNoTemporaryFiles(_folder.Root);
    }

    [Fact]
    public void Save_LongSeriesWithInfinity_WritesPng()
    {
        double[] values = Enumerable.Range(0, 200).Select(i => 1.0 / (i + 1)).ToArray();
        values[50] = double.PositiveInfinity;
        string path = _folder.File("long.png");

        LineComparison.Save(path, new Dictionary<string, IReadOnlyList<double>> { ["1/x"] = values }, string.Empty, "step", "value");

        Assert.Equal((900, 560), Png.ReadSize(path));
    }

    [Fact]
    public void Save_NullArguments_Throw()
    {
        string path = _folder.File("x.png");
        Assert.Throws<ArgumentNullException>(() => LineComparison.Save(path, null!, "t", "x", "y"));
        Assert.Throws<ArgumentNullException>(() => LineComparison.Save(path, Curves(), null!, "x", "y"));
        Assert.Throws<ArgumentNullException>(() => LineComparison.Save(path, Curves(), "t", null!, "y"));
        Assert.Throws<ArgumentNullException>(() => LineComparison.Save(path, Curves(), "t", "x", null!));
    }

    [Fact]
    public void Save_NoSeriesOrEmptySeries_ThrowsArgumentException()
    {
        string path = _folder.File("x.png");
        var none = new Dictionary<string, IReadOnlyList<double>>();
        var empty = new Dictionary<string, IReadOnlyList<double>> { ["ReLU"] = [] };
        var blank = new Dictionary<string, IReadOnlyList<double>> { [" "] = [1.0] };

        Assert.Throws<ArgumentException>(() => LineComparison.Save(path, none, "t", "x", "y"));
        var ex = Assert.Throws<ArgumentException>(() => LineComparison.Save(path, empty, "t", "x", "y"));
        Assert.Throws<ArgumentException>(() => LineComparison.Save(path, blank, "t", "x", "y"));

        Assert.Contains("'ReLU'", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }
}
