using NeuralNet.Losses;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>CategoricalCrossentropy</c>, logged as <c>categorical_crossentropy</c>: the running mean over rows
/// (the last axis, one-hot or soft targets) of the loss <see cref="CategoricalCrossEntropy"/>'s values, with the same
/// <c>from_logits</c>, <c>label_smoothing</c> and <c>axis</c> (the class axis, the last by default). Named with "Metric"
/// so that it does not clash with that loss.
/// </summary>
/// <param name="fromLogits">True when the model outputs logits rather than probabilities.</param>
/// <param name="labelSmoothing">Targets mixed with the uniform distribution by this amount, in [0, 1].</param>
/// <param name="axis">The class axis (Keras' <c>axis</c>): -1, the last, by default; 1 for channels-first outputs; not 0, the batch axis.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1], or <paramref name="axis"/> is 0.</exception>
public sealed class CategoricalCrossEntropyMetric(bool fromLogits = false, double labelSmoothing = 0, int axis = -1)
    : LossMetric(new CategoricalCrossEntropy(
        fromLogits,
        LossChecks.LabelSmoothing(nameof(CategoricalCrossEntropyMetric), labelSmoothing),
        ClassAxis.Check(nameof(CategoricalCrossEntropyMetric), axis)))
{
    // The settings are checked under the metric's name first: a refusal by the loss would name the loss.
    /// <inheritdoc/>
    protected override string DefaultName => "categorical_crossentropy";

    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits => ((CategoricalCrossEntropy)Loss).FromLogits;

    /// <summary>The label smoothing.</summary>
    public double LabelSmoothing => ((CategoricalCrossEntropy)Loss).LabelSmoothing;

    /// <summary>The class axis, -1 for the last.</summary>
    public int Axis => ((CategoricalCrossEntropy)Loss).Axis;

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("from_logits", FromLogits).Set("label_smoothing", LabelSmoothing).Set("axis", Axis);
}
