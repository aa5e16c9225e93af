using NeuralNet.Layers;

namespace NeuralNet.Kernels;

/// <summary>
/// The fixed matrices of the audio front-ends (<see cref="StftSpectrogram"/>, <see cref="MelSpectrogram"/>): scipy's
/// window functions, the windowed DFT rows Keras' <c>STFTInitializer</c> makes, the HTK mel filterbank of Keras'
/// <c>MelSpectrogram.linear_to_mel_weight_matrix</c>, and a direct float64 short-time Fourier transform the tests compare
/// the GEMM-based layers against. Computed in float64 and rounded once to float32.
/// </summary>
internal static class Spectral
{
    /// <summary>
    /// scipy.signal.get_window(name, length, fftbins=periodic): a generalized cosine window
    /// <c>w[n] = Σ_k a_k cos(k · fac[n])</c> over <c>fac = linspace(−π, π, M)</c>, with M = length (symmetric) or
    /// length + 1 with the last point dropped (periodic); ones for length ≤ 1 and for <see cref="SpectralWindow.None"/>.
    /// </summary>
    public static void Window(SpectralWindow window, bool periodic, Span<double> destination)
    {
        int length = destination.Length;
        ReadOnlySpan<double> a = window switch
        {
            SpectralWindow.None => [],
            SpectralWindow.Hann => [0.5, 0.5],
            SpectralWindow.Hamming => [0.54, 0.46],
            SpectralWindow.Blackman => [0.42, 0.50, 0.08],
            _ => throw new ArgumentOutOfRangeException(nameof(window), window, "Unknown window."),
        };
        if (a.IsEmpty || length <= 1)
        {
            destination.Fill(1.0);
            return;
        }

        int m = periodic ? length + 1 : length;
        double step = (Math.PI - -Math.PI) / (m - 1);
        for (int n = 0; n < length; n++)
        {
            // numpy's linspace: start + n·step, with the end point set exactly.
            double fac = n == m - 1 ? Math.PI : (n * step) + -Math.PI;
            double w = 0;
            for (int k = 0; k < a.Length; k++)
            {
                w += a[k] * Math.Cos(k * fac);
            }

            destination[n] = w;
        }
    }

    /// <summary>
    /// The divisor Keras' <c>STFTInitializer</c> applies to the windowed rows: √(Σ w²) for density scaling, Σ |w| for
    /// spectrum scaling, 1 without scaling or without a window.
    /// </summary>
    public static double WindowScale(ReadOnlySpan<double> window, SpectrogramScaling scaling, bool windowed)
    {
        if (!windowed)
        {
            return 1.0;
        }

        double sum = 0;
        foreach (double w in window)
        {
            sum += scaling == SpectrogramScaling.Density ? w * w : Math.Abs(w);
        }

        return scaling switch
        {
            SpectrogramScaling.Density => Math.Sqrt(sum),
            SpectrogramScaling.Spectrum => sum,
            _ => 1.0,
        };
    }

    // kernel (frameLength, 1, bins): kernel[t, f] = cos(−2π t f / N) · w[t] / scale (real side) or sin(−2π t f / N) · w[t] / scale
    // (imaginary side), N = 2 (bins − 1) as Keras' STFTInitializer derives it from the kernel's last dimension.
    /// <summary>Fills a Keras <c>STFTInitializer</c> kernel of shape (frameLength, 1, bins), row-major.</summary>
    public static void StftKernel(bool imaginary, ReadOnlySpan<double> window, double scale, int bins, Span<float> destination) =>
        DftRows(imaginary, window, 0, 2L * (bins - 1), scale, bins, destination);

    // rows (taps, bins): rows[t, f] = cos(−2π f (t + offset) / dftSize) · w[t] / scale, or sin(...) for the imaginary side, so that
    // a frame (taps) times rows is the DFT of the frame placed at `offset` inside a zero frame of dftSize samples.
    /// <summary>Fills the windowed DFT rows (taps = window length, bins), row-major.</summary>
    public static void DftRows(bool imaginary, ReadOnlySpan<double> window, int offset, long dftSize, double scale, int bins, Span<float> destination)
    {
        int taps = window.Length;
        if (bins < 2 || dftSize < 2 || destination.Length != taps * bins)
        {
            throw new ArgumentException($"DFT rows of {taps} x {bins} (DFT size {dftSize}) need at least 2 bins and {taps * bins} elements, not {destination.Length}.", nameof(destination));
        }

        for (int t = 0; t < taps; t++)
        {
            for (int f = 0; f < bins; f++)
            {
                // The phase reduced exactly in integers first: t·f / N loses no precision however long the frame.
                double angle = -2.0 * Math.PI * ((long)(t + offset) * f % dftSize) / dftSize;
                destination[(t * bins) + f] = (float)((imaginary ? Math.Sin(angle) : Math.Cos(angle)) * window[t] / scale);
            }
        }
    }

    /// <summary>Keras' mel scale (HTK): 1127 ln(1 + f / 700).</summary>
    public static double HertzToMel(double hertz) => 1127.0 * Math.Log(1.0 + (hertz / 700.0));

    // weights (numSpectrogramBins, numMelBins): triangles peaking at 1 between mel-spaced edges; the DC row is zero.
    /// <summary>Keras' <c>linear_to_mel_weight_matrix</c> (TensorFlow's <c>tf.signal.linear_to_mel_weight_matrix</c>), row-major.</summary>
    public static void MelWeights(int numMelBins, int numSpectrogramBins, double samplingRate, double lowerEdgeHertz, double upperEdgeHertz, Span<float> destination)
    {
        if (destination.Length != numSpectrogramBins * numMelBins || numSpectrogramBins < 2 || numMelBins < 1)
        {
            throw new ArgumentException($"A mel matrix of {numSpectrogramBins} x {numMelBins} needs {numSpectrogramBins * numMelBins} elements, not {destination.Length}.", nameof(destination));
        }

        double nyquist = samplingRate / 2.0;
        double lowMel = HertzToMel(lowerEdgeHertz), highMel = HertzToMel(upperEdgeHertz);
        double edgeStep = (highMel - lowMel) / (numMelBins + 1);
        destination[..numMelBins].Clear();
        for (int bin = 1; bin < numSpectrogramBins; bin++)
        {
            double mel = HertzToMel(nyquist * bin / (numSpectrogramBins - 1));
            for (int m = 0; m < numMelBins; m++)
            {
                double lower = lowMel + (m * edgeStep), center = lowMel + ((m + 1) * edgeStep);
                double upper = m + 2 == numMelBins + 1 ? highMel : lowMel + ((m + 2) * edgeStep);
                double rising = (mel - lower) / (center - lower), falling = (upper - mel) / (upper - center);
                destination[(bin * numMelBins) + m] = (float)Math.Max(0.0, Math.Min(rising, falling));
            }
        }
    }

    // The plain reference: re[o, f] = Σ_t x[o·step + t − padBefore] · w[t] · cos(−2π f (t + offset) / dftSize) / scale, im with sin,
    // x zero outside [0, length); o in [0, frames), f in [0, bins). Float64 throughout.
    /// <summary>A direct windowed DFT of each frame of <paramref name="signal"/>, in float64 (the tests' reference).</summary>
    public static void ReferenceStft(ReadOnlySpan<float> signal, int frames, int step, int padBefore, ReadOnlySpan<double> window, int offset,
        double scale, int dftSize, int bins, Span<double> re, Span<double> im)
    {
        if (re.Length != frames * bins || im.Length != frames * bins)
        {
            throw new ArgumentException($"The reference STFT writes {frames} x {bins} values per side.", nameof(re));
        }

        for (int o = 0; o < frames; o++)
        {
            for (int f = 0; f < bins; f++)
            {
                double sumRe = 0, sumIm = 0;
                for (int t = 0; t < window.Length; t++)
                {
                    int i = (o * step) + t - padBefore;
                    if (i < 0 || i >= signal.Length)
                    {
                        continue;
                    }

                    double angle = -2.0 * Math.PI * ((long)(t + offset) * f % dftSize) / dftSize;
                    sumRe += signal[i] * window[t] * Math.Cos(angle);
                    sumIm += signal[i] * window[t] * Math.Sin(angle);
                }

                re[(o * bins) + f] = sumRe / scale;
                im[(o * bins) + f] = sumIm / scale;
            }
        }
    }
}
