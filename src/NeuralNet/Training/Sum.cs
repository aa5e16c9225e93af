namespace NeuralNet.Training;

/// <summary>
/// The weighted sum of values your own loop gives it (Keras' <c>keras.metrics.Sum</c>): <c>Σ w·value</c> over every value
/// since the last <see cref="Reset"/>, each weight 1 unless given; 0 before any update.
/// </summary>
/// <remarks>
/// A tensor of values adds all its values, each times its weight (a weight per sample applies to all of the sample's
/// values). The sum is kept in double precision; no update allocates. Like <see cref="Mean"/>, it is not a metric for
/// <c>Compile</c>, which refuses it. Saved as Keras' <c>"Sum"</c>.
/// </remarks>
public sealed class Sum : Metric
{
    private double _total;

    /// <inheritdoc/>
    protected override string DefaultName => "sum";

    /// <summary>Adds one value with its weight.</summary>
    /// <param name="value">The value.</param>
    /// <param name="sampleWeight">Its weight (Keras' <c>sample_weight</c>), 1 by default.</param>
    public void Update(float value, float sampleWeight = 1) => _total += (double)value * sampleWeight;

    /// <summary>Adds values, each with its weight (Keras' <c>update_state(values, sample_weight)</c> for a vector).</summary>
    /// <param name="values">The values.</param>
    /// <param name="sampleWeights">One weight per value, or empty for weights of 1.</param>
    /// <exception cref="ArgumentException">The weights are neither empty nor one per value; nothing is added then.</exception>
    public void Update(ReadOnlySpan<float> values, ReadOnlySpan<float> sampleWeights = default)
    {
        Mean.CheckWeights(values.Length, sampleWeights.Length);
        double total = 0;
        for (int i = 0; i < values.Length; i++)
        {
            total += values[i] * (double)(sampleWeights.IsEmpty ? 1 : sampleWeights[i]);
        }

        _total += total;
    }

    /// <summary>Adds every value of a tensor.</summary>
    /// <param name="values">The values, (batch, ...); a rank-0 tensor is one value.</param>
    public void Update(Tensor values) => Update(values, default(ReadOnlySpan<float>));

    /// <summary>Adds every value of a tensor times its weight (Keras' <c>Sum.update_state</c>).</summary>
    /// <param name="values">The values, (batch, ...); a rank-0 tensor is one value.</param>
    /// <param name="sampleWeights">Empty, one weight per sample, or one per value (row-major, as <paramref name="values"/>).</param>
    /// <exception cref="ArgumentException">The weights are neither one per sample nor one per value; nothing is added then.</exception>
    public void Update(Tensor values, ReadOnlySpan<float> sampleWeights) =>
        _total += SampleReduction.Reduce(values, sampleWeights, mean: false, Describe()).Total;

    /// <summary>Refused: a Sum takes values (<see cref="Update(float, float)"/>), not predictions and targets.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Update(Tensor predictions, Tensor targets) => throw new NotSupportedException(Mean.NotCompiled(Describe()));

    /// <summary>Refused: a Sum takes values (<see cref="Update(Tensor, ReadOnlySpan{float})"/>), not predictions and targets.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights) => throw new NotSupportedException(Mean.NotCompiled(Describe()));

    /// <inheritdoc/>
    public override void Reset() => _total = 0;

    /// <summary>Σ w·value since the last <see cref="Reset"/>.</summary>
    public override double Result() => _total;

    // Compile runs this check on every metric it is given: refuse here, before any training, with the reason.
    internal override void CheckOneResult(string parameterName) => throw new ArgumentException(Mean.NotCompiled(Describe()), parameterName);

    private string Describe() => $"Sum '{LogName}'";
}
