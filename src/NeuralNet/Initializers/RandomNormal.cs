using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>Samples from a normal distribution (not truncated, as Keras' <c>RandomNormal</c>).</summary>
public sealed class RandomNormal : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="mean">The mean (Keras default 0).</param>
    /// <param name="standardDeviation">The standard deviation, finite and at least 0 (Keras default 0.05).</param>
    /// <param name="seed">A seed that overrides the one the layer derives from the model's seed; null to use the layer's.</param>
    /// <exception cref="ArgumentOutOfRangeException">The mean is not finite or the standard deviation is negative or not finite.</exception>
    public RandomNormal(double mean = 0.0, double standardDeviation = 0.05, long? seed = null)
    {
        RandomFill.CheckNormal(nameof(RandomNormal), mean, standardDeviation);
        Mean = mean;
        StandardDeviation = standardDeviation;
        Seed = seed;
    }

    /// <summary>The mean.</summary>
    public double Mean { get; }

    /// <summary>The standard deviation.</summary>
    public double StandardDeviation { get; }

    /// <summary>The initializer's own seed, or null when the layer's seed is used.</summary>
    public long? Seed { get; }

    /// <inheritdoc/>
    public override string Name => "random_normal";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed) =>
        RandomFill.Normal(values, Seed ?? seed, Mean, StandardDeviation);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("mean", Mean).Set("stddev", StandardDeviation).Set("seed", Seed);
}
