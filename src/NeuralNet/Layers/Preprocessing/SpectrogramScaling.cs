namespace NeuralNet.Layers;

/// <summary>How <see cref="StftSpectrogram"/> normalizes its window (Keras' <c>scaling</c>).</summary>
public enum SpectrogramScaling
{
    /// <summary>No normalization (Keras' <c>scaling=None</c>).</summary>
    None,

    /// <summary>Divide the windowed DFT rows by √(Σ w²), so a power spectrum is a density (Keras' <c>"density"</c>, the default).</summary>
    Density,

    /// <summary>Divide the windowed DFT rows by Σ |w|, so a sinusoid's peak reads its amplitude (Keras' <c>"spectrum"</c>).</summary>
    Spectrum,
}
