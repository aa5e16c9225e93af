namespace NeuralNet.Layers;

/// <summary>
/// The window applied to each frame of a short-time Fourier transform (Keras' <c>window</c> argument of
/// <see cref="StftSpectrogram"/> and <see cref="MelSpectrogram"/>), with scipy's definitions
/// (<c>scipy.signal.get_window</c>); M is the length − 1 for a symmetric window, the length for a periodic one.
/// </summary>
public enum SpectralWindow
{
    /// <summary>No window (Keras' <c>window=None</c>): every sample of the frame counts fully.</summary>
    None,

    /// <summary>Hann: 0.5 − 0.5 cos(2πn / M) (Keras' <c>"hann"</c>, the default).</summary>
    Hann,

    /// <summary>Hamming: 0.54 − 0.46 cos(2πn / M) (Keras' <c>"hamming"</c>).</summary>
    Hamming,

    /// <summary>Blackman: 0.42 − 0.5 cos(2πn / M) + 0.08 cos(4πn / M) (scipy's <c>"blackman"</c>; <see cref="StftSpectrogram"/> only).</summary>
    Blackman,
}
