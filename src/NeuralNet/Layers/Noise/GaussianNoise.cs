using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Additive zero-centred Gaussian noise (Keras' <c>GaussianNoise</c>): during training <c>y = x + stddev · n</c> with
/// n standard normal, drawn afresh for every element and call; at inference the layer is the identity. Any input
/// shape; output shape = input shape. The gradient passes through unchanged.
/// </summary>
/// <remarks>The noise comes from a seeded generator (the constructor's seed, else one derived from the model's seed)
/// that advances with every training call, so the same seed and calls give the same bits.</remarks>
public sealed class GaussianNoise : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private Tensor? _output;
    private int _lastBatch = -1;

    /// <summary>Creates a Gaussian noise layer.</summary>
    /// <param name="stddev">The standard deviation of the noise, in [0, 1] as Keras requires.</param>
    /// <param name="seed">The seed of the noise; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>gaussian_noise</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stddev"/> is outside [0, 1].</exception>
    public GaussianNoise(double stddev, long? seed = null, string? name = null)
        : base(name)
    {
        if (!(stddev >= 0.0 && stddev <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(stddev), stddev, $"GaussianNoise expects a standard deviation in [0, 1] but got stddev={stddev}.");
        }

        Stddev = stddev;
        NoiseSeed = seed;
    }

    /// <summary>The standard deviation of the noise.</summary>
    public double Stddev { get; }

    /// <summary>The seed given to the constructor, or null when the noise derives from the model's seed.</summary>
    public long? NoiseSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "gaussian_noise";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => NoiseRandom;

    private SeededRandom NoiseRandom => _random ??= CreateRandom(NoiseSeed);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("stddev", Stddev).Set("seed", NoiseSeed);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static GaussianNoise FromConfig(Config config) => new(config.GetDouble("stddev"), config.GetNullableInt64("seed"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        _lastBatch = batch;
        if (!training || Stddev == 0.0)
        {
            return input;
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        Span<float> y = output.AsSpan();
        SeededRandom random = NoiseRandom;
        float stddev = (float)Stddev;
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = stddev * random.NextNormal();
        }

        TensorPrimitives.Add(input.AsReadOnlySpan(), y, y);
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => outputGradient.Shape[0] == _lastBatch
        ? outputGradient
        : throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size.");
}
