using ScottPlot;
using SkiaSharp;
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
        Png.AssertOnlyFile(_folder.Root, path);
        for (int s = 0; s < 3; s++)
        {
            Assert.True(Png.CountPixels(path, c => Png.IsNear(c, Figure.SeriesColor(s), 30)) > 300, $"curve {s} is missing");
        }
    }

    [Fact]
    public void Save_LongSeriesWithInfinity_WritesPng()
    {
        double[] values = Enumerable.Range(0, 200).Select(i => 1.0 / (i + 1)).ToArray();
        values[50] = double.PositiveInfinity;
        string path = _folder.File("long.png");

        LineComparison.Save(path, new Dictionary<string, IReadOnlyList<double>> { ["1/x"] = values }, string.Empty, "step", "value");

        Assert.Equal((900, 560), Png.ReadSize(path));
        Assert.True(Png.CountPixels(path, c => Png.IsNear(c, Figure.SeriesColor(0), 30)) > 1000, "the curve is missing");
    }

    [Fact]
    public void CreatePlot_NaNGap_DrawsNoSegmentAcrossIt()
    {
        // matplotlib breaks a line at NaN; bridging epochs 4..6 would draw a segment from (3, 3) to (7, 7).
        var series = new Dictionary<string, IReadOnlyList<double>> { ["run"] = [1, 2, 3, double.NaN, double.NaN, double.NaN, 7, 8, 9] };
        Plot plot = LineComparison.CreatePlot(series, "epoch", "value");

        using SKBitmap bitmap = Png.Render(plot, LineComparison.Width, LineComparison.Height);

        PixelRect data = plot.LastRender.DataRect;
        Pixel left = plot.GetPixel(new Coordinates(3.6, 0));
        Pixel right = plot.GetPixel(new Coordinates(6.4, 0));
        Pixel before = plot.GetPixel(new Coordinates(2.5, 0));
        Assert.Equal(0, Png.CountNear(bitmap, Figure.SeriesColor(0), left.X, right.X, data.Top, data.Bottom));
        Assert.True(Png.CountNear(bitmap, Figure.SeriesColor(0), before.X - 5, before.X + 5, data.Top, data.Bottom) > 10, "the line before the gap is missing");
    }

    [Fact]
    public void CreatePlot_IsolatedPointInLongSeries_HasAMarker()
    {
        // Over 40 values markers are off; a single finite value between NaNs would then draw nothing.
        double[] values = Enumerable.Range(0, 60).Select(i => i is >= 20 and < 40 ? double.NaN : 1.0).ToArray();
        values[30] = 1.05;
        Plot plot = LineComparison.CreatePlot(new Dictionary<string, IReadOnlyList<double>> { ["run"] = values }, "epoch", "value");

        using SKBitmap bitmap = Png.Render(plot, LineComparison.Width, LineComparison.Height);

        Pixel point = plot.GetPixel(new Coordinates(31, 1.05));
        Pixel gap = plot.GetPixel(new Coordinates(26, 1.0));
        Assert.True(Png.CountNear(bitmap, Figure.SeriesColor(0), point.X - 6, point.X + 6, point.Y - 6, point.Y + 6) > 20, "the isolated point is not drawn");
        Assert.Equal(0, Png.CountNear(bitmap, Figure.SeriesColor(0), gap.X - 6, gap.X + 6, gap.Y - 6, gap.Y + 6));
    }

    [Fact]
    public void CreatePlot_SeriesWithGap_HasOneLegendEntry()
    {
        var series = new Dictionary<string, IReadOnlyList<double>> { ["a"] = [1, double.NaN, 3, 4, double.NaN, 6], ["b"] = [2, 2, 2] };

        Plot plot = LineComparison.CreatePlot(series, "epoch", "value");

        Assert.Equal(["a", "b"], plot.Legend.GetItems().Select(i => i.LabelText));
    }

    [Fact]
    public void CreatePlot_Legend_HidesNoData()
    {
        Plot plot = LineComparison.CreatePlot(Curves(), "epoch", "loss / loss at epoch 1");

        Assert.Equal(0, Png.SeriesPixelsUnderLegend(plot, LineComparison.Width, LineComparison.Height, seriesCount: 3));
        Assert.True(plot.Legend.IsVisible, "the legend should fit inside, away from the curves");
    }

    [Fact]
    public void Covers_SegmentThroughBoxWithNoPointInside_Counts()
    {
        var box = new PixelRect(10, 20, 20, 10);

        Assert.True(LegendPlacement.Covers(box, [[new Pixel(0, 15), new Pixel(30, 15)]]));
        Assert.True(LegendPlacement.Covers(box, [[new Pixel(0, 0), new Pixel(15, 15)]]));
        Assert.False(LegendPlacement.Covers(box, [[new Pixel(0, 0), new Pixel(30, 5)]]));
        Assert.False(LegendPlacement.Covers(box, [[new Pixel(0, 30), new Pixel(30, 25)], [new Pixel(25, 0)]]));
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
