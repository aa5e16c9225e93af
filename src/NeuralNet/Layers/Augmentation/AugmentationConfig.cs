using System.Text.Json;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>Reading and writing the Keras configuration entries of the augmentation layers.</summary>
internal static class AugmentationConfig
{
    /// <summary>A Keras factor as read: one number, or a pair.</summary>
    public readonly record struct Factor(double? Number, (double Lower, double Upper) Pair);

    /// <summary>Keras' name of a fill mode.</summary>
    public static string Name(FillMode mode) => mode switch
    {
        FillMode.Wrap => "wrap",
        FillMode.Constant => "constant",
        FillMode.Nearest => "nearest",
        _ => "reflect",
    };

    /// <summary>Keras' name of an interpolation.</summary>
    public static string Name(Interpolation interpolation) => interpolation switch
    {
        Interpolation.Nearest => "nearest",
        Interpolation.Bicubic => "bicubic",
        Interpolation.Lanczos3 => "lanczos3",
        Interpolation.Lanczos5 => "lanczos5",
        Interpolation.Area => "area",
        _ => "bilinear",
    };

    /// <summary>Reads <c>"fill_mode"</c>, <paramref name="fallback"/> when absent.</summary>
    public static FillMode ReadFillMode(Config config, string fallback) => config.GetString("fill_mode", fallback) switch
    {
        "reflect" => FillMode.Reflect,
        "wrap" => FillMode.Wrap,
        "constant" => FillMode.Constant,
        "nearest" => FillMode.Nearest,
        string other => throw config.Error($"\"fill_mode\" is \"{FormatError.Shorten(other)}\"; expected \"reflect\", \"wrap\", \"constant\" or \"nearest\"."),
    };

    /// <summary>Reads <c>"interpolation"</c> (bilinear when absent) of an affine augmentation layer: bilinear or nearest, as Keras' affine_transform.</summary>
    public static Interpolation ReadInterpolation(Config config) => ReadInterpolation(config, "bilinear", Interpolation.Nearest, Interpolation.Bilinear);

    /// <summary>Reads <c>"interpolation"</c>, <paramref name="fallback"/> when absent, refusing a name outside <paramref name="accepted"/>.</summary>
    public static Interpolation ReadInterpolation(Config config, string fallback, params Interpolation[] accepted)
    {
        string name = config.GetString("interpolation", fallback);
        foreach (Interpolation interpolation in accepted)
        {
            if (Name(interpolation) == name)
            {
                return interpolation;
            }
        }

        string expected = string.Join(", ", accepted.Select(i => $"\"{Name(i)}\""));
        throw config.Error($"\"interpolation\" is \"{FormatError.Shorten(name)}\"; expected one of {expected}.");
    }

    /// <summary>Reads a factor written as one number or a list of two; null when absent or null.</summary>
    public static Factor? ReadFactor(Config config, string key)
    {
        if (!config.Contains(key))
        {
            return null;
        }

        if (config.GetNode(key)!.GetValueKind() == JsonValueKind.Number)
        {
            return new Factor(config.GetDouble(key), default);
        }

        return new Factor(null, ReadPair(config, key));
    }

    /// <summary>Reads a list of exactly two finite numbers.</summary>
    public static (double, double) ReadPair(Config config, string key)
    {
        double[] pair = config.GetDoubleArray(key);
        return pair.Length == 2 ? (pair[0], pair[1]) : throw config.Error($"\"{key}\" must be a number or a list of two numbers.");
    }

    /// <summary>Writes a pair as a two-number list.</summary>
    public static Config SetPair(this Config config, string key, (double A, double B) pair) => config.Set(key, [pair.A, pair.B]);

    /// <summary>Writes an optional pair as a two-number list, or null.</summary>
    public static Config SetFactor(this Config config, string key, (double A, double B)? pair) =>
        pair is { } value ? config.SetPair(key, value) : config.Set(key, (string?)null);
}
