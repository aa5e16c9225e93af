using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Limits each element to [min, max]: <c>y = min(max(x, min), max)</c> (Keras' <c>ops.clip(x, x_min, x_max)</c>, which
/// <c>NeuralNet.Keras</c> reads as this layer). Same shape out as in, no parameters.
/// </summary>
/// <remarks>
/// The gradient passes where <c>min ≤ x ≤ max</c> and is 0 elsewhere, as in TensorFlow's <c>clip_by_value</c> and
/// PyTorch's <c>clamp</c> (the bounds themselves let it through).
/// </remarks>
public sealed class Clip : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastInput;

    /// <summary>Creates the layer.</summary>
    /// <param name="min">The lower bound (Keras' <c>x_min</c>), finite.</param>
    /// <param name="max">The upper bound (Keras' <c>x_max</c>), finite, at least <paramref name="min"/>.</param>
    /// <param name="name">The layer's name; the model names it <c>clip</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A bound is not finite, or <paramref name="max"/> is below <paramref name="min"/>.</exception>
    public Clip(double min, double max, string? name = null)
        : base(name)
    {
        // Checked as float32, the bounds used: 1e39 would be infinity.
        (float low, float high) = ((float)min, (float)max);
        if (!float.IsFinite(low) || !float.IsFinite(high) || high < low)
        {
            throw new ArgumentOutOfRangeException(float.IsFinite(low) ? nameof(max) : nameof(min), float.IsFinite(low) ? max : min,
                $"Clip expects finite bounds with x_min <= x_max. Received: x_min={Float32Hyperparameter.Format(min)}, x_max={Float32Hyperparameter.Format(max)}");
        }

        Min = low;
        Max = high;
    }

    /// <summary>The lower bound, as float32 (the value given, rounded to float32).</summary>
    public float Min { get; }

    /// <summary>The upper bound, as float32 (the value given, rounded to float32).</summary>
    public float Max { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "clip";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("x_min", Min).Set("x_max", Max);

    /// <summary>Creates the layer from its config.</summary>
    internal static Clip FromConfig(Config config) => new(config.GetSingle("x_min"), config.GetSingle("x_max"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        Span<float> y = output.AsSpan();
        TensorPrimitives.Max(input.AsReadOnlySpan(), Min, y);
        TensorPrimitives.Min(y, Max, y);
        _lastInput = input;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        CheckForwardRan(_lastInput, outputGradient);
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan(), x = _lastInput!.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        for (int i = 0; i < dx.Length; i++)
        {
            dx[i] = x[i] >= Min && x[i] <= Max ? dy[i] : 0f;
        }

        return inputGradient;
    }
}
