namespace NeuralNet.Constraints;

/// <summary>Keeps weights non-negative: w = max(w, 0) (Keras' <c>NonNeg</c>, <c>"non_neg"</c>).</summary>
public sealed class NonNeg : Constraint
{
    /// <inheritdoc/>
    public override string Name => "non_neg";

    /// <inheritdoc/>
    public override void Apply(Tensor weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        Span<float> w = weights.AsSpan();
        for (int i = 0; i < w.Length; i++)
        {
            // A comparison rather than Math.Max: NaN stays NaN, as in Keras' maximum, instead of being hidden as 0.
            if (w[i] < 0)
            {
                w[i] = 0;
            }
        }
    }
}
