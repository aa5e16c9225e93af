using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>Samples uniformly from [minimum, maximum).</summary>
public sealed class RandomUniform : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="minimum">The lower bound (Keras default -0.05).</param>
    /// <param name="maximum">The upper bound, at least <paramref name="minimum"/> (Keras default 0.05).</param>
    /// <param name="seed">A seed that overrides the one the layer derives from the model's seed; null to use the layer's.</param>
    /// <exception cref="ArgumentException">A bound is not finite or <paramref name="maximum"/> is below <paramref name="minimum"/>.</exception>
    public RandomUniform(double minimum = -0.05, double maximum = 0.05, long? seed = null)
    {
        if (!double.IsFinite(minimum) || !double.IsFinite(maximum) || maximum < minimum)
        {
            throw new ArgumentException($"RandomUniform expects finite bounds with minimum <= maximum but got minimum={minimum}, maximum={maximum}.", nameof(maximum));
        }

        Minimum = minimum;
        Maximum = maximum;
        Seed = seed;
    }

    /// <summary>The lower bound.</summary>
    public double Minimum { get; }

    /// <summary>The upper bound.</summary>
    public double Maximum { get; }

    /// <summary>The initializer's own seed, or null when the layer's seed is used.</summary>
    public long? Seed { get; }

    /// <inheritdoc/>
    public override string Name => "random_uniform";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed) =>
        RandomFill.Uniform(values, Seed ?? seed, Minimum, Maximum);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("minval", Minimum).Set("maxval", Maximum).Set("seed", Seed);
}
