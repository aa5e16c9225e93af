namespace NeuralNet.Training;

/// <summary>Keras' <c>SparseCategoricalAccuracy</c>: the fraction of rows whose largest prediction is at the integer class label.</summary>
public sealed class SparseCategoricalAccuracy : Metric
{
    private long _hits;
    private long _count;

    /// <inheritdoc/>
    public override string Name => "sparse_categorical_accuracy";

    /// <inheritdoc/>
    public override void Reset() => (_hits, _count) = (0, 0);

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        int width = predictions.Shape[-1], rows = predictions.Length / width;
        if (targets.Length != rows)
        {
            throw new ArgumentException($"{Name}: expected one class label per row ({rows}) but the targets are {targets.Shape}.", nameof(targets));
        }

        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        for (int r = 0; r < rows; r++)
        {
            _hits += Accuracy.ArgMax(predictions.AsReadOnlySpan().Slice(r * width, width)) == (int)t[r] ? 1 : 0;
        }

        _count += rows;
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0 : (double)_hits / _count;
}
