using System.Globalization;
using Xunit;

namespace NeuralNet.Plotting.Tests;

/// <summary>
/// Every label a chart writes (tick labels, the colour bar's ticks, value labels, the accuracy line) is in the invariant
/// culture: the same picture comes out under de-DE, which writes 0,25 and 10.000.
/// </summary>
public sealed class InvariantCultureTests : IDisposable
{
    private static readonly CultureInfo s_german = CultureInfo.GetCultureInfo("de-DE");
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void TrainingCurves_GermanCulture_SameBytesAsInvariant()
    {
        // Fractional y ticks (0.25) and a thousands-sized x range would both change under de-DE.
        var history = new Dictionary<string, IReadOnlyList<double>>
        {
            ["loss"] = [0.5, 0.25, 0.125, 0.1],
            ["val_loss"] = [0.6, 0.3, 0.2, 0.15],
            ["accuracy"] = [0.81, 0.905, 0.9525, 0.97],
        };

        AssertSameUnderGerman(path => TrainingCurves.Save(path, history, "curves"));
    }

    [Fact]
    public void BarChart_GermanCulture_SameBytesAsInvariant()
    {
        // Value-axis ticks past 1,000 and fractional ones.
        AssertSameUnderGerman(path => BarChart.Save(path, ["a", "b"], [1500.5, 2500], "bars", "value"));
        AssertSameUnderGerman(path => BarChart.Save(path, ["a", "b"], [0.25, 0.75], "bars", "value"));
    }

    [Fact]
    public void ConfusionMatrixPlot_GermanCulture_SameBytesAsInvariant()
    {
        // "accuracy 97.70% of 10,000" and colour bar ticks up to 4,500.
        var matrix = new int[,] { { 4885, 115 }, { 115, 4885 } };

        AssertSameUnderGerman(path => ConfusionMatrixPlot.Save(path, matrix, ["cat", "dog"], "confusion"));

        // No accuracy line for an all-zero matrix: only the colour bar's ticks (0, 0.2, ..., 1) carry numbers.
        AssertSameUnderGerman(path => ConfusionMatrixPlot.Save(path, new int[2, 2], ["cat", "dog"], "confusion"));
    }

    [Fact]
    public void LineComparisonAndRocCurve_GermanCulture_SameBytesAsInvariant()
    {
        var series = new Dictionary<string, IReadOnlyList<double>> { ["a"] = [1, 0.75, 0.5], ["b"] = [1, 0.5, 0.25] };

        AssertSameUnderGerman(path => LineComparison.Save(path, series, "lines", "epoch", "loss"));
        AssertSameUnderGerman(path => RocCurvePlot.Save(path, [1, 0.4, 0.1, 0], [1, 0.95, 0.7, 0], "roc", area: 0.9));
    }

    [Fact]
    public void TickLabel_FollowsScottPlotsRulesInTheInvariantCulture()
    {
        Assert.Equal("10,000", Figure.TickLabel(10_000));
        Assert.Equal("1,234", Figure.TickLabel(1234.5));
        Assert.Equal("0.25", Figure.TickLabel(0.25));
        Assert.Equal("0", Figure.TickLabel(-0.0000000000001));
        Assert.Equal("-3", Figure.TickLabel(-3));
    }

    private void AssertSameUnderGerman(Action<string> save)
    {
        // Without culture data (globalization-invariant mode) de-DE would format like the invariant culture and this
        // test would pass for the wrong reason.
        Assert.Equal("0,25", 0.25.ToString(s_german));

        string invariantPath = _folder.File("invariant.png");
        string germanPath = _folder.File("german.png");
        CultureInfo original = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            save(invariantPath);
            CultureInfo.CurrentCulture = s_german;
            save(germanPath);
        }
        finally
        {
            CultureInfo.CurrentCulture = original;
        }

        Assert.True(File.ReadAllBytes(invariantPath).AsSpan().SequenceEqual(File.ReadAllBytes(germanPath)), "the picture drawn under de-DE differs from the invariant one");
    }
}
