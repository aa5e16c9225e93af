using NeuralNet.Activations;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The Keras <c>ELU</c> layer: <c>f(x) = x</c> for <c>x &gt; 0</c>, <c>alpha * (exp(x) - 1)</c> otherwise. No weights.
/// </summary>
/// <remarks>The layer counterpart of the activation function <see cref="Elu"/>.</remarks>
public sealed class ELU : Layer
{
    private readonly Elu _function;
    private ActivationPass? _pass;

    /// <summary>Creates an ELU layer.</summary>
    /// <param name="alpha">The negative saturation level, finite (Keras default 1).</param>
    /// <param name="name">The layer's name; the model names it <c>elu</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not finite.</exception>
    public ELU(double alpha = 1, string? name = null)
        : base(name)
    {
        float value = Float32Hyperparameter.Finite(alpha, nameof(alpha), Describe());

        _function = new Elu(value);
    }

    /// <summary>The negative saturation level, as float32 (the value given, rounded to float32).</summary>
    public float Alpha => _function.Alpha;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "elu";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    /// <remarks>Keras' <c>ELU</c> layer does not write its alpha; this one does, and reads files without it as alpha 1.</remarks>
    public override Config GetConfig() => base.GetConfig().Set("alpha", Alpha);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static ELU FromConfig(Config config) => new(config.GetSingle("alpha", 1f), config.GetString("name"));

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
