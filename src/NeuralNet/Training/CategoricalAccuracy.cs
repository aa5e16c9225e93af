namespace NeuralNet.Training;

/// <summary>Keras' <c>CategoricalAccuracy</c>: the fraction of rows whose largest prediction is at the one-hot target's 1.</summary>
public sealed class CategoricalAccuracy : Metric
{
    private long _hits;
    private long _count;

    /// <inheritdoc/>
    public override string Name => "categorical_accuracy";

    /// <inheritdoc/>
    public override void Reset() => (_hits, _count) = (0, 0);

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => StreamingMetrics.SameSampleSize(Name, outputShape, targetShape);

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets)
    {
        StreamingMetrics.SameLength(Name, predictions, targets);
        int width = predictions.Shape[-1], rows = predictions.Length / width;
        for (int r = 0; r < rows; r++)
        {
            _hits += Accuracy.ArgMax(predictions.AsReadOnlySpan().Slice(r * width, width)) == Accuracy.ArgMax(targets.AsReadOnlySpan().Slice(r * width, width)) ? 1 : 0;
        }

        _count += rows;
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0 : (double)_hits / _count;
}
