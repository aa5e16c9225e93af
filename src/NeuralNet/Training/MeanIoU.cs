using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>MeanIoU</c>: <see cref="IoU"/> over every class, the mean of TP / (TP + FP + FN) over the classes whose
/// denominator is not 0; 0 when nothing was counted. Logged as <c>mean_io_u</c>, Keras' name for the class.
/// </summary>
/// <param name="numClasses">The number of classes, at least 2.</param>
/// <param name="ignoreClass">A target class left out of every count, or null to count everything.</param>
/// <param name="sparseYTrue">True when targets are class indices; false for one-hot (arg-max) targets.</param>
/// <param name="sparseYPred">True when predictions are class indices; false for probabilities or logits (arg-max).</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="numClasses"/> is below 2.</exception>
public class MeanIoU(int numClasses, int? ignoreClass = null, bool sparseYTrue = true, bool sparseYPred = true)
    : IoU(numClasses, AllClasses(numClasses), ignoreClass, sparseYTrue, sparseYPred)
{
    /// <inheritdoc/>
    protected override string DefaultName => "mean_io_u";

    /// <inheritdoc/>
    public override Config GetConfig() => new Config()
        .Set("num_classes", NumClasses)
        .Set("ignore_class", (long?)IgnoreClass)
        .Set("sparse_y_true", SparseYTrue)
        .Set("sparse_y_pred", SparseYPred);

    // Checked by IoU's constructor, which names numClasses; an empty range here reaches it as numClasses < 2.
    private static int[] AllClasses(int numClasses) => numClasses < 2 ? [0] : [.. Enumerable.Range(0, numClasses)];
}
