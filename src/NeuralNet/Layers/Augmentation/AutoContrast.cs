using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Stretches each channel of each image across the whole value range (Keras' <c>AutoContrast</c>): not random, and
/// active at inference as well as in training. Channels-last images (height, width, channels) of any channel count;
/// output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Keras' computation, in float32 and in its order: x is mapped to [0, 255] as u = (x − low) / (high − low) · 255
/// (skipped when <see cref="ValueRange"/> is (0, 255)); per image and channel, l = min u and h = max u over height and
/// width; scale = 255 / (h − l), offset = −l · scale; y = clip(u · scale + offset, 0, 255), mapped back to the value
/// range; where y is NaN (a constant channel: 0 · ∞) the input itself is the output.</para>
/// <para>Backward: the exact derivative, including that of l and h on the input (the gradient of a min or max split
/// evenly among its ties, as TensorFlow's reduce_min/reduce_max give it); where the input was the output (a constant
/// channel) the gradient passes unchanged; 0 where the clip is active.</para>
/// </remarks>
/// <example><c>model.Add(new AutoContrast(valueRange: (0, 1)));</c></example>
public sealed class AutoContrast : Layer
{
    private ColorAugmentation _color = new();

    // Keras skips the value-range maps when the range is (0, 255); read per element, so kept as a field.
    private readonly bool _maps;

    /// <summary>Creates an auto-contrast layer.</summary>
    /// <param name="valueRange">The (low, high) range of the images, sorted as Keras sorts it; null for Keras' default (0, 255).</param>
    /// <param name="name">The layer's name; null to have the model name it <c>auto_contrast</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">An end of the value range is not finite, or both ends are equal.</exception>
    public AutoContrast((double Low, double High)? valueRange = null, string? name = null)
        : base(name)
    {
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(AutoContrast), range);
        if (range.Low == range.High)
        {
            throw new ArgumentOutOfRangeException(nameof(valueRange), range, $"{nameof(AutoContrast)} expects a valueRange of two different numbers (low != high). Received: valueRange={AugmentationChecks.Format(range)}.");
        }

        ValueRange = range.Low <= range.High ? range : (range.High, range.Low);
        _maps = ValueRange != (0, 255);
    }

    /// <summary>The (low, high) range of the images, sorted.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "auto_contrast";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().SetPair("value_range", ValueRange);

    /// <summary>Keras' <c>from_config</c>: <c>"value_range"</c>, (0, 255) when absent.</summary>
    internal static AutoContrast FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        return new AutoContrast(valueRange, config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        // Made at build, so every instance of a shared layer (one per call, or per concurrent prediction) has its own.
        _color = new ColorAugmentation();
        ConvolutionChecks.Image(Describe(), inputShape);
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int channels = InputShape[2];
        int pixels = InputShape[0] * InputShape[1];
        int size = pixels * channels;

        // The draws hold (l, h) per image and channel, read again by the backward pass.
        Span<double> bounds = _color.Begin(input, 2 * channels);
        Tensor output = _color.Output(InputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int n = 0; n < input.Shape[0]; n++)
        {
            ReadOnlySpan<float> image = x.Slice(n * size, size);
            Span<float> target = y.Slice(n * size, size);
            for (int c = 0; c < channels; c++)
            {
                float low = float.PositiveInfinity, high = float.NegativeInfinity;
                for (int i = c; i < size; i += channels)
                {
                    float u = ToByteScale(image[i]);
                    low = MathF.Min(low, u);
                    high = MathF.Max(high, u);
                }

                bounds[(2 * ((n * channels) + c)) + 0] = low;
                bounds[(2 * ((n * channels) + c)) + 1] = high;
                float scale = 255f / (high - low);
                float offset = -low * scale;
                for (int i = c; i < size; i += channels)
                {
                    float r = FromByteScale(Math.Clamp((ToByteScale(image[i]) * scale) + offset, 0f, 255f));
                    target[i] = float.IsNaN(r) ? image[i] : r;
                }
            }
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (_color.BeginBackward(outputGradient, this, InputShape) is not Tensor inputGradient)
        {
            return outputGradient;
        }

        int channels = InputShape[2];
        int size = InputShape.ElementCount;
        ReadOnlySpan<double> bounds = _color.Draws;
        ReadOnlySpan<float> x = _color.Input.AsReadOnlySpan();
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        for (int n = 0; n < outputGradient.Shape[0]; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                int start = (n * size) + c;
                int end = (n + 1) * size;
                float low = (float)bounds[2 * ((n * channels) + c)];
                float high = (float)bounds[(2 * ((n * channels) + c)) + 1];
                ChannelBackward(x[..end], dy[..end], dx[..end], start, channels, low, high);
            }
        }

        return inputGradient;
    }

    /// <summary>
    /// One channel (elements start, start + stride, ... of the spans): y = l' + (u − l) / (h − l) · (range) in effect, so
    /// dy/du = s = 255 / (h − l) for the element itself, ∂y/∂l = s · (t − 1) and ∂y/∂h = −s · t with t = (u − l) / (h − l),
    /// the last two shared among the elements equal to l (resp. h). The value-range maps cancel (255 / range · range / 255).
    /// </summary>
    private void ChannelBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int start, int stride, float low, float high)
    {
        float scale = 255f / (high - low);
        float offset = -low * scale;
        double s = 255.0 / ((double)high - low);
        double toLow = 0, toHigh = 0;
        int lows = 0, highs = 0;
        for (int i = start; i < x.Length; i += stride)
        {
            float u = ToByteScale(x[i]);
            float z = (u * scale) + offset;
            lows += u == low ? 1 : 0;
            highs += u == high ? 1 : 0;
            if (float.IsNaN(FromByteScale(Math.Clamp(z, 0f, 255f))))
            {
                // The NaN rule took the input itself: its gradient passes unchanged, nothing flows through l, h.
                dx[i] = dy[i];
                continue;
            }

            if (z < 0f || z > 255f || !double.IsFinite(s))
            {
                dx[i] = 0f;
                continue;
            }

            double t = (u - (double)low) / ((double)high - low);
            dx[i] = (float)(s * dy[i]);
            toLow += dy[i] * s * (t - 1);
            toHigh -= dy[i] * s * t;
        }

        for (int i = start; i < x.Length; i += stride)
        {
            float u = ToByteScale(x[i]);
            double tie = (u == low ? toLow / lows : 0) + (u == high ? toHigh / highs : 0);
            dx[i] = (float)(dx[i] + tie);
        }
    }

    // Keras' _transform_value_range, skipped when the ranges are equal: (x − low) / (high − low) · 255 + 0, with both ends
    // cast to float32 before the subtraction (its _unwrap_value_range), so the width is rounded as Keras rounds it.
    private float ToByteScale(float x) =>
        _maps ? (x - (float)ValueRange.Low) / ((float)ValueRange.High - (float)ValueRange.Low) * 255f : x;

    // And back: y / 255 · (high − low) + low.
    private float FromByteScale(float y) =>
        _maps ? (y / 255f * ((float)ValueRange.High - (float)ValueRange.Low)) + (float)ValueRange.Low : y;
}
