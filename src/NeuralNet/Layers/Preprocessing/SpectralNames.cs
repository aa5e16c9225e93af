using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>The Keras strings of the spectral options, written and read by the audio layers and <c>STFTInitializer</c>.</summary>
internal static class SpectralNames
{
    public static string? Window(SpectralWindow window) => window switch
    {
        SpectralWindow.Hann => "hann",
        SpectralWindow.Hamming => "hamming",
        SpectralWindow.Blackman => "blackman",
        _ => null,
    };

    public static string? Scaling(SpectrogramScaling scaling) => scaling switch
    {
        SpectrogramScaling.Density => "density",
        SpectrogramScaling.Spectrum => "spectrum",
        _ => null,
    };

    // "window": a name, or null for none (present-null and absent differ: read from a configuration merged with the defaults).
    public static SpectralWindow ReadWindow(Config merged, bool allowBlackman)
    {
        if (merged.GetNode("window") is System.Text.Json.Nodes.JsonArray)
        {
            throw merged.Error("a \"window\" given as an array of values is not supported; use \"hann\", \"hamming\"" + (allowBlackman ? ", \"blackman\"" : string.Empty) + " or null.");
        }

        return !merged.Contains("window") ? SpectralWindow.None : merged.GetString("window") switch
        {
            "hann" => SpectralWindow.Hann,
            "hamming" => SpectralWindow.Hamming,
            "blackman" when allowBlackman => SpectralWindow.Blackman,
            string other => throw merged.Error($"\"window\" is \"{FormatError.Shorten(other)}\"; expected \"hann\", \"hamming\"" + (allowBlackman ? ", \"blackman\"" : string.Empty) + " or null."),
        };
    }

    public static SpectrogramScaling ReadScaling(Config merged) => !merged.Contains("scaling") ? SpectrogramScaling.None : merged.GetString("scaling") switch
    {
        "density" => SpectrogramScaling.Density,
        "spectrum" => SpectrogramScaling.Spectrum,
        string other => throw merged.Error($"\"scaling\" is \"{FormatError.Shorten(other)}\"; expected \"density\", \"spectrum\" or null."),
    };
}
