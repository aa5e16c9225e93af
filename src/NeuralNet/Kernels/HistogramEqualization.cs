namespace NeuralNet.Kernels;

/// <summary>
/// Keras' <c>Equalization._equalize_channel</c> on one channel of a channels-last batch, in its float32 / float64 order.
/// </summary>
/// <remarks>
/// <code>
/// x, y (N·H·W·C), channel c: the N·H·W values x[i·C + c] of the whole batch form one histogram (Keras equalizes
/// images[..., c] at once)
/// u      = x · s + o                       float32; s = 255 / (high − low), o = −low · s (Keras' _scale_values)
/// bin(u) = clip(int(u · (bins − 1) / 255), 0, bins − 1)             histogram index (_custom_histogram_fixed_width)
/// cdf    = cumsum(histogram); m = first nonzero cdf; d = cdf[−1] − m (1 if 0)
/// lut    = clip(round_half_even((cdf − m) · 255 / d), 0, 255)       float64, as NumPy's and TensorFlow's int / int
/// v      = lut[int(clip(u / 255 · (bins − 1), 0, bins − 1))]        the lookup index, rounded in another order
/// y      = v · (high − low) / 255 + low                             float64, then float32
/// fewer than two nonzero bins: v = u (Keras' where), mapped back the same way
/// </code>
/// The integer casts truncate towards zero; a value that is NaN falls in bin 0.
/// </remarks>
internal static class HistogramEqualization
{
    /// <summary>
    /// Equalizes channel <paramref name="channel"/> of <paramref name="x"/> into <paramref name="y"/> (other channels
    /// untouched); true when the channel had fewer than two nonzero bins and was passed through (mapped there and back).
    /// </summary>
    /// <param name="x">The batch, channels last, <paramref name="channels"/> values per pixel.</param>
    /// <param name="channels">The number of channels.</param>
    /// <param name="channel">The channel to equalize.</param>
    /// <param name="valueRange">The sorted (low, high) range of the images.</param>
    /// <param name="histogram">Scratch of at least bins counts.</param>
    /// <param name="lookup">Scratch of at least bins entries; bins = its length as given.</param>
    /// <param name="y">The destination, as long as <paramref name="x"/>.</param>
    public static bool Equalize(ReadOnlySpan<float> x, int channels, int channel, (double Low, double High) valueRange, Span<long> histogram, Span<double> lookup, Span<float> y)
    {
        int bins = lookup.Length;
        if (y.Length < x.Length || histogram.Length < bins || bins < 1 || x.Length % channels != 0 || (uint)channel >= (uint)channels)
        {
            throw new ArgumentException($"HistogramEqualization needs a destination as long as the batch ({x.Length}), {bins} >= 1 bins of scratch and channel {channel} of {channels}; got {y.Length} and {histogram.Length}.");
        }

        // Keras' _scale_values: the Python-float scale and offset, each rounded to float32 when they meet the images.
        double scaleIn = 255.0 / (valueRange.High - valueRange.Low), offsetIn = 0.0 - (valueRange.Low * scaleIn);
        double scaleOut = (valueRange.High - valueRange.Low) / 255.0, offsetOut = valueRange.Low - (0.0 * scaleOut);
        float s = (float)scaleIn, o = (float)offsetIn, last = bins - 1;

        histogram[..bins].Clear();
        for (int i = channel; i < x.Length; i += channels)
        {
            float u = (x[i] * s) + o;
            histogram[Index((u - 0f) * last / 255f, bins)]++;
        }

        int nonzero = 0;
        for (int b = 0; b < bins; b++)
        {
            nonzero += histogram[b] != 0 ? 1 : 0;
        }

        if (nonzero <= 1)
        {
            for (int i = channel; i < x.Length; i += channels)
            {
                float u = (x[i] * s) + o;
                y[i] = (float)((u * scaleOut) + offsetOut);
            }

            return true;
        }

        // The cumulative counts, then the table: the first nonzero cdf is the smallest, below it (cdf − m) < 0 clips to 0.
        long cdf = 0, minimum = 0;
        for (int b = 0; b < bins; b++)
        {
            cdf += histogram[b];
            if (minimum == 0)
            {
                minimum = cdf;
            }
        }

        long denominator = cdf - minimum == 0 ? 1 : cdf - minimum;
        cdf = 0;
        for (int b = 0; b < bins; b++)
        {
            cdf += histogram[b];
            lookup[b] = Math.Clamp(Math.Round((double)((cdf - minimum) * 255) / denominator, MidpointRounding.ToEven), 0.0, 255.0);
        }

        for (int i = channel; i < x.Length; i += channels)
        {
            float u = (x[i] * s) + o;
            y[i] = (float)((lookup[Index(u / 255f * last, bins)] * scaleOut) + offsetOut);
        }

        return false;
    }

    // int(clip(v, 0, bins - 1)) and clip(int(v), 0, bins - 1) agree on finite values (truncation towards zero); NaN -> 0.
    private static int Index(float v, int bins) => v > 0f ? (v >= bins - 1 ? bins - 1 : (int)v) : 0;
}
