using Xunit;

namespace NeuralNet.Plotting.Tests;

public sealed class RocCurvePlotTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Save_Curve_WritesPng()
    {
        string path = _folder.File("roc", "roc.png");
        RocCurvePlot.Save(path, [1, 0.4, 0.1, 0], [1, 0.95, 0.7, 0], "digit 3 against the rest", area: 0.93);
        Assert.Equal((640, Figure.TitleBandHeight + 640), Png.ReadSize(path));
        Png.AssertNoTemporaryFiles(_folder.Root);
    }

    [Theory]
    [InlineData(new[] { 1, 0.4, 0.1, 0 }, new[] { 1, 0.95, 0.7, 0 })] // a good classifier: lower right is free
    [InlineData(new[] { 1, 0.95, 0.9, 0 }, new[] { 1, 0.1, 0.05, 0 })] // worse than chance: the curve runs through lower right
    public void CreatePlot_Legend_HidesNoData(double[] fpr, double[] tpr)
    {
        ScottPlot.Plot plot = RocCurvePlot.CreatePlot(fpr, tpr, area: null);

        Assert.Equal(0, Png.SeriesPixelsUnderLegend(plot, RocCurvePlot.Size, RocCurvePlot.Size, seriesCount: 1));
    }

    [Fact]
    public void Save_BadPoints_ThrowNamingThem()
    {
        string path = _folder.File("bad.png");
        Assert.Contains("got 2 and 1", Assert.Throws<ArgumentException>(() => RocCurvePlot.Save(path, [0, 1], [1], "t")).Message);
        Assert.Contains("Point 1 is (1.5, 1)", Assert.Throws<ArgumentException>(() => RocCurvePlot.Save(path, [0, 1.5], [0, 1], "t")).Message);
        Assert.False(File.Exists(path));
    }
}
