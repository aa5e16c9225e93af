namespace NeuralNet.Layers;

/// <summary>
/// What <see cref="StftSpectrogram"/> outputs for each frequency bin (Keras' <c>mode</c>); re and im are the real and
/// imaginary parts of the scaled windowed DFT, p = re² + im², ε = 1e-7 (Keras' <c>backend.epsilon()</c>).
/// </summary>
public enum SpectrogramMode
{
    /// <summary>log(max(√max(p, ε), ε)) (Keras' <c>"log"</c>, the default).</summary>
    Log,

    /// <summary>√max(p, ε) (Keras' <c>"magnitude"</c>).</summary>
    Magnitude,

    /// <summary>p, doubled for every bin but the first and the last (the one-sided power spectral density; Keras' <c>"psd"</c>).</summary>
    Psd,

    /// <summary>re (Keras' <c>"real"</c>; the layer has only the real kernel).</summary>
    Real,

    /// <summary>im (Keras' <c>"imag"</c>; the layer has only the imaginary kernel).</summary>
    Imag,

    /// <summary>atan2(im, re) (Keras' <c>"angle"</c>).</summary>
    Angle,

    /// <summary>re then im, twice as many features (Keras' <c>"stft"</c>).</summary>
    Stft,
}
