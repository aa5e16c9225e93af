using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' <c>StochasticDepth</c> of <c>keras.applications.convnext</c> (timm's <c>DropPath</c>): in training, each sample's
/// whole input is kept with probability <c>1 - drop_path_rate</c> and scaled by <c>1 / keep_prob</c>, or zeroed, as
/// Keras computes it: <c>r = floor(keep_prob + uniform(0, 1))</c> per sample, <c>y = (x / keep_prob) * r</c>. At
/// inference the layer is the identity. No parameters; same shape out as in.
/// </summary>
/// <remarks>Draws come from a seeded generator (the constructor's seed, else one derived from the model's seed), one per sample per training call.</remarks>
public sealed class StochasticDepth : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private float[] _keep = [];
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastInput;
    private bool _dropped;

    /// <summary>Creates the layer.</summary>
    /// <param name="dropPathRate">The probability of dropping a sample's path (Keras' <c>drop_path_rate</c>), in [0, 1).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; the model names it <c>stochastic_depth</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dropPathRate"/> is outside [0, 1) (at 1 Keras divides by a keep probability of 0).</exception>
    public StochasticDepth(double dropPathRate, long? seed = null, string? name = null)
        : base(name)
    {
        DropPathRate = ChannelDropout.CheckRate(nameof(StochasticDepth), dropPathRate, argument: "drop_path_rate");
        DrawSeed = seed;
    }

    /// <summary>The probability of dropping a sample's path (Keras' <c>drop_path_rate</c>).</summary>
    public double DropPathRate { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? DrawSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "stochastic_depth";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => _random ??= CreateRandom(DrawSeed);

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        // Keras' config holds drop_path_rate only; a seed is written only when one was given.
        Config config = base.GetConfig().Set("drop_path_rate", DropPathRate);
        return DrawSeed is long seed ? config.Set("seed", (long?)seed) : config;
    }

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static StochasticDepth FromConfig(Config config) =>
        new(config.GetDouble("drop_path_rate"), config.GetNullableInt64("seed"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        _lastInput = input;
        _dropped = training && DropPathRate > 0;
        if (!_dropped)
        {
            return input;
        }

        // input (batch, ...): r[n] = floor(keep + u[n]) in float32, as Keras adds the Python float to a float32 draw.
        int batch = input.Shape[0], sample = InputShape.ElementCount;
        if (_keep.Length < batch)
        {
            _keep = new float[batch];
        }

        SeededRandom random = ((IRandomLayer)this).LayerRandom;
        float keep = (float)(1 - DropPathRate);
        for (int n = 0; n < batch; n++)
        {
            _keep[n] = MathF.Floor(keep + random.NextSingle());
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        Scale(input.AsReadOnlySpan(), keep, sample, output.AsSpan());
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        CheckForwardRan(_lastInput, outputGradient);
        if (!_dropped || !ComputesInputGradient)
        {
            return outputGradient;
        }

        // d((x / keep) * r)/dx = r / keep, applied in the forward pass's order.
        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        Scale(outputGradient.AsReadOnlySpan(), (float)(1 - DropPathRate), InputShape.ElementCount, inputGradient.AsSpan());
        return inputGradient;
    }

    private void Scale(ReadOnlySpan<float> x, float keep, int sample, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = (x[i] / keep) * _keep[i / sample];
        }
    }
}
