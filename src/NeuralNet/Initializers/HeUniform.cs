using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>
/// He uniform: samples in [-limit, limit] with <c>limit = sqrt(6 / fanIn)</c>, suited to ReLU layers.
/// </summary>
/// <remarks>Fans come from <see cref="Fans.Compute"/>, so any kernel shape works, convolution kernels included.</remarks>
public sealed class HeUniform : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="seed">A seed that overrides the one the layer derives from the model's seed; null to use the layer's.</param>
    public HeUniform(long? seed = null)
    {
        Seed = seed;
    }

    /// <summary>The initializer's own seed, or null when the layer's seed is used.</summary>
    public long? Seed { get; }

    /// <inheritdoc/>
    public override string Name => "he_uniform";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed) =>
        RandomFill.FillUniform(values, shape, Seed ?? seed, 2.0, VarianceScalingMode.FanIn);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("seed", Seed);
}
