using System.Globalization;

namespace NeuralNet.Training;

/// <summary>Turns <c>Fit</c>'s and <c>Evaluate</c>'s <c>sampleWeight</c> and <c>classWeight</c> into one weight per sample, checked.</summary>
internal static class SampleWeights
{
    /// <summary>
    /// One weight per sample from <paramref name="sampleWeight"/> ((samples) or (samples, 1)), or null when none was given.
    /// </summary>
    /// <exception cref="ArgumentException">The length differs from the samples, or a weight is negative or not finite.</exception>
    public static Tensor? FromSampleWeight(Tensor? sampleWeight, int samples)
    {
        if (sampleWeight is null)
        {
            return null;
        }

        bool columnVector = sampleWeight.Rank == 2 && sampleWeight.Shape[1] == 1;
        if (!(sampleWeight.Rank == 1 || columnVector) || sampleWeight.Shape[0] != samples)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"sampleWeight has shape {sampleWeight.Shape} but the data has {samples} samples; expected ({samples}) — one weight per sample."), nameof(sampleWeight));
        }

        ReadOnlySpan<float> values = sampleWeight.AsReadOnlySpan();
        for (int i = 0; i < values.Length; i++)
        {
            if (!(values[i] >= 0) || float.IsInfinity(values[i]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"sampleWeight[{i}] is {values[i]}; sample weights must be non-negative and finite."), nameof(sampleWeight));
            }
        }

        return columnVector ? sampleWeight.Reshape(samples) : sampleWeight;
    }

    /// <summary>
    /// One weight per sample: the weight of the class of each target (argmax of several columns, the rounded value for one
    /// output unit, the label itself for integer labels).
    /// </summary>
    /// <param name="classWeight">The weights by class.</param>
    /// <param name="targets">The targets (samples, ...) of the model's single output.</param>
    /// <param name="outputWidth">The number of units of that output.</param>
    /// <param name="ignoredLabel">The loss's <c>ignoreClass</c>, if any: a label equal to it weighs 1 (Keras gives every
    /// label missing from <c>class_weight</c> weight 1; the loss masks it anyway).</param>
    /// <exception cref="ArgumentException">A weighted class is outside the model's classes, or a target is not a class.</exception>
    public static Tensor FromClassWeight(ClassWeights classWeight, Tensor targets, int outputWidth, int? ignoredLabel = null)
    {
        int classes = outputWidth == 1 ? 2 : outputWidth;
        foreach (int c in classWeight.Classes)
        {
            if (c >= classes)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"classWeight has the class {c}, but the model's output has {outputWidth} unit{(outputWidth == 1 ? " (binary: classes 0 and 1)" : "s")}; class indices must be in [0, {classes})."), nameof(classWeight));
            }
        }

        int samples = targets.Shape[0];
        int width = targets.Length / samples;
        if (targets.Rank > 2 || (width > 1 && width != outputWidth))
        {
            throw new ArgumentException($"classWeight needs one class per sample (labels, or one-hot rows of the output's {outputWidth} classes), but the targets are {targets.Shape}; as Keras, targets of rank 3 or more cannot take class weights: give sampleWeight instead.", nameof(classWeight));
        }

        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        var weights = new Tensor(samples);
        Span<float> w = weights.AsSpan();
        for (int i = 0; i < samples; i++)
        {
            ReadOnlySpan<float> row = t.Slice(i * width, width);
            int label = width > 1 ? ArgMax(row) : (int)MathF.Round(row[0]);
            if (width == 1 && ignoredLabel is int ignored && row[0] == ignored)
            {
                w[i] = 1f;
                continue;
            }

            if (width == 1 && (label < 0 || label >= classes || (outputWidth > 1 && row[0] != label)))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"classWeight: the target of sample {i} is {row[0]}, which is not a class in [0, {classes})."), nameof(classWeight));
            }

            w[i] = classWeight[label];
        }

        return weights;
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++)
        {
            if (row[j] > row[best])
            {
                best = j;
            }
        }

        return best;
    }
}
