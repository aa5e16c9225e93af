using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Alpha dropout (Keras' <c>AlphaDropout</c>), the dropout of self-normalizing (SELU) networks: during training each
/// element is set, with probability <see cref="Rate"/>, to SELU's negative saturation value α' = −λα, and the result is
/// moved by an affine map that keeps the mean and variance; at inference the layer is the identity. Any input shape;
/// output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Keras 3's formula, with α = 1.6732632423543772, λ = 1.0507009873554805, α' = −λα and keep = (u ≥ rate) for
/// u uniform in [0, 1): <c>a = ((1 − rate)(1 + rate·α'²))^(−1/2)</c>, <c>b = −a·α'·rate</c>,
/// <c>y = a · (keep ? x : α') + b</c>. Backward: dx = a · keep · dy.</para>
/// <para>One mask value per element (Keras' default <c>noise_shape</c>). The masks come from a seeded generator (the
/// constructor's seed, else one derived from the model's seed) that advances with every training call.</para>
/// </remarks>
public sealed class AlphaDropout : Layer, IRandomLayer
{
    private const double Alpha = 1.6732632423543772848170429916717;
    private const double SeluScale = 1.0507009873554804934193349852946;
    private SeededRandom? _random;
    private Tensor? _keep;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastKeep;
    private int _lastBatch = -1;

    /// <summary>Creates an alpha dropout layer.</summary>
    /// <param name="rate">The probability of dropping each element during training, in [0, 1).</param>
    /// <param name="seed">The seed of the masks; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>alpha_dropout</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1).</exception>
    public AlphaDropout(double rate, long? seed = null, string? name = null)
        : base(name)
    {
        Rate = ChannelDropout.CheckRate(nameof(AlphaDropout), rate);
        MaskSeed = seed;
    }

    /// <summary>The probability of dropping each element during training.</summary>
    public double Rate { get; }

    /// <summary>The seed given to the constructor, or null when the masks derive from the model's seed.</summary>
    public long? MaskSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "alpha_dropout";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => MaskRandom;

    private SeededRandom MaskRandom => _random ??= CreateRandom(MaskSeed);

    /// <summary>α' = −λα, the value a dropped element takes before the affine map.</summary>
    internal static double AlphaPrime => -Alpha * SeluScale;

    /// <summary>The affine map's scale a = ((1 − rate)(1 + rate·α'²))^(−1/2).</summary>
    internal double A => Math.Pow((1.0 - Rate) * (1.0 + (Rate * AlphaPrime * AlphaPrime)), -0.5);

    /// <summary>The affine map's shift b = −a·α'·rate.</summary>
    internal double B => -A * AlphaPrime * Rate;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("rate", Rate).Set("seed", MaskSeed).SetNull("noise_shape");

    /// <summary>Keras' <c>from_config</c>; only the default <c>noise_shape</c> (null) is supported.</summary>
    internal static AlphaDropout FromConfig(Config config)
    {
        if (config.Contains("noise_shape"))
        {
            throw config.Error("only \"noise_shape\": null (one mask value per element) is supported.");
        }

        return new(config.GetDouble("rate"), config.GetNullableInt64("seed"), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        _lastBatch = batch;
        if (!training || Rate == 0.0)
        {
            _lastKeep = null;
            return input;
        }

        // keep ∈ {0, 1}; y = a · (x · keep + α' · (1 − keep)) + b = (a · keep) · x + (a · α' + b) − (a · α') · keep.
        Tensor keep = BatchView(ref _keep, batch, InputShape);
        MaskRandom.FillKeepMask(keep.AsSpan(), (uint)Math.Round(Rate * (1 << 24)), 1f);
        Tensor output = BatchView(ref _output, batch, OutputShape);
        float a = (float)A, dropped = (float)((A * AlphaPrime) + B), b = (float)B;
        ReadOnlySpan<float> x = input.AsReadOnlySpan(), k = keep.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = k[i] != 0f ? (a * x[i]) + b : dropped;
        }

        _lastKeep = keep;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _lastBatch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size.");
        }

        if (_lastKeep is null || !ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        Span<float> dx = inputGradient.AsSpan();
        TensorPrimitives.Multiply(outputGradient.AsReadOnlySpan(), _lastKeep.AsReadOnlySpan(), dx);
        TensorPrimitives.Multiply(dx, (float)A, dx);
        return inputGradient;
    }
}
