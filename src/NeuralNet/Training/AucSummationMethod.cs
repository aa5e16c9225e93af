namespace NeuralNet.Training;

/// <summary>How <see cref="Auc"/> sums the areas between successive thresholds (Keras' <c>summation_method</c>).</summary>
public enum AucSummationMethod
{
    /// <summary>
    /// Keras' <c>"interpolation"</c> (the default): trapezoids for the ROC curve; for the PR curve, true and false positives
    /// interpolated linearly between thresholds (Davis and Goadrich), not the precision itself.
    /// </summary>
    Interpolation,

    /// <summary>Keras' <c>"minoring"</c>: each step's height is the lower of its two ends, a lower bound of the area.</summary>
    Minoring,

    /// <summary>Keras' <c>"majoring"</c>: each step's height is the higher of its two ends, an upper bound of the area.</summary>
    Majoring,
}
