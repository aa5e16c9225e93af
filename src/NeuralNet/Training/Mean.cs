using System.Globalization;

namespace NeuralNet.Training;

/// <summary>
/// The weighted mean of values your own loop gives it (Keras' <c>keras.metrics.Mean</c>, the
/// <c>loss_tracker = keras.metrics.Mean(name="loss")</c> of a custom training step): <c>Σ w·value / Σ w</c> over every
/// value since the last <see cref="Reset"/>, each weight 1 unless given; 0 before any update (Keras' <c>divide_no_nan</c>).
/// </summary>
/// <remarks>
/// <para>A tensor of values counts one value per sample: each sample's values are averaged first (Keras'
/// <c>reduce_to_samplewise_values</c>), so <c>[[1, 3], [5, 7]]</c> adds two samples, 2 and 6. Weights may be negative, as
/// Keras allows. The sums are kept in double precision; no update allocates.</para>
/// <para>It is not a metric for <c>Compile</c>: it does not compare predictions with targets (Keras' <c>Mean</c> cannot be
/// compiled either: its <c>update_state(values, sample_weight)</c> takes no <c>y_pred</c>), so <c>Compile</c> refuses it and
/// <see cref="Update(Tensor, Tensor)"/> throws. Saved as Keras' <c>"Mean"</c>.</para>
/// </remarks>
/// <example>
/// <code>
/// var lossTracker = new Mean { Name = "loss" };
/// lossTracker.Update(0.5f);
/// lossTracker.Update(0.25f);
/// double average = lossTracker.Result();   // 0.375
/// </code>
/// </example>
public sealed class Mean : Metric
{
    private double _total;
    private double _count;

    /// <inheritdoc/>
    protected override string DefaultName => "mean";

    /// <summary>The weighted sum of the values so far (Keras' <c>total</c>).</summary>
    public double Total => _total;

    /// <summary>The sum of the weights so far (Keras' <c>count</c>): the number of values when none were weighted.</summary>
    public double Count => _count;

    /// <summary>Adds one value with its weight.</summary>
    /// <param name="value">The value, such as a batch's loss.</param>
    /// <param name="sampleWeight">Its weight (Keras' <c>sample_weight</c>), 1 by default.</param>
    public void Update(float value, float sampleWeight = 1)
    {
        _total += (double)value * sampleWeight;
        _count += sampleWeight;
    }

    /// <summary>Adds values, each with its weight (Keras' <c>update_state(values, sample_weight)</c> for a vector).</summary>
    /// <param name="values">The values.</param>
    /// <param name="sampleWeights">One weight per value, or empty for weights of 1.</param>
    /// <exception cref="ArgumentException">The weights are neither empty nor one per value; nothing is added then.</exception>
    public void Update(ReadOnlySpan<float> values, ReadOnlySpan<float> sampleWeights = default)
    {
        CheckWeights(values.Length, sampleWeights.Length);
        double total = 0, count = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double w = sampleWeights.IsEmpty ? 1 : sampleWeights[i];
            total += values[i] * w;
            count += w;
        }

        _total += total;
        _count += count;
    }

    /// <summary>Adds a tensor of values, (batch, ...): one value per sample, the mean of its values.</summary>
    /// <param name="values">The values; a rank-0 tensor is one value.</param>
    public void Update(Tensor values) => Update(values, default(ReadOnlySpan<float>));

    /// <summary>
    /// Adds a tensor of values, (batch, ...), weighted: one value per sample, the mean of its values times their weights,
    /// counted with the mean of its weights (Keras' <c>Mean.update_state</c>).
    /// </summary>
    /// <param name="values">The values; a rank-0 tensor is one value.</param>
    /// <param name="sampleWeights">Empty, one weight per sample, or one per value (row-major, as <paramref name="values"/>).</param>
    /// <exception cref="ArgumentException">The weights are neither one per sample nor one per value; nothing is added then.</exception>
    public void Update(Tensor values, ReadOnlySpan<float> sampleWeights)
    {
        (double total, double count) = SampleReduction.Reduce(values, sampleWeights, mean: true, Describe());
        _total += total;
        _count += count;
    }

    /// <summary>Refused: a Mean takes values (<see cref="Update(float, float)"/>), not predictions and targets.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Update(Tensor predictions, Tensor targets) => throw NotACompiledMetric();

    /// <summary>Refused: a Mean takes values (<see cref="Update(Tensor, ReadOnlySpan{float})"/>), not predictions and targets.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights) => throw NotACompiledMetric();

    /// <inheritdoc/>
    public override void Reset() => (_total, _count) = (0, 0);

    /// <summary>Σ w·value / Σ w since the last <see cref="Reset"/>; 0 when the weights sum to 0 (nothing added yet).</summary>
    public override double Result() => _count == 0 ? 0 : _total / _count;

    // Compile runs this check on every metric it is given: refuse here, before any training, with the reason.
    internal override void CheckOneResult(string parameterName) => throw new ArgumentException(NotCompiled(Describe()), parameterName);

    internal static string NotCompiled(string metric) =>
        $"{metric} tracks values your own loop gives it (Update(value)); it does not compare predictions with targets, so it cannot be one of Compile's metrics (Keras' Mean and Sum cannot be compiled either: update_state(values, sample_weight) takes no y_pred). Compile a metric such as MeanSquaredErrorMetric, or update it yourself.";

    internal static void CheckWeights(int values, int weights)
    {
        if (weights != 0 && weights != values)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{weights} sample weights for {values} values; expected one per value, or none."), "sampleWeights");
        }
    }

    private NotSupportedException NotACompiledMetric() => new(NotCompiled(Describe()));

    private string Describe() => $"Mean '{LogName}'";
}
