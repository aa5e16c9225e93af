using NeuralNet.Activations;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The Keras <c>LeakyReLU</c> layer: <c>f(x) = x</c> for <c>x &gt;= 0</c>, <c>negative_slope * x</c> otherwise. No weights.
/// </summary>
/// <remarks>
/// The layer counterpart of the activation function <see cref="LeakyRelu"/>. As in Keras, the layer's default slope
/// is 0.3 while the function's is 0.2.
/// </remarks>
public sealed class LeakyReLU : Layer
{
    private readonly LeakyRelu _function;
    private ActivationPass? _pass;

    /// <summary>Creates a leaky ReLU layer.</summary>
    /// <param name="negativeSlope">The slope for negative inputs, finite and at least 0 (Keras' layer default 0.3).</param>
    /// <param name="name">The layer's name; the model names it <c>leaky_re_lu</c>, ... when null (Keras' automatic name).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is negative or not finite.</exception>
    public LeakyReLU(double negativeSlope = 0.3, string? name = null)
        : base(name)
    {
        float slope = Float32Hyperparameter.NonNegative(negativeSlope, nameof(negativeSlope), Describe(), "negative_slope");

        _function = new LeakyRelu(slope);
    }

    /// <summary>The slope for negative inputs, as float32 (the value given, rounded to float32).</summary>
    public float NegativeSlope => _function.NegativeSlope;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "leaky_re_lu";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("negative_slope", NegativeSlope);

    /// <summary>Keras' <c>from_config</c> (Keras 2's <c>"alpha"</c> is read when <c>"negative_slope"</c> is absent).</summary>
    internal static LeakyReLU FromConfig(Config config)
    {
        float slope = config.Contains("negative_slope") ? config.GetSingle("negative_slope") : config.GetSingle("alpha", 0.3f);
        return new LeakyReLU(slope, config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        _pass = new ActivationPass(_function, inputShape);
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) => _pass!.Forward(input);

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _pass!.Backward(outputGradient, this);
}
