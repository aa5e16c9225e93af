namespace NeuralNet.Losses;

/// <summary>The loss of one row (the last axis); <c>row</c> is its index among all rows, for messages.</summary>
internal interface IRowLoss
{
    /// <summary>The loss of row <paramref name="row"/>.</summary>
    double Value(int row, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets);
}
