using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NeuralNet.Datasets;
using NeuralNet.Models;
using NeuralNet.Plotting;
using NeuralNet.Training;

namespace NeuralNet.Experiments;

/// <summary>What every experiment shares: options, the MNIST data (loaded once), output files and a cache of trained runs.</summary>
internal sealed class ExperimentContext
{
    // --quick: a small subset and at most two epochs, enough to exercise every code path in a few seconds.
    private const int QuickTrainCount = 3000;
    private const int QuickTestCount = 1000;
    private const int QuickMaxEpochs = 2;

    private readonly Dictionary<bool, MnistData> _mnist = [];
    private readonly Dictionary<string, object> _runs = [];

    public ExperimentContext(bool quick, long seed, string outputDirectory, TextWriter log)
    {
        Quick = quick;
        Seed = seed;
        OutputDirectory = outputDirectory;
        Log = log;
        Directory.CreateDirectory(outputDirectory);
    }

    public bool Quick { get; }

    public long Seed { get; }

    public string OutputDirectory { get; }

    public TextWriter Log { get; }

    /// <summary>The 60,000 / 10,000 MNIST split scaled to [0, 1]: flattened (N, 784) or as images (N, 28, 28, 1). Subsets in quick mode.</summary>
    public MnistData Mnist(bool flatten = true)
    {
        if (!_mnist.TryGetValue(flatten, out MnistData? data))
        {
            var options = Quick
                ? new MnistOptions { Flatten = flatten, TrainCount = QuickTrainCount, TestCount = QuickTestCount }
                : new MnistOptions { Flatten = flatten };

            data = Datasets.Mnist.Load(options);
            _mnist[flatten] = data;
        }

        return data;
    }

    /// <summary>The seeds of a seed sweep: <see cref="Seed"/> and the next ones (five runs, two in quick mode).</summary>
    public IReadOnlyList<long> SweepSeeds => Enumerable.Range(0, Quick ? 2 : 5).Select(i => Seed + i).ToArray();

    /// <summary>The epochs to run: as documented, or at most two in quick mode.</summary>
    public int Epochs(int documented) => Quick ? Math.Min(documented, QuickMaxEpochs) : documented;

    /// <summary>Scales an epoch checkpoint (e.g. "after 2 of 15 epochs") into the quick run.</summary>
    public int Checkpoint(int documented, int total) => Quick ? Math.Max(1, Epochs(total) * documented / total) : documented;

    /// <summary>Runs <paramref name="train"/> once per key in this process; experiments that share a configuration share the run.</summary>
    public T Memo<T>(string key, Func<T> train)
    {
        if (_runs.TryGetValue(key, out object? cached))
        {
            Log.WriteLine($"   (reusing the run '{key}')");
            return (T)cached!;
        }

        T result = train();
        _runs[key] = result!;
        return result;
    }

    /// <summary>Trains with one progress line per epoch, timing the whole call.</summary>
    /// <param name="seed">The shuffling seed; <see cref="Seed"/> when null (seed sweeps pass their own).</param>
    public TrainedRun Fit(Sequential model, Tensor x, Tensor y, int epochs, int batchSize, double validationSplit = 0,
        (Tensor X, Tensor Y)? validationData = null, IEnumerable<Callback>? callbacks = null, long? seed = null)
    {
        var watch = Stopwatch.StartNew();
        History history = model.Fit(x, y, epochs, batchSize, validationSplit, validationData, shuffle: true,
            callbacks: callbacks, verbose: 2, seed: seed ?? Seed, output: Log);
        return new TrainedRun(model, history, watch.Elapsed.TotalSeconds);
    }

    /// <summary>The accuracy of <paramref name="model"/> on a dataset.</summary>
    public static double Accuracy(Model model, LabeledDataset data)
    {
        IReadOnlyDictionary<string, double> logs = model.Evaluate(data.Features, data.OneHotLabels(), batchSize: 256, verbose: 0);
        return logs["accuracy"];
    }

    /// <summary>The folder for one experiment's files.</summary>
    public string FolderFor(string id)
    {
        string folder = Path.Combine(OutputDirectory, id);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Writes a history as CSV and JSON and its loss/accuracy curves as PNG; returns the PNG path.</summary>
    public string SaveHistory(string id, string name, History history, string title)
    {
        string folder = FolderFor(id);
        var csv = new StringBuilder("epoch");
        foreach (string key in history.Keys)
        {
            csv.Append(',').Append(key);
        }

        csv.AppendLine();
        for (int e = 0; e < history.EpochCount; e++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{e + 1}");
            foreach (string key in history.Keys)
            {
                csv.Append(',').Append(history[key][e].ToString("R", CultureInfo.InvariantCulture));
            }

            csv.AppendLine();
        }

        File.WriteAllText(Path.Combine(folder, name + ".csv"), csv.ToString());
        Dictionary<string, IReadOnlyList<double>> series = history.Keys.ToDictionary(k => k, k => history[k]);
        File.WriteAllText(Path.Combine(folder, name + ".json"), JsonSerializer.Serialize(series, JsonOptions));
        string png = Path.Combine(folder, name + ".png");
        TrainingCurves.Save(png, series, title);
        return png;
    }

    /// <summary>Writes any text file into the experiment's folder.</summary>
    public string SaveText(string id, string fileName, string text)
    {
        string path = Path.Combine(FolderFor(id), fileName);
        File.WriteAllText(path, text);
        return path;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}

/// <summary>A trained model with its history and the wall time of its training.</summary>
internal sealed record TrainedRun(Sequential Model, History History, double Seconds);
