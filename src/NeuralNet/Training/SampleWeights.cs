using System.Globalization;

namespace NeuralNet.Training;

/// <summary>Turns <c>Fit</c>'s and <c>Evaluate</c>'s <c>sampleWeight</c> and <c>classWeight</c> into one weight per sample, checked.</summary>
internal static class SampleWeights
{
    /// <summary>
    /// The weights of <paramref name="sampleWeight"/>, checked, or null when none was given: one per sample, (samples) or
    /// (samples, 1), given back as (samples); or one per entry of the outputs' losses, (samples, ...), kept as given and
    /// checked against each output by <see cref="CheckFitsOutput"/>.
    /// </summary>
    /// <param name="sampleWeight">The weights given, or null.</param>
    /// <param name="samples">The number of samples of the data.</param>
    /// <param name="label">How messages name the weights: <c>sampleWeight</c>, <c>sampleWeight['b']</c>, <c>validationSampleWeight</c>.</param>
    /// <param name="parameterName">The parameter the exception names.</param>
    /// <exception cref="ArgumentException">The first axis differs from the samples, or a weight is negative or not finite.</exception>
    public static Tensor? FromSampleWeight(Tensor? sampleWeight, int samples, WeightsLabel label, string parameterName = "sampleWeight")
    {
        if (sampleWeight is null)
        {
            return null;
        }

        bool columnVector = sampleWeight.Rank == 2 && sampleWeight.Shape[1] == 1;
        if (sampleWeight.Rank == 0 || sampleWeight.Shape[0] != samples)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{label} has shape {sampleWeight.Shape} but the data has {samples} samples; expected ({samples}) — one weight per sample — or ({samples}, ...) with one weight per entry of the loss (its first axis the samples)."), parameterName);
        }

        ReadOnlySpan<float> values = sampleWeight.AsReadOnlySpan();
        for (int i = 0; i < values.Length; i++)
        {
            if (!(values[i] >= 0) || float.IsInfinity(values[i]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{label}[{Index(sampleWeight.Shape, i)}] is {values[i]}; sample weights must be non-negative and finite."), parameterName);
            }
        }

        return columnVector ? sampleWeight.ColumnAsVector() : sampleWeight;
    }

    /// <summary>
    /// The stand-in for an output without weights among weights by output, (samples, 1): batches slice it with the data,
    /// and the trainer reads it as no weights (<see cref="IsNone"/>). No checked weights have that shape, since
    /// <see cref="FromSampleWeight"/> gives (samples, 1) weights back as (samples).
    /// </summary>
    public static Tensor None(int samples) => new(samples, 1);

    /// <summary>Whether <paramref name="weights"/> (checked weights, or a batch of them) is the stand-in of <see cref="None"/>.</summary>
    public static bool IsNone(Tensor weights) => weights.Rank == 2 && weights.Shape[1] == 1;

    /// <summary>Whether <paramref name="weights"/> (as <see cref="FromSampleWeight"/> gives them) hold one weight per sample.</summary>
    public static bool PerSample(Tensor weights) => weights.Rank == 1;

    /// <summary>
    /// Checks that weights of more than one per sample fit an output of per-sample shape <paramref name="outputShape"/>:
    /// after the batch axis, the weights must have the shape of the loss's values per sample — the output without its last
    /// axis (<c>(steps)</c> for a <c>(steps, classes)</c> output) — with any of those axes 1 to broadcast, and optionally
    /// a last axis of 1 (Keras' <c>squeeze_or_expand_to_same_rank</c>, then broadcasting on axes of equal rank).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit; the message names both and the output.</exception>
    public static void CheckFitsOutput(Tensor weights, string output, TensorShape outputShape, WeightsLabel label, string parameterName = "sampleWeight")
    {
        ReadOnlySpan<int> entries = outputShape.Rank == 0 ? default : outputShape.Dimensions[..^1];
        if (!Fits(weights.Shape.Dimensions[1..], entries))
        {
            int samples = weights.Shape[0];
            string values = Format(samples, entries);
            string expected = entries.Length == 0
                ? $"expected ({samples}) or ({samples}, 1) — one weight per sample"
                : $"expected ({samples}) — one weight per sample — or {values}, with any of the axes after the first 1 to broadcast (Keras' sample_weight of any shape that broadcasts to the loss values)";
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{label} has shape {weights.Shape}, which does not broadcast to the loss values of output '{output}': the output is {Format(samples, outputShape.Dimensions)}, so its loss has one value per {(entries.Length == 0 ? "sample" : "entry")}, {values}; {expected}."),
                parameterName);
        }
    }

    /// <summary>Whether weights of more than one per sample fit an output of per-sample shape <paramref name="outputShape"/> (<see cref="CheckFitsOutput"/> without the message).</summary>
    public static bool FitsOutput(Tensor weights, TensorShape outputShape) =>
        Fits(weights.Shape.Dimensions[1..], outputShape.Rank == 0 ? default : outputShape.Dimensions[..^1]);

    /// <summary>
    /// Whether weights of per-sample shape <paramref name="weights"/> (after the batch axis, two axes or more in all) fit
    /// loss values of per-sample shape <paramref name="entries"/>: equal rank (after dropping a last axis of 1 when the
    /// weights have one axis more), every weight axis 1 or the values' length.
    /// </summary>
    public static bool Fits(ReadOnlySpan<int> weights, ReadOnlySpan<int> entries)
    {
        if (weights.Length == entries.Length + 1 && weights[^1] == 1)
        {
            weights = weights[..^1];
        }

        if (weights.Length != entries.Length)
        {
            return false;
        }

        for (int a = 0; a < weights.Length; a++)
        {
            if (weights[a] != 1 && weights[a] != entries[a])
            {
                return false;
            }
        }

        return true;
    }

    // "(4000, 16)": the samples, then the given axes.
    private static string Format(int samples, ReadOnlySpan<int> axes)
    {
        var all = new int[axes.Length + 1];
        all[0] = samples;
        axes.CopyTo(all.AsSpan(1));
        return new TensorShape(all).ToString();
    }

    // "4" for a vector, "3, 7" for the element at flat index i of a (n, 16) tensor.
    private static string Index(TensorShape shape, int flat)
    {
        if (shape.Rank < 2)
        {
            return flat.ToString(CultureInfo.InvariantCulture);
        }

        var index = new int[shape.Rank];
        for (int a = shape.Rank - 1; a >= 0; a--)
        {
            index[a] = flat % shape[a];
            flat /= shape[a];
        }

        return string.Join(", ", index);
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
