using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>
/// LeCun normal: a truncated normal (two standard deviations) with standard deviation <c>sqrt(1 / fanIn)</c> after truncation, suited to SELU layers.
/// </summary>
/// <remarks>Fans come from <see cref="Fans.Compute"/>, so any kernel shape works, convolution kernels included.</remarks>
public sealed class LeCunNormal : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="seed">A seed that overrides the one the layer derives from the model's seed; null to use the layer's.</param>
    public LeCunNormal(long? seed = null)
    {
        Seed = seed;
    }

    /// <summary>The initializer's own seed, or null when the layer's seed is used.</summary>
    public long? Seed { get; }

    /// <inheritdoc/>
    public override string Name => "lecun_normal";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed) =>
        RandomFill.FillTruncatedNormal(values, shape, Seed ?? seed, 1.0, VarianceScalingMode.FanIn);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("seed", Seed);
}
