namespace NeuralNet.Losses;

/// <summary>The loss (or derivative) of one element; a struct implementing it lets the loops inline it.</summary>
internal interface IElementLoss
{
    /// <summary>The value at prediction <paramref name="prediction"/> and target <paramref name="target"/>.</summary>
    double Value(double prediction, double target);
}
