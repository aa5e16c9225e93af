using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Joins inputs of the same shape along a new axis (Keras' <c>ops.stack(xs, axis)</c>, NumPy's <c>stack</c>, which
/// <c>NeuralNet.Keras</c> reads as this layer): n inputs of (batch, d1, ..., dr) give (batch, ..., n, ...) with the new
/// axis at <see cref="Axis"/>. No parameters.
/// </summary>
/// <remarks>
/// The axis counts the batch axis and the new axis, as in Keras: 1 puts the inputs first in each sample, -1 (or r + 1)
/// last. The batch axis itself (0, Keras' default) cannot be stacked along: each sample is computed on its own.
/// </remarks>
public sealed class Stack : MultiInputLayer
{
    private int[] _chunks = [];
    private Tensor? _output;
    private Tensor?[] _gradients = [];
    private Tensor? _lastInput;

    /// <summary>Creates the layer.</summary>
    /// <param name="axis">The new axis in the output, counting the batch axis (negative from the end); not 0.</param>
    /// <param name="name">The layer's name; the model names it <c>stack</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is 0, the batch axis.</exception>
    public Stack(int axis, string? name = null)
        : base(name)
    {
        if (axis == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, "Stack cannot stack along the batch axis (axis=0); use an axis of the samples (1, 2, ... or -1).");
        }

        Axis = axis;
    }

    /// <summary>The new axis, counting the batch axis (negative from the end of the output's axes).</summary>
    public int Axis { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "stack";

    /// <inheritdoc/>
    protected override int MinimumInputCount => 1;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("axis", Axis);

    /// <summary>Creates the layer from its config.</summary>
    internal static Stack FromConfig(Config config) => new(config.GetInt32("axis"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        TensorShape first = inputShapes[0];
        int rank = first.Rank + 2;
        int axis = Axis < 0 ? Axis + rank : Axis;
        if (axis < 1 || axis >= rank)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} stacks along axis {Axis}, which an output of rank {rank} (inputs {first.ToBatchString()}) does not have (expected 1 to {rank - 1}, or -1 to -{rank - 1})."), nameof(inputShapes));
        }

        for (int i = 1; i < inputShapes.Length; i++)
        {
            if (inputShapes[i] != first)
            {
                throw new ArgumentException($"{Describe()} stacks inputs of the same shape, but input 0 is {first.ToBatchString()} and input {i} {inputShapes[i].ToBatchString()}.", nameof(inputShapes));
            }
        }

        // Each input is (rows, inner) with the axes from the new one on folded into inner: every chunk one inner block.
        int sampleAxis = axis - 1, inner = 1;
        for (int d = sampleAxis; d < first.Rank; d++)
        {
            inner *= first[d];
        }

        _chunks = [.. Enumerable.Repeat(inner, inputShapes.Length)];
        _gradients = new Tensor?[inputShapes.Length];
        int[] output = first.Dimensions.ToArray();
        return new TensorShape([.. output[..sampleAxis], inputShapes.Length, .. output[sampleAxis..]]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        Tensor output = BatchView(ref _output, inputs[0].Shape[0], OutputShape);
        RowJoin.Join(inputs, _chunks, output.AsSpan());
        _lastInput = inputs[0];
        return output;
    }

    /// <inheritdoc/>
    protected override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        CheckForwardRan(_lastInput, outputGradient);
        if (!ComputesInputGradient)
        {
            return;
        }

        int batch = outputGradient.Shape[0], inner = _chunks[0];
        for (int i = 0; i < _chunks.Length; i++)
        {
            Tensor gradient = BatchView(ref _gradients[i], batch, InputShapes[i]);
            RowJoin.Take(outputGradient.AsReadOnlySpan(), inner * _chunks.Length, i * inner, inner, gradient.AsSpan());
            inputGradients[i] = gradient;
        }
    }
}
