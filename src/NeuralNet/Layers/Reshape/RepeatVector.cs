using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Repeats each sample's feature vector <see cref="Count"/> times (Keras' <c>RepeatVector</c>): (None, features) becomes
/// (None, count, features), as an encoder's summary fed to every step of a decoder. The gradient sums the repeats.
/// </summary>
public sealed class RepeatVector : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;

    /// <summary>Creates a repetition.</summary>
    /// <param name="count">How many times to repeat each vector, at least 1.</param>
    /// <param name="name">The layer's name; the model names it <c>repeat_vector</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    public RepeatVector(int count, string? name = null)
        : base(name)
    {
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"RepeatVector expects a positive count. Received: n={count}.");
        }

        Count = count;
    }

    /// <summary>How many times each vector is repeated.</summary>
    public int Count { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "repeat_vector";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("n", Count);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static RepeatVector FromConfig(Config config) => new(config.GetInt32("n", minimum: 1), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape.Rank == 1
        ? new TensorShape(Count, inputShape[0])
        : throw new ArgumentException($"{Describe()} expects input (None, features) of rank 2 but got {inputShape.ToBatchString()}.", nameof(inputShape));

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int features = InputShape[0];
        for (int s = 0, row = 0; s < x.Length; s += features)
        {
            ReadOnlySpan<float> vector = x.Slice(s, features);
            for (int r = 0; r < Count; r++, row++)
            {
                vector.CopyTo(y.Slice(row * features, features));
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
        int features = InputShape[0];
        for (int s = 0, row = 0; s < dx.Length; s += features)
        {
            Span<float> sum = dx.Slice(s, features);
            dy.Slice(row * features, features).CopyTo(sum);
            row++;
            for (int r = 1; r < Count; r++, row++)
            {
                TensorPrimitives.Add(sum, dy.Slice(row * features, features), sum);
            }
        }

        return inputGradient;
    }
}
