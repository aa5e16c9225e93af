namespace NeuralNet.Losses;

/// <summary>The gradient of one row's loss (the classes of one entry), as a term of a mean over <c>rows</c> rows.</summary>
internal interface IRowGradient
{
    /// <summary>Writes d(value / <paramref name="rows"/>)/d<paramref name="predictions"/> into <paramref name="gradient"/> (the row's length).</summary>
    void Gradient(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int rows);
}
