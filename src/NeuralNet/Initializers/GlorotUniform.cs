using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>
/// Glorot (Xavier) uniform: samples in [-limit, limit] with <c>limit = sqrt(6 / (fanIn + fanOut))</c>. The Dense and Conv2D kernel default.
/// </summary>
/// <remarks>Fans come from <see cref="Fans.Compute"/>, so any kernel shape works, convolution kernels included.</remarks>
public sealed class GlorotUniform : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="seed">A seed that overrides the one the layer derives from the model's seed; null to use the layer's.</param>
    public GlorotUniform(long? seed = null)
    {
        Seed = seed;
    }

    /// <summary>The initializer's own seed, or null when the layer's seed is used.</summary>
    public long? Seed { get; }

    /// <inheritdoc/>
    public override string Name => "glorot_uniform";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed) =>
        RandomFill.FillUniform(values, shape, Seed ?? seed, 1.0, VarianceScalingMode.FanAverage);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("seed", Seed);
}
