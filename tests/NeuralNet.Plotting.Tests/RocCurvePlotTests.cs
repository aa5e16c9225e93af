using NeuralNet.Training;
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
        Png.AssertOnlyFile(_folder.Root, path);

        // The curve in blue (far more than the legend's swatch), its knee at (0.1, 0.7) in the upper left.
        Assert.True(Png.CountPixels(path, c => Png.IsNear(c, Figure.SeriesColor(0), 30)) > 1000, "the curve is missing");
        Assert.True(Png.CountPixels(path, (x, y, c) => x < 320 && y < Figure.TitleBandHeight + 320 && Png.IsNear(c, Figure.SeriesColor(0), 30)) > 300, "the curve does not rise in the upper left");
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
    public void CreatePlot_ChanceDiagonal_IsDrawnInGrey()
    {
        ScottPlot.Plot plot = RocCurvePlot.CreatePlot([1, 0.4, 0.1, 0], [1, 0.95, 0.7, 0], area: 0.93);

        using SkiaSharp.SKBitmap bitmap = Png.Render(plot, RocCurvePlot.Size, RocCurvePlot.Size);

        // Along the diagonal from (0.2, 0.2) to (0.8, 0.8), away from the curve and the legend: grey dashes.
        int grey = 0;
        for (double t = 0.2; t <= 0.8; t += 0.01)
        {
            ScottPlot.Pixel p = plot.GetPixel(new ScottPlot.Coordinates(t, t));
            grey += Png.CountNear(bitmap, ScottPlot.Colors.Gray, p.X - 1, p.X + 1, p.Y - 1, p.Y + 1, tolerance: 40);
        }

        Assert.True(grey > 25, $"found {grey} grey pixels along the diagonal");
    }

    [Fact]
    public void Save_AscendingPointsAsScikitLearnGivesThem_WritesPng()
    {
        string path = _folder.File("sklearn.png");

        RocCurvePlot.Save(path, [0, 0, 0.1, 0.4, 1], [0, 0.5, 0.7, 0.95, 1], "sklearn order", area: 0.9);

        Assert.Equal((640, Figure.TitleBandHeight + 640), Png.ReadSize(path));
    }

    [Theory]
    [InlineData(new[] { 0.5 }, new[] { 0.7 })]                 // one point: nothing to draw
    [InlineData(new[] { 0.0, 0.0, 0.0 }, new[] { 0.0, 0.0, 0.0 })] // a metric that has seen no sample
    [InlineData(new double[0], new double[0])]
    public void Save_FewerThanTwoDistinctPoints_ThrowsNamingThem(double[] fpr, double[] tpr)
    {
        string path = _folder.File("x.png");

        var ex = Assert.Throws<ArgumentException>(() => RocCurvePlot.Save(path, fpr, tpr, "t"));

        Assert.Equal("falsePositiveRates", ex.ParamName);
        Assert.Contains("at least two distinct points", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData(new[] { 0, 0.5, 0.2, 1 }, new[] { 0, 0.6, 0.7, 1 }, "Point 2 (0.2, 0.7) goes back from point 1 (0.5, 0.6)")] // sorted by TPR only
    [InlineData(new[] { 1, 0.5, 0.0 }, new[] { 0, 0.5, 1.0 }, "the rates go opposite ways")]                                // one list reversed
    [InlineData(new[] { 1, 0.4, 0.6, 0 }, new[] { 1, 0.9, 0.9, 0 }, "both rates falling")]                                    // Keras order, one step back
    public void Save_PointsNotInThresholdOrder_ThrowsNamingThePoint(double[] fpr, double[] tpr, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => RocCurvePlot.Save(_folder.File("x.png"), fpr, tpr, "t"));

        Assert.Equal("falsePositiveRates", ex.ParamName);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(1.5)]
    [InlineData(-0.1)]
    public void Save_AreaOutsideUnitInterval_ThrowsNamingIt(double area)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => RocCurvePlot.Save(_folder.File("x.png"), [1, 0.4, 0], [1, 0.9, 0], "t", area));

        Assert.Equal("area", ex.ParamName);
    }

    [Fact]
    public void Save_AreaOneWithRoundingOvershoot_IsAccepted()
    {
        RocCurvePlot.Save(_folder.File("perfect.png"), [1, 0, 0], [1, 1, 0], "perfect", 1 + 2e-16);

        Assert.True(File.Exists(_folder.File("perfect.png")));
    }

    private static Auc UpdatedAuc(AucCurve curve)
    {
        var auc = new Auc(numThresholds: 50, curve);
        auc.Update(Tensor.FromArray([0.1f, 0.4f, 0.35f, 0.8f, 0.7f, 0.2f], 6, 1), Tensor.FromArray([0, 0, 1, 1, 1, 0], 6, 1));
        return auc;
    }

    [Fact]
    public void Save_RocAuc_DrawsItsCurve()
    {
        string path = _folder.File("auc.png");
        Auc auc = UpdatedAuc(AucCurve.Roc);

        RocCurvePlot.Save(path, auc, "from the metric");

        Assert.Equal((640, Figure.TitleBandHeight + 640), Png.ReadSize(path));
        Assert.True(Png.CountPixels(path, c => Png.IsNear(c, Figure.SeriesColor(0), 30)) > 500, "the curve is missing");
    }

    [Fact]
    public void Save_PrAuc_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => RocCurvePlot.Save(_folder.File("x.png"), UpdatedAuc(AucCurve.PR), "t"));

        Assert.Equal("auc", ex.ParamName);
        Assert.Contains("PR curve", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_AucOfABoundOrPerLabel_ThrowsNamingIt()
    {
        var bound = Assert.Throws<ArgumentException>(() => RocCurvePlot.Save(_folder.File("x.png"), new Auc(summationMethod: AucSummationMethod.Minoring), "t"));
        Assert.Equal("auc", bound.ParamName);
        Assert.Contains("Minoring bound", bound.Message, StringComparison.Ordinal);

        var perLabel = Assert.Throws<ArgumentException>(() => RocCurvePlot.Save(_folder.File("x.png"), new Auc(multiLabel: true), "t"));
        Assert.Contains("one ROC curve per label", perLabel.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.File("x.png")));
    }

    [Fact]
    public void Save_AucWithoutSamples_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => RocCurvePlot.Save(_folder.File("x.png"), new Auc(), "t"));

        Assert.Equal("auc", ex.ParamName);
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
