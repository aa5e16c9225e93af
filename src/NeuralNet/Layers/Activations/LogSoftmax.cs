using NeuralNet.Activations;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// <c>x - max(x) - log(sum(exp(x - max(x))))</c> over <see cref="Axes"/> (one axis, the last by default, or several taken
/// together): Keras' <c>ops.log_softmax(x, axis)</c>, which <c>NeuralNet.Keras</c> reads as this layer over any axis
/// (Keras has no log-softmax layer). No weights.
/// </summary>
/// <remarks>
/// Over the last axis it computes what <c>Activation(ActivationFunction.LogSoftmax)</c> does. Its name is also that of
/// the activation function <see cref="Activations.LogSoftmax"/>: code that imports both <c>NeuralNet.Layers</c> and
/// <c>NeuralNet.Activations</c> writes <c>Layers.LogSoftmax</c> or <c>Activations.LogSoftmax</c>.
/// </remarks>
public sealed class LogSoftmax : Layer
{
    private readonly int[] _axes;
    private readonly bool _axisIsList;
    private AxisActivationPass? _pass;

    /// <summary>Creates a log-softmax layer over one axis.</summary>
    /// <param name="axis">The axis, counting the batch axis (Keras' convention); -1, the default, is the last.</param>
    /// <param name="name">The layer's name; the model names it <c>log_softmax</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is 0, the batch axis.</exception>
    public LogSoftmax(int axis = -1, string? name = null)
        : base(name)
    {
        _axes = AxisActivationPass.CheckedAxis(axis, Describe());
    }

    /// <summary>Creates a log-softmax layer over several axes taken together (Keras' <c>axis=(1, 2)</c>).</summary>
    /// <param name="axes">The axes, counting the batch axis; at least one, none of them 0.</param>
    /// <param name="name">The layer's name; the model names it <c>log_softmax</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="axes"/> is empty or contains 0 (the batch axis).</exception>
    public LogSoftmax(int[] axes, string? name = null)
        : base(name)
    {
        _axes = AxisActivationPass.CheckedAxes(axes, Describe());
        _axisIsList = true;
    }

    /// <summary>The axes as given, counting the batch axis (negative from the end).</summary>
    public IReadOnlyList<int> Axes => _axes;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "log_softmax";

    /// <inheritdoc/>
    public override Config GetConfig() => AxisActivationPass.WriteAxis(base.GetConfig(), _axes, _axisIsList);

    /// <summary>Creates the layer from its config; <c>"axis"</c> may be an integer or a list.</summary>
    internal static LogSoftmax FromConfig(Config config)
    {
        (int[] axes, bool isList) = AxisActivationPass.ReadAxis(config);
        return isList ? new LogSoftmax(axes, config.GetString("name")) : new LogSoftmax(axes[0], config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        _pass = new AxisActivationPass(ActivationFunction.LogSoftmax, _axes, inputShape, Describe());
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) => _pass!.Forward(input);

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _pass!.Backward(outputGradient, this);
}
