namespace NeuralNet.Training;

/// <summary>How <see cref="R2Score"/> combines the scores of the output columns (Keras' <c>class_aggregation</c>).</summary>
public enum R2ClassAggregation
{
    /// <summary>
    /// Keras' <c>None</c>: no aggregation, one score per column, read by <see cref="R2Score.Results"/>. The logs of Fit and
    /// Evaluate hold one number per metric, so <c>Compile</c> refuses such a metric.
    /// </summary>
    None,

    /// <summary>Keras' <c>"uniform_average"</c> (the default): the mean of the columns' scores.</summary>
    UniformAverage,

    /// <summary>
    /// Keras' <c>"variance_weighted_average"</c>: the columns' scores weighted by their targets' (weighted) sum of squared
    /// deviations from their mean, Σ(t − mean t)².
    /// </summary>
    VarianceWeightedAverage,
}
