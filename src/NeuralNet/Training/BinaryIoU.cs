using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>BinaryIoU</c>: <see cref="IoU"/> over the two classes 0 and 1, a prediction being class 1 when at or above
/// <see cref="Threshold"/> (class 0 below it) and a target its class index (0 or 1); the mean over
/// <see cref="IoU.TargetClassIds"/> (both classes by default). Logged as <c>binary_io_u</c>.
/// </summary>
public sealed class BinaryIoU : IoU
{
    /// <summary>Creates the metric.</summary>
    /// <param name="targetClassIds">The classes averaged: 0, 1 or both (null for both).</param>
    /// <param name="threshold">A prediction at or above it is class 1, in [0, 1].</param>
    /// <exception cref="ArgumentException"><paramref name="targetClassIds"/> is empty or holds a value other than 0 and 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is outside [0, 1].</exception>
    public BinaryIoU(IReadOnlyList<int>? targetClassIds = null, double threshold = 0.5)
        : base(2, targetClassIds ?? [0, 1])
    {
        Threshold = threshold is >= 0 and <= 1 ? threshold : throw new ArgumentOutOfRangeException(nameof(threshold), threshold,
            FormattableString.Invariant($"BinaryIoU expects a threshold in [0, 1] but got threshold={threshold}."));
    }

    /// <summary>The decision threshold: a prediction at or above it is class 1.</summary>
    public double Threshold { get; }

    /// <inheritdoc/>
    protected override string DefaultName => "binary_io_u";

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("target_class_ids", TargetClassIds.ToArray()).Set("threshold", Threshold);

    // Keras: y_pred = cast(y_pred >= threshold), in float32.
    private protected override float SparsePrediction(float prediction) => prediction >= (float)Threshold ? 1 : 0;
}
