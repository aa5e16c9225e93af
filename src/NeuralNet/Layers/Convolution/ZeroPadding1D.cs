using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Adds steps of zeros at the start and end of sequences (Keras <c>ZeroPadding1D</c>): (steps, channels) to
/// (left + steps + right, channels). No parameters.
/// </summary>
/// <example><c>model.Add(new ZeroPadding1D((1, 2)));</c></example>
public sealed class ZeroPadding1D : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Pads both ends with the same number of steps (Keras' default 1).</summary>
    /// <param name="padding">The amount at each end, at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>zero_padding1d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">The amount is negative.</exception>
    public ZeroPadding1D(int padding = 1, string? name = null)
        : this((padding, padding), name)
    {
    }

    /// <summary>Pads the start with <c>Left</c> steps and the end with <c>Right</c>.</summary>
    /// <param name="padding">(left, right), each at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>zero_padding1d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public ZeroPadding1D((int Left, int Right) padding, string? name = null)
        : base(name)
    {
        SequenceSides.NonNegative(Describe(), padding, nameof(padding));
        Padding = padding;
    }

    /// <summary>The (left, right) amounts.</summary>
    public (int Left, int Right) Padding { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "zero_padding1d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("padding", SequenceSides.ToJson(Padding))
        .Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static ZeroPadding1D FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return new ZeroPadding1D(SequenceSides.Read(config, "padding", (1, 1)), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        SequenceSides.Sequence(Describe(), inputShape);
        long steps = (long)inputShape[0] + Padding.Left + Padding.Right;
        if (steps * inputShape[1] > int.MaxValue)
        {
            throw new ArgumentException($"{Describe()}: padding {SequenceSides.Describe(Padding)} makes input {inputShape.ToBatchString()} too large.", nameof(inputShape));
        }

        return new TensorShape((int)steps, inputShape[1]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        // x is (batch, steps, channels), y (batch, left + steps + right, channels).
        int batch = input.Shape[0], inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount, offset = Padding.Left * InputShape[1];
        _batch = batch;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        Span<float> y = output.AsSpan();
        y.Clear();
        for (int n = 0; n < batch; n++)
        {
            input.AsReadOnlySpan().Slice(n * inSize, inSize).CopyTo(y.Slice((n * outSize) + offset, inSize));
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

        int inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount, offset = Padding.Left * InputShape[1];
        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        for (int n = 0; n < _batch; n++)
        {
            outputGradient.AsReadOnlySpan().Slice((n * outSize) + offset, inSize).CopyTo(inputGradient.AsSpan().Slice(n * inSize, inSize));
        }

        return inputGradient;
    }
}
