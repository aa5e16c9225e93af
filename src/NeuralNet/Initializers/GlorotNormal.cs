using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>
/// Glorot (Xavier) normal: a normal truncated at two standard deviations, with standard deviation <c>sqrt(2 / (fanIn + fanOut))</c> after truncation (Keras scales the pre-truncation one by 1 / 0.8796).
/// </summary>
/// <remarks>Fans come from <see cref="Fans.Compute"/>, so any kernel shape works, convolution kernels included.</remarks>
public sealed class GlorotNormal : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="seed">A seed that overrides the one the layer derives from the model's seed; null to use the layer's.</param>
    public GlorotNormal(long? seed = null)
    {
        Seed = seed;
    }

    /// <summary>The initializer's own seed, or null when the layer's seed is used.</summary>
    public long? Seed { get; }

    /// <inheritdoc/>
    public override string Name => "glorot_normal";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed) =>
        RandomFill.FillTruncatedNormal(values, shape, Seed ?? seed, 1.0, VarianceScalingMode.FanAverage);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("seed", Seed);
}
