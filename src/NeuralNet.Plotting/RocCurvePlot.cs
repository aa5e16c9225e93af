using System.Globalization;
using NeuralNet.Training;
using ScottPlot;

namespace NeuralNet.Plotting;

/// <summary>A receiver operating characteristic (ROC) curve: true positive rate against false positive rate, with the chance diagonal.</summary>
/// <example><c>RocCurvePlot.Save("roc.png", auc, "digit 3 against the rest");</c> after <c>Evaluate</c> with an <see cref="Auc"/> metric.</example>
public static class RocCurvePlot
{
    /// <summary>Width and height of the picture below the title band, in pixels.</summary>
    internal const int Size = 640;

    private const double AreaTolerance = 1e-9;

    /// <summary>
    /// Saves the ROC curve of <paramref name="auc"/> (its <see cref="Auc.RocCurve"/> points, over the counts accumulated
    /// since its last reset) as a PNG, with its area (<see cref="Auc.Result"/>) in the legend.
    /// </summary>
    /// <param name="path">The .png file to write; its folder is created if needed and the file is replaced atomically.</param>
    /// <param name="auc">An <see cref="Auc"/> of the ROC curve (<see cref="AucCurve.Roc"/>) that has seen both classes, e.g. after <c>Evaluate</c>.</param>
    /// <param name="title">Figure title; an empty string draws none.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">
    /// The path does not end with ".png"; <paramref name="auc"/> integrates the PR curve (its area is not the ROC curve's),
    /// sums a minoring or majoring bound, is multi-label (one curve per label), or its points make no curve (no sample seen yet).
    /// </exception>
    /// <exception cref="InvalidOperationException">No font is installed (on Linux: none under /usr/share/fonts); nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Save(string path, Auc auc, string title)
    {
        PngFile.ValidatePath(path);
        ArgumentNullException.ThrowIfNull(auc);
        if (auc.Curve != AucCurve.Roc)
        {
            throw new ArgumentException($"The Auc metric integrates the {auc.Curve} curve, so its result is not the area under the ROC curve drawn; use an Auc created with AucCurve.Roc.", nameof(auc));
        }

        if (auc.SummationMethod != AucSummationMethod.Interpolation || auc.MultiLabel)
        {
            throw new ArgumentException(auc.MultiLabel
                ? "The Auc metric counts each label apart (multiLabel), so it has one ROC curve per label; use an Auc without multiLabel."
                : $"The Auc metric sums the {auc.SummationMethod} bound of the area, not the trapezoids of the ROC curve drawn; use an Auc with AucSummationMethod.Interpolation.", nameof(auc));
        }

        Check.Title(title);
        (double[] falsePositiveRates, double[] truePositiveRates) = auc.RocCurve();
        ValidateCurve(falsePositiveRates, truePositiveRates, nameof(auc));

        Write(path, falsePositiveRates, truePositiveRates, title, auc.Result());
    }

    /// <summary>
    /// Saves the curve through the points (<paramref name="falsePositiveRates"/>[i], <paramref name="truePositiveRates"/>[i])
    /// as a PNG. The points go in threshold order, both rates rising together (scikit-learn's <c>roc_curve</c>) or both
    /// falling together (<see cref="Auc.RocCurve"/>).
    /// </summary>
    /// <param name="path">The .png file to write; its folder is created if needed and the file is replaced atomically.</param>
    /// <param name="falsePositiveRates">The x coordinates, in [0, 1].</param>
    /// <param name="truePositiveRates">The y coordinates, in [0, 1], one per x coordinate.</param>
    /// <param name="title">Figure title; an empty string draws none.</param>
    /// <param name="area">
    /// The area under this ROC curve, in [0, 1], to show in the legend (e.g. <see cref="Auc.Result"/> of an
    /// <see cref="Auc"/> of <see cref="AucCurve.Roc"/>, or scikit-learn's <c>roc_auc_score</c>), or null. Not the area of a
    /// precision-recall curve (<see cref="AucCurve.PR"/>): the legend would label it as the ROC curve's.
    /// </param>
    /// <exception cref="ArgumentNullException">An argument other than <paramref name="area"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The path does not end with ".png"; the lists differ in length; there are fewer than two distinct points; a rate is
    /// outside [0, 1] or NaN; the points are not in threshold order (each step must move both rates the same way).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="area"/> is NaN or outside [0, 1].</exception>
    /// <exception cref="InvalidOperationException">No font is installed (on Linux: none under /usr/share/fonts); nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Save(string path, IReadOnlyList<double> falsePositiveRates, IReadOnlyList<double> truePositiveRates, string title, double? area = null)
    {
        PngFile.ValidatePath(path);
        ArgumentNullException.ThrowIfNull(falsePositiveRates);
        ArgumentNullException.ThrowIfNull(truePositiveRates);
        Check.Title(title);
        if (falsePositiveRates.Count != truePositiveRates.Count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"A ROC curve needs as many true positive rates as false positive rates; got {falsePositiveRates.Count} and {truePositiveRates.Count}."), nameof(truePositiveRates));
        }

        ValidateCurve(falsePositiveRates, truePositiveRates, nameof(falsePositiveRates));
        // Auc.Result() sums trapezoids in double precision: allow its last-bit overshoot of 1.
        if (area is double given && !(given is >= -AreaTolerance and <= 1 + AreaTolerance))
        {
            throw new ArgumentOutOfRangeException(nameof(area), given, "The area under a ROC curve is in [0, 1].");
        }

        Write(path, falsePositiveRates, truePositiveRates, title, area);
    }

    /// <summary>
    /// Checks that the points make a ROC curve: rates in [0, 1], at least two distinct points, in threshold order (every step
    /// moves both rates the way the first and last points do, or not at all).
    /// </summary>
    private static void ValidateCurve(IReadOnlyList<double> falsePositiveRates, IReadOnlyList<double> truePositiveRates, string parameterName)
    {
        int count = falsePositiveRates.Count;
        for (int i = 0; i < count; i++)
        {
            if (!(falsePositiveRates[i] is >= 0 and <= 1) || !(truePositiveRates[i] is >= 0 and <= 1))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Point {i} is ({falsePositiveRates[i]}, {truePositiveRates[i]}); rates must be in [0, 1]."), parameterName);
            }
        }

        bool distinct = false;
        for (int i = 1; i < count && !distinct; i++)
        {
            distinct = falsePositiveRates[i] != falsePositiveRates[0] || truePositiveRates[i] != truePositiveRates[0];
        }

        if (!distinct)
        {
            string points = count == 0 ? "no point" : string.Create(CultureInfo.InvariantCulture, $"{count} point(s), all at ({falsePositiveRates[0]}, {truePositiveRates[0]})");
            throw new ArgumentException($"A ROC curve needs at least two distinct points but got {points}; a metric that has seen no samples gives only (0, 0).", parameterName);
        }

        // Lowering the threshold can only add positives: both rates move together, never back.
        int fprDirection = Math.Sign(falsePositiveRates[count - 1] - falsePositiveRates[0]);
        int tprDirection = Math.Sign(truePositiveRates[count - 1] - truePositiveRates[0]);
        if (fprDirection * tprDirection < 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"From the first point ({falsePositiveRates[0]}, {truePositiveRates[0]}) to the last ({falsePositiveRates[count - 1]}, {truePositiveRates[count - 1]}) the rates go opposite ways; on a ROC curve both rise (or both fall) together. Are the lists swapped or one of them reversed?"),
                parameterName);
        }

        int direction = fprDirection != 0 ? fprDirection : tprDirection;
        for (int i = 1; i < count; i++)
        {
            double dx = falsePositiveRates[i] - falsePositiveRates[i - 1];
            double dy = truePositiveRates[i] - truePositiveRates[i - 1];
            if (dx * direction < 0 || dy * direction < 0)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Point {i} ({falsePositiveRates[i]}, {truePositiveRates[i]}) goes back from point {i - 1} ({falsePositiveRates[i - 1]}, {truePositiveRates[i - 1]}): a ROC curve's points go in threshold order, both rates {(direction > 0 ? "rising" : "falling")} from first to last. Sort them by threshold, not by one rate."),
                    parameterName);
            }
        }
    }

    private static void Write(string path, IReadOnlyList<double> falsePositiveRates, IReadOnlyList<double> truePositiveRates, string title, double? area)
    {
        Plot plot = CreatePlot(falsePositiveRates, truePositiveRates, area);
        byte[] png = Figure.RenderPanels(title, [plot], columns: 1, Size, Size);
        PngFile.WriteAtomically(path, png);
    }

    /// <summary>The plot the <c>Save</c> methods render, <see cref="Size"/> pixels square under the title band.</summary>
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
