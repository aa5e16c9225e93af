using NeuralNet.Losses;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>CategoricalCrossentropy</c>, logged as <c>categorical_crossentropy</c>: the running mean over rows
/// (the last axis, one-hot or soft targets) of the loss <see cref="CategoricalCrossEntropy"/>'s values, with the same
/// <c>from_logits</c> and <c>label_smoothing</c>. Only the last axis (Keras' default <c>axis=-1</c>) is supported. Named
/// with "Metric" so that it does not clash with that loss.
/// </summary>
/// <param name="fromLogits">True when the model outputs logits rather than probabilities.</param>
/// <param name="labelSmoothing">Targets mixed with the uniform distribution by this amount, in [0, 1].</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1].</exception>
public sealed class CategoricalCrossEntropyMetric(bool fromLogits = false, double labelSmoothing = 0)
    : LossMetric(new CategoricalCrossEntropy(fromLogits, labelSmoothing))
{
    /// <inheritdoc/>
    protected override string DefaultName => "categorical_crossentropy";

    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits => ((CategoricalCrossEntropy)Loss).FromLogits;

    /// <summary>The label smoothing.</summary>
    public double LabelSmoothing => ((CategoricalCrossEntropy)Loss).LabelSmoothing;

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("from_logits", FromLogits).Set("label_smoothing", LabelSmoothing).Set("axis", -1);
}
