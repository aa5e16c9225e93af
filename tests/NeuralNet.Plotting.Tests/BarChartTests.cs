using ScottPlot;
using SkiaSharp;
using Xunit;

namespace NeuralNet.Plotting.Tests;

public sealed class BarChartTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static readonly string[] s_models = ["hidden 216", "hidden 512", "hidden 1024"];

    [Fact]
    public void Save_ParametersPerModel_WritesPng()
    {
        string path = _folder.File("e3.2", "parameters.png");

        BarChart.Save(path, s_models, [171_826, 407_050, 814_090], "parameters per model", "parameters");

        (int width, int height) = Png.ReadSize(path);
        Assert.InRange(width, 720, 2400);
        Assert.Equal(Figure.TitleBandHeight + 560, height);
        Png.AssertOnlyFile(_folder.Root, path);
    }

    [Fact]
    public void Save_NegativeValuesLongLabelsAndFormat_WritesPng()
    {
        string path = _folder.File("optimizers.png");

        BarChart.Save(path, ["SGD (lr 0.01) with momentum 0.9", "Adam", "RMSprop"], [0.9251, -0.05, 0.975], "optimizers", "test accuracy", "0.00%");

        Assert.Equal(Figure.TitleBandHeight + 560, Png.ReadSize(path).Height);
    }

    [Fact]
    public void SaveGrouped_TwoSeriesPerOptimizer_IsWiderThanOneSeries()
    {
        string[] labels = ["rmsprop 2", "rmsprop 15", "sgd 2", "sgd 15", "adam 2", "adam 15"];
        var series = new Dictionary<string, IReadOnlyList<double>>
        {
            ["training"] = [0.9796, 0.99975, 0.8851, 0.9357, 0.9785, 0.99968],
            ["test"] = [0.9717, 0.9825, 0.8926, 0.9354, 0.9715, 0.9824],
        };
        string grouped = _folder.File("grouped.png");
        string single = _folder.File("single.png");

        BarChart.SaveGrouped(grouped, labels, series, "E4.2", "accuracy");
        BarChart.Save(single, labels, series["test"], "E4.2", "accuracy");

        Assert.True(Png.ReadSize(grouped).Width > Png.ReadSize(single).Width);
    }

    [Theory]
    [InlineData("test", true)] // SaveGrouped with one series: docs promise a legend naming the series
    [InlineData("", false)]    // Save: one unnamed series, no legend
    public void CreatePlot_OneSeries_HasALegendExactlyWhenNamed(string name, bool legend)
    {
        (Plot plot, int width) = BarChart.CreatePlot(["a", "b", "c"], [(name, [0.97, 0.98, 0.99])], "accuracy", null);

        using SKBitmap bitmap = Png.Render(plot, width, BarChart.Height);

        // The legend sits right of the data area: its swatch is the only bar-coloured thing there.
        PixelRect data = plot.LastRender.DataRect;
        int swatch = Png.CountNear(bitmap, Figure.SeriesColor(0), data.Right + 2, width - 1, 0, BarChart.Height - 1, tolerance: 10);
        Assert.Equal(legend, swatch > 20);
    }

    [Fact]
    public void Save_LabelAndValueCountsDiffer_ThrowsNamingBothCounts()
    {
        var ex = Assert.Throws<ArgumentException>(() => BarChart.Save(_folder.File("x.png"), s_models, [1.0, 2.0], "t", "y"));

        Assert.Contains("3 labels", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2 values", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.File("x.png")));
    }

    [Fact]
    public void Save_BadInputs_Throw()
    {
        string path = _folder.File("x.png");
        Assert.Throws<ArgumentNullException>(() => BarChart.Save(path, null!, [1.0], "t", "y"));
        Assert.Throws<ArgumentNullException>(() => BarChart.Save(path, ["a"], null!, "t", "y"));
        Assert.Throws<ArgumentNullException>(() => BarChart.Save(path, ["a"], [1.0], null!, "y"));
        Assert.Throws<ArgumentNullException>(() => BarChart.Save(path, ["a"], [1.0], "t", null!));
        Assert.Throws<ArgumentException>(() => BarChart.Save(path, [], [], "t", "y"));
        Assert.Throws<ArgumentException>(() => BarChart.Save(path, ["a", ""], [1.0, 2.0], "t", "y"));
        Assert.Throws<ArgumentException>(() => BarChart.Save(path, ["a"], [double.NaN], "t", "y"));
        Assert.Throws<ArgumentException>(() => BarChart.Save(_folder.File("x.svg"), ["a"], [1.0], "t", "y"));
    }

    [Fact]
    public void SaveGrouped_SeriesLengthDiffersFromLabels_ThrowsNamingTheSeries()
    {
        var series = new Dictionary<string, IReadOnlyList<double>> { ["training"] = [1, 2, 3], ["test"] = [1, 2] };

        var ex = Assert.Throws<ArgumentException>(() => BarChart.SaveGrouped(_folder.File("x.png"), s_models, series, "t", "y"));

        Assert.Contains("'test'", ex.Message, StringComparison.Ordinal);
        Assert.Equal("series", ex.ParamName);
    }

    [Fact]
    public void SaveGrouped_BadInputs_Throw()
    {
        string path = _folder.File("x.png");
        Assert.Throws<ArgumentNullException>(() => BarChart.SaveGrouped(path, s_models, null!, "t", "y"));
        Assert.Throws<ArgumentException>(() => BarChart.SaveGrouped(path, s_models, new Dictionary<string, IReadOnlyList<double>>(), "t", "y"));
        Assert.Throws<ArgumentException>(() => BarChart.SaveGrouped(path, s_models, new Dictionary<string, IReadOnlyList<double>> { ["a"] = [1, double.PositiveInfinity, 3] }, "t", "y"));
    }

    [Theory]
    [InlineData(407_050.0, null, "407,050")]
    [InlineData(0.97501, null, "0.975")]
    [InlineData(0.00002, null, "2E-05")]
    [InlineData(1.07, null, "1.07")]
    [InlineData(0.9751, "0.0%", "97.5%")]
    public void FormatValue_PicksReadableText(double value, string? format, string expected)
    {
        Assert.Equal(expected, Figure.FormatValue(value, format));
    }
}
