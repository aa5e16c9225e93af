using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Multiplicative one-centred Gaussian noise (Keras' <c>GaussianDropout</c>): during training <c>y = x · m</c> with
/// m ~ N(1, rate / (1 − rate)) per element and call; at inference the layer is the identity. Any input shape; output
/// shape = input shape. Backward: dx = dy · m.
/// </summary>
/// <remarks>The noise comes from a seeded generator (the constructor's seed, else one derived from the model's seed)
/// that advances with every training call, so the same seed and calls give the same bits.</remarks>
public sealed class GaussianDropout : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private Tensor? _noise;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastNoise;
    private int _lastBatch = -1;

    /// <summary>Creates a Gaussian dropout layer.</summary>
    /// <param name="rate">The drop probability it stands for, in [0, 1): the noise's standard deviation is <c>sqrt(rate / (1 − rate))</c>.</param>
    /// <param name="seed">The seed of the noise; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>gaussian_dropout</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1).</exception>
    public GaussianDropout(double rate, long? seed = null, string? name = null)
        : base(name)
    {
        Rate = ChannelDropout.CheckRate(nameof(GaussianDropout), rate);
        NoiseSeed = seed;
    }

    /// <summary>The drop probability; the noise's standard deviation is <c>sqrt(rate / (1 − rate))</c>.</summary>
    public double Rate { get; }

    /// <summary>The seed given to the constructor, or null when the noise derives from the model's seed.</summary>
    public long? NoiseSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "gaussian_dropout";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => NoiseRandom;

    private SeededRandom NoiseRandom => _random ??= CreateRandom(NoiseSeed);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("rate", Rate).Set("seed", NoiseSeed);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static GaussianDropout FromConfig(Config config) => new(config.GetDouble("rate"), config.GetNullableInt64("seed"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        _lastBatch = batch;
        if (!training || Rate == 0.0)
        {
            _lastNoise = null;
            return input;
        }

        Tensor noise = BatchView(ref _noise, batch, InputShape);
        Span<float> m = noise.AsSpan();
        SeededRandom random = NoiseRandom;
        float stddev = (float)Math.Sqrt(Rate / (1.0 - Rate));
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = 1f + (stddev * random.NextNormal());
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        TensorPrimitives.Multiply(input.AsReadOnlySpan(), m, output.AsSpan());
        _lastNoise = noise;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _lastBatch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size.");
        }

        if (_lastNoise is null || !ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        TensorPrimitives.Multiply(outputGradient.AsReadOnlySpan(), _lastNoise.AsReadOnlySpan(), inputGradient.AsSpan());
        return inputGradient;
    }
}
