using NeuralNet.Models;
using ScottPlot;

namespace NeuralNet.Plotting;

/// <summary>
/// Training curves like Keras users plot from <c>history.history</c>: one panel per metric (loss first, then accuracy,
/// then any others), each with the training series and its <c>val_</c> validation counterpart against the epoch.
/// </summary>
/// <example>
/// <code>
/// TrainingCurves.Save("out/curves.png", new Dictionary&lt;string, IReadOnlyList&lt;double&gt;&gt;
/// {
///     ["loss"] = [0.30, 0.14, 0.10], ["val_loss"] = [0.16, 0.11, 0.09],
///     ["accuracy"] = [0.91, 0.96, 0.97], ["val_accuracy"] = [0.95, 0.97, 0.975],
/// }, "784-512-10, Adam");
/// </code>
/// </example>
public static class TrainingCurves
{
    private const string ValidationPrefix = "val_";
    private const int PanelWidth = 640;
    private const int PanelHeight = 480;
    private const int MaxColumns = 3;

    /// <summary>The most panels (metrics without their <c>val_</c> twins) one picture holds: 34 rows of 3 within 16,384 px.</summary>
    internal const int MaxPanels = MaxColumns * ((Figure.MaxCanvasSize - Figure.TitleBandHeight) / PanelHeight);

    /// <summary>
    /// Saves the training curves of <paramref name="metricsPerEpoch"/> as a PNG. Keys are metric names as Keras writes them
    /// ("loss", "val_loss", "accuracy", "val_accuracy", ...); value i of a series is drawn at epoch i + 1. Panels are
    /// side by side (at most three per row). A NaN or infinite value (a diverged run) breaks its line: no segment is
    /// drawn across it.
    /// </summary>
    /// <param name="path">The .png file to write; its folder is created if needed and the file is replaced atomically.</param>
    /// <param name="metricsPerEpoch">Per-epoch values by metric name; every series needs at least one value.</param>
    /// <param name="title">Figure title drawn above the panels; an empty string draws none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/>, <paramref name="metricsPerEpoch"/> or <paramref name="title"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The path does not end with ".png" or names a folder, there are no metrics, a name is blank, a series is null or
    /// empty, or there are more than 102 metrics (counting <c>m</c> and <c>val_m</c> once), more panels than fit in 16,384
    /// pixels.
    /// </exception>
    /// <exception cref="InvalidOperationException">No font is installed (on Linux: none under /usr/share/fonts); nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, IReadOnlyList<double>> metricsPerEpoch, string title)
    {
        PngFile.ValidatePath(path);
        Check.Series(metricsPerEpoch, nameof(metricsPerEpoch), "metric");
        CheckPanelCount(metricsPerEpoch.Keys, nameof(metricsPerEpoch));
        Check.Title(title);

        Write(path, metricsPerEpoch, epochs: null, title);
    }

    /// <summary>
    /// Saves the training curves of what <c>Fit</c> recorded, as <see cref="Save(string, IReadOnlyDictionary{string, IReadOnlyList{double}}, string)"/>
    /// does, against the epochs the history holds (<see cref="History.Epochs"/>, drawn from 1 as <c>Fit</c> prints them): a
    /// run resumed with <c>initialEpoch: 3</c> (or by <c>BackupAndRestore</c>) is drawn at epochs 4, 5, ..., not from 1.
    /// </summary>
    /// <param name="path">The .png file to write; its folder is created if needed and the file is replaced atomically.</param>
    /// <param name="history">What <c>Model.Fit</c> returned (or <c>Model.History</c>); it needs at least one completed epoch.</param>
    /// <param name="title">Figure title drawn above the panels; an empty string draws none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/>, <paramref name="history"/> or <paramref name="title"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The path does not end with ".png" or names a folder, the history has no completed epoch, or it holds more than 102
    /// metrics (counting <c>m</c> and <c>val_m</c> once).
    /// </exception>
    /// <exception cref="InvalidOperationException">No font is installed (on Linux: none under /usr/share/fonts); nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Save(string path, History history, string title)
    {
        PngFile.ValidatePath(path);
        ArgumentNullException.ThrowIfNull(history);
        if (history.EpochCount == 0 || history.Keys.Count == 0)
        {
            throw new ArgumentException("The history holds no completed epoch; there is nothing to plot.", nameof(history));
        }

        CheckPanelCount(history.Keys, nameof(history));
        Check.Title(title);

        Write(path, Metrics(history), Epochs(history), title);
    }

    private static void CheckPanelCount(IEnumerable<string> keys, string parameterName)
    {
        int panels = PanelNames(keys).Count;
        if (panels > MaxPanels)
        {
            throw new ArgumentException($"{panels} metrics need {panels} panels, more than the {MaxPanels} one picture holds (rows of {MaxColumns} panels of {PanelHeight} px, at most {Figure.MaxCanvasSize} px high); save them in several pictures.", parameterName);
        }
    }

    /// <summary>
    /// The panels of the picture, in order: one per metric, each series at <see cref="LineSeries.X"/> of its epochs in
    /// <paramref name="epochs"/> (null: every series from epoch 0, one value per epoch).
    /// </summary>
    internal static List<Plot> CreatePanels(IReadOnlyDictionary<string, IReadOnlyList<double>> metricsPerEpoch, IReadOnlyDictionary<string, IReadOnlyList<int>>? epochs)
    {
        List<string> panelNames = PanelNames(metricsPerEpoch.Keys);
        var panels = new List<Plot>(panelNames.Count);
        foreach (string name in panelNames)
        {
            panels.Add(CreatePanel(name, metricsPerEpoch, epochs));
        }

        return panels;
    }

    /// <summary>The recorded series of <paramref name="history"/> by name, in the order they were first logged.</summary>
    internal static Dictionary<string, IReadOnlyList<double>> Metrics(History history)
    {
        var metrics = new Dictionary<string, IReadOnlyList<double>>(history.Keys.Count, StringComparer.Ordinal);
        foreach (string key in history.Keys)
        {
            metrics.Add(key, history[key]);
        }

        return metrics;
    }

    /// <summary>The epochs of each recorded series: a <c>val_</c> series of a Fit that validated every n-th epoch has fewer.</summary>
    internal static Dictionary<string, IReadOnlyList<int>> Epochs(History history)
    {
        var epochs = new Dictionary<string, IReadOnlyList<int>>(history.Keys.Count, StringComparer.Ordinal);
        foreach (string key in history.Keys)
        {
            epochs.Add(key, history.EpochsOf(key));
        }

        return epochs;
    }

    private static void Write(string path, IReadOnlyDictionary<string, IReadOnlyList<double>> metricsPerEpoch, IReadOnlyDictionary<string, IReadOnlyList<int>>? epochs, string title)
    {
        List<Plot> panels = CreatePanels(metricsPerEpoch, epochs);
        int columns = Math.Min(panels.Count, MaxColumns);
        byte[] png = Figure.RenderPanels(title, panels, columns, PanelWidth, PanelHeight);
        PngFile.WriteAtomically(path, png);
    }

    /// <summary>Metric names without the "val_" prefix, loss first, accuracy second, others in order of appearance.</summary>
    internal static List<string> PanelNames(IEnumerable<string> keys)
    {
        var names = new List<string>();
        foreach (string key in keys)
        {
            string name = key.StartsWith(ValidationPrefix, StringComparison.Ordinal) && key.Length > ValidationPrefix.Length
                ? key[ValidationPrefix.Length..]
                : key;
            if (!names.Contains(name))
            {
                names.Add(name);
            }
        }

        MoveTo(names, "accuracy", 0);
        MoveTo(names, "loss", 0);
        return names;
    }

    private static void MoveTo(List<string> names, string name, int index)
    {
        if (names.Remove(name))
        {
            names.Insert(index, name);
        }
    }

    private static Plot CreatePanel(string name, IReadOnlyDictionary<string, IReadOnlyList<double>> metrics, IReadOnlyDictionary<string, IReadOnlyList<int>>? epochs)
    {
        string label = name.Replace('_', ' ');
        Plot plot = Figure.CreatePanel(char.ToUpperInvariant(label[0]) + label[1..], "epoch", label);
        LineSeries.UseIntegerXTicks(plot);

        var drawn = new List<(IReadOnlyList<double> Values, IReadOnlyList<int>? Epochs)>(2);
        int points = 0;
        if (metrics.TryGetValue(name, out IReadOnlyList<double>? training))
        {
            IReadOnlyList<int>? at = epochs?.GetValueOrDefault(name);
            points += LineSeries.Add(plot, training, at, "training", styleIndex: 0);
            drawn.Add((training, at));
        }

        if (metrics.TryGetValue(ValidationPrefix + name, out IReadOnlyList<double>? validation))
        {
            IReadOnlyList<int>? at = epochs?.GetValueOrDefault(ValidationPrefix + name);
            points += LineSeries.Add(plot, validation, at, "validation", styleIndex: 1);
            drawn.Add((validation, at));
        }

        if (points == 0)
        {
            LineSeries.AddEmptyNote(plot, "no finite values");
        }
        else
        {
            LineSeries.FitFlatY(plot, drawn.Select(series => series.Values));
            LineSeries.FitEpochsX(plot, drawn);
            LegendPlacement.Place(plot, PanelWidth, PanelHeight);
        }

        return plot;
    }
}
