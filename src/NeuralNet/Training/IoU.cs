using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>IoU</c>: a confusion matrix streamed over batches, and the mean over the classes
/// <see cref="TargetClassIds"/> of the intersection over union TP / (TP + FP + FN). A target class that never occurs, as
/// target or prediction, has no denominator and is left out of the mean; 0 when nothing was counted. Logged as
/// <c>io_u</c>, Keras' name for the class. <see cref="MeanIoU"/> is the mean over every class.
/// </summary>
/// <remarks>
/// <para>Every label position counts (segmentation maps included): targets and predictions are class indices (sparse,
/// Keras' default) or rows over the last axis whose arg-max is the class (one-hot targets, probabilities or logits; set
/// <c>sparseYTrue</c> / <c>sparseYPred</c> to false). Both sides must give the same number of labels.</para>
/// <para>Keras adds 1e-7 to each denominator and to the count of classes; with whole counts that changes nothing at
/// float32 precision, so the result here is the exact mean, computed from double-precision counts (exact for whole counts below 2^53; sample weights add fractions).</para>
/// </remarks>
public class IoU : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private readonly double[] _matrix;
    private readonly int[] _targetClassIds;

    /// <summary>Creates the metric with its confusion matrix (numClasses² counts, allocated once).</summary>
    /// <param name="numClasses">The number of classes, at least 2.</param>
    /// <param name="targetClassIds">The classes whose IoUs are averaged: one or more of [0, numClasses).</param>
    /// <param name="ignoreClass">A target class left out of every count (a segmentation map's "void" label such as 255 or
    /// −1), or null to count everything. It need not be in [0, numClasses).</param>
    /// <param name="sparseYTrue">True when targets are class indices; false for one-hot (arg-max) targets.</param>
    /// <param name="sparseYPred">True when predictions are class indices; false for probabilities or logits (arg-max).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numClasses"/> is below 2.</exception>
    /// <exception cref="ArgumentException"><paramref name="targetClassIds"/> is empty or holds a value outside [0, numClasses).</exception>
    public IoU(int numClasses, IReadOnlyList<int> targetClassIds, int? ignoreClass = null, bool sparseYTrue = true, bool sparseYPred = true)
    {
        if (numClasses < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses,
                $"{GetType().Name} expects numClasses >= 2 (a binary task has 2 classes, 0 and 1) but got numClasses={numClasses}.");
        }

        ArgumentNullException.ThrowIfNull(targetClassIds);
        if (targetClassIds.Count == 0 || targetClassIds.Any(id => id < 0 || id >= numClasses))
        {
            throw new ArgumentException(
                FormattableString.Invariant($"{GetType().Name} expects targetClassIds to be one or more classes in [0, {numClasses}) but got [{string.Join(", ", targetClassIds)}]."), nameof(targetClassIds));
        }

        NumClasses = numClasses;
        _targetClassIds = [.. targetClassIds];
        TargetClassIds = Array.AsReadOnly(_targetClassIds);
        IgnoreClass = ignoreClass;
        SparseYTrue = sparseYTrue;
        SparseYPred = sparseYPred;
        _matrix = new double[checked(numClasses * numClasses)];
    }

    /// <summary>The number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>The target class left out of the counts, or null.</summary>
    public int? IgnoreClass { get; }

    /// <summary>Whether targets are class indices (otherwise one-hot rows).</summary>
    public bool SparseYTrue { get; }

    /// <summary>Whether predictions are class indices (otherwise rows of scores).</summary>
    public bool SparseYPred { get; }

    /// <summary>The classes whose IoUs are averaged.</summary>
    public IReadOnlyList<int> TargetClassIds { get; }

    /// <inheritdoc/>
    protected override string DefaultName => "io_u";

    /// <inheritdoc/>
    public override void Reset() => Array.Clear(_matrix);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A one-hot or score row is not <see cref="NumClasses"/> wide, or the targets and
    /// outputs give different numbers of labels (the message says which setting may be wrong).</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        long predicted = Labels(outputShape, SparseYPred, "outputShape", "output");
        long actual = Labels(targetShape, SparseYTrue, "targetShape", "targets");
        if (predicted != actual)
        {
            string hint = SparseYPred && outputShape.Rank > 0 && outputShape[-1] == NumClasses
                ? " The outputs look like class scores: use sparseYPred: false."
                : SparseYTrue && targetShape.Rank > 0 && targetShape[-1] == NumClasses
                ? " The targets look one-hot: use sparseYTrue: false."
                : string.Empty;
            throw new ArgumentException(
                FormattableString.Invariant($"{Name}: output {outputShape.ToBatchString()} gives {predicted} labels per sample but targets {targetShape.ToBatchString()} give {actual}.{hint}"),
                nameof(targetShape));
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">With sparse targets, a target other than the ignored class is not a class index in [0, <see cref="NumClasses"/>).</exception>
    public override void ValidateTargets(Tensor targets, TensorShape outputShape)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (!SparseYTrue)
        {
            return;
        }

        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        int perSample = Losses.LossChecks.ValuesPerSample(targets);
        for (int i = 0; i < t.Length; i++)
        {
            if (!IsIgnored(t[i]) && !IsClass(t[i]))
            {
                throw Bad("target", t[i], i, perSample, nameof(targets), string.Empty);
            }
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes do not fit, or a target (other than the ignored class) or a sparse
    /// prediction is not a class index in [0, <see cref="NumClasses"/>); the message names the sample. Nothing is counted then.</exception>
    public override void Update(Tensor predictions, Tensor targets) => Update(predictions, targets, default);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">As for <see cref="Update(Tensor, Tensor)"/>, or the weights are not one per sample.</exception>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        int predictedWidth = Width(predictions, SparseYPred, nameof(predictions)), actualWidth = Width(targets, SparseYTrue, nameof(targets));
        int count = predictions.Length / predictedWidth;
        if (targets.Length / actualWidth != count)
        {
            throw new ArgumentException(
                $"{Name}: predictions {predictions.Shape} give {count} labels but targets {targets.Shape} give {targets.Length / actualWidth}.", nameof(targets));
        }

        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        int perSample = predictions.Rank == 0 || predictions.Shape[0] == 0 ? 1 : Math.Max(count / predictions.Shape[0], 1);
        StreamingMetrics.PerSample(Name, predictions, count, sampleWeights);

        // Checked first, so that a bad label leaves the counts of earlier batches as they were.
        for (int i = 0; i < count; i++)
        {
            if (SparseYTrue && !IsIgnored(t[i]) && !IsClass(t[i]))
            {
                throw Bad("target", t[i], i, perSample, nameof(targets), string.Empty);
            }

            if (SparseYPred && !(SparseYTrue ? IsIgnored(t[i]) : IsIgnored(Actual(t, i, actualWidth))) && !IsClass(SparsePrediction(p[i])))
            {
                throw Bad("prediction", p[i], i, perSample, nameof(predictions), " With probabilities or logits, use sparseYPred: false.");
            }
        }

        for (int i = 0; i < count; i++)
        {
            int actual = Actual(t, i, actualWidth);
            if (!IsIgnored(actual))
            {
                int predicted = SparseYPred ? (int)SparsePrediction(p[i]) : Accuracy.ArgMax(p.Slice(i * predictedWidth, predictedWidth));
                _matrix[(actual * NumClasses) + predicted] += StreamingMetrics.Weight(sampleWeights, i, perSample);
            }
        }
    }

    /// <inheritdoc/>
    public override double Result()
    {
        int n = NumClasses;
        double total = 0;
        int present = 0;
        foreach (int c in _targetClassIds)
        {
            double truePositives = _matrix[(c * n) + c], actual = 0, predicted = 0;
            for (int k = 0; k < n; k++)
            {
                actual += _matrix[(c * n) + k];
                predicted += _matrix[(k * n) + c];
            }

            double union = actual + predicted - truePositives;
            if (union > 0)
            {
                total += truePositives / union;
                present++;
            }
        }

        return present == 0 ? 0 : total / present;
    }

    /// <inheritdoc/>
    public override Config GetConfig() => new Config()
        .Set("num_classes", NumClasses)
        .Set("target_class_ids", _targetClassIds)
        .Set("ignore_class", (long?)IgnoreClass)
        .Set("sparse_y_true", SparseYTrue)
        .Set("sparse_y_pred", SparseYPred);

    /// <summary>The class a sparse prediction names: Keras casts it to an integer (truncation); <see cref="BinaryIoU"/> thresholds it.</summary>
    private protected virtual float SparsePrediction(float prediction) => MathF.Truncate(prediction);

    private bool IsClass(float value) => value >= 0 && value < NumClasses && value == MathF.Floor(value);

    private bool IsIgnored(float value) => IgnoreClass is int ignored && value == ignored;

    private bool IsIgnored(int actual) => IgnoreClass == actual;

    private int Actual(ReadOnlySpan<float> targets, int i, int width) =>
        SparseYTrue ? (IsIgnored(targets[i]) ? IgnoreClass!.Value : (int)targets[i]) : Accuracy.ArgMax(targets.Slice(i * width, width));

    // 1 for class indices; for rows, the last axis, which must hold one score per class so that the arg-max is a class.
    private int Width(Tensor tensor, bool sparse, string parameter)
    {
        if (sparse)
        {
            return 1;
        }

        int width = tensor.Rank == 0 ? 1 : tensor.Shape[-1];
        return width == NumClasses
            ? width
            : throw new ArgumentException(
                FormattableString.Invariant($"{Name}: {parameter} {tensor.Shape} must have {NumClasses} values (one per class) on the last axis to take the arg-max."), parameter);
    }

    private long Labels(TensorShape sampleShape, bool sparse, string parameter, string what)
    {
        if (sparse)
        {
            return sampleShape.Rank == 0 ? 1 : sampleShape.ElementCount;
        }

        return sampleShape.Rank > 0 && sampleShape[-1] == NumClasses
            ? sampleShape.ElementCount / NumClasses
            : throw new ArgumentException(
                FormattableString.Invariant($"{Name}: {what} {sampleShape.ToBatchString()} must end with {NumClasses} values (one per class) to take the arg-max."), parameter);
    }

    private ArgumentException Bad(string what, float value, int i, int perSample, string parameter, string hint)
    {
        string where = perSample == 1
            ? string.Create(CultureInfo.InvariantCulture, $"sample {i}")
            : string.Create(CultureInfo.InvariantCulture, $"sample {i / perSample} (position {i % perSample})");
        string ignored = what == "target" && IgnoreClass is int id ? string.Create(CultureInfo.InvariantCulture, $" nor the ignored class {id}") : string.Empty;
        return new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"{Name}: {what} {value} of {where} is not a class index in [0, {NumClasses}){ignored}.{hint}"), parameter);
    }
}
