using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>
/// LeCun uniform (Keras <c>lecun_uniform</c>): samples in [-limit, limit] with <c>limit = sqrt(3 / fanIn)</c>, a variance of <c>1 / fanIn</c>.
/// </summary>
/// <remarks>Fans come from <see cref="Fans.Compute"/>, so any kernel shape works, convolution kernels included.</remarks>
public sealed class LeCunUniform : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="seed">A seed that overrides the one the layer derives from the model's seed; null to use the layer's.</param>
    public LeCunUniform(long? seed = null)
    {
        Seed = seed;
    }

    /// <summary>The initializer's own seed, or null when the layer's seed is used.</summary>
    public long? Seed { get; }

    /// <inheritdoc/>
    public override string Name => "lecun_uniform";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed) =>
        RandomFill.FillUniform(values, shape, Seed ?? seed, 1.0, VarianceScalingMode.FanIn);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("seed", Seed);
}
