using ScottPlot;

namespace NeuralNet.Plotting;

/// <summary>Adds per-epoch series to a panel: value i at x = epoch i + 1 (1, 2, ... unless told), broken where a value is not finite.</summary>
internal static class LineSeries
{
    /// <summary>Series longer than this are drawn without markers.</summary>
    public const int MarkerLimit = 40;

    /// <summary>
    /// The x position of value <paramref name="index"/>: <paramref name="epochs"/>[index] + 1 (0-based epoch indices, as
    /// <c>History.Epochs</c> holds them, drawn 1-based as <c>Fit</c> prints them), or index + 1 when there are none.
    /// </summary>
    public static double X(IReadOnlyList<int>? epochs, int index) => (epochs is null ? index : epochs[index]) + 1;

    /// <summary>
    /// Adds <paramref name="values"/> as a line with x = <see cref="X"/> in the colour and marker of
    /// <paramref name="styleIndex"/>. A NaN or infinite value breaks the line, as in matplotlib: each run of finite values
    /// is its own line, so no segment bridges the missing epochs; a run of one point always has its marker, or it would
    /// not show. Returns the number of finite points drawn.
    /// </summary>
    public static int Add(Plot plot, IReadOnlyList<double> values, IReadOnlyList<int>? epochs, string legend, int styleIndex, bool dashed = false)
    {
        var runs = new List<(double[] Xs, double[] Ys)>();
        int points = 0;
        int start = 0;
        while (start < values.Count)
        {
            if (!double.IsFinite(values[start]))
            {
                start++;
                continue;
            }

            int end = start;
            while (end < values.Count && double.IsFinite(values[end]))
            {
                end++;
            }

            var xs = new double[end - start];
            var ys = new double[end - start];
            for (int i = start; i < end; i++)
            {
                xs[i - start] = X(epochs, i);
                ys[i - start] = values[i];
            }

            runs.Add((xs, ys));
            points += end - start;
            start = end;
        }

        // One legend entry per series, drawn like its lines: from the first run that is a line, if any.
        int legendRun = Math.Max(0, runs.FindIndex(r => r.Xs.Length > 1));
        for (int r = 0; r < runs.Count; r++)
        {
            (double[] xs, double[] ys) = runs[r];
            ScottPlot.Plottables.Scatter scatter = plot.Add.Scatter(xs, ys, Figure.SeriesColor(styleIndex));
            scatter.LegendText = r == legendRun ? legend : string.Empty;
            scatter.LineWidth = 2.5f;
            scatter.MarkerShape = Figure.SeriesMarker(styleIndex);
            scatter.MarkerSize = values.Count <= MarkerLimit || xs.Length == 1 ? 8 : 0;
            if (dashed)
            {
                scatter.LinePattern = LinePattern.Dashed;
            }
        }

        return points;
    }

    /// <summary>
    /// Sets the x range to the epochs of <paramref name="series"/> (each with its own epochs, or null for 0, 1, ...) with
    /// half an epoch of room on both sides, e.g. 3.5 to 5.5 for a run resumed at epoch index 3 that ended after index 4.
    /// </summary>
    public static void FitEpochsX(Plot plot, IEnumerable<(IReadOnlyList<double> Values, IReadOnlyList<int>? Epochs)> series)
    {
        double first = double.PositiveInfinity;
        double last = double.NegativeInfinity;
        foreach ((IReadOnlyList<double> values, IReadOnlyList<int>? epochs) in series)
        {
            if (values.Count > 0)
            {
                first = Math.Min(first, X(epochs, 0));
                last = Math.Max(last, X(epochs, values.Count - 1));
            }
        }

        plot.Axes.SetLimitsX(first - 0.5, last + 0.5);
    }

    /// <summary>Integer ticks on the x axis (epochs), with a little room on both sides.</summary>
    public static void UseIntegerXTicks(Plot plot)
    {
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.Bottom.MinorTickStyle.Length = 0;
    }

    /// <summary>
    /// Gives flat data (one epoch, or a constant series) a narrow y range around its value instead of ScottPlot's
    /// default span of about two units.
    /// </summary>
    public static void FitFlatY(Plot plot, IEnumerable<IReadOnlyList<double>> series)
    {
        double min = double.PositiveInfinity;
        double max = double.NegativeInfinity;
        foreach (IReadOnlyList<double> values in series)
        {
            foreach (double v in values)
            {
                if (double.IsFinite(v))
                {
                    min = Math.Min(min, v);
                    max = Math.Max(max, v);
                }
            }
        }

        if (min == max)
        {
            double delta = Math.Max(Math.Abs(min) * 0.1, 0.05);
            plot.Axes.SetLimitsY(min - delta, max + delta);
        }
    }

    /// <summary>Writes a centred note in an empty panel (e.g. every value was NaN).</summary>
    public static void AddEmptyNote(Plot plot, string note)
    {
        ScottPlot.Plottables.Text text = plot.Add.Text(note, 0.5, 0.5);
        text.LabelFontSize = Figure.AxisLabelFontSize;
        text.LabelFontColor = Colors.Gray;
        text.LabelAlignment = Alignment.MiddleCenter;
        plot.Axes.SetLimits(0, 1, 0, 1);
    }
}
