using ScottPlot;

namespace NeuralNet.Plotting;

/// <summary>
/// Bar charts for comparing models: one value per label (<see cref="Save"/>) or several series side by side per label
/// (<see cref="SaveGrouped"/>), each bar with its value written on top.
/// </summary>
public static class BarChart
{
    private const int MinWidth = 720;
    private const int MaxWidth = 2400;
    /// <summary>Height of the picture below the title band, in pixels.</summary>
    internal const int Height = 560;
    private const double GroupWidth = 0.8;

    /// <summary>
    /// Saves a bar chart with one bar per label, its value written above it, e.g. the parameter count of each model.
    /// </summary>
    /// <param name="path">The .png file to write; its folder is created if needed and the file is replaced atomically.</param>
    /// <param name="labels">The category under each bar.</param>
    /// <param name="values">One finite value per label.</param>
    /// <param name="title">Figure title; an empty string draws none.</param>
    /// <param name="yLabel">Label of the value axis, e.g. "parameters".</param>
    /// <param name="valueFormat">
    /// .NET format string for the value labels (e.g. "0.00%", "N0"); null picks one: thousands separators from 1,000 up,
    /// up to four decimals below.
    /// </param>
    /// <exception cref="ArgumentNullException">An argument other than <paramref name="valueFormat"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The path does not end with ".png", there are no labels, a label is blank, the counts of labels and values differ,
    /// or a value is NaN or infinite.
    /// </exception>
    /// <exception cref="InvalidOperationException">No font is installed (on Linux: none under /usr/share/fonts); nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Save(string path, IReadOnlyList<string> labels, IReadOnlyList<double> values, string title, string yLabel, string? valueFormat = null)
    {
        PngFile.ValidatePath(path);
        Check.Names(labels, nameof(labels), "label");
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != labels.Count)
        {
            throw new ArgumentException($"Got {labels.Count} labels but {values.Count} values; expected one value per label.", nameof(values));
        }

        Check.Finite(values, nameof(values), "values");
        Check.Title(title);
        Check.Label(yLabel, nameof(yLabel));

        Render(path, labels, [(string.Empty, values)], title, yLabel, valueFormat);
    }

    /// <summary>
    /// Saves a grouped bar chart: for every label, one bar per series side by side, with a legend naming the series,
    /// e.g. training and test accuracy (series) of each optimizer (labels).
    /// </summary>
    /// <param name="path">The .png file to write; its folder is created if needed and the file is replaced atomically.</param>
    /// <param name="labels">The group names along the x axis.</param>
    /// <param name="series">Values by series name (the legend text), each with one finite value per label, drawn in dictionary order.</param>
    /// <param name="title">Figure title; an empty string draws none.</param>
    /// <param name="yLabel">Label of the value axis, e.g. "accuracy".</param>
    /// <param name="valueFormat">.NET format string for the value labels; null picks one as in <see cref="Save"/>.</param>
    /// <exception cref="ArgumentNullException">An argument other than <paramref name="valueFormat"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The path does not end with ".png", there are no labels or series, a name is blank, a series does not have exactly
    /// one value per label, or a value is NaN or infinite.
    /// </exception>
    /// <exception cref="InvalidOperationException">No font is installed (on Linux: none under /usr/share/fonts); nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void SaveGrouped(string path, IReadOnlyList<string> labels, IReadOnlyDictionary<string, IReadOnlyList<double>> series, string title, string yLabel, string? valueFormat = null)
    {
        PngFile.ValidatePath(path);
        Check.Names(labels, nameof(labels), "label");
        Check.Series(series, nameof(series), "series");
        var all = new List<(string Name, IReadOnlyList<double> Values)>(series.Count);
        foreach (KeyValuePair<string, IReadOnlyList<double>> pair in series)
        {
            if (pair.Value.Count != labels.Count)
            {
                throw new ArgumentException($"The series '{pair.Key}' has {pair.Value.Count} values but there are {labels.Count} labels; expected one value per label.", nameof(series));
            }

            Check.Finite(pair.Value, nameof(series), $"The series '{pair.Key}'");
            all.Add((pair.Key, pair.Value));
        }

        Check.Title(title);
        Check.Label(yLabel, nameof(yLabel));

        Render(path, labels, all, title, yLabel, valueFormat);
    }

    private static void Render(string path, IReadOnlyList<string> labels, List<(string Name, IReadOnlyList<double> Values)> series, string title, string yLabel, string? valueFormat)
    {
        (Plot plot, int width) = CreatePlot(labels, series, yLabel, valueFormat);
        byte[] png = Figure.RenderPanels(title, [plot], columns: 1, width, Height);
        PngFile.WriteAtomically(path, png);
    }

    /// <summary>
    /// The plot <see cref="Save"/> and <see cref="SaveGrouped"/> render and its width (the height is <see cref="Height"/>);
    /// series named "" (from <see cref="Save"/>) get no legend entry.
    /// </summary>
    internal static (Plot Plot, int Width) CreatePlot(IReadOnlyList<string> labels, List<(string Name, IReadOnlyList<double> Values)> series, string yLabel, string? valueFormat)
    {
        int groups = labels.Count;
        int perGroup = series.Count;
        double barWidth = GroupWidth / perGroup;

        // Wide enough that value labels of neighbouring bars do not collide.
        float valueLabelWidth = 0;
        foreach ((string _, IReadOnlyList<double> values) in series)
        {
            foreach (double v in values)
            {
                valueLabelWidth = Math.Max(valueLabelWidth, Figure.MeasureText(Figure.FormatValue(v, valueFormat), Figure.TickFontSize, bold: false));
            }
        }

        int pixelsPerBar = (int)Math.Max(36, valueLabelWidth + 10);
        int width = Math.Clamp((int)(groups * perGroup * pixelsPerBar / GroupWidth) + 200, MinWidth, MaxWidth);

        Plot plot = Figure.CreatePanel(string.Empty, string.Empty, yLabel);
        double min = 0;
        double max = 0;
        for (int s = 0; s < perGroup; s++)
        {
            (string name, IReadOnlyList<double> values) = series[s];
            var bars = new List<Bar>(groups);
            for (int g = 0; g < groups; g++)
            {
                double value = values[g];
                min = Math.Min(min, value);
                max = Math.Max(max, value);
                bars.Add(new Bar
                {
                    Position = g + ((s - ((perGroup - 1) / 2.0)) * barWidth),
                    Value = value,
                    Size = barWidth * 0.92,
                    FillColor = Figure.SeriesColor(s),
                    LineWidth = 0,
                    Label = Figure.FormatValue(value, valueFormat),
                });
            }

            ScottPlot.Plottables.BarPlot barPlot = plot.Add.Bars(bars);
            barPlot.ValueLabelStyle.FontSize = Figure.TickFontSize;
            barPlot.ValueLabelStyle.FontName = Figure.FontName;
            if (name.Length > 0)
            {
                barPlot.LegendText = name;
            }
        }

        double[] positions = Enumerable.Range(0, groups).Select(g => (double)g).ToArray();
        plot.Axes.Bottom.SetTicks(positions, labels.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = Figure.AxisLabelFontSize;
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        RotateLongLabels(plot, labels, width / (double)groups);

        // Bars grow from zero; leave room above (and below, for negatives) for the value labels.
        double span = Math.Max(max - min, Math.Abs(max) + Math.Abs(min));
        span = span > 0 ? span : 1;
        double top = max > 0 ? max + (0.12 * span) : 0.05 * span;
        double bottom = min < 0 ? min - (0.12 * span) : 0;
        plot.Axes.SetLimits(-0.6, groups - 0.4, bottom, top);

        if (series.Exists(s => s.Name.Length > 0))
        {
            // Every grouped chart names its series, even a single one; outside the data area so it never hides a bar or
            // its value label.
            plot.ShowLegend(Edge.Right);
        }

        return (plot, width);
    }

    private static void RotateLongLabels(Plot plot, IReadOnlyList<string> labels, double pixelsPerGroup)
    {
        float widest = labels.Max(l => Figure.MeasureText(l, Figure.AxisLabelFontSize, bold: false));
        if (widest > pixelsPerGroup * 0.9)
        {
            // Slanted up to the left, ending under the bar group.
            plot.Axes.Bottom.TickLabelStyle.Rotation = -30;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            plot.Axes.Bottom.MinimumSize = (widest * 0.5f) + 24;

            // The first label reaches left of its group: widen the left axis panel so it stays on the canvas.
            plot.Axes.Left.MinimumSize = Math.Max(70f, (widest * 0.87f) - (float)(pixelsPerGroup * 0.4));
        }
    }
}
