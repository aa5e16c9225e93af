using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>
/// Keras' <c>TruncatedNormal</c>: samples from a normal distribution, every value more than two standard deviations from the
/// mean discarded and drawn again, so the values lie in [mean - 2 standardDeviation, mean + 2 standardDeviation]. As in Keras
/// the standard deviation is that of the normal before truncation; the kept values' is about 0.88 times it.
/// </summary>
public sealed class TruncatedNormal : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="mean">The mean, finite (Keras default 0).</param>
    /// <param name="standardDeviation">The standard deviation before truncation, finite and at least 0 (Keras default 0.05).</param>
    /// <param name="seed">A seed that overrides the one the layer derives from the model's seed; null to use the layer's.</param>
    /// <exception cref="ArgumentOutOfRangeException">The mean is not finite, or the standard deviation is negative or not finite.</exception>
    public TruncatedNormal(double mean = 0.0, double standardDeviation = 0.05, long? seed = null)
    {
        RandomFill.CheckNormal(nameof(TruncatedNormal), mean, standardDeviation);
        Mean = mean;
        StandardDeviation = standardDeviation;
        Seed = seed;
    }

    /// <summary>The mean.</summary>
    public double Mean { get; }

    /// <summary>The standard deviation of the normal before truncation (Keras' <c>stddev</c>).</summary>
    public double StandardDeviation { get; }

    /// <summary>The initializer's own seed, or null when the layer's seed is used.</summary>
    public long? Seed { get; }

    /// <inheritdoc/>
    public override string Name => "truncated_normal";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed) =>
        RandomFill.TruncatedNormal(values, Seed ?? seed, Mean, StandardDeviation);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("mean", Mean).Set("stddev", StandardDeviation).Set("seed", Seed);
}
