using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Unpacks its input along one axis into one output per entry, each without that axis (Keras' <c>ops.unstack(x, num,
/// axis)</c>, which <c>NeuralNet.Keras</c> reads as this layer): (batch, 3, 4) unstacked on axis 1 gives three outputs of
/// (batch, 4). No parameters.
/// </summary>
/// <remarks>
/// The axis counts the batch axis, as in Keras; the batch axis itself (0, Keras' default) cannot be unstacked. Backward,
/// the input's gradient is the outputs' gradients put back in place; an output nothing reads contributes 0.
/// </remarks>
/// <example><c>SymbolicTensor[] steps = new Unstack(axis: 1).CallOutputs(sequence);</c></example>
public sealed class Unstack : Layer
{
    private AxisPieces? _pieces;
    private Tensor? _lastInput;

    /// <summary>Creates the layer.</summary>
    /// <param name="axis">The axis to unpack, counting the batch axis (negative from the end); not 0.</param>
    /// <param name="num">The number of outputs (Keras' <c>num</c>), or null for the axis' size; when given, the axis' size must equal it.</param>
    /// <param name="name">The layer's name; the model names it <c>unstack</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is 0 or <paramref name="num"/> is less than 1.</exception>
    public Unstack(int axis, int? num = null, string? name = null)
        : base(name)
    {
        if (axis == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, "Unstack cannot unpack the batch axis (axis=0, Keras' default); use an axis of the samples (1, 2, ... or -1).");
        }

        if (num < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(num), num, "Unstack expects num to be a positive number of outputs, or null for the axis' size.");
        }

        Axis = axis;
        Num = num;
    }

    /// <summary>The unpacked axis, counting the batch axis (negative from the end).</summary>
    public int Axis { get; }

    /// <summary>The number of outputs as given (Keras' <c>num</c>), or null for the axis' size.</summary>
    public int? Num { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "unstack";

    /// <inheritdoc/>
    internal override bool HasSeveralOutputs => Num != 1;

    /// <inheritdoc/>
    private protected override IReadOnlyList<TensorShape> AdditionalOutputShapes => Pieces.FurtherShapes;

    private AxisPieces Pieces => _pieces ?? throw new InvalidOperationException($"{Describe()} has not been built.");

    /// <summary>Keras' <c>get_config</c>: <c>num</c> (null for the axis' size) and <c>axis</c>.</summary>
    public override Config GetConfig() => base.GetConfig().Set("num", Num).Set("axis", Axis);

    /// <summary>Creates the layer from its config.</summary>
    internal static Unstack FromConfig(Config config) => new(
        config.GetInt32("axis"),
        config.GetNullableInt64("num") is long num ? checked((int)num) : null,
        config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        int axis = AxisPieces.SampleAxis(Axis, inputShape, Describe(), nameof(inputShape));
        int size = inputShape[axis];
        if (Num is int num && num != size)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} unpacks axis {Axis} of {inputShape.ToBatchString()} into num={num} outputs, but the axis has {size} entries; num must equal it (or be null)."), nameof(inputShape));
        }

        _pieces = new AxisPieces(inputShape, axis, [.. Enumerable.Repeat(1, size)], dropAxis: true);
        return _pieces.Shapes[0];
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        _lastInput = input;
        return Pieces.Forward(input);
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        CheckForwardRan(_lastInput, outputGradient);
        return Pieces.Backward(outputGradient);
    }

    /// <inheritdoc/>
    private protected override Tensor AdditionalOutput(int index) => Pieces.Output(index + 1);

    /// <inheritdoc/>
    private protected override void SetAdditionalOutputGradients(ReadOnlySpan<Tensor?> gradients) => _pieces?.SetFurtherGradients(gradients);
}
