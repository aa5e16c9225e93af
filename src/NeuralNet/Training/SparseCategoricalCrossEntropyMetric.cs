using NeuralNet.Losses;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>SparseCategoricalCrossentropy</c>, logged as <c>sparse_categorical_crossentropy</c>: the running mean
/// over samples of the loss <see cref="SparseCategoricalCrossEntropy"/>'s values (class-index targets), with the same
/// <c>from_logits</c> and <c>ignore_class</c>. Only the last axis (Keras' default <c>axis=-1</c>) is supported. Named with
/// "Metric" so that it does not clash with that loss.
/// </summary>
/// <remarks>
/// An ignored entry's value is 0. As in Keras, it still counts in the mean of an unweighted batch, while with sample
/// weights (or an output mask) a sample counts its weight times the fraction of its entries not ignored: Keras masks the
/// weights, not the unweighted count (<c>keras/src/metrics/probabilistic_metrics_test.py</c>: 0.78462 unweighted, 1.33775
/// weighted).
/// </remarks>
/// <param name="fromLogits">True when the model outputs logits rather than probabilities.</param>
/// <param name="ignoreClass">A target value whose entries are ignored, or null.</param>
public sealed class SparseCategoricalCrossEntropyMetric(bool fromLogits = false, int? ignoreClass = null)
    : LossMetric(new SparseCategoricalCrossEntropy(fromLogits, ignoreClass))
{
    /// <inheritdoc/>
    protected override string DefaultName => "sparse_categorical_crossentropy";

    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits => ((SparseCategoricalCrossEntropy)Loss).FromLogits;

    /// <summary>The target value whose entries are ignored, or null.</summary>
    public int? IgnoreClass => ((SparseCategoricalCrossEntropy)Loss).IgnoreClass;

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("from_logits", FromLogits).Set("ignore_class", (long?)IgnoreClass).Set("axis", -1);

    private protected override double Count(Tensor targets, int sample, int samples, double weight)
    {
        if (IgnoreClass is not int ignored)
        {
            return weight;
        }

        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        int perSample = t.Length / samples, kept = 0;
        foreach (float target in t.Slice(sample * perSample, perSample))
        {
            kept += target == (float)ignored ? 0 : 1;
        }

        return perSample == 0 ? 0 : weight * kept / perSample;
    }
}
