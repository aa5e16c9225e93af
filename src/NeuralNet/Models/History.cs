namespace NeuralNet.Models;

/// <summary>
/// What <c>Model.Fit</c> recorded: one value per completed epoch for each logged quantity
/// (<c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, <c>val_accuracy</c>, ...), as Keras' <c>history.history</c>; the
/// <c>val_</c> quantities only for the epochs validated when <c>Fit</c> validates every n-th epoch (<see cref="EpochsOf"/>).
/// </summary>
public sealed class History
{
    private readonly Dictionary<string, List<double>> _values = new(StringComparer.Ordinal);
    private readonly List<string> _keys = [];
    private readonly List<int> _epochs = [];
    private readonly Dictionary<string, List<int>> _keyEpochs = new(StringComparer.Ordinal);

    internal History()
    {
    }

    /// <summary>The 0-based indices of the completed epochs (Keras' <c>history.epoch</c>).</summary>
    public IReadOnlyList<int> Epochs => _epochs;

    /// <summary>The recorded quantities, in the order they first appeared.</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>The number of completed epochs.</summary>
    public int EpochCount => _epochs.Count;

    /// <summary>The per-epoch values of <paramref name="key"/>, such as <c>history["val_accuracy"]</c>.</summary>
    /// <exception cref="KeyNotFoundException">The quantity was not recorded; the message lists those that were.</exception>
    public IReadOnlyList<double> this[string key]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(key);
            return _values.TryGetValue(key, out List<double>? values)
                ? values
                : throw new KeyNotFoundException($"History has no '{key}'. Recorded: {string.Join(", ", _keys)}.");
        }
    }

    /// <summary>Whether <paramref name="key"/> was recorded.</summary>
    public bool Contains(string key) => _values.ContainsKey(key);

    /// <summary>
    /// The 0-based epochs at which <paramref name="key"/> was recorded, one per value of <c>this[key]</c>: every epoch,
    /// except for the <c>val_</c> quantities of a <c>Fit</c> with <c>validationFreq</c> above 1 (Keras' history lists are
    /// shorter then too).
    /// </summary>
    /// <exception cref="KeyNotFoundException">The quantity was not recorded; the message lists those that were.</exception>
    public IReadOnlyList<int> EpochsOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _keyEpochs.TryGetValue(key, out List<int>? epochs)
            ? epochs
            : throw new KeyNotFoundException($"History has no '{key}'. Recorded: {string.Join(", ", _keys)}.");
    }

    /// <summary>Gets the per-epoch values of <paramref name="key"/> when recorded.</summary>
    public bool TryGetValue(string key, out IReadOnlyList<double> values)
    {
        bool found = _values.TryGetValue(key, out List<double>? list);
        values = list ?? (IReadOnlyList<double>)[];
        return found;
    }

    internal void Append(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        _epochs.Add(epoch);
        foreach (KeyValuePair<string, double> entry in logs)
        {
            if (!_values.TryGetValue(entry.Key, out List<double>? list))
            {
                list = [];
                _values.Add(entry.Key, list);
                _keyEpochs.Add(entry.Key, []);
                _keys.Add(entry.Key);
            }

            list.Add(entry.Value);
            _keyEpochs[entry.Key].Add(epoch);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"History: {EpochCount} epochs, {string.Join(", ", _keys)}";
}
