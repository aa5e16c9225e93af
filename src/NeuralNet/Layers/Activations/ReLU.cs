using NeuralNet.Activations;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The Keras <c>ReLU</c> layer: <c>f(x) = max_value</c> for <c>x &gt;= max_value</c>, <c>x</c> for
/// <c>threshold &lt; x &lt; max_value</c>, <c>negative_slope * (x - threshold)</c> otherwise. No weights.
/// </summary>
/// <remarks>
/// The layer counterpart of the activation function <see cref="Activations.Relu"/> (which is this layer with its
/// defaults); <c>ReLU(maxValue: 6)</c> is <see cref="Activations.Relu6"/>. The layers live in <c>NeuralNet.Layers</c>
/// with Keras' capitalization (<c>ReLU</c>, <c>LeakyReLU</c>, <c>ELU</c>), the functions in <c>NeuralNet.Activations</c>
/// (<c>Relu</c>, <c>LeakyRelu</c>, <c>Elu</c>).
/// </remarks>
public sealed class ReLU : Layer
{
    private ActivationPass? _pass;

    /// <summary>Creates a ReLU layer.</summary>
    /// <param name="maxValue">The largest output, at least 0; null (the default) for none.</param>
    /// <param name="negativeSlope">The slope below the threshold, at least 0 (default 0).</param>
    /// <param name="threshold">Inputs at or below it give <c>negativeSlope * (x - threshold)</c>; at least 0 (default 0).</param>
    /// <param name="name">The layer's name; the model names it <c>re_lu</c>, ... when null (Keras' automatic name).</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is negative or not finite.</exception>
    public ReLU(double? maxValue = null, double negativeSlope = 0, double threshold = 0, string? name = null)
        : base(name)
    {
        float? max = maxValue is double given ? Float32Hyperparameter.NonNegative(given, nameof(maxValue), Describe(), "max_value") : null;
        float slope = Float32Hyperparameter.NonNegative(negativeSlope, nameof(negativeSlope), Describe(), "negative_slope");
        float floor = Float32Hyperparameter.NonNegative(threshold, nameof(threshold), Describe());

        MaxValue = max;
        NegativeSlope = slope;
        Threshold = floor;
    }

    /// <summary>The largest output, or null for none, as float32 (the value given, rounded to float32).</summary>
    public float? MaxValue { get; }

    /// <summary>The slope below the threshold, as float32 (the value given, rounded to float32).</summary>
    public float NegativeSlope { get; }

    /// <summary>The threshold, as float32 (the value given, rounded to float32).</summary>
    public float Threshold { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "re_lu";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("max_value", MaxValue).Set("negative_slope", NegativeSlope).Set("threshold", Threshold);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static ReLU FromConfig(Config config)
    {
        Config d = config.WithDefaults(new ReLU().GetConfig());
        return new ReLU(d.GetNullableSingle("max_value"), d.GetSingle("negative_slope"), d.GetSingle("threshold"), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ActivationFunction function = MaxValue is null && NegativeSlope == 0f && Threshold == 0f
            ? ActivationFunction.Relu
            : new ReluVariant(MaxValue, NegativeSlope, Threshold);
        _pass = new ActivationPass(function, inputShape);
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) => _pass!.Forward(input);

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _pass!.Backward(outputGradient, this);
}
