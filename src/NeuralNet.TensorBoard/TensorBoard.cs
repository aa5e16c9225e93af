using System.Diagnostics;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Training.EventFiles;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>TensorBoard</c> callback (in the NeuralNet.TensorBoard package): writes what <c>Fit</c> and
/// <c>Evaluate</c> log as TensorBoard event files, to view with <c>tensorboard --logdir logs</c>.
/// </summary>
/// <remarks>
/// <para>As Keras 3 writes them: under <see cref="LogDir"/><c>/train</c>, <c>epoch_&lt;name&gt;</c> for every training
/// log at the epoch's end (step = the 0-based epoch), with <c>epoch_learning_rate</c> (the optimizer's rate then);
/// under <see cref="LogDir"/><c>/validation</c>, <c>epoch_&lt;name&gt;</c> for every <c>val_</c> log without its prefix,
/// and at the end of every evaluation (the validation of <c>Fit</c> and <c>Evaluate</c> alike)
/// <c>evaluation_&lt;name&gt;_vs_iterations</c> at the optimizer's <see cref="Optimizers.Optimizer.Iterations"/>. With
/// <see cref="UpdateFreq"/>, <c>batch_&lt;name&gt;</c> (the running means of the epoch so far) every that many
/// training batches, at the 1-based count of batches since training began; writing them allocates nothing. With
/// <see cref="HistogramFreq"/>, a histogram of every parameter, tagged <c>&lt;layer&gt;/&lt;parameter&gt;/histogram</c>
/// (Keras 3 tags it with the variable's short name, so two layers' kernels share a tag), every that many epochs. With
/// <see cref="WriteStepsPerSecond"/>, <c>epoch_steps_per_second</c> and <c>batch_steps_per_second</c>.</para>
/// <para>Every <c>Fit</c> and every <c>Evaluate</c> outside one writes new files (as Keras makes new writers for each
/// run), created when first written to, flushed at every epoch's end, and closed when the run ends, however it ends (an
/// exception or a cancellation included). <see cref="LogDir"/> is created when a run begins, so a path that cannot be a
/// folder fails before anything trains. One instance serves one run at a time. Not written: Keras' model graph
/// (<c>write_graph</c>: TensorBoard draws it from a TensorFlow graph or Keras' JSON), weight images, embeddings and the
/// profiler.</para>
/// </remarks>
/// <example>
/// <code>
/// model.Fit(x, y, epochs: 10, validationSplit: 0.1, callbacks: [new TensorBoard("logs/run1", histogramFreq: 1)]);
/// </code>
/// </example>
public sealed class TensorBoard : Callback
{
    private readonly Dictionary<string, string> _batchTags = new(StringComparer.Ordinal);
    private EventFileWriter? _train;
    private EventFileWriter? _validation;
    private string? _trainFile;
    private string? _validationFile;
    private long _globalTrainBatch;
    private long _batchStart;
    private long _epochStart;
    private long _epochStartIterations;

    /// <summary>Creates the callback.</summary>
    /// <param name="logDir">The directory the event files go under (<c>train</c> and <c>validation</c> inside it); Keras' <c>log_dir</c>.</param>
    /// <param name="histogramFreq">Every how many epochs the parameters' histograms are written; 0 for never (Keras' <c>histogram_freq</c>).</param>
    /// <param name="updateFreq">Every how many training batches the batch logs are written (1 is Keras' <c>"batch"</c>); null for
    /// only at the ends of epochs (Keras' default <c>"epoch"</c>).</param>
    /// <param name="writeStepsPerSecond">Whether to write the training speed in steps per second (Keras' <c>write_steps_per_second</c>).</param>
    /// <exception cref="ArgumentException"><paramref name="logDir"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="histogramFreq"/> is negative or <paramref name="updateFreq"/> below 1.</exception>
    public TensorBoard(string logDir = "logs", int histogramFreq = 0, int? updateFreq = null, bool writeStepsPerSecond = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logDir);
        if (histogramFreq < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(histogramFreq), histogramFreq, $"histogramFreq must be 0 (no histograms) or a positive number of epochs, but got {histogramFreq}.");
        }

        if (updateFreq is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(updateFreq), updateFreq, $"updateFreq must be a positive number of batches (1 for every batch), or null for once per epoch, but got {updateFreq}.");
        }

        LogDir = logDir;
        HistogramFreq = histogramFreq;
        UpdateFreq = updateFreq;
        WriteStepsPerSecond = writeStepsPerSecond;
    }

    /// <summary>The directory the event files go under.</summary>
    public string LogDir { get; }

    /// <summary>Every how many epochs the histograms are written; 0 for never.</summary>
    public int HistogramFreq { get; }

    /// <summary>Every how many training batches the batch logs are written; null for once per epoch.</summary>
    public int? UpdateFreq { get; }

    /// <summary>Whether the training speed is written.</summary>
    public bool WriteStepsPerSecond { get; }

    /// <summary>The last file the training logs went to (under <see cref="LogDir"/><c>/train</c>), or null before the first.</summary>
    public string? TrainFile => _trainFile;

    /// <summary>The last file the validation and evaluation logs went to (under <see cref="LogDir"/><c>/validation</c>), or null before the first.</summary>
    public string? ValidationFile => _validationFile;

    private EventFileWriter Train => _train ?? Open(ref _train, ref _trainFile, "train");

    private EventFileWriter Validation => _validation ?? Open(ref _validation, ref _validationFile, "validation");

    /// <inheritdoc/>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        Close();
        Directory.CreateDirectory(LogDir);
        _globalTrainBatch = 0;
    }

    /// <inheritdoc/>
    public override void OnTestBegin(IReadOnlyDictionary<string, double> logs) => Directory.CreateDirectory(LogDir);

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        _epochStart = Stopwatch.GetTimestamp();
        _epochStartIterations = Model?.Optimizer?.Iterations ?? 0;
    }

    /// <inheritdoc/>
    public override void OnBatchBegin(int batch, IReadOnlyDictionary<string, double> logs)
    {
        _globalTrainBatch++;
        _batchStart = Stopwatch.GetTimestamp();
    }

    /// <inheritdoc/>
    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (UpdateFreq is not int every || _globalTrainBatch % every != 0)
        {
            return;
        }

        if (WriteStepsPerSecond)
        {
            Train.Scalar("batch_steps_per_second", _globalTrainBatch, 1.0 / Stopwatch.GetElapsedTime(_batchStart).TotalSeconds);
        }

        if (logs is Dictionary<string, double> dictionary)
        {
            // The trainer's own dictionary: its struct enumerator, and the cached tags, keep a logged batch allocation-free.
            foreach (KeyValuePair<string, double> log in dictionary)
            {
                WriteBatchLog(log);
            }
        }
        else
        {
            foreach (KeyValuePair<string, double> log in logs)
            {
                WriteBatchLog(log);
            }
        }
    }

    private void WriteBatchLog(KeyValuePair<string, double> log) => Train.Scalar(BatchTag(log.Key), _globalTrainBatch, log.Value);

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var train = logs.Where(log => !log.Key.StartsWith("val_", StringComparison.Ordinal)).ToDictionary(log => log.Key, log => log.Value, StringComparer.Ordinal);
        if (Model?.Optimizer is { } optimizer)
        {
            train["learning_rate"] = optimizer.LearningRate;
            if (WriteStepsPerSecond)
            {
                train["steps_per_second"] = (optimizer.Iterations - _epochStartIterations) / Stopwatch.GetElapsedTime(_epochStart).TotalSeconds;
            }
        }

        foreach ((string name, double value) in train)
        {
            Train.Scalar("epoch_" + name, epoch, value);
        }

        foreach ((string name, double value) in logs.Where(log => log.Key.StartsWith("val_", StringComparison.Ordinal)))
        {
            Validation.Scalar("epoch_" + name["val_".Length..], epoch, value);
        }

        if (HistogramFreq > 0 && epoch % HistogramFreq == 0 && Model is Model model)
        {
            foreach (Layer layer in model.Layers)
            {
                foreach (Parameter parameter in layer.Parameters)
                {
                    Train.Histogram($"{layer.Name}/{parameter.Name}/histogram", epoch, parameter.Value.AsReadOnlySpan());
                }
            }
        }

        _train?.Flush();
        _validation?.Flush();
    }

    /// <inheritdoc/>
    public override void OnTestEnd(IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (Model?.Optimizer is { } optimizer)
        {
            foreach ((string name, double value) in logs)
            {
                Validation.Scalar($"evaluation_{name}_vs_iterations", optimizer.Iterations, value);
            }
        }

        _validation?.Flush();
    }

    /// <summary>The end of a Fit or an Evaluate, however it ended: the files are closed.</summary>
    internal override void OnRunOver() => Close();

    // Closes the files written so far; the next write starts new ones.
    private void Close()
    {
        _train?.Dispose();
        _validation?.Dispose();
        _train = null;
        _validation = null;
    }

    private EventFileWriter Open(ref EventFileWriter? writer, ref string? file, string directory)
    {
        writer = new EventFileWriter(Path.Combine(LogDir, directory));
        file = writer.Path;
        return writer;
    }

    private string BatchTag(string name)
    {
        if (!_batchTags.TryGetValue(name, out string? tag))
        {
            tag = "batch_" + name;
            _batchTags[name] = tag;
        }

        return tag;
    }
}
