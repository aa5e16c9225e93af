using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// A quantity tracked during training and evaluation, accumulated over batches (Keras metrics are stateful the same way).
/// </summary>
/// <remarks>
/// The model calls <see cref="Reset"/> at the start of each epoch (and of each evaluation), <see cref="Update(Tensor, Tensor)"/> after
/// every batch, and reads <see cref="Result"/> for the logs under <see cref="Name"/> (validation results get the
/// prefix <c>val_</c>). <see cref="Update(Tensor, Tensor)"/> must not allocate: it runs once per training step.
/// </remarks>
public abstract class Metric
{
    /// <summary>The key in logs and history, as Keras names it (<c>accuracy</c>).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The identifier the metric was asked for by (<c>"mae"</c> in <c>Compile("adam", "mse", "mae")</c>, or a name in a
    /// loaded file), under which Keras 3 logs it (<c>get_metric</c>: <c>metric_obj.name = identifier</c>); null for a
    /// metric object given directly, which is logged under <see cref="Name"/>.
    /// </summary>
    internal string? Identifier { get; set; }

    /// <summary>The name in logs and history: <see cref="Identifier"/> when the metric was named by one, otherwise <see cref="Name"/>.</summary>
    internal string LogName => Identifier ?? Name;

    /// <summary>
    /// Which way the metric improves, read by callbacks monitoring it in <see cref="MonitorMode.Auto"/> (Keras' metric
    /// <c>_direction</c>). Every built-in metric declares one; a metric of your own is <see cref="MetricDirection.Unknown"/>
    /// unless it overrides this, and then a callback monitoring it in Auto mode throws before training and asks for a mode.
    /// </summary>
    public virtual MetricDirection Direction => MetricDirection.Unknown;

    /// <summary>Forgets everything accumulated.</summary>
    public abstract void Reset();

    /// <summary>Accumulates one batch.</summary>
    /// <param name="predictions">The model's outputs for the batch, (batch, ...).</param>
    /// <param name="targets">The targets for the batch, as given to the loss.</param>
    public abstract void Update(Tensor predictions, Tensor targets);

    /// <summary>
    /// Accumulates one batch with one non-negative weight per sample (Keras' <c>sample_weight</c>, for the
    /// <c>weightedMetrics</c> of <c>Compile</c>): each sample counts in proportion to its weight, as Keras' metrics weigh
    /// them (a weighted mean for accuracies and errors, weighted counts for precision, recall, AUC and F-scores). An
    /// empty span means no weights. Every built-in metric implements it; the base accepts only an empty span.
    /// </summary>
    /// <param name="predictions">The model's outputs for the batch, (batch, ...).</param>
    /// <param name="targets">The targets for the batch, as given to the loss.</param>
    /// <param name="sampleWeights">One weight per sample of the batch, or empty.</param>
    /// <exception cref="ArgumentException">The number of weights differs from the batch.</exception>
    /// <exception cref="NotSupportedException">Weights were given to a metric of your own that does not override this method.</exception>
    public virtual void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        if (!sampleWeights.IsEmpty)
        {
            throw new NotSupportedException($"The metric {Name} ({GetType().Name}) does not take sample weights (override Update with sampleWeights), so it cannot be a weighted metric.");
        }

        Update(predictions, targets);
    }

    /// <summary>The value over everything accumulated since the last <see cref="Reset"/> (0 when nothing was).</summary>
    public abstract double Result();

    /// <summary>
    /// Checks the values of a whole target tensor before any training, where a shape check cannot see the mistake (AUC's
    /// targets must be 0 or 1, sparse class indices must be below the number of classes); throws naming the sample. Does
    /// nothing unless a metric overrides it.
    /// </summary>
    /// <param name="targets">All targets, (samples, ...).</param>
    /// <param name="outputShape">The per-sample shape of the model's output for these targets.</param>
    /// <exception cref="ArgumentException">A target value is not one this metric accepts.</exception>
    public virtual void ValidateTargets(Tensor targets, TensorShape outputShape)
    {
    }

    /// <summary>
    /// Checks, before any training, that targets of per-sample shape <paramref name="targetShape"/> fit outputs of
    /// per-sample shape <paramref name="outputShape"/>; throws <see cref="ArgumentException"/> naming both otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit this metric.</exception>
    public virtual void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
    }

    /// <summary>
    /// Refuses, when the metric is compiled, a metric that reports several numbers (a confusion metric with a list of
    /// thresholds): the logs of Fit and Evaluate hold one number per metric. Does nothing for a metric with one result.
    /// </summary>
    /// <exception cref="ArgumentException">The metric has several results.</exception>
    internal virtual void CheckOneResult(string parameterName)
    {
    }

    /// <summary>
    /// The metric's settings under Keras' names (Keras' <c>get_config</c>); empty for one without settings. A built-in
    /// metric with its default settings is saved as its <see cref="Name"/> (<c>"accuracy"</c>).
    /// </summary>
    public virtual Config GetConfig() => new();

    /// <inheritdoc/>
    public override string ToString() => Name;
}
