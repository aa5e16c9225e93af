using System.Diagnostics;
using NeuralNet.Datasets;
using NeuralNet.Training;

namespace NeuralNet.Experiments;

/// <summary>
/// Evaluates the model on named datasets at chosen epochs (1-based), as the documents report "after 2 and 15 epochs".
/// Keeps its own time so that the wall time of the training itself can be reported without it.
/// </summary>
internal sealed class EvaluateAtEpochs(IReadOnlyDictionary<string, LabeledDataset> datasets, params int[] epochs) : Callback
{
    private readonly Dictionary<(string Dataset, int Epoch), double> _accuracy = [];
    private readonly Dictionary<int, double> _secondsAt = [];

    /// <summary>Seconds spent evaluating.</summary>
    public double Seconds { get; private set; }

    /// <summary>Seconds spent evaluating after <paramref name="epoch"/> (1-based); 0 when nothing was evaluated then.</summary>
    public double SecondsAt(int epoch) => _secondsAt.GetValueOrDefault(epoch);

    /// <summary>The accuracy on <paramref name="dataset"/> after <paramref name="epoch"/> epochs, if it was measured.</summary>
    public double? Accuracy(string dataset, int epoch) => _accuracy.TryGetValue((dataset, epoch), out double a) ? a : null;

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (!epochs.Contains(epoch + 1) || Model is null)
        {
            return;
        }

        var watch = Stopwatch.StartNew();
        foreach ((string name, LabeledDataset data) in datasets)
        {
            _accuracy[(name, epoch + 1)] = ExperimentContext.Accuracy(Model, data);
        }

        _secondsAt[epoch + 1] = watch.Elapsed.TotalSeconds;
        Seconds += watch.Elapsed.TotalSeconds;
    }
}
