using System.Globalization;
using System.Text;

namespace NeuralNet.Training;

/// <summary>
/// Counts of (actual class, predicted class) pairs, with the per-class precision, recall and F1 score derived from them.
/// Rows are actual classes, columns predicted classes (scikit-learn's convention).
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    /// <summary>Creates an empty matrix for <paramref name="classCount"/> classes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is below 1.</exception>
    public ConfusionMatrix(int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ClassCount = classCount;
        _counts = new long[classCount * classCount];
    }

    /// <summary>The number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The number of samples counted.</summary>
    public long Total { get; private set; }

    /// <summary>The number of samples of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A class index is outside [0, <see cref="ClassCount"/>).</exception>
    public long this[int actual, int predicted]
    {
        get
        {
            CheckClass(actual, nameof(actual));
            CheckClass(predicted, nameof(predicted));
            return _counts[(actual * ClassCount) + predicted];
        }
    }

    /// <summary>Builds the matrix from class labels.</summary>
    /// <param name="actual">The true class of each sample.</param>
    /// <param name="predicted">The predicted class of each sample.</param>
    /// <param name="classCount">The number of classes; labels must be in [0, classCount).</param>
    /// <exception cref="ArgumentException">The spans differ in length, or a label is out of range (the message names the sample).</exception>
    public static ConfusionMatrix FromLabels(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted, int classCount)
    {
        if (actual.Length != predicted.Length)
        {
            throw new ArgumentException($"actual has {actual.Length} labels but predicted has {predicted.Length}.", nameof(predicted));
        }

        var matrix = new ConfusionMatrix(classCount);
        for (int i = 0; i < actual.Length; i++)
        {
            matrix.Add(actual[i], predicted[i], i);
        }

        return matrix;
    }

    /// <summary>
    /// Builds the matrix from model outputs and targets: the predicted class is the arg-max of each output row; the
    /// actual class is the arg-max of each one-hot target row, or the label itself when targets hold one value per sample.
    /// </summary>
    /// <param name="predictions">(samples, classes) scores or probabilities, e.g. from <see cref="Models.Model.Predict(Models.ModelData, int, IEnumerable{Callback}?, int, TextWriter?, CancellationToken)"/>.</param>
    /// <param name="targets">(samples, classes) one-hot, or (samples,) / (samples, 1) integer labels.</param>
    /// <exception cref="ArgumentException">The predictions or targets have more than two axes (a sequence output such as
    /// (samples, steps, classes) is not flattened into steps × classes classes: reshape it to (samples · steps, classes)
    /// first), the sample counts or widths do not fit, or a label is out of range.</exception>
    public static ConfusionMatrix FromPredictions(Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        if (predictions.Rank > 2)
        {
            throw new ArgumentException($"predictions {predictions.Shape} have {predictions.Rank} axes; a confusion matrix takes (samples, classes) scores. For one prediction per position of a sequence, reshape the predictions to (samples * steps, classes) and the targets to match.", nameof(predictions));
        }

        if (targets.Rank > 2)
        {
            throw new ArgumentException($"targets {targets.Shape} have {targets.Rank} axes; a confusion matrix takes (samples, classes) one-hot or (samples,) / (samples, 1) label targets. Reshape sequence targets to (samples * steps, ...) first.", nameof(targets));
        }

        int samples = predictions.Shape[0];
        if (targets.Shape[0] != samples)
        {
            throw new ArgumentException($"predictions {predictions.Shape} and targets {targets.Shape} have different sample counts.", nameof(targets));
        }

        if (samples == 0)
        {
            throw new ArgumentException($"predictions {predictions.Shape} hold no samples; a confusion matrix needs at least one.", nameof(predictions));
        }

        int classes = predictions.Length / samples;
        int targetWidth = targets.Length / samples;
        if (targetWidth != 1 && targetWidth != classes)
        {
            throw new ArgumentException($"predictions {predictions.Shape} do not match targets {targets.Shape}: expected one-hot targets of width {classes} or one label per sample.", nameof(targets));
        }

        var matrix = new ConfusionMatrix(classes);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan();
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        for (int i = 0; i < samples; i++)
        {
            int predicted = Training.Accuracy.ArgMax(p.Slice(i * classes, classes));
            int actual = targetWidth == 1 ? (int)t[i] : Training.Accuracy.ArgMax(t.Slice(i * classes, classes));
            matrix.Add(actual, predicted, i);
        }

        return matrix;
    }

    /// <summary>The number of samples whose actual class is <paramref name="classIndex"/>.</summary>
    public long Support(int classIndex)
    {
        CheckClass(classIndex, nameof(classIndex));
        long sum = 0;
        for (int j = 0; j < ClassCount; j++)
        {
            sum += _counts[(classIndex * ClassCount) + j];
        }

        return sum;
    }

    /// <summary>The number of samples predicted as <paramref name="classIndex"/>.</summary>
    public long PredictedCount(int classIndex)
    {
        CheckClass(classIndex, nameof(classIndex));
        long sum = 0;
        for (int i = 0; i < ClassCount; i++)
        {
            sum += _counts[(i * ClassCount) + classIndex];
        }

        return sum;
    }

    /// <summary>Of the samples predicted as the class, the fraction that are (0 when none were predicted, as scikit-learn's zero_division default).</summary>
    public double Precision(int classIndex)
    {
        long predicted = PredictedCount(classIndex);
        return predicted == 0 ? 0.0 : (double)_counts[(classIndex * ClassCount) + classIndex] / predicted;
    }

    /// <summary>Of the samples of the class, the fraction predicted as it (0 when the class has no samples).</summary>
    public double Recall(int classIndex)
    {
        long support = Support(classIndex);
        return support == 0 ? 0.0 : (double)_counts[(classIndex * ClassCount) + classIndex] / support;
    }

    /// <summary>The harmonic mean of precision and recall (0 when both are 0).</summary>
    public double F1Score(int classIndex)
    {
        double p = Precision(classIndex);
        double r = Recall(classIndex);
        return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
    }

    /// <summary>The fraction of samples on the diagonal.</summary>
    public double Accuracy
    {
        get
        {
            if (Total == 0)
            {
                return 0.0;
            }

            long diagonal = 0;
            for (int c = 0; c < ClassCount; c++)
            {
                diagonal += _counts[(c * ClassCount) + c];
            }

            return (double)diagonal / Total;
        }
    }

    /// <summary>A per-class precision / recall / F1 report formatted like scikit-learn's <c>classification_report</c>.</summary>
    /// <param name="classNames">Row labels; the class indices when null.</param>
    /// <param name="digits">Digits after the decimal point.</param>
    public string ClassificationReport(IReadOnlyList<string>? classNames = null, int digits = 2) =>
        Training.ClassificationReport.Format(this, classNames, digits);

    /// <summary>The counts as a right-aligned grid, one row per actual class.</summary>
    public override string ToString()
    {
        long max = 0;
        foreach (long c in _counts)
        {
            max = Math.Max(max, c);
        }

        int width = Math.Max(max.ToString(CultureInfo.InvariantCulture).Length, (ClassCount - 1).ToString(CultureInfo.InvariantCulture).Length) + 1;
        var sb = new StringBuilder();
        for (int i = 0; i < ClassCount; i++)
        {
            for (int j = 0; j < ClassCount; j++)
            {
                sb.Append(_counts[(i * ClassCount) + j].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    private void Add(int actual, int predicted, int sample)
    {
        if ((uint)actual >= (uint)ClassCount || (uint)predicted >= (uint)ClassCount)
        {
            throw new ArgumentException($"Sample {sample}: class {((uint)actual >= (uint)ClassCount ? actual : predicted)} is outside [0, {ClassCount}).");
        }

        _counts[(actual * ClassCount) + predicted]++;
        Total++;
    }

    private void CheckClass(int classIndex, string name)
    {
        if ((uint)classIndex >= (uint)ClassCount)
        {
            throw new ArgumentOutOfRangeException(name, classIndex, $"Class {classIndex} is outside [0, {ClassCount}).");
        }
    }
}
