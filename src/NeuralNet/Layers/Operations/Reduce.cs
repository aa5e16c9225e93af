using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Reduces each sample over some of its axes by mean, sum, maximum or minimum (Keras' <c>ops.mean</c>, <c>ops.sum</c>,
/// <c>ops.max</c>, <c>ops.min</c> with <c>axis</c> and <c>keepdims</c>, which <c>NeuralNet.Keras</c> reads as this layer).
/// <c>new Reduce(Reduction.Mean, [1])</c> turns (None, 10, 64) into (None, 64); with <c>keepDims</c>, (None, 1, 64).
/// </summary>
/// <remarks>
/// Axes count as Keras counts them, the batch axis being 0 (which cannot be reduced: each sample keeps its own result);
/// negative axes count from the end. The gradient of a maximum or minimum is split evenly among the elements that hold it
/// (as TensorFlow's, JAX's and PyTorch's <c>amax</c> gradients are, which Keras' backends use).
/// </remarks>
public sealed class Reduce : Layer
{
    private readonly int[] _axes;
    private int[]? _map;
    private int _count;
    private int[]? _firsts;
    private int[]? _ties;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastInput;

    /// <summary>Creates the layer.</summary>
    /// <param name="reduction">What to compute.</param>
    /// <param name="axes">The axes to reduce, the batch axis being 0 (Keras' <c>axis</c>); at least one, none 0.</param>
    /// <param name="keepDims">Whether reduced axes stay, of size 1 (Keras' <c>keepdims</c>).</param>
    /// <param name="name">The layer's name; the model names it <c>reduce</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a reduction.</exception>
    /// <exception cref="ArgumentException"><paramref name="axes"/> is empty, repeats an axis or holds 0 (the batch axis).</exception>
    public Reduce(Reduction reduction, int[] axes, bool keepDims = false, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(axes);
        Reduction = OperationKinds.Check(reduction, nameof(reduction));
        if (axes.Length == 0 || axes.Contains(0) || axes.Distinct().Count() != axes.Length)
        {
            throw new ArgumentException($"Reduce expects one or more distinct axes, none of them the batch axis 0. Received: axis=[{string.Join(", ", axes)}].", nameof(axes));
        }

        _axes = [.. axes];
        KeepDims = keepDims;
    }

    /// <summary>What the layer computes.</summary>
    public Reduction Reduction { get; }

    /// <summary>The reduced axes as given, the batch axis being 0.</summary>
    public IReadOnlyList<int> Axes => _axes;

    /// <summary>Whether reduced axes stay, of size 1.</summary>
    public bool KeepDims { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "reduce";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("reduction", OperationKinds.Name(Reduction))
        .Set("axis", _axes)
        .Set("keepdims", KeepDims);

    /// <summary>Creates the layer from its config.</summary>
    internal static Reduce FromConfig(Config config) => new(
        OperationKinds.Read<Reduction>(config, "reduction"),
        config.GetInt32Array("axis", InputLayer.MaxRank),
        config.GetBoolean("keepdims", false),
        config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        bool[] reduced = ReducedSampleAxes(inputShape.Rank);
        var output = new List<int>();
        for (int d = 0; d < inputShape.Rank; d++)
        {
            if (!reduced[d])
            {
                output.Add(inputShape[d]);
            }
            else if (KeepDims)
            {
                output.Add(1);
            }
        }

        _map = null;
        return new TensorShape([.. output]);
    }

    // Which sample axes (0 = the first after the batch) the layer reduces, for an input of that many sample axes.
    private bool[] ReducedSampleAxes(int sampleRank)
    {
        var reduced = new bool[sampleRank];
        foreach (int axis in _axes)
        {
            int full = axis < 0 ? axis + sampleRank + 1 : axis;
            if (full < 1 || full > sampleRank)
            {
                throw new ArgumentException($"{Describe()} reduces axis {axis}, which an input of {sampleRank + 1} axes (batch included) has not, or which is its batch axis; expected axes 1..{sampleRank} or -{sampleRank}..-1.");
            }

            if (reduced[full - 1])
            {
                throw new ArgumentException($"{Describe()} names axis {full} twice (axis=[{string.Join(", ", _axes)}]).");
            }

            reduced[full - 1] = true;
        }

        return reduced;
    }

    // map[i] = the output element that input element i of a sample goes to; as large as a sample, so made on the first batch.
    private int[] Map()
    {
        TensorShape input = InputShape;
        bool[] reduced = ReducedSampleAxes(input.Rank);
        var map = new int[input.ElementCount];
        _count = 1;
        for (int d = 0; d < input.Rank; d++)
        {
            _count *= reduced[d] ? input[d] : 1;
        }

        for (int i = 0; i < map.Length; i++)
        {
            int remainder = i, offset = 0, stride = 1;
            for (int d = input.Rank - 1; d >= 0; d--)
            {
                int index = remainder % input[d];
                remainder /= input[d];
                if (!reduced[d])
                {
                    offset += index * stride;
                    stride *= input[d];
                }
            }

            map[i] = offset;
        }

        // The first input element of each output, where a maximum or minimum starts.
        _firsts = new int[OutputShape.ElementCount];
        _firsts.AsSpan().Fill(-1);
        for (int i = 0; i < map.Length; i++)
        {
            if (_firsts[map[i]] < 0)
            {
                _firsts[map[i]] = i;
            }
        }

        _ties = new int[OutputShape.ElementCount];
        return map;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        Tensor output = BatchView(ref _output, batch, OutputShape);
        int[] map = _map ??= Map();
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int inSize = map.Length, outSize = OutputShape.ElementCount;
        if (Reduction is Reduction.Mean or Reduction.Sum)
        {
            y.Clear();
            for (int s = 0; s < batch; s++)
            {
                for (int i = 0; i < inSize; i++)
                {
                    y[(s * outSize) + map[i]] += x[(s * inSize) + i];
                }
            }

            if (Reduction == Reduction.Mean)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(y, 1f / _count, y);
            }
        }
        else
        {
            bool max = Reduction == Reduction.Max;
            int[] firsts = _firsts!;
            for (int s = 0; s < batch; s++)
            {
                Span<float> row = y.Slice(s * outSize, outSize);
                ReadOnlySpan<float> sample = x.Slice(s * inSize, inSize);
                for (int i = 0; i < inSize; i++)
                {
                    // Each output starts at its first element; NaN wins, as in NumPy's max: once there, nothing replaces it.
                    ref float best = ref row[map[i]];
                    float v = sample[i];
                    if (i == firsts[map[i]] || (!float.IsNaN(best) && (float.IsNaN(v) || (max ? v > best : v < best))))
                    {
                        best = v;
                    }
                }
            }
        }

        _lastInput = input;
        return output;
    }

    // Whether an element holds a maximum or minimum: equal to it, or NaN like it.
    private static bool Holds(float element, float result) => element == result || (float.IsNaN(element) && float.IsNaN(result));

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        CheckForwardRan(_lastInput, outputGradient);
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        int batch = outputGradient.Shape[0];
        Tensor inputGradient = BatchView(ref _inputGradient, batch, InputShape);
        int[] map = _map!;
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        int inSize = map.Length, outSize = OutputShape.ElementCount;
        if (Reduction is Reduction.Mean or Reduction.Sum)
        {
            float scale = Reduction == Reduction.Mean ? 1f / _count : 1f;
            for (int s = 0; s < batch; s++)
            {
                for (int i = 0; i < inSize; i++)
                {
                    dx[(s * inSize) + i] = dy[(s * outSize) + map[i]] * scale;
                }
            }
        }
        else
        {
            // Split among the elements that hold the result (NaN ones when it is NaN), as Keras' backends do.
            ReadOnlySpan<float> x = _lastInput!.AsReadOnlySpan(), y = _output!.AsReadOnlySpan();
            Span<int> ties = _ties;
            for (int s = 0; s < batch; s++)
            {
                ReadOnlySpan<float> sample = x.Slice(s * inSize, inSize), result = y.Slice(s * outSize, outSize), gradient = dy.Slice(s * outSize, outSize);
                ties.Clear();
                for (int i = 0; i < inSize; i++)
                {
                    ties[map[i]] += Holds(sample[i], result[map[i]]) ? 1 : 0;
                }

                for (int i = 0; i < inSize; i++)
                {
                    int j = map[i];
                    dx[(s * inSize) + i] = Holds(sample[i], result[j]) ? gradient[j] / ties[j] : 0f;
                }
            }
        }

        return inputGradient;
    }
}
