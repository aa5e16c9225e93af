using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>
/// The kernels of <see cref="StftSpectrogram"/> (Keras' <c>STFTInitializer</c>): for a kernel of shape
/// (frameLength, 1, bins), <c>kernel[t, 0, f] = cos(−2π t f / N) · w[t] / scale</c> (real side) or
/// <c>sin(−2π t f / N) · w[t] / scale</c> (imaginary side), with N = 2 (bins − 1), w the window and scale √(Σ w²)
/// (density), Σ |w| (spectrum) or 1. Not random: the seed is ignored.
/// </summary>
/// <remarks>
/// Keras computes the phase in float32; here it is reduced exactly (t·f mod N) and computed in float64, then rounded,
/// so for long frames the values are the exact ones where Keras' can differ by about 1e-4 (a loaded file keeps Keras' values).
/// </remarks>
public sealed class StftInitializer : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="imaginary">False for the real side (Keras' <c>side="real"</c>), true for the imaginary side (<c>"imag"</c>).</param>
    /// <param name="window">The window (Keras default hann).</param>
    /// <param name="scaling">How the window is normalized (Keras default density).</param>
    /// <param name="periodic">Whether the window is periodic rather than symmetric (Keras default false).</param>
    /// <exception cref="ArgumentOutOfRangeException">The window or scaling is not one of the enumeration's values.</exception>
    public StftInitializer(bool imaginary, SpectralWindow window = SpectralWindow.Hann, SpectrogramScaling scaling = SpectrogramScaling.Density, bool periodic = false)
    {
        if (!Enum.IsDefined(window))
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "StftInitializer expects window None, Hann, Hamming or Blackman.");
        }

        if (!Enum.IsDefined(scaling))
        {
            throw new ArgumentOutOfRangeException(nameof(scaling), scaling, "StftInitializer expects scaling None, Density or Spectrum.");
        }

        Imaginary = imaginary;
        Window = window;
        Scaling = scaling;
        Periodic = periodic;
    }

    /// <summary>Whether the kernel computes the imaginary side.</summary>
    public bool Imaginary { get; }

    /// <summary>The window.</summary>
    public SpectralWindow Window { get; }

    /// <summary>How the window is normalized.</summary>
    public SpectrogramScaling Scaling { get; }

    /// <summary>Whether the window is periodic.</summary>
    public bool Periodic { get; }

    /// <inheritdoc/>
    public override string Name => "STFTInitializer";

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="shape"/> is not (frameLength, 1, bins) with bins ≥ 2.</exception>
    public override void Initialize(Span<float> values, TensorShape shape, long seed)
    {
        if (shape.Rank != 3 || shape[1] != 1 || shape[2] < 2)
        {
            throw new ArgumentException($"STFTInitializer expects a kernel shape (frame_length, 1, fft_length // 2 + 1) with at least 2 bins but got {shape}.", nameof(shape));
        }

        var window = new double[shape[0]];
        Spectral.Window(Window, Periodic, window);
        Spectral.StftKernel(Imaginary, window, Spectral.WindowScale(window, Scaling, Window != SpectralWindow.None), shape[2], values);
    }

    /// <inheritdoc/>
    public override Config GetConfig() => new Config()
        .Set("side", Imaginary ? "imag" : "real")
        .Set("window", SpectralNames.Window(Window))
        .Set("periodic", Periodic)
        .Set("scaling", SpectralNames.Scaling(Scaling));

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static StftInitializer FromConfig(Config config)
    {
        string side = config.GetString("side", "real");
        if (side is not ("real" or "imag"))
        {
            throw config.Error($"\"side\" is \"{side}\"; expected \"real\" or \"imag\".");
        }

        Config d = config.WithDefaults(new StftInitializer(false).GetConfig());
        return new StftInitializer(side == "imag", SpectralNames.ReadWindow(d, allowBlackman: true), SpectralNames.ReadScaling(d), d.GetBoolean("periodic"));
    }
}
