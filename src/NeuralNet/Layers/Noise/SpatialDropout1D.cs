using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Spatial 1-D dropout (Keras' <c>SpatialDropout1D</c>): during training whole channels of a sequence are zeroed, each
/// with probability <see cref="Rate"/> and independently per sample, and the kept ones are scaled by
/// <c>1 / (1 − rate)</c>; at inference the layer is the identity. Input and output (batch, steps, channels).
/// </summary>
/// <remarks>
/// The masks come from a seeded generator (the constructor's seed, else one derived from the model's seed) that
/// advances with every training call, as <see cref="Dropout"/>'s do; one mask value per (sample, channel), Keras'
/// <c>noise_shape = (batch, 1, channels)</c>.
/// </remarks>
public sealed class SpatialDropout1D : Layer, IRandomLayer
{
    private ChannelDropout? _dropout;
    private SeededRandom? _random;

    /// <summary>Creates a spatial 1-D dropout layer.</summary>
    /// <param name="rate">The probability of zeroing each channel during training, in [0, 1]; 1 drops every channel (output and gradient 0).</param>
    /// <param name="seed">The seed of the masks; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>spatial_dropout1d</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1].</exception>
    public SpatialDropout1D(double rate, long? seed = null, string? name = null)
        : base(name)
    {
        Rate = ChannelDropout.CheckRate(nameof(SpatialDropout1D), rate, allowOne: true);
        MaskSeed = seed;
    }

    /// <summary>The probability of zeroing each channel during training.</summary>
    public double Rate { get; }

    /// <summary>The seed given to the constructor, or null when the masks derive from the model's seed.</summary>
    public long? MaskSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "spatial_dropout1d";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => MaskRandom;

    private SeededRandom MaskRandom => _random ??= CreateRandom(MaskSeed);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("rate", Rate).Set("seed", MaskSeed);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static SpatialDropout1D FromConfig(Config config) => new(config.GetDouble("rate"), config.GetNullableInt64("seed"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != 2)
        {
            throw new ArgumentException($"{Describe()} expects input (None, steps, channels) but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        _dropout = new ChannelDropout(Rate, inputShape);
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) =>
        _dropout!.Forward(input, training && Rate > 0.0 ? MaskRandom : null);

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) =>
        _dropout!.Backward(outputGradient, ComputesInputGradient) ?? throw new InvalidOperationException(
            $"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size.");
}
