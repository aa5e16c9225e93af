using ScottPlot;

namespace NeuralNet.Plotting;

/// <summary>
/// Puts a line plot's legend where it hides no data, as matplotlib's <c>loc="best"</c> does: the first place, in
/// matplotlib's order, whose box no line point or segment enters; outside the data area, on the right, when every place
/// inside would hide some.
/// </summary>
internal static class LegendPlacement
{
    // matplotlib's order for loc="best": upper right, upper left, lower left, lower right, right, center left,
    // lower center, upper center, center.
    private static readonly Alignment[] s_candidates =
    [
        Alignment.UpperRight, Alignment.UpperLeft, Alignment.LowerLeft, Alignment.LowerRight, Alignment.MiddleRight,
        Alignment.MiddleLeft, Alignment.LowerCenter, Alignment.UpperCenter, Alignment.MiddleCenter,
    ];

    // Pixels kept clear around the box: a marker's radius (size 8) and half a line's width.
    private const float Clearance = 5;

    /// <summary>
    /// Shows the legend of <paramref name="plot"/> (drawn at <paramref name="width"/> x <paramref name="height"/>, axis
    /// limits already final) where it covers no line; call last, once everything is added.
    /// </summary>
    /// <param name="plot">The panel, with its lines and final axis limits.</param>
    /// <param name="width">The width the panel is drawn at.</param>
    /// <param name="height">The height the panel is drawn at.</param>
    /// <param name="first">The place tried first (scikit-learn's ROC display puts its legend lower right); the others follow in matplotlib's order.</param>
    /// <returns>The box the legend covers inside the data area, with its shadow, or null when it is placed outside.</returns>
    public static PixelRect? Place(Plot plot, int width, int height, Alignment first = Alignment.UpperRight)
    {
        plot.Legend.IsVisible = false;
        if (plot.Legend.GetItems().Length == 0)
        {
            return null;
        }

        // Lay the panel out as it will be drawn (same tick labels, hence the same data area and limits).
        Figure.UseInvariantTickLabels(plot);
        using (plot.GetImage(width, height))
        {
        }

        PixelRect data = plot.LastRender.DataRect;
        PixelSize size;
        using (ScottPlot.Image legend = plot.Legend.GetImage())
        {
            size = new PixelSize(legend.Width, legend.Height);
        }

        var lines = new List<Pixel[]>();
        foreach (ScottPlot.Plottables.Scatter scatter in plot.GetPlottables<ScottPlot.Plottables.Scatter>())
        {
            lines.Add(scatter.Data.GetScatterPoints().Select(c => plot.GetPixel(c)).ToArray());
        }

        foreach (Alignment alignment in s_candidates.Where(a => a != first).Prepend(first))
        {
            PixelRect box = Box(plot.Legend, size, data, alignment);
            if (!Covers(box.Expand(Clearance), lines))
            {
                plot.Legend.Alignment = alignment;
                plot.Legend.IsVisible = true;
                return box;
            }
        }

        // Every place inside would hide data: outside, right of the data area (ScottPlot hides the inside legend).
        plot.ShowLegend(Edge.Right);
        return null;
    }

    /// <summary>The box ScottPlot draws the legend in at <paramref name="alignment"/>, widened by its shadow.</summary>
    private static PixelRect Box(Legend legend, PixelSize size, PixelRect data, Alignment alignment)
    {
        PixelRect box = new PixelRect(0, size.Width, size.Height, 0).AlignedInside(data.Contract(legend.Margin), alignment);
        return new PixelRect(box.Left, box.Right + Math.Max(0, legend.ShadowOffset.X), box.Bottom + Math.Max(0, legend.ShadowOffset.Y), box.Top);
    }

    /// <summary>Whether a point of <paramref name="lines"/> lies in <paramref name="box"/> or a segment crosses it.</summary>
    internal static bool Covers(PixelRect box, IReadOnlyList<Pixel[]> lines)
    {
        foreach (Pixel[] line in lines)
        {
            for (int i = 0; i < line.Length; i++)
            {
                if (box.Contains(line[i]) || (i > 0 && Crosses(box, line[i - 1], line[i])))
                {
                    return true;
                }
            }
        }

        return false;
    }

    // Liang–Barsky: whether the segment a-b has a part inside the box (pixel y grows downwards: Top < Bottom).
    private static bool Crosses(PixelRect box, Pixel a, Pixel b)
    {
        double dx = b.X - a.X;
        double dy = b.Y - a.Y;
        double enter = 0;
        double leave = 1;
        return Clip(-dx, a.X - box.Left, ref enter, ref leave)
            && Clip(dx, box.Right - a.X, ref enter, ref leave)
            && Clip(-dy, a.Y - box.Top, ref enter, ref leave)
            && Clip(dy, box.Bottom - a.Y, ref enter, ref leave);
    }

    private static bool Clip(double p, double q, ref double enter, ref double leave)
    {
        if (p == 0)
        {
            return q >= 0;
        }

        double t = q / p;
        if (p < 0)
        {
            if (t > leave)
            {
                return false;
            }

            enter = Math.Max(enter, t);
        }
        else
        {
            if (t < enter)
            {
                return false;
            }

            leave = Math.Min(leave, t);
        }

        return true;
    }
}
