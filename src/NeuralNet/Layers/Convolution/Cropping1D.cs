using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Removes steps from the start and end of sequences (Keras <c>Cropping1D</c>): (steps, channels) to
/// (steps − left − right, channels). No parameters.
/// </summary>
/// <example><c>model.Add(new Cropping1D((2, 1)));</c></example>
public sealed class Cropping1D : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Removes the same number of steps at both ends.</summary>
    /// <param name="cropping">The amount at each end, at least 0.</param>
    /// <param name="name">The layer's name; the model names it <c>cropping1d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">The amount is negative.</exception>
    public Cropping1D(int cropping, string? name = null)
        : this((cropping, cropping), name)
    {
    }

    /// <summary>Removes <c>Left</c> steps at the start and <c>Right</c> at the end (Keras' default (1, 1)).</summary>
    /// <param name="cropping">(left, right), each at least 0; null for (1, 1).</param>
    /// <param name="name">The layer's name; the model names it <c>cropping1d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public Cropping1D((int Left, int Right)? cropping = null, string? name = null)
        : base(name)
    {
        Cropping = cropping ?? (1, 1);
        SequenceSides.NonNegative(Describe(), Cropping, nameof(cropping));
    }

    /// <summary>The (left, right) amounts.</summary>
    public (int Left, int Right) Cropping { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "cropping1d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("cropping", SequenceSides.ToJson(Cropping));

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Cropping1D FromConfig(Config config) =>
        new(SequenceSides.Read(config, "cropping", (1, 1)), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        SequenceSides.Sequence(Describe(), inputShape);
        long steps = (long)inputShape[0] - Cropping.Left - Cropping.Right;
        if (steps < 1)
        {
            // Keras: "`cropping` parameter of `Cropping1D` layer must be smaller than the input length."
            throw new ArgumentException($"{Describe()}: cropping {SequenceSides.Describe(Cropping)} leaves nothing of input {inputShape.ToBatchString()}; it must be smaller than the input length.", nameof(inputShape));
        }

        return new TensorShape((int)steps, inputShape[1]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        // x is (batch, steps, channels), y (batch, steps - left - right, channels).
        int batch = input.Shape[0], inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount, offset = Cropping.Left * InputShape[1];
        _batch = batch;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        for (int n = 0; n < batch; n++)
        {
            input.AsReadOnlySpan().Slice((n * inSize) + offset, outSize).CopyTo(output.AsSpan().Slice(n * outSize, outSize));
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

        int inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount, offset = Cropping.Left * InputShape[1];
        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        Span<float> dx = inputGradient.AsSpan();
        dx.Clear();
        for (int n = 0; n < _batch; n++)
        {
            outputGradient.AsReadOnlySpan().Slice(n * outSize, outSize).CopyTo(dx.Slice((n * inSize) + offset, outSize));
        }

        return inputGradient;
    }
}
