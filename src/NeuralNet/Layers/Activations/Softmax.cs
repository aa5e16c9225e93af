using System.Text.Json.Nodes;
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
    private AxisLayout? _layout;
    private bool _lastAxisOnly;
    private Tensor? _outputBuffer;
    private Tensor? _gatherBuffer;
    private Tensor? _gatheredOutputBuffer;
    private Tensor? _inputGradientBuffer;
    private int _batch = -1;

    /// <summary>Creates a softmax layer over one axis.</summary>
    /// <param name="axis">The axis, counting the batch axis (Keras' convention); -1, the default, is the last.</param>
    /// <param name="name">The layer's name; the model names it <c>softmax</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is 0, the batch axis.</exception>
    public Softmax(int axis = -1, string? name = null)
        : base(name)
    {
        _axes = LayerNormalization.CheckAxes([axis], Describe(), nameof(axis));
    }

    /// <summary>Creates a softmax layer over several axes taken together (Keras' <c>axis=[1, 2]</c>).</summary>
    /// <param name="axes">The axes, counting the batch axis; at least one, none of them 0.</param>
    /// <param name="name">The layer's name; the model names it <c>softmax</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="axes"/> is empty or contains 0 (the batch axis).</exception>
    public Softmax(int[] axes, string? name = null)
        : base(name)
    {
        _axes = LayerNormalization.CheckAxes(axes, Describe(), nameof(axes));
        _axisIsList = true;
    }

    /// <summary>The axes as given, counting the batch axis (negative from the end).</summary>
    public IReadOnlyList<int> Axes => _axes;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "softmax";

    /// <inheritdoc/>
    public override bool EndsWithSoftmax => _lastAxisOnly;

    /// <inheritdoc/>
    public override Config GetConfig() => _axisIsList ? base.GetConfig().Set("axis", _axes) : base.GetConfig().Set("axis", _axes[0]);

    /// <summary>Keras' <c>from_config</c>; <c>"axis"</c> may be an integer or a list.</summary>
    internal static Softmax FromConfig(Config config) =>
        config.GetNode("axis") is JsonArray
            ? new Softmax(config.GetInt32Array("axis", 32), config.GetString("name"))
            : new Softmax(config.GetInt32("axis", -1), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        int[] sampleAxes = AxisLayout.SampleAxes(_axes, inputShape, Describe());
        _layout = AxisLayout.Create(inputShape, sampleAxes);
        _lastAxisOnly = sampleAxes is [int only] && only == inputShape.Rank - 1;
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        AxisLayout layout = _layout!;
        _batch = input.Shape[0];
        Tensor output = BatchView(ref _outputBuffer, _batch, OutputShape);
        if (layout.IsContiguous)
        {
            ActivationFunction.Softmax.Forward(input.AsReadOnlySpan(), output.AsSpan(), layout.Columns);
        }
        else
        {
            Tensor gathered = BatchView(ref _gatherBuffer, _batch, InputShape), y = BatchView(ref _gatheredOutputBuffer, _batch, InputShape);
            layout.Gather(input.AsReadOnlySpan(), gathered.AsSpan());
            ActivationFunction.Softmax.Forward(gathered.AsReadOnlySpan(), y.AsSpan(), layout.Columns);
            layout.Scatter(y.AsReadOnlySpan(), output.AsSpan());
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        CheckForwardRan(outputGradient);
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        AxisLayout layout = _layout!;
        Tensor inputGradient = BatchView(ref _inputGradientBuffer, _batch, InputShape);
        if (layout.IsContiguous)
        {
            ReadOnlySpan<float> y = _outputBuffer!.AsReadOnlySpan()[..inputGradient.Length];
            ActivationFunction.Softmax.Backward(y, y, outputGradient.AsReadOnlySpan(), inputGradient.AsSpan(), layout.Columns);
        }
        else
        {
            ReadOnlySpan<float> y = _gatheredOutputBuffer!.AsReadOnlySpan()[..inputGradient.Length];
            Tensor gathered = BatchView(ref _gatherBuffer, _batch, InputShape);
            layout.Gather(outputGradient.AsReadOnlySpan(), gathered.AsSpan());
            ActivationFunction.Softmax.Backward(y, y, gathered.AsReadOnlySpan(), gathered.AsSpan(), layout.Columns);
            layout.Scatter(gathered.AsReadOnlySpan(), inputGradient.AsSpan());
        }

        return inputGradient;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackwardFromLogitsGradient(Tensor logitsGradient)
    {
        CheckForwardRan(logitsGradient);
        return logitsGradient;
    }

    private void CheckForwardRan(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }
    }
}
