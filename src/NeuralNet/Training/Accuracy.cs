namespace NeuralNet.Training;

/// <summary>
/// The fraction of samples classified correctly, under the name <c>accuracy</c>, choosing the comparison the way Keras
/// resolves <c>metrics=["accuracy"]</c>: one-hot (or probability) targets compare arg-maxes (categorical accuracy);
/// one integer label per sample is compared with the output's arg-max (sparse categorical accuracy); a single output
/// unit is thresholded at 0.5 against a 0/1 target (binary accuracy).
/// </summary>
public sealed class Accuracy : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private double _correct;
    private double _count;

    /// <inheritdoc/>
    protected override string DefaultName => "accuracy";

    // This accuracy exists in Keras only as the strings "accuracy" and "acc" (its keras.metrics.Accuracy is another
    // metric), so a file can hold no other name for it; a named accuracy is a BinaryAccuracy, CategoricalAccuracy or
    // SparseCategoricalAccuracy, as Keras resolves the string to one of them. Exactly those cases: another would be saved as
    // an object Keras would read as its keras.metrics.Accuracy.
    private protected override void CheckName(string name, string parameterName)
    {
        // "Accuracy", the class name, is how Compile("...", "Accuracy") names it; it is saved as that string too.
        if (name is not ("accuracy" or "acc" or "Accuracy"))
        {
            throw new ArgumentException($"Accuracy (Keras' \"accuracy\" string, resolved from the shapes) can only be named \"accuracy\" or \"acc\", the strings Keras has for it, but was given '{name}'; to name an accuracy, use BinaryAccuracy, CategoricalAccuracy or SparseCategoricalAccuracy, whichever fits the targets.", parameterName);
        }
    }

    /// <inheritdoc/>
    public override void Reset()
    {
        _correct = 0;
        _count = 0;
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0.0 : _correct / _count;

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        int outputs = outputShape.ElementCount;
        int targets = targetShape.ElementCount;
        bool perPosition = outputShape.Rank >= 2 && targets * outputShape[-1] == outputs;
        if (targets != outputs && targets != 1 && !perPosition)
        {
            throw new ArgumentException($"accuracy: output {outputShape.ToBatchString()} does not match targets {targetShape.ToBatchString()}; expected one-hot targets of the same width or one class label per sample.", "targets");
        }
    }

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets) => Update(predictions, targets, default);

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        StreamingMetrics.PerSample(Name, predictions, predictions.Shape[0], sampleWeights);
        int batch = predictions.Shape[0];
        if (predictions.Length == 0)
        {
            return;
        }

        // Sequence outputs (batch, ..., classes) count every position, as Keras does; weights stay per sample.
        int width = predictions.Rank >= 3 ? predictions.Shape[-1] : predictions.Length / batch;
        int rows = predictions.Length / width, perSample = rows / batch;
        int targetWidth = targets.Length / rows;
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan();
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        double correct = 0, count = 0;
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<float> row = p.Slice(i * width, width);
            bool hit;
            if (width == 1)
            {
                hit = (row[0] > 0.5f) == (t[i * targetWidth] > 0.5f);
            }
            else if (targetWidth == 1)
            {
                hit = ArgMax(row) == (int)t[i];
            }
            else
            {
                hit = ArgMax(row) == ArgMax(t.Slice(i * targetWidth, targetWidth));
            }

            double weight = StreamingMetrics.Weight(sampleWeights, i / perSample, 1);
            correct += hit ? weight : 0;
            count += weight;
        }

        _correct += correct;
        _count += count;
    }

    /// <summary>The index of the first largest value (NaN never wins), as NumPy's argmax on finite data.</summary>
    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        float bestValue = values[0];
        for (int j = 1; j < values.Length; j++)
        {
            if (values[j] > bestValue || float.IsNaN(bestValue))
            {
                best = j;
                bestValue = values[j];
            }
        }

        return best;
    }
}
