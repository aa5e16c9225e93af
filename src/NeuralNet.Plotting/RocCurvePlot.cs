using System.Globalization;
using ScottPlot;

namespace NeuralNet.Plotting;

/// <summary>A receiver operating characteristic (ROC) curve: true positive rate against false positive rate, with the chance diagonal.</summary>
/// <example><c>var (fpr, tpr) = auc.RocCurve(); RocCurvePlot.Save("roc.png", fpr, tpr, "digit 3 against the rest", auc.Result());</c></example>
public static class RocCurvePlot
{
    /// <summary>Width and height of the picture below the title band, in pixels.</summary>
    internal const int Size = 640;

    /// <summary>Saves the curve through the points (<paramref name="falsePositiveRates"/>[i], <paramref name="truePositiveRates"/>[i]) as a PNG.</summary>
    /// <param name="path">The .png file to write; its folder is created if needed and the file is replaced atomically.</param>
    /// <param name="falsePositiveRates">The x coordinates, in [0, 1].</param>
    /// <param name="truePositiveRates">The y coordinates, in [0, 1], one per x coordinate.</param>
    /// <param name="title">Figure title; an empty string draws none.</param>
    /// <param name="area">The area under the curve to show in the legend, or null.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The path does not end with ".png", the lists differ in length or are empty, or a rate is outside [0, 1].</exception>
    /// <exception cref="InvalidOperationException">No font is installed (on Linux: none under /usr/share/fonts); nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Save(string path, IReadOnlyList<double> falsePositiveRates, IReadOnlyList<double> truePositiveRates, string title, double? area = null)
    {
        PngFile.ValidatePath(path);
        ArgumentNullException.ThrowIfNull(falsePositiveRates);
        ArgumentNullException.ThrowIfNull(truePositiveRates);
        Check.Title(title);
        if (falsePositiveRates.Count == 0 || falsePositiveRates.Count != truePositiveRates.Count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"A ROC curve needs as many true positive rates as false positive rates, at least one; got {falsePositiveRates.Count} and {truePositiveRates.Count}."), nameof(truePositiveRates));
        }

        for (int i = 0; i < falsePositiveRates.Count; i++)
        {
            if (!(falsePositiveRates[i] is >= 0 and <= 1) || !(truePositiveRates[i] is >= 0 and <= 1))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Point {i} is ({falsePositiveRates[i]}, {truePositiveRates[i]}); rates must be in [0, 1]."), nameof(falsePositiveRates));
            }
        }

        Plot plot = CreatePlot(falsePositiveRates, truePositiveRates, area);
        byte[] png = Figure.RenderPanels(title, [plot], columns: 1, Size, Size);
        PngFile.WriteAtomically(path, png);
    }

    /// <summary>The plot <see cref="Save"/> renders, <see cref="Size"/> pixels square under the title band.</summary>
    internal static Plot CreatePlot(IReadOnlyList<double> falsePositiveRates, IReadOnlyList<double> truePositiveRates, double? area)
    {
        Plot plot = Figure.CreatePanel(string.Empty, "false positive rate", "true positive rate");
        ScottPlot.Plottables.Scatter chance = plot.Add.Scatter(new double[] { 0, 1 }, new double[] { 0, 1 }, Colors.Gray);
        chance.LinePattern = LinePattern.Dashed;
        chance.MarkerSize = 0;
        chance.LegendText = "chance";
        ScottPlot.Plottables.Scatter curve = plot.Add.Scatter(falsePositiveRates.ToArray(), truePositiveRates.ToArray(), Figure.SeriesColor(0));
        curve.LineWidth = 2.5f;
        curve.MarkerSize = 0;
        curve.LegendText = area is double a ? string.Create(CultureInfo.InvariantCulture, $"ROC (AUC {a:0.0000})") : "ROC";
        plot.Axes.SetLimits(-0.01, 1.01, -0.01, 1.01);
        LegendPlacement.Place(plot, Size, Size, first: Alignment.LowerRight);
        return plot;
    }
}
