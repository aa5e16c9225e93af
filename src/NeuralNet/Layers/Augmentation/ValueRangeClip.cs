namespace NeuralNet.Layers;

/// <summary>
/// The clip to the value range that ends Keras' sampling and blur augmentations (<c>clip_by_value</c>), and its gradient:
/// passed where the unclipped value lies in [low, high], zero elsewhere (TensorFlow's <c>clip_by_value</c> gradient).
/// </summary>
internal static class ValueRangeClip
{
    /// <summary>Writes <paramref name="unclipped"/> clamped to <paramref name="range"/> into <paramref name="output"/>.</summary>
    public static void Forward(ReadOnlySpan<float> unclipped, (double Low, double High) range, Span<float> output)
    {
        float low = (float)range.Low, high = (float)range.High;
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = Math.Clamp(unclipped[i], low, high);
        }
    }

    /// <summary>Writes <paramref name="gradient"/> where <paramref name="unclipped"/> lies in <paramref name="range"/>, zero elsewhere, into <paramref name="passed"/>.</summary>
    public static void Backward(ReadOnlySpan<float> unclipped, ReadOnlySpan<float> gradient, (double Low, double High) range, Span<float> passed)
    {
        float low = (float)range.Low, high = (float)range.High;
        for (int i = 0; i < passed.Length; i++)
        {
            float value = unclipped[i];
            passed[i] = value >= low && value <= high ? gradient[i] : 0f;
        }
    }
}
