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
/// epoch log such as <c>{val_loss}</c>, each with an optional format: Python's <c>[0][width][.precision][type]</c> with
/// type <c>d</c>, <c>f</c>, <c>e</c>, <c>g</c> (or capitals), <c>%</c> or none, giving the text Python's <c>str.format</c>
/// gives (<c>{epoch:03d}</c> is <c>001</c>, <c>{val_loss:.2e}</c> is <c>1.23e-01</c>), or a .NET standard format in
/// capitals (<c>{epoch:D3}</c>). Without a format a log value is written with up to four decimals (<c>0.1235</c>) rather
/// than Python's 17 digits. <c>mnist-{epoch:02d}.safetensors</c> keeps one file per epoch. Any other format is refused
/// by the constructor, and a placeholder the epoch logs will not hold fails <c>Fit</c> before the first step. The folder
/// of the file is created when missing, as Keras does.</para>
/// <para>A full checkpoint (<c>saveWeightsOnly: false</c>) holds the optimizer and training state, so loading it with
/// <see cref="Models.Model.Load(string)"/> and calling <c>Fit</c> again continues training exactly as the
/// saved model would have. As in Keras, the best value is kept across <c>Fit</c> calls on the same callback; a new
/// callback starts from <c>initialValueThreshold</c> (give the best value so far when resuming a run, with
/// <see cref="BackupAndRestore"/> say, so that a worse first epoch does not overwrite the best checkpoint).</para>
/// </remarks>
public sealed partial class ModelCheckpoint : MonitorCallback
{
    private readonly TextWriter? _output;
    private readonly Placeholder[] _placeholders;

    /// <summary>Creates the callback.</summary>
    /// <param name="path">The file to write, possibly with placeholders; its folder is created when missing.</param>
    /// <param name="monitor">The epoch log to watch when <paramref name="saveBestOnly"/> is true (<c>val_loss</c>, <c>accuracy</c>, ...).</param>
    /// <param name="saveBestOnly">Save only when <paramref name="monitor"/> improves on the best value seen so far.</param>
    /// <param name="saveWeightsOnly">Save the weights alone (<see cref="Models.Model.SaveWeights"/>) instead of the whole model.</param>
    /// <param name="mode">Whether the monitored quantity improves by decreasing or increasing; <see cref="MonitorMode.Auto"/> takes it from the compiled loss or metric.</param>
    /// <param name="verbose">0 silent; 1 prints a line per save (and per skipped save when saving the best only).</param>
    /// <param name="output">Where messages go; <see cref="Console.Out"/> when null.</param>
    /// <param name="initialValueThreshold">The initial best value of <paramref name="monitor"/> (Keras' <c>initial_value_threshold</c>):
    /// with <paramref name="saveBestOnly"/>, only an epoch that beats it is saved; null to save the first epoch.</param>
    /// <param name="format">The format to save in, or null for NeuralNet's safetensors files (<see cref="Models.Model.Save"/>,
    /// <see cref="Models.Model.SaveWeights"/>). NeuralNet.Keras' <c>KerasCheckpointFormat.Instance</c> writes Keras' files:
    /// a <c>.keras</c> archive, or with <paramref name="saveWeightsOnly"/> a <c>.weights.h5</c> file, as Keras' callback does.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> or <paramref name="monitor"/> is empty, <paramref name="path"/>
    /// ends in a Keras extension (<c>.keras</c>, <c>.h5</c>, <c>.hdf5</c>) without a <paramref name="format"/> (the file
    /// would be safetensors), <paramref name="path"/> is not a file of <paramref name="format"/>, or a placeholder's
    /// format is malformed or not supported (the message names the placeholder).</exception>
    /// <param name="saveFreq">Null to save at the end of each epoch (Keras' <c>save_freq="epoch"</c>), or n to save after every
    /// n training batches, counted across epochs (Keras' integer <c>save_freq</c>): the path may then also hold <c>{batch}</c>
    /// (the batch's 1-based number in its epoch), and the logs are the batch's (the running loss and metrics of the epoch,
    /// no <c>val_</c> values).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="verbose"/> is not 0 or 1, <paramref name="mode"/> is not
    /// defined, <paramref name="initialValueThreshold"/> is NaN, or <paramref name="saveFreq"/> is below 1.</exception>
    public ModelCheckpoint(string path, string monitor = "val_loss", bool saveBestOnly = false, bool saveWeightsOnly = false,
        MonitorMode mode = MonitorMode.Auto, int verbose = 0, TextWriter? output = null, double? initialValueThreshold = null, int? saveFreq = null,
        ICheckpointFormat? format = null)
        : base(monitor, mode, minDelta: 0)
    {
        if (saveFreq is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(saveFreq), saveFreq, "saveFreq must be at least 1 (save after every n-th batch), or null to save after each epoch.");
        }

        SaveFreq = saveFreq;
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (format is null)
        {
            RefuseKerasExtension(path);
        }
        else
        {
            format.CheckPath(path, saveWeightsOnly, nameof(path));
        }

        if (verbose is not (0 or 1))
        {
            throw new ArgumentOutOfRangeException(nameof(verbose), verbose, "verbose must be 0 or 1.");
        }

        if (initialValueThreshold is double threshold && double.IsNaN(threshold))
        {
            // Nothing beats NaN, so not a single checkpoint would be written.
            throw new ArgumentOutOfRangeException(nameof(initialValueThreshold), threshold, "initialValueThreshold must be a number (or null for none); no value would ever improve on NaN.");
        }

        Path = path;
        SaveBestOnly = saveBestOnly;
        SaveWeightsOnly = saveWeightsOnly;
        Verbose = verbose;
        _output = output;
        Best = initialValueThreshold;
        Format = format;

        // Fail now rather than after the first epoch on a format the path cannot be filled with.
        _placeholders = [.. PlaceholderPattern().Matches(path).Select(match => ParsePlaceholder(path, match))];
    }

    /// <summary>The path, possibly with placeholders.</summary>
    public string Path { get; }


    /// <summary>Whether only improvements are saved.</summary>
    public bool SaveBestOnly { get; }

    /// <inheritdoc/>
    internal override void CheckBeforeFit(IReadOnlySet<string> keys)
    {
        // A model the format cannot write (a layer Keras has no config for, an unregistered layer of the user's) fails now,
        // not at the first save after an epoch has trained.
        if (Model is not null)
        {
            if (Format is not null)
            {
                Format.CheckModel(Model, SaveWeightsOnly);
            }
            else
            {
                Serialization.ModelSerializer.CheckSavable(Model, SaveWeightsOnly);
            }
        }

        if (SaveFreq is not null)
        {
            CheckBatchLogKeys(keys);
            return;
        }

        foreach (Placeholder placeholder in _placeholders)
        {
            if (placeholder.Key != "epoch" && !keys.Contains(placeholder.Key))
            {
                string available = string.Join(", ", keys.Order(StringComparer.Ordinal));
                throw new InvalidOperationException($"ModelCheckpoint path '{Path}' uses {{{placeholder.Key}}}, which will not be in the epoch logs. They will hold: epoch, {available}. (val_ quantities need validationSplit or validationData.)");
            }

            // With validationFreq a val_ value is missing after the epochs not validated; a save then could not name its
            // file. Only saveBestOnly on that same value skips those epochs (Keras would fail at the first one).
            bool skipsUnvalidated = SaveBestOnly && IntermittentLogKeys.Contains(Monitor);
            if (IntermittentLogKeys.Contains(placeholder.Key) && !skipsUnvalidated)
            {
                throw new InvalidOperationException($"ModelCheckpoint path '{Path}' uses {{{placeholder.Key}}}, which Fit logs only after the epochs it validates (validationFreq); save only those with saveBestOnly and monitor: \"{placeholder.Key}\", or validate every epoch, or leave it out of the path.");
            }
        }

        // Only saveBestOnly reads the monitored value (Keras' default monitor, val_loss, is then irrelevant).
        if (SaveBestOnly)
        {
            base.CheckBeforeFit(keys);
        }
    }

    /// <summary>The format saved in, or null for NeuralNet's safetensors files.</summary>
    public ICheckpointFormat? Format { get; }

    /// <summary>Whether only the weights are saved.</summary>
    public bool SaveWeightsOnly { get; }


    /// <summary>0 silent, 1 a line per epoch.</summary>
    public int Verbose { get; }

    /// <summary>The best monitored value seen so far (when <see cref="SaveBestOnly"/>), starting from <c>initialValueThreshold</c>; null when there is none.</summary>
    public double? Best { get; private set; }

    /// <summary>The file written by the last save, or null before the first.</summary>
    public string? LastSavedPath { get; private set; }

    /// <summary>The 0-based epoch of the last save, or -1.</summary>
    public int LastSavedEpoch { get; private set; } = -1;

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (SaveFreq is null)
        {
            SaveIfDue(epoch, batch: null, logs);
        }
    }

    // One save (or, with saveBestOnly, one comparison) at the end of an epoch, or of a batch when batch is set.
    private void SaveIfDue(int epoch, int? batch, IReadOnlyDictionary<string, double> logs)
    {
        var model = Model ?? throw new InvalidOperationException("ModelCheckpoint is not attached to a model; pass it to Fit.");
        // Keras: "Can save best model only with val_loss available, skipping" on an epoch not validated (validationFreq);
        // checked before the path is formatted, since the path may name the missing value.
        double current = 0;
        if (SaveBestOnly && !TryReadMonitor(logs, out current))
        {
            Say(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}: {Monitor} is not available (validationFreq), skipping."));
            return;
        }

        string file = FormatPath(epoch, batch, logs);
        if (SaveBestOnly)
        {
            bool improved = IsImprovement(current, Best);

            // Keras starts from -inf or inf and says so.
            string best = FormatValue(Best ?? (Maximizes ? double.NegativeInfinity : double.PositiveInfinity));
            if (!improved)
            {
                Say(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}: {Monitor} did not improve from {best}"));
                return;
            }

            Say(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}: {Monitor} improved from {best} to {FormatValue(current)}, saving model to {file}"));
            Best = current;
        }
        else
        {
            Say(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}: saving model to {file}"));
        }

        // Keras creates the folder (a placeholder may name a new one per epoch); the save itself stays atomic.
        string? folder = System.IO.Path.GetDirectoryName(file);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        if (Format is not null)
        {
            if (SaveWeightsOnly)
            {
                Format.SaveWeights(model, file);
            }
            else
            {
                Format.SaveModel(model, file);
            }
        }
        else if (SaveWeightsOnly)
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

    // Keras' tutorials name their checkpoints best_model.keras or model.weights.h5; without a format those files would be
    // safetensors under a Keras name, so the refusal says where Keras' writer is.
    private static void RefuseKerasExtension(string path)
    {
        foreach (string extension in (ReadOnlySpan<string>)[".keras", ".h5", ".hdf5"])
        {
            if (path.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException(
                    $"ModelCheckpoint path '{path}' has Keras' extension {extension}, but without a format NeuralNet saves safetensors files, which Keras and h5py cannot open under that name. " +
                    "To write Keras' files pass format: KerasCheckpointFormat.Instance (package NeuralNet.Keras; a .keras path, or .weights.h5 with saveWeightsOnly: true); otherwise use a .safetensors path (see docs/serialization.md).",
                    nameof(path));
            }
        }
    }

    // Keras writes {best:.5f}: five decimals, and Python's inf, -inf and nan (.NET's "F5" would print the infinity sign).
    private static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        double.NaN => "nan",
        _ => value.ToString("F5", CultureInfo.InvariantCulture),
    };

    private void Say(string message)
    {
        if (Verbose == 1)
        {
            (_output ?? Console.Out).WriteLine(message);
        }
    }

    private string FormatPath(int epoch, int? batch, IReadOnlyDictionary<string, double> logs)
    {
        var text = new System.Text.StringBuilder();
        int end = 0;
        foreach (Placeholder placeholder in _placeholders)
        {
            text.Append(Path, end, placeholder.Start - end).Append(Fill(placeholder, epoch, batch, logs));
            end = placeholder.Start + placeholder.Length;
        }

        return text.Append(Path, end, Path.Length - end).ToString();
    }

    private string Fill(Placeholder placeholder, int epoch, int? batch, IReadOnlyDictionary<string, double> logs)
    {
        if (placeholder.Key == "epoch" || (placeholder.Key == "batch" && batch is not null))
        {
            int number = (placeholder.Key == "epoch" ? epoch : batch!.Value) + 1;
            return placeholder.Python is PythonFormat.Spec spec
                ? PythonFormat.Format(number, spec)
                : number.ToString(placeholder.DotNet, CultureInfo.InvariantCulture);
        }

        if (!logs.TryGetValue(placeholder.Key, out double value))
        {
            throw new InvalidOperationException($"ModelCheckpoint path '{Path}' uses {{{placeholder.Key}}}, which is not in the logs. Available: epoch, {string.Join(", ", logs.Keys)}.");
        }

        return placeholder.Python is PythonFormat.Spec python
            ? PythonFormat.Format(value, python)
            : value.ToString(placeholder.DotNet.Length == 0 ? "0.####" : placeholder.DotNet, CultureInfo.InvariantCulture);
    }

    // A placeholder's format: none (the default text), Python's spec, or a .NET standard format in capitals (D3, N2); a
    // format that is none of these is refused here, since .NET would print most of them as literal text (the review found
    // {epoch:3} writing "3" for every epoch, so that each save overwrote the last).
    private static Placeholder ParsePlaceholder(string path, Match match)
    {
        string key = match.Groups["key"].Value;
        string format = match.Groups["format"].Value;
        bool integer = key is "epoch" or "batch";
        var placeholder = new Placeholder(match.Index, match.Length, key, null, string.Empty);
        if (!match.Groups["format"].Success || format.Length == 0)
        {
            return placeholder;
        }

        if (PythonFormat.TryParse(format, integer, out PythonFormat.Spec spec, out string? reason))
        {
            return placeholder with { Python = spec };
        }

        if (DotNetStandard().IsMatch(format))
        {
            try
            {
                // Formats such as X or D3 exist for integers only: try the kind of value the placeholder will hold.
                _ = integer ? 1.ToString(format, CultureInfo.InvariantCulture) : 0.5.ToString(format, CultureInfo.InvariantCulture);
                return placeholder with { DotNet = format };
            }
            catch (FormatException ex)
            {
                reason = ex.Message;
            }
        }

        throw new ArgumentException($"ModelCheckpoint path '{path}' has the placeholder {match.Value}, whose format '{format}' is not supported: {reason}. " +
            "Use Python's [0][width][.precision][type] with type d (epoch only), f, e, g, % or none ({epoch:03d}, {val_loss:.4f}, {val_loss:.2e}), or a .NET standard format in capitals ({epoch:D3}).", nameof(path));
    }

    // Python is the spec when it parsed as one; otherwise DotNet holds a .NET format, or is empty for the default text.
    private readonly record struct Placeholder(int Start, int Length, string Key, PythonFormat.Spec? Python, string DotNet);

    [GeneratedRegex(@"\{(?<key>[A-Za-z_][A-Za-z0-9_]*)(?::(?<format>[^{}]*))?\}")]
    private static partial Regex PlaceholderPattern();

    [GeneratedRegex(@"^[A-Z][0-9]{0,2}$")]
    private static partial Regex DotNetStandard();
}
