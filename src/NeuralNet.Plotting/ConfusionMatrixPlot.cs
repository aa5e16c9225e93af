using System.Globalization;
using ScottPlot;

namespace NeuralNet.Plotting;

/// <summary>
/// Confusion-matrix heatmap: true classes down the rows, predicted classes across the columns, the count written in every
/// cell and a colour bar on the side.
/// </summary>
public static class ConfusionMatrixPlot
{
    private const int MaxClassesWithCounts = 30;

    /// <summary>
    /// Saves <paramref name="matrix"/> as a heatmap PNG. <c>matrix[i, j]</c> counts the samples of true class i predicted
    /// as class j; row 0 is drawn at the top. The x-axis label also states the overall accuracy (the diagonal over the
    /// total).
    /// </summary>
    /// <param name="path">The .png file to write; its folder is created if needed and the file is replaced atomically.</param>
    /// <param name="matrix">A square matrix of non-negative counts, one row and one column per class.</param>
    /// <param name="classNames">One name per class, in row order (e.g. "0" ... "9").</param>
    /// <param name="title">Figure title; an empty string draws none.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">
    /// The path does not end with ".png" or names a folder, the matrix is empty or not square, a count is negative, the
    /// number of class names differs from the matrix size or a name is blank, or the picture would be more than 16,384
    /// pixels on a side (about 1,150 classes with short names; the message gives the limit for the names given).
    /// </exception>
    /// <exception cref="InvalidOperationException">No font is installed (on Linux: none under /usr/share/fonts); nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Save(string path, int[,] matrix, IReadOnlyList<string> classNames, string title)
    {
        PngFile.ValidatePath(path);
        ArgumentNullException.ThrowIfNull(matrix);
        int rows = matrix.GetLength(0);
        int columns = matrix.GetLength(1);
        if (rows != columns)
        {
            throw new ArgumentException($"The confusion matrix must be square (one row and one column per class) but is {rows}x{columns}.", nameof(matrix));
        }

        if (rows == 0)
        {
            throw new ArgumentException("The confusion matrix is empty; expected at least one class.", nameof(matrix));
        }

        Check.Names(classNames, nameof(classNames), "class name");
        if (classNames.Count != rows)
        {
            throw new ArgumentException($"Got {classNames.Count} class names for a {rows}x{rows} confusion matrix; expected {rows}.", nameof(classNames));
        }

        long total = 0;
        long correct = 0;
        int largest = 0;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                int count = matrix[i, j];
                if (count < 0)
                {
                    throw new ArgumentException($"The confusion matrix has a negative count {count} at [{i}, {j}]; expected counts >= 0.", nameof(matrix));
                }

                total += count;
                correct += i == j ? count : 0;
                largest = Math.Max(largest, count);
            }
        }

        Check.Title(title);

        int n = rows;
        int cell = CellSize(n);
        float widestName = classNames.Max(c => Figure.MeasureText(c, Figure.AxisLabelFontSize, bold: false));
        int width = Math.Max((n * cell) + (int)widestName + 220, 480);
        int height = Math.Max((n * cell) + 150, 360);
        CheckSize(n, cell, width, height, widestName, nameof(matrix), nameof(classNames));
        string xLabel = total > 0
            ? string.Create(CultureInfo.InvariantCulture, $"Predicted label (accuracy {100.0 * correct / total:0.00}% of {total:N0})")
            : "Predicted label";
        Plot plot = Figure.CreatePanel(string.Empty, xLabel, "True label");

        var intensities = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                intensities[i, j] = matrix[i, j];
            }
        }

        ScottPlot.Plottables.Heatmap heatmap = plot.Add.Heatmap(intensities);
        heatmap.Colormap = new ScottPlot.Colormaps.Reversed(new ScottPlot.Colormaps.Blues());
        heatmap.ManualRange = new ScottPlot.Range(0, Math.Max(1, largest));

        ScottPlot.Panels.ColorBar colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Axis.TickLabelStyle.FontSize = Figure.TickFontSize;
        colorBar.Axis.TickLabelStyle.FontName = Figure.FontName;

        if (n <= MaxClassesWithCounts)
        {
            float fontSize = Math.Clamp(cell * 0.3f, 8f, 16f);
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    int count = matrix[i, j];
                    ScottPlot.Plottables.Text text = plot.Add.Text(count.ToString(CultureInfo.InvariantCulture), j, n - 1 - i);
                    text.LabelAlignment = Alignment.MiddleCenter;
                    text.LabelFontSize = fontSize;
                    text.LabelFontName = Figure.FontName;
                    text.LabelBold = i == j;
                    text.LabelFontColor = count > largest * 0.5 ? Colors.White : (count == 0 ? Color.FromHex("#b0b0b0") : Colors.Black);
                }
            }
        }

        double[] positions = Enumerable.Range(0, n).Select(k => (double)k).ToArray();
        plot.Axes.Bottom.SetTicks(positions, classNames.ToArray());
        plot.Axes.Left.SetTicks(positions.Select(k => n - 1 - k).ToArray(), classNames.ToArray());
        plot.Axes.Bottom.TickLabelStyle.FontSize = Figure.AxisLabelFontSize;
        plot.Axes.Left.TickLabelStyle.FontSize = Figure.AxisLabelFontSize;
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.MinorTickStyle.Length = 0;
        plot.Axes.Left.MinorTickStyle.Length = 0;
        plot.HideGrid();
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);

        byte[] png = Figure.RenderPanels(title, [plot], columns: 1, width, height);
        PngFile.WriteAtomically(path, png);
    }

    // Cells of 64 px for a few classes, down to 14 px from 46 classes on.
    private static int CellSize(int classes) => Math.Clamp(640 / classes, 14, 64);

    // The picture must fit in Figure.MaxCanvasSize a side, title band included: too many classes, or names too wide.
    private static void CheckSize(int n, int cell, int width, int height, float widestName, string matrixName, string classNamesName)
    {
        int limit = Figure.MaxCanvasSize - Figure.TitleBandHeight;
        if (width <= Figure.MaxCanvasSize && height <= limit)
        {
            return;
        }

        if (height > limit || widestName <= n * cell)
        {
            int fitting = Math.Min((limit - 150) / cell, (Figure.MaxCanvasSize - 220 - (int)widestName) / cell);
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"A {n}-class confusion matrix needs a {width}x{height}-pixel picture (cells of {cell} px), more than {Figure.MaxCanvasSize} on a side; at most {Math.Max(fitting, 0)} classes fit with these class names. Plot a subset of the classes."),
                matrixName);
        }

        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"The widest class name is {widestName:0} px wide, which makes the picture {width} px wide, more than {Figure.MaxCanvasSize}; shorten the names."),
            classNamesName);
    }
}
