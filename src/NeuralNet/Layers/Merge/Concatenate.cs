using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Joins its inputs along one axis (Keras' <c>Concatenate</c>): the inputs must agree on every other axis; the output's
/// size on the axis is the sum of theirs. The gradient is cut back into the inputs' parts.
/// </summary>
/// <remarks>
/// As in Keras, <see cref="Axis"/> counts the batch axis: -1 (the default) is the last axis, 1 the first axis of a sample;
/// the batch axis itself (0) cannot be joined.
/// <para>
/// Masks, as Keras 3's <c>Concatenate.compute_mask</c>: when any input has one, an input without a mask counts as real
/// everywhere; joined along the last axis, a position is real when it is real in any input; joined along another axis,
/// the masks are joined along it.
/// </para>
/// </remarks>
/// <example><c>SymbolicTensor joined = new Concatenate().Call(imageFeatures, metadataFeatures);</c></example>
public sealed class Concatenate : MultiInputLayer
{
    private int[] _sizes = [];
    private int[] _chunks = [];
    private int _inner;
    private int _total;
    private Tensor? _output;
    private Tensor?[] _gradients = [];
    private int _lastBatch = -1;
    private Tensor? _mask;
    private TensorShape _maskShape;
    private int _maskInner;

    /// <summary>Creates a concatenation.</summary>
    /// <param name="axis">The axis to join along, counting the batch axis (Keras' convention); negative counts from the end.</param>
    /// <param name="name">The layer's name; the model names it <c>concatenate</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is 0, the batch axis.</exception>
    public Concatenate(int axis = -1, string? name = null)
        : base(name)
    {
        if (axis == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, "Concatenate cannot join along the batch axis (axis=0); use an axis of the samples (1, 2, ... or -1).");
        }

        Axis = axis;
    }

    /// <summary>The axis joined along, counting the batch axis (negative from the end).</summary>
    public int Axis { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "concatenate";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("axis", Axis);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Concatenate FromConfig(Config config) => new(config.WithDefaults(new Concatenate().GetConfig()).GetInt32("axis"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        int rank = inputShapes[0].Rank;
        int axis = Axis < 0 ? Axis + rank + 1 : Axis;
        if (axis < 1 || axis > rank)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} joins along axis {Axis}, which inputs {inputShapes[0].ToBatchString()} of rank {rank + 1} do not have."), nameof(inputShapes));
        }

        int sampleAxis = axis - 1;
        int[] output = inputShapes[0].Dimensions.ToArray();
        output[sampleAxis] = 0;
        var sizes = new int[inputShapes.Length];
        for (int i = 0; i < inputShapes.Length; i++)
        {
            TensorShape shape = inputShapes[i];
            bool matches = shape.Rank == rank;
            for (int d = 0; matches && d < rank; d++)
            {
                matches = d == sampleAxis || shape[d] == inputShapes[0][d];
            }

            if (!matches)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} requires inputs with matching shapes except for the concatenation axis {Axis}, but got {inputShapes[0].ToBatchString()} and {shape.ToBatchString()} (input {i})."), nameof(inputShapes));
            }

            sizes[i] = shape[sampleAxis];
            long joined = (long)output[sampleAxis] + sizes[i];
            output[sampleAxis] = joined <= int.MaxValue ? (int)joined
                : throw new ArgumentException($"{Describe()}: the joined axis would have more than {int.MaxValue} entries.", nameof(inputShapes));
        }

        int inner = 1;
        for (int d = sampleAxis + 1; d < rank; d++)
        {
            inner *= output[d];
        }

        _sizes = sizes;
        _chunks = [.. sizes.Select(size => size * inner)];
        _inner = inner;
        _total = output[sampleAxis];
        _gradients = new Tensor?[inputShapes.Length];
        _maskShape = new TensorShape(output.AsSpan(0, rank - 1));

        // The entries of a mask row after the joined axis (the mask has no last axis); 0 when the last axis is joined.
        _maskInner = sampleAxis == rank - 1 ? 0 : inner / output[rank - 1];
        return new TensorShape(output);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // Each input is (rows, size_i * inner) once everything before the axis is folded into rows.
        int batch = inputs[0].Shape[0];
        Tensor output = BatchView(ref _output, batch, OutputShape);
        RowJoin.Join(inputs, _chunks, output.AsSpan());
        _lastBatch = batch;
        return output;
    }

    internal override bool MasksSurely(ReadOnlySpan<bool> inputsMasked) => inputsMasked.Contains(true);

    /// <summary>The output's mask: none when no input has one, else Keras 3's join of the masks (see the remarks).</summary>
    /// <param name="inputs">The inputs of the forward pass.</param>
    /// <param name="output">The joined output.</param>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output)
    {
        ReadOnlySpan<Tensor?> masks = InputMasks;
        bool any = false;
        foreach (Tensor? m in masks)
        {
            any |= m is not null;
        }

        if (!any)
        {
            return null;
        }

        Tensor result = BatchView(ref _mask, output.Shape[0], _maskShape);
        Span<float> r = result.AsSpan();
        if (_maskInner == 0)
        {
            // Keras broadcasts each mask over its input's features, joins them and keeps a position where any entry is
            // real: the masks ORed, an input without a mask making every position real.
            r.Clear();
            for (int i = 0; i < masks.Length; i++)
            {
                if (masks[i] is not Tensor mask)
                {
                    r.Fill(1f);
                    break;
                }

                ReadOnlySpan<float> m = mask.AsReadOnlySpan();
                for (int k = 0; k < r.Length; k++)
                {
                    r[k] = m[k] != 0f ? 1f : r[k];
                }
            }

            return result;
        }

        // Joined along an axis the masks have: the masks are joined like the values (the feature axis folded away), with
        // ones for an input without a mask.
        int outRow = _total * _maskInner;
        int rows = r.Length / outRow;
        int offset = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            int chunk = _sizes[i] * _maskInner;
            Tensor? mask = i < masks.Length ? masks[i] : null;
            for (int row = 0; row < rows; row++)
            {
                Span<float> destination = r.Slice((row * outRow) + offset, chunk);
                if (mask is null)
                {
                    destination.Fill(1f);
                }
                else
                {
                    ReadOnlySpan<float> m = mask.AsReadOnlySpan().Slice(row * chunk, chunk);
                    for (int k = 0; k < chunk; k++)
                    {
                        destination[k] = m[k] != 0f ? 1f : 0f;
                    }
                }
            }

            offset += chunk;
        }

        return result;
    }

    /// <inheritdoc/>
    protected override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        int batch = outputGradient.Shape[0];
        if (batch != _lastBatch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {_lastBatch}, gradient {outputGradient.Shape}).");
        }

        if (!ComputesInputGradient)
        {
            return;
        }

        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        int offset = 0;
        for (int i = 0; i < _chunks.Length; i++)
        {
            Tensor gradient = BatchView(ref _gradients[i], batch, InputShapes[i]);
            RowJoin.Take(dy, _total * _inner, offset, _chunks[i], gradient.AsSpan());
            inputGradients[i] = gradient;
            offset += _chunks[i];
        }
    }
}
