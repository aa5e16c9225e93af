using System.Globalization;
using NeuralNet.Losses;
using NeuralNet.Optimizers;

namespace NeuralNet.Training;

/// <summary>
/// What <c>Compile</c> configured, resolved against the model's outputs: the optimizer, each output's loss, weight and
/// metrics, and the names they are logged under, as Keras names them (<c>loss</c>; with several losses also
/// <c>dense_2_loss</c>; metrics as <c>accuracy</c>, or <c>dense_2_accuracy</c> when the model has several outputs).
/// </summary>
internal sealed class CompileSettings
{
    private CompileSettings(Optimizer optimizer, Loss?[] losses, float[]? lossWeights, Metric[][] metrics, Metric[][] weightedMetrics, string?[] lossKeys, string[][] metricKeys, string[][] weightedMetricKeys)
    {
        Optimizer = optimizer;
        Losses = losses;
        HasCompiledLoss = Array.Exists(losses, l => l is not null);
        LossWeights = lossWeights;
        Metrics = metrics;
        WeightedMetrics = weightedMetrics;
        LossKeys = lossKeys;
        MetricKeys = metricKeys;
        WeightedMetricKeys = weightedMetricKeys;
        var keys = new List<string> { "loss" };
        keys.AddRange(lossKeys.OfType<string>());
        keys.AddRange(metricKeys.SelectMany(k => k));
        keys.AddRange(weightedMetricKeys.SelectMany(k => k));
        LogKeys = [.. keys.Order(StringComparer.Ordinal)];
        AllMetrics = [.. metrics.SelectMany(m => m), .. weightedMetrics.SelectMany(m => m)];
    }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Each output's loss; null for an output that is not trained.</summary>
    public Loss?[] Losses { get; }

    /// <summary>
    /// Whether an output has a loss. Without one (Keras' <c>compile(optimizer)</c> with no <c>loss</c>) the model trains on
    /// what its layers add (<c>AddLoss</c>, activity regularizers) and its weights' penalties, and takes no targets.
    /// </summary>
    public bool HasCompiledLoss { get; }

    /// <summary>Each output's weight in the total loss, or null when every weight is 1 (Keras' <c>loss_weights</c>).</summary>
    public float[]? LossWeights { get; }

    /// <summary>Each output's metrics.</summary>
    public Metric[][] Metrics { get; }

    /// <summary>Every metric, output by output.</summary>
    public Metric[] AllMetrics { get; }

    /// <summary>Per output, the metrics that receive the sample weights (Keras' <c>weighted_metrics</c>).</summary>
    public Metric[][] WeightedMetrics { get; }

    /// <summary>Per output, the log names of <see cref="WeightedMetrics"/>: the metric's name, or <c>weighted_</c> + name where that is taken.</summary>
    public string[][] WeightedMetricKeys { get; }

    /// <summary>Each output's loss key (<c>dense_2_loss</c>), or null when the model has a single loss.</summary>
    public string?[] LossKeys { get; }

    /// <summary>Each output's metric keys.</summary>
    public string[][] MetricKeys { get; }

    /// <summary>Every key of the logs, sorted.</summary>
    public string[] LogKeys { get; }

    /// <summary>
    /// Which way the logged quantity <paramref name="key"/> improves (a <c>val_</c> prefix is ignored): down for the loss
    /// and each output's loss, the metric's own <see cref="Metric.Direction"/> for a metric, unknown for anything else.
    /// </summary>
    public MetricDirection DirectionOf(string key)
    {
        string name = key.StartsWith("val_", StringComparison.Ordinal) ? key[4..] : key;
        if (name == "loss" || Array.IndexOf(LossKeys, name) >= 0)
        {
            return MetricDirection.Down;
        }

        for (int k = 0; k < MetricKeys.Length; k++)
        {
            int m = Array.IndexOf(MetricKeys[k], name);
            if (m >= 0)
            {
                return Metrics[k][m].Direction;
            }

            m = Array.IndexOf(WeightedMetricKeys[k], name);
            if (m >= 0)
            {
                return WeightedMetrics[k][m].Direction;
            }
        }

        return MetricDirection.Unknown;
    }

    /// <summary>
    /// Checks and resolves a compile request for a model whose outputs are <paramref name="outputNames"/>.
    /// </summary>
    /// <remarks>
    /// No output may have a loss (Keras' <c>compile(optimizer)</c>): the loss is then the layers' added losses and the
    /// regularizers' penalties, and the trainer refuses a batch that has none of them (<see cref="HasCompiledLoss"/>).
    /// </remarks>
    /// <exception cref="ArgumentException">The counts do not match the outputs, a loss has reduction None,
    /// a weight is not finite and non-negative, a metric instance is used twice, a metric has several results (a list of
    /// thresholds), or two log keys coincide after Keras' suffixes (a metric named <c>loss</c>).</exception>
    public static CompileSettings Create(Optimizer optimizer, Loss?[] losses, float[]? lossWeights, Metric[][] metrics, Metric[][] weightedMetrics, IReadOnlyList<string> outputNames)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        int outputs = outputNames.Count;
        if (losses.Length != outputs)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The model has {outputs} output(s) ({Names(outputNames)}) but {losses.Length} losses were given."), nameof(losses));
        }

        for (int k = 0; k < outputs; k++)
        {
            // Keras' fit needs one number to differentiate: its JAX and PyTorch trainers fail on an unreduced loss (and
            // TensorFlow's would silently train on the sum), so an unreduced loss is refused here, before anything changes.
            if (losses[k] is { Reduction: LossReduction.None } unreduced)
            {
                throw new ArgumentException(
                    $"The loss {unreduced.Name} of output '{outputNames[k]}' has reduction None (Keras' \"none\"), which gives one value per sample; training and evaluation need one loss. Give it LossReduction.SumOverBatchSize (Keras' default), Sum, Mean or MeanWithSampleWeight.",
                    nameof(losses));
            }
        }

        if (lossWeights is not null)
        {
            if (lossWeights.Length != outputs)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"lossWeights must match the number of outputs, got {outputs} outputs ({Names(outputNames)}) and {lossWeights.Length} weights."), nameof(lossWeights));
            }

            for (int k = 0; k < outputs; k++)
            {
                if (!float.IsFinite(lossWeights[k]) || lossWeights[k] < 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(lossWeights), lossWeights[k], $"The loss weight of output '{outputNames[k]}' must be finite and non-negative.");
                }
            }

            if (lossWeights.All(w => w == 1f))
            {
                lossWeights = null;
            }
        }

        if (metrics.Length != outputs)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"For a model with multiple outputs, metrics must be given per output: the model has {outputs} outputs ({Names(outputNames)}) but metrics for {metrics.Length} were given."), nameof(metrics));
        }

        if (weightedMetrics.Length != outputs)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"weightedMetrics must be given per output: the model has {outputs} output(s) ({Names(outputNames)}) but weighted metrics for {weightedMetrics.Length} were given."), nameof(weightedMetrics));
        }

        var seenMetrics = new HashSet<Metric>(ReferenceEqualityComparer.Instance);
        var keys = new LogKeys();
        int lossCount = losses.Count(l => l is not null);
        var lossKeys = new string?[outputs];
        for (int k = 0; k < outputs; k++)
        {
            if (lossCount > 1 && losses[k] is not null)
            {
                lossKeys[k] = keys.AddLoss($"{outputNames[k]}_loss", $"the loss of output '{outputNames[k]}'", nameof(losses));
            }
        }

        // Keras' CompileMetrics.result(): a metric is logged under its name (after its output's name when there are several
        // outputs); a name already logged gets _1, _2, ... (two Precisions log precision and precision_1).
        var metricKeys = new string[outputs][];
        for (int k = 0; k < outputs; k++)
        {
            metricKeys[k] = new string[metrics[k].Length];
            for (int m = 0; m < metrics[k].Length; m++)
            {
                Metric metric = metrics[k][m] ?? throw new ArgumentNullException(nameof(metrics));
                if (!seenMetrics.Add(metric))
                {
                    throw new ArgumentException($"The same {metric.LogName} metric instance is given twice; a metric accumulates its own state, so give each output its own instance.", nameof(metrics));
                }

                metric.CheckOneResult(nameof(metrics));
                string prefix = outputs == 1 ? string.Empty : $"{outputNames[k]}_";
                metricKeys[k][m] = keys.AddMetric(prefix + metric.LogName, metric, Describe("metrics", outputs, outputNames[k], m, metric), nameof(metrics));
            }
        }

        // Keras: a weighted metric keeps its name unless it is logged already, then "weighted_" + name, then _1, _2, ...
        var weightedKeys = new string[outputs][];
        for (int k = 0; k < outputs; k++)
        {
            weightedKeys[k] = new string[weightedMetrics[k].Length];
            for (int m = 0; m < weightedMetrics[k].Length; m++)
            {
                Metric metric = weightedMetrics[k][m] ?? throw new ArgumentNullException(nameof(weightedMetrics));
                if (!seenMetrics.Add(metric))
                {
                    throw new ArgumentException($"The same {metric.LogName} metric instance is given twice; a metric accumulates its own state, so a weighted metric needs its own instance.", nameof(weightedMetrics));
                }

                metric.CheckOneResult(nameof(weightedMetrics));
                string prefix = outputs == 1 ? string.Empty : $"{outputNames[k]}_";
                string owner = Describe("weightedMetrics", outputs, outputNames[k], m, metric);
                weightedKeys[k][m] = keys.IsMetricName(prefix + metric.LogName)
                    ? keys.AddMetric($"{prefix}weighted_{metric.LogName}", metric, owner, nameof(weightedMetrics))
                    : keys.AddMetric(prefix + metric.LogName, metric, owner, nameof(weightedMetrics));
            }
        }

        return new CompileSettings(optimizer, losses, lossWeights, metrics, weightedMetrics, lossKeys, metricKeys, weightedKeys);
    }

    private static string Describe(string list, int outputs, string outputName, int index, Metric metric) =>
        string.Create(CultureInfo.InvariantCulture, $"{list}[{index}]{(outputs == 1 ? string.Empty : $" of output '{outputName}'")} ({metric.GetType().Name} '{metric.LogName}')");

    private static string Names(IReadOnlyList<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));
}
