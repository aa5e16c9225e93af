using NeuralNet.Activations;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The Keras <c>Softmax</c> layer: <c>exp(x - max(x)) / sum(exp(x - max(x)))</c> over <see cref="Axes"/> (the last axis
/// by default, or several axes taken together). No weights.
/// </summary>
/// <remarks>
/// <para>The layer counterpart of the activation function <see cref="Activations.Softmax"/>; both are named
/// <c>Softmax</c>, so code that imports both <c>NeuralNet.Layers</c> and <c>NeuralNet.Activations</c> writes
/// <c>Layers.Softmax</c> or <c>Activations.Softmax</c> (or uses <see cref="ActivationFunction.Softmax"/>).</para>
/// <para>Over the last axis, as a model's last layer, it takes the fused softmax + cross-entropy gradient the way a Dense
/// with a softmax activation does. Keras' <c>mask</c> argument is not supported.</para>
/// </remarks>
public sealed class Softmax : Layer
{
    private readonly int[] _axes;
    private readonly bool _axisIsList;
    private AxisActivationPass? _pass;

    /// <summary>Creates a softmax layer over one axis.</summary>
    /// <param name="axis">The axis, counting the batch axis (Keras' convention); -1, the default, is the last.</param>
    /// <param name="name">The layer's name; the model names it <c>softmax</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is 0, the batch axis.</exception>
    public Softmax(int axis = -1, string? name = null)
        : base(name)
    {
        _axes = AxisActivationPass.CheckedAxis(axis, Describe());
    }

    /// <summary>Creates a softmax layer over several axes taken together (Keras' <c>axis=[1, 2]</c>).</summary>
    /// <param name="axes">The axes, counting the batch axis; at least one, none of them 0.</param>
    /// <param name="name">The layer's name; the model names it <c>softmax</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="axes"/> is empty or contains 0 (the batch axis).</exception>
    public Softmax(int[] axes, string? name = null)
        : base(name)
    {
        _axes = AxisActivationPass.CheckedAxes(axes, Describe());
        _axisIsList = true;
    }

    /// <summary>The axes as given, counting the batch axis (negative from the end).</summary>
    public IReadOnlyList<int> Axes => _axes;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "softmax";

    /// <inheritdoc/>
    public override bool EndsWithSoftmax => _pass?.IsLastAxisOnly ?? false;

    /// <inheritdoc/>
    public override Config GetConfig() => AxisActivationPass.WriteAxis(base.GetConfig(), _axes, _axisIsList);

    /// <summary>Keras' <c>from_config</c>; <c>"axis"</c> may be an integer or a list.</summary>
    internal static Softmax FromConfig(Config config)
    {
        (int[] axes, bool isList) = AxisActivationPass.ReadAxis(config);
        return isList ? new Softmax(axes, config.GetString("name")) : new Softmax(axes[0], config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        _pass = new AxisActivationPass(ActivationFunction.Softmax, _axes, inputShape, Describe());
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) => _pass!.Forward(input);

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _pass!.Backward(outputGradient, this);

    /// <inheritdoc/>
    protected override Tensor OnBackwardFromLogitsGradient(Tensor logitsGradient)
    {
        _pass!.CheckForwardRan(logitsGradient, this);
        return logitsGradient;
    }
}
