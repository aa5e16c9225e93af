using ScottPlot;

namespace NeuralNet.Plotting;

/// <summary>Several named curves on one plot, e.g. the normalised loss of models with different activations per epoch.</summary>
public static class LineComparison
{
    /// <summary>Width of the picture in pixels.</summary>
    internal const int Width = 900;

    /// <summary>Height of the picture below the title band, in pixels.</summary>
    internal const int Height = 560;

    /// <summary>
    /// Saves the curves of <paramref name="series"/> on one plot as a PNG, with a legend naming each series. Value i of a
    /// series is drawn at x = i + 1 (epochs count from 1); series may differ in length. A NaN or infinite value breaks its line (no segment is drawn across it).
    /// </summary>
    /// <param name="path">The .png file to write; its folder is created if needed and the file is replaced atomically.</param>
    /// <param name="series">Values by series name (the legend text), drawn in dictionary order.</param>
    /// <param name="title">Figure title; an empty string draws none.</param>
    /// <param name="xLabel">Label of the x axis, e.g. "epoch".</param>
    /// <param name="yLabel">Label of the y axis, e.g. "loss / initial loss".</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The path does not end with ".png", there are no series, a name is blank, or a series is null or empty.</exception>
    /// <exception cref="InvalidOperationException">No font is installed (on Linux: none under /usr/share/fonts); nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, IReadOnlyList<double>> series, string title, string xLabel, string yLabel)
    {
        PngFile.ValidatePath(path);
        Check.Series(series, nameof(series), "series");
        Check.Title(title);
        Check.Label(xLabel, nameof(xLabel));
        Check.Label(yLabel, nameof(yLabel));

        Plot plot = CreatePlot(series, xLabel, yLabel);
        byte[] png = Figure.RenderPanels(title, [plot], columns: 1, Width, Height);
        PngFile.WriteAtomically(path, png);
    }

    /// <summary>The plot <see cref="Save"/> renders (at <see cref="Width"/> x <see cref="Height"/> under the title band).</summary>
    internal static Plot CreatePlot(IReadOnlyDictionary<string, IReadOnlyList<double>> series, string xLabel, string yLabel)
    {
        Plot plot = Figure.CreatePanel(string.Empty, xLabel, yLabel);
        LineSeries.UseIntegerXTicks(plot);
        int index = 0;
        int points = 0;
        foreach (KeyValuePair<string, IReadOnlyList<double>> pair in series)
        {
            points += LineSeries.Add(plot, pair.Value, epochs: null, pair.Key, index++);
        }

        if (points == 0)
        {
            LineSeries.AddEmptyNote(plot, "no finite values");
        }
        else
        {
            LineSeries.FitFlatY(plot, series.Values);
            LineSeries.FitEpochsX(plot, series.Values.Select(values => (values, (IReadOnlyList<int>?)null)));
            LegendPlacement.Place(plot, Width, Height);
        }

        return plot;
    }
}
