using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Reorders the axes of each sample (Keras' <c>Permute</c>): <see cref="Dims"/> is a permutation of 1..rank, counting
/// from 1 as Keras does (the batch axis stays first). <c>new Permute(2, 1)</c> turns (None, 10, 64) into (None, 64, 10).
/// </summary>
public sealed class Permute : Layer
{
    private readonly int[] _dims;
    private int[]? _map;
    private Tensor? _output;
    private Tensor? _inputGradient;

    /// <summary>Creates a permutation of the sample axes.</summary>
    /// <param name="dims">Output axis i is input axis dims[i] (1-based, a permutation of 1..n).</param>
    /// <exception cref="ArgumentException"><paramref name="dims"/> is not a permutation of 1..n.</exception>
    public Permute(params ReadOnlySpan<int> dims)
        : this(dims.ToArray(), null)
    {
    }

    /// <summary>Creates a named permutation of the sample axes.</summary>
    /// <param name="dims">Output axis i is input axis dims[i] (1-based, a permutation of 1..n).</param>
    /// <param name="name">The layer's name; the model names it <c>permute</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="dims"/> is not a permutation of 1..n.</exception>
    public Permute(int[] dims, string? name)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length == 0 || !dims.Order().SequenceEqual(Enumerable.Range(1, dims.Length)))
        {
            throw new ArgumentException($"Invalid permutation argument `dims` for Permute: the indices must be consecutive and start from 1. Received dims=({string.Join(", ", dims)}).", nameof(dims));
        }

        _dims = [.. dims];
    }

    /// <summary>The permutation, 1-based.</summary>
    public IReadOnlyList<int> Dims => _dims;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "permute";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("dims", _dims);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Permute FromConfig(Config config) => new(config.GetInt32Array("dims", InputLayer.MaxRank), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != _dims.Length)
        {
            throw new ArgumentException($"{Describe()} permutes {_dims.Length} sample axes but its input {inputShape.ToBatchString()} has {inputShape.Rank}.", nameof(inputShape));
        }

        int[] output = new int[_dims.Length];
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = inputShape[_dims[i] - 1];
        }

        return new TensorShape(output);
    }

    // map[j] = the input offset of output element j; as large as a sample, so made on the first batch.
    private int[] Map()
    {
        TensorShape input = InputShape, output = OutputShape;
        int rank = _dims.Length;
        var inStrides = new int[rank];
        int stride = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            inStrides[d] = stride;
            stride *= input[d];
        }

        var map = new int[input.ElementCount];
        for (int j = 0; j < map.Length; j++)
        {
            int remainder = j, offset = 0;
            for (int d = rank - 1; d >= 0; d--)
            {
                offset += remainder % output[d] * inStrides[_dims[d] - 1];
                remainder /= output[d];
            }

            map[j] = offset;
        }

        return map;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int[] map = _map ??= Map();
        int size = map.Length;
        for (int s = 0; s < y.Length; s += size)
        {
            for (int j = 0; j < size; j++)
            {
                y[s + j] = x[s + map[j]];
            }
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        int[] map = _map ??= Map();
        int size = map.Length;
        for (int s = 0; s < dy.Length; s += size)
        {
            for (int j = 0; j < size; j++)
            {
                dx[s + map[j]] = dy[s + j];
            }
        }

        return inputGradient;
    }
}
