using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Repeats every step of sequences <see cref="Size"/> times (Keras <c>UpSampling1D</c>, <c>ops.repeat(x, size, axis=1)</c>):
/// (steps, channels) to (steps·size, channels). No parameters.
/// </summary>
/// <example><c>model.Add(new UpSampling1D(2));</c></example>
public sealed class UpSampling1D : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Creates an upsampling layer.</summary>
    /// <param name="size">The factor, at least 1 (Keras' default 2).</param>
    /// <param name="name">The layer's name; the model names it <c>up_sampling1d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is below 1.</exception>
    public UpSampling1D(int size = 2, string? name = null)
        : base(name)
    {
        ConvolutionChecks.Positive(Describe(), size, nameof(size), "size");
        Size = size;
    }

    /// <summary>How many times each step is repeated.</summary>
    public int Size { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "up_sampling1d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("size", Size);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static UpSampling1D FromConfig(Config config) => new(config.GetInt32("size", 2, minimum: 1), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        SequenceSides.Sequence(Describe(), inputShape);
        long steps = (long)inputShape[0] * Size;
        if (steps * inputShape[1] > int.MaxValue)
        {
            throw new ArgumentException($"{Describe()}: size {Size} makes input {inputShape.ToBatchString()} too large.", nameof(inputShape));
        }

        return new TensorShape((int)steps, inputShape[1]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        // x is (batch, steps, channels), y (batch, steps * size, channels): y[n, t * size + k] = x[n, t].
        int batch = input.Shape[0], rows = batch * InputShape[0], channels = InputShape[1];
        _batch = batch;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> step = x.Slice(r * channels, channels);
            for (int k = 0; k < Size; k++)
            {
                step.CopyTo(y.Slice(((r * Size) + k) * channels, channels));
            }
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

        // dx[n, t] = sum over k of dy[n, t * size + k], summed in k order.
        int rows = _batch * InputShape[0], channels = InputShape[1];
        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        for (int r = 0; r < rows; r++)
        {
            Span<float> step = dx.Slice(r * channels, channels);
            dy.Slice(r * Size * channels, channels).CopyTo(step);
            for (int k = 1; k < Size; k++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(step, dy.Slice(((r * Size) + k) * channels, channels), step);
            }
        }

        return inputGradient;
    }
}
