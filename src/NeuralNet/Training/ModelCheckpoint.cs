using System.Globalization;
using System.Text.RegularExpressions;

namespace NeuralNet.Training;

/// <summary>
/// Saves the model (or its weights) at the end of epochs, optionally only when a monitored quantity improves
/// (Keras' <c>ModelCheckpoint</c>). Every save is atomic: a crash or error during a save leaves the previous
/// checkpoint byte-identical.
/// </summary>
/// <remarks>
/// <para>The path may contain placeholders filled at each save: <c>{epoch}</c> (1-based, as Keras prints it) and any
/// epoch log such as <c>{val_loss}</c>, each with an optional Python-style format (<c>{epoch:02d}</c>,
/// <c>{val_loss:.4f}</c>) or a .NET one (<c>{epoch:D3}</c>); <c>mnist-{epoch:02d}.safetensors</c> keeps one file per epoch.</para>
/// <para>A full checkpoint (<c>saveWeightsOnly: false</c>) holds the optimizer and training state, so loading it with
/// <see cref="Models.Model.Load(string)"/> and calling <c>Fit</c> again continues training exactly as the
/// saved model would have. As in Keras, the best value is kept across <c>Fit</c> calls on the same callback.</para>
/// </remarks>
public sealed partial class ModelCheckpoint : MonitorCallback
{
    private readonly TextWriter? _output;

    /// <summary>Creates the callback.</summary>
    /// <param name="path">The file to write, possibly with placeholders; its folder must exist.</param>
    /// <param name="monitor">The epoch log to watch when <paramref name="saveBestOnly"/> is true (<c>val_loss</c>, <c>accuracy</c>, ...).</param>
    /// <param name="saveBestOnly">Save only when <paramref name="monitor"/> improves on the best value seen so far.</param>
    /// <param name="saveWeightsOnly">Save the weights alone (<see cref="Models.Model.SaveWeights"/>) instead of the whole model.</param>
    /// <param name="mode">Whether the monitored quantity improves by decreasing or increasing; <see cref="MonitorMode.Auto"/> infers it from the name.</param>
    /// <param name="verbose">0 silent; 1 prints a line per save (and per skipped save when saving the best only).</param>
    /// <param name="output">Where messages go; <see cref="Console.Out"/> when null.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> or <paramref name="monitor"/> is empty, or a placeholder is malformed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="verbose"/> is not 0 or 1, or <paramref name="mode"/> is not defined.</exception>
    public ModelCheckpoint(string path, string monitor = "val_loss", bool saveBestOnly = false, bool saveWeightsOnly = false,
        MonitorMode mode = MonitorMode.Auto, int verbose = 0, TextWriter? output = null)
        : base(monitor, mode, minDelta: 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (verbose is not (0 or 1))
        {
            throw new ArgumentOutOfRangeException(nameof(verbose), verbose, "verbose must be 0 or 1.");
        }

        Path = path;
        SaveBestOnly = saveBestOnly;
        SaveWeightsOnly = saveWeightsOnly;
        Verbose = verbose;
        _output = output;

        // Fail now rather than after the first epoch on a malformed placeholder format.
        var sample = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match match in Placeholder().Matches(path))
        {
            sample[match.Groups["key"].Value] = 0.5;
        }

        _ = FormatPath(0, sample);
    }

    /// <summary>The path, possibly with placeholders.</summary>
    public string Path { get; }


    /// <summary>Whether only improvements are saved.</summary>
    public bool SaveBestOnly { get; }

    /// <inheritdoc/>
    internal override void CheckEpochLogKeys(IReadOnlySet<string> keys)
    {
        // Only saveBestOnly reads the monitored value (Keras' default monitor, val_loss, is then irrelevant).
        if (SaveBestOnly)
        {
            base.CheckEpochLogKeys(keys);
        }
    }

    /// <summary>Whether only the weights are saved.</summary>
    public bool SaveWeightsOnly { get; }


    /// <summary>0 silent, 1 a line per epoch.</summary>
    public int Verbose { get; }

    /// <summary>The best monitored value seen so far (when <see cref="SaveBestOnly"/>), or null.</summary>
    public double? Best { get; private set; }

    /// <summary>The file written by the last save, or null before the first.</summary>
    public string? LastSavedPath { get; private set; }

    /// <summary>The 0-based epoch of the last save, or -1.</summary>
    public int LastSavedEpoch { get; private set; } = -1;

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var model = Model ?? throw new InvalidOperationException("ModelCheckpoint is not attached to a model; pass it to Fit.");
        string file = FormatPath(epoch, logs);
        if (SaveBestOnly)
        {
            double current = ReadMonitor(logs);
            bool improved = IsImprovement(current, Best);
            if (!improved)
            {
                Say(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}: {Monitor} did not improve from {(Best is double b ? FormatValue(b) : "nothing")}"));
                return;
            }

            Say(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}: {Monitor} improved from {(Best is double previous ? FormatValue(previous) : Maximizes ? "-inf" : "inf")} to {FormatValue(current)}, saving model to {file}"));
            Best = current;
        }
        else
        {
            Say(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}: saving model to {file}"));
        }

        if (SaveWeightsOnly)
        {
            model.SaveWeights(file);
        }
        else
        {
            model.Save(file);
        }

        LastSavedPath = file;
        LastSavedEpoch = epoch;
    }

    private static string FormatValue(double value) => value.ToString("0.#####", CultureInfo.InvariantCulture);

    private void Say(string message)
    {
        if (Verbose == 1)
        {
            (_output ?? Console.Out).WriteLine(message);
        }
    }

    private string FormatPath(int epoch, IReadOnlyDictionary<string, double> logs) => Placeholder().Replace(Path, match =>
    {
        string key = match.Groups["key"].Value;
        string format = TranslateFormat(match.Groups["format"].Value);
        try
        {
            if (key == "epoch")
            {
                return (epoch + 1).ToString(format, CultureInfo.InvariantCulture);
            }

            if (logs.TryGetValue(key, out double value))
            {
                return value.ToString(format.Length == 0 ? "0.####" : format, CultureInfo.InvariantCulture);
            }
        }
        catch (FormatException ex)
        {
            throw new ArgumentException($"ModelCheckpoint path '{Path}' has a placeholder {match.Value} whose format is not valid: {ex.Message}", nameof(Path), ex);
        }

        throw new InvalidOperationException($"ModelCheckpoint path '{Path}' uses {{{key}}}, which is not in the logs. Available: epoch, {string.Join(", ", logs.Keys)}.");
    });

    /// <summary>Turns Python format specs (<c>02d</c>, <c>.4f</c>) into .NET ones (<c>D2</c>, <c>F4</c>); others pass through.</summary>
    private static string TranslateFormat(string format)
    {
        var integer = PythonInteger().Match(format);
        if (integer.Success)
        {
            return integer.Groups["width"].Value.Length == 0 ? "D" : "D" + int.Parse(integer.Groups["width"].Value, CultureInfo.InvariantCulture);
        }

        var fixedPoint = PythonFixed().Match(format);
        return fixedPoint.Success ? "F" + fixedPoint.Groups["digits"].Value : format;
    }

    [GeneratedRegex(@"\{(?<key>[A-Za-z_][A-Za-z0-9_]*)(?::(?<format>[^{}]*))?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^0?(?<width>[0-9]*)d$")]
    private static partial Regex PythonInteger();

    [GeneratedRegex(@"^\.(?<digits>[0-9]+)f$")]
    private static partial Regex PythonFixed();
}
