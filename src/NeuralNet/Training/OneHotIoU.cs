using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>OneHotIoU</c>: <see cref="IoU"/> with one-hot targets (the arg-max over the last axis is the class) and,
/// unless <c>sparseYPred</c>, scores as predictions. Logged as <c>one_hot_io_u</c>.
/// </summary>
/// <param name="numClasses">The number of classes, at least 2.</param>
/// <param name="targetClassIds">The classes whose IoUs are averaged.</param>
/// <param name="ignoreClass">A target class left out of every count, or null.</param>
/// <param name="sparseYPred">True when predictions are class indices; false (the default) for probabilities or logits.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="numClasses"/> is below 2.</exception>
/// <exception cref="ArgumentException"><paramref name="targetClassIds"/> is empty or holds a value outside [0, numClasses).</exception>
public sealed class OneHotIoU(int numClasses, IReadOnlyList<int> targetClassIds, int? ignoreClass = null, bool sparseYPred = false)
    : IoU(numClasses, targetClassIds, ignoreClass, sparseYTrue: false, sparseYPred)
{
    /// <inheritdoc/>
    protected override string DefaultName => "one_hot_io_u";

    /// <inheritdoc/>
    public override Config GetConfig() => new Config()
        .Set("num_classes", NumClasses)
        .Set("target_class_ids", TargetClassIds.ToArray())
        .Set("ignore_class", (long?)IgnoreClass)
        .Set("sparse_y_pred", SparseYPred);
}
