using System.Text.Json.Nodes;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Unit normalization (Keras <c>UnitNormalization</c>): each sample is scaled to unit L2 norm over <see cref="Axes"/>,
/// <c>y = x / sqrt(max(sum(x^2), 1e-12))</c> with Keras' floor of 1e-12 on the sum of squares. No weights.
/// </summary>
/// <remarks>Axes count the batch axis as Keras does; trailing axes are normalized in place, others gathered into rows first.</remarks>
public sealed class UnitNormalization : Layer
{
    private readonly int[] _axes;
    private readonly bool _axisIsList;
    private AxisLayout? _layout;
    private Tensor? _outputBuffer;
    private Tensor? _gatherBuffer;
    private Tensor? _gatheredOutputBuffer;
    private Tensor? _inputGradientBuffer;
    private float[] _invNorm = [];
    private int _batch = -1;

    /// <summary>Creates unit normalization over one axis.</summary>
    /// <param name="axis">The axis, counting the batch axis (Keras' convention); -1, the default, is the last.</param>
    /// <param name="name">The layer's name; the model names it <c>unit_normalization</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is 0, the batch axis.</exception>
    public UnitNormalization(int axis = -1, string? name = null)
        : base(name)
    {
        _axes = LayerNormalization.CheckAxes([axis], Describe(), nameof(axis));
    }

    /// <summary>Creates unit normalization over several axes (Keras' <c>axis=[1, 2]</c>).</summary>
    /// <param name="axes">The axes, counting the batch axis; at least one, none of them 0.</param>
    /// <param name="name">The layer's name; the model names it <c>unit_normalization</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="axes"/> is empty or contains 0 (the batch axis).</exception>
    public UnitNormalization(int[] axes, string? name = null)
        : base(name)
    {
        _axes = LayerNormalization.CheckAxes(axes, Describe(), nameof(axes));
        _axisIsList = true;
    }

    /// <summary>The normalized axes as given, counting the batch axis (negative from the end).</summary>
    public IReadOnlyList<int> Axes => _axes;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "unit_normalization";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override Config GetConfig() => _axisIsList ? base.GetConfig().Set("axis", _axes) : base.GetConfig().Set("axis", _axes[0]);

    /// <summary>Keras' <c>from_config</c>; <c>"axis"</c> may be an integer or a list.</summary>
    internal static UnitNormalization FromConfig(Config config) =>
        config.GetNode("axis") is JsonArray
            ? new UnitNormalization(config.GetInt32Array("axis", 32), config.GetString("name"))
            : new UnitNormalization(config.GetInt32("axis", -1), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        _layout = AxisLayout.Create(inputShape, AxisLayout.SampleAxes(_axes, inputShape, Describe()));
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        AxisLayout layout = _layout!;
        _batch = input.Shape[0];
        if (_invNorm.Length < _batch * layout.Rows)
        {
            _invNorm = new float[_batch * layout.Rows];
        }

        Tensor output = BatchView(ref _outputBuffer, _batch, OutputShape);
        if (layout.IsContiguous)
        {
            UnitNorm.Forward(input.AsReadOnlySpan(), layout.Columns, _invNorm, output.AsSpan());
        }
        else
        {
            Tensor gathered = BatchView(ref _gatherBuffer, _batch, InputShape), y = BatchView(ref _gatheredOutputBuffer, _batch, InputShape);
            layout.Gather(input.AsReadOnlySpan(), gathered.AsSpan());
            UnitNorm.Forward(gathered.AsReadOnlySpan(), layout.Columns, _invNorm, y.AsSpan());
            layout.Scatter(y.AsReadOnlySpan(), output.AsSpan());
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        AxisLayout layout = _layout!;
        Tensor inputGradient = BatchView(ref _inputGradientBuffer, _batch, InputShape);
        if (layout.IsContiguous)
        {
            UnitNorm.Backward(outputGradient.AsReadOnlySpan(), _outputBuffer!.AsReadOnlySpan()[..inputGradient.Length], _invNorm, layout.Columns, inputGradient.AsSpan());
        }
        else
        {
            Tensor gathered = BatchView(ref _gatherBuffer, _batch, InputShape);
            layout.Gather(outputGradient.AsReadOnlySpan(), gathered.AsSpan());
            UnitNorm.Backward(gathered.AsReadOnlySpan(), _gatheredOutputBuffer!.AsReadOnlySpan()[..inputGradient.Length], _invNorm, layout.Columns, gathered.AsSpan());
            layout.Scatter(gathered.AsReadOnlySpan(), inputGradient.AsSpan());
        }

        return inputGradient;
    }
}
