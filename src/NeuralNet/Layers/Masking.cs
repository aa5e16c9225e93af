using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Marks the time steps whose features all equal <see cref="MaskValue"/> as padding (Keras' <c>Masking</c>): the
/// output is the input with those steps set to zero, and its mask (<see cref="Layer.OutputMask"/>) is 0 there, so the
/// recurrent layers, <see cref="GlobalAveragePooling1D"/> and the losses after it skip them.
/// </summary>
/// <remarks>Input (batch, ..., features); mask (batch, ...): 1 where any feature differs from the mask value.</remarks>
public sealed class Masking : Layer
{
    private Tensor? _output;
    private Tensor? _mask;
    private Tensor? _inputGradient;
    private TensorShape _maskShape;

    /// <summary>Creates a masking layer.</summary>
    /// <param name="maskValue">The value that marks padding: a step is masked when every feature equals it (Keras' default 0).</param>
    /// <param name="name">The layer's name; the model names it <c>masking</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maskValue"/> is a finite double beyond float32's range
    /// (it would be infinity as float32, the type of the inputs it is compared with).</exception>
    public Masking(double maskValue = 0, string? name = null)
        : base(name)
    {
        if (double.IsFinite(maskValue) && !float.IsFinite((float)maskValue))
        {
            throw new ArgumentOutOfRangeException(nameof(maskValue), maskValue, $"{Describe()} expects a mask value within float32's range, the type of its inputs. Received: maskValue={Float32Hyperparameter.Format(maskValue)}.");
        }

        MaskValue = (float)maskValue;
    }

    /// <summary>The value that marks padding, as float32 (the value given, rounded to float32: the inputs' type).</summary>
    public float MaskValue { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "masking";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    internal override bool MasksSurely(ReadOnlySpan<bool> inputsMasked) => true;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("mask_value", MaskValue);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Masking FromConfig(Config config) =>
        new(config.GetSingle("mask_value", 0f), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank < 2)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} expects input (None, timesteps, features) or more axes but got {inputShape.ToBatchString()}."), nameof(inputShape));
        }

        _maskShape = new TensorShape(inputShape.Dimensions[..^1].ToArray());
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], features = InputShape[-1];
        Tensor output = BatchView(ref _output, batch, InputShape);
        Tensor mask = BatchView(ref _mask, batch, _maskShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan(), m = mask.AsSpan();
        for (int r = 0; r < m.Length; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * features, features);
            bool real = false;
            foreach (float v in row)
            {
                real |= v != MaskValue;
            }

            m[r] = real ? 1f : 0f;
            if (real)
            {
                row.CopyTo(y.Slice(r * features, features));
            }
            else
            {
                y.Slice(r * features, features).Clear();
            }
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output) => _mask!.FirstRows(output.Shape[0]);

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        int features = InputShape[-1];
        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan(), m = _mask!.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        for (int r = 0; r < dx.Length / features; r++)
        {
            if (m[r] != 0f)
            {
                dy.Slice(r * features, features).CopyTo(dx.Slice(r * features, features));
            }
            else
            {
                dx.Slice(r * features, features).Clear();
            }
        }

        return inputGradient;
    }
}
