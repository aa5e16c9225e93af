using System.Globalization;

namespace NeuralNet.Training;

/// <summary>
/// The keys of the logs being given out by <c>Compile</c>, each with what it logs, following Keras'
/// <c>CompileMetrics.result()</c>: a metric name seen before gets <c>_1</c>, <c>_2</c>, ... in order. A key that is still
/// taken (a metric named <c>loss</c>, or named <c>precision_1</c> next to two unnamed precisions) is refused, naming both
/// owners: Keras would let the later value overwrite the earlier one in the logs.
/// </summary>
internal sealed class LogKeys
{
    // Who logs under each key, for the message of a clash.
    private readonly Dictionary<string, string> _owners = new(StringComparer.Ordinal) { ["loss"] = "the loss" };

    // Keras' unique_name_counters: how many metrics asked for each name (prefixed by their output's name).
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    /// <summary>Whether a metric asked for <paramref name="name"/> already (Keras: <c>name in unique_name_counters</c>).</summary>
    public bool IsMetricName(string name) => _counters.ContainsKey(name);

    /// <summary>Adds an output's loss key.</summary>
    /// <exception cref="ArgumentException">The key is taken.</exception>
    public string AddLoss(string key, string owner, string parameterName) => Add(key, owner, parameterName, metric: null);

    /// <summary>Adds the key of a metric that asks for <paramref name="name"/>: the name, or name_1, name_2, ... when metrics asked for it before.</summary>
    /// <exception cref="ArgumentException">The key is taken.</exception>
    public string AddMetric(string name, Metric metric, string owner, string parameterName)
    {
        // Fit logs the validation's values under val_<key> and a learning-rate callback's rate under learning_rate: a metric
        // named so would be overwritten by them (Keras lets it happen).
        if (name.StartsWith("val_", StringComparison.Ordinal) || name == "learning_rate")
        {
            throw new ArgumentException($"{owner} is named '{name}', which Fit's logs use for {(name == "learning_rate" ? "the learning rate a callback logs" : "the validation's values")}; give the metric another name, e.g. new {metric.GetType().Name}(...) {{ Name = \"...\" }}.", parameterName);
        }

        string key = name;
        if (_counters.TryGetValue(name, out int index))
        {
            key = string.Create(CultureInfo.InvariantCulture, $"{name}_{index}");
            _counters[name] = index + 1;
        }
        else
        {
            _counters[name] = 1;
        }

        return Add(key, owner, parameterName, metric);
    }

    private string Add(string key, string owner, string parameterName, Metric? metric)
    {
        if (_owners.TryGetValue(key, out string? first))
        {
            string hint = metric is null ? string.Empty
                : $" Give the metric another name, e.g. new {metric.GetType().Name}(...) {{ Name = \"...\" }}.";
            throw new ArgumentException($"{owner} would be logged as '{key}', which {first} is logged as already; the names in the logs must be unique.{hint}", parameterName);
        }

        _owners.Add(key, owner);
        return key;
    }
}
