using NeuralNet.Losses;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>BinaryCrossentropy</c> (<c>"binary_crossentropy"</c>, <c>"bce"</c>), logged as
/// <c>binary_crossentropy</c>: the running mean of the loss <see cref="BinaryCrossEntropy"/>'s per-sample values (the mean
/// over a sample's elements), with the same <c>from_logits</c> and <c>label_smoothing</c>. Named with "Metric" so that it
/// does not clash with that loss.
/// </summary>
/// <param name="fromLogits">True when the model outputs logits rather than probabilities.</param>
/// <param name="labelSmoothing">Targets squeezed toward 0.5 by this amount, in [0, 1].</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1].</exception>
public sealed class BinaryCrossEntropyMetric(bool fromLogits = false, double labelSmoothing = 0)
    : LossMetric(new BinaryCrossEntropy(fromLogits, LossChecks.LabelSmoothing(nameof(BinaryCrossEntropyMetric), labelSmoothing)))
{
    /// <inheritdoc/>
    protected override string DefaultName => "binary_crossentropy";

    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits => ((BinaryCrossEntropy)Loss).FromLogits;

    /// <summary>The label smoothing.</summary>
    public double LabelSmoothing => ((BinaryCrossEntropy)Loss).LabelSmoothing;

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("from_logits", FromLogits).Set("label_smoothing", LabelSmoothing);
}
