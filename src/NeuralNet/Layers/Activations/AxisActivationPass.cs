using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A softmax-like <see cref="ActivationFunction"/> (softmax, log-softmax) applied over some axes of each sample, taken
/// together: the values are gathered so the axes run last when they are not already, normalized row by row, and
/// scattered back. The buffers and steps that the <see cref="Softmax"/> and <see cref="LogSoftmax"/> layers share.
/// </summary>
internal sealed class AxisActivationPass
{
    private readonly ActivationFunction _function;
    private readonly AxisLayout _layout;
    private readonly TensorShape _sampleShape;
    private Tensor? _outputBuffer;
    private Tensor? _gatherBuffer;
    private Tensor? _gatheredOutputBuffer;
    private Tensor? _inputGradientBuffer;
    private int _batch = -1;

    /// <summary>Creates the pass for samples of <paramref name="sampleShape"/>; <paramref name="axes"/> count the batch axis.</summary>
    public AxisActivationPass(ActivationFunction function, IReadOnlyList<int> axes, TensorShape sampleShape, string layer)
    {
        int[] sampleAxes = AxisLayout.SampleAxes(axes, sampleShape, layer);
        _function = function;
        _sampleShape = sampleShape;
        _layout = AxisLayout.Create(sampleShape, sampleAxes);
        IsLastAxisOnly = sampleAxes is [int only] && only == sampleShape.Rank - 1;
    }

    /// <summary>One axis, checked (not the batch axis 0), as the layers' single-axis constructors take it.</summary>
    public static int[] CheckedAxis(int axis, string layer) => LayerNormalization.CheckAxes([axis], layer, nameof(axis));

    /// <summary>Several axes taken together, checked (at least one, none the batch axis 0).</summary>
    public static int[] CheckedAxes(int[] axes, string layer) => LayerNormalization.CheckAxes(axes, layer, nameof(axes));

    /// <summary>A config's <c>"axis"</c>: an integer (-1 when absent, Keras' default) or a list, and whether it is a list.</summary>
    public static (int[] Axes, bool IsList) ReadAxis(Config config) =>
        config.GetNode("axis") is JsonArray ? (config.GetInt32Array("axis", 32), true) : ([config.GetInt32("axis", -1)], false);

    /// <summary>Writes <c>"axis"</c> as the layer was given it: the list, or its one integer.</summary>
    public static Config WriteAxis(Config config, int[] axes, bool isList) => isList ? config.Set("axis", axes) : config.Set("axis", axes[0]);

    /// <summary>Whether the function runs over the last axis alone.</summary>
    public bool IsLastAxisOnly { get; }

    // y (batch, sample) = function over the axes of x (batch, sample).
    public Tensor Forward(Tensor input)
    {
        _batch = input.Shape[0];
        Tensor output = Layer.ReusedBatchView(ref _outputBuffer, _batch, _sampleShape);
        if (_layout.IsContiguous)
        {
            _function.Forward(input.AsReadOnlySpan(), output.AsSpan(), _layout.Columns);
        }
        else
        {
            Tensor gathered = Layer.ReusedBatchView(ref _gatherBuffer, _batch, _sampleShape), y = Layer.ReusedBatchView(ref _gatheredOutputBuffer, _batch, _sampleShape);
            _layout.Gather(input.AsReadOnlySpan(), gathered.AsSpan());
            _function.Forward(gathered.AsReadOnlySpan(), y.AsSpan(), _layout.Columns);
            _layout.Scatter(y.AsReadOnlySpan(), output.AsSpan());
        }

        return output;
    }

    /// <summary>
    /// The layer's backward step: the last forward pass's batch checked, then dx from dy, or dy itself when the layer
    /// computes no input gradient. The layer is described only in an error, so a step allocates nothing.
    /// </summary>
    public Tensor Backward(Tensor outputGradient, Layer layer)
    {
        CheckForwardRan(outputGradient, layer);
        return layer.ComputesInputGradient ? Backward(outputGradient) : outputGradient;
    }

    // dx from dy; the functions' backward needs only their output y.
    private Tensor Backward(Tensor outputGradient)
    {
        Tensor inputGradient = Layer.ReusedBatchView(ref _inputGradientBuffer, _batch, _sampleShape);
        if (_layout.IsContiguous)
        {
            ReadOnlySpan<float> y = _outputBuffer!.AsReadOnlySpan()[..inputGradient.Length];
            _function.Backward(y, y, outputGradient.AsReadOnlySpan(), inputGradient.AsSpan(), _layout.Columns);
        }
        else
        {
            ReadOnlySpan<float> y = _gatheredOutputBuffer!.AsReadOnlySpan()[..inputGradient.Length];
            Tensor gathered = Layer.ReusedBatchView(ref _gatherBuffer, _batch, _sampleShape);
            _layout.Gather(outputGradient.AsReadOnlySpan(), gathered.AsSpan());
            _function.Backward(y, y, gathered.AsReadOnlySpan(), gathered.AsSpan(), _layout.Columns);
            _layout.Scatter(gathered.AsReadOnlySpan(), inputGradient.AsSpan());
        }

        return inputGradient;
    }

    /// <summary>Refuses a gradient whose batch size is not the last forward pass's.</summary>
    public void CheckForwardRan(Tensor outputGradient, Layer layer)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{(layer.Name.Length == 0 ? layer.TypeName : $"{layer.TypeName} '{layer.Name}'")}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }
    }
}
