using System.Text.Json;
using NeuralNet.Layers;

namespace NeuralNet.Serialization;

/// <summary>Readers shared by the configurations of convolution-like layers: sizes, padding, data format.</summary>
internal static class ConfigChecks
{
    /// <summary>The Keras name of a padding mode.</summary>
    public static string PaddingName(Padding padding) => padding == Padding.Same ? "same" : "valid";

    /// <summary>Reads <c>"padding"</c>: <c>"valid"</c> (the default) or <c>"same"</c>.</summary>
    public static Padding ReadPadding(Config config) => config.GetString("padding", "valid") switch
    {
        "valid" => Padding.Valid,
        "same" => Padding.Same,
        string other => throw config.Error($"\"padding\" is \"{FormatError.Shorten(other)}\"; expected \"valid\" or \"same\"."),
    };

    /// <summary>Requires <c>"data_format"</c> to be absent or <c>"channels_last"</c>.</summary>
    public static void RequireChannelsLast(Config config)
    {
        if (config.GetString("data_format", "channels_last") != "channels_last")
        {
            throw config.Error("only \"data_format\": \"channels_last\" is supported.");
        }
    }

    /// <summary>A Keras size: an integer n (meaning (n, n)) or a pair [a, b], each positive; null when absent.</summary>
    public static (int, int)? ReadPair(Config config, string key)
    {
        if (!config.Contains(key))
        {
            return null;
        }

        if (config.GetNode(key)!.GetValueKind() == JsonValueKind.Number)
        {
            int n = config.GetInt32(key, minimum: 1);
            return (n, n);
        }

        int[] pair = config.GetInt32Array(key, 2, minimum: 1);
        return pair.Length == 2 ? (pair[0], pair[1]) : throw config.Error($"\"{key}\" must be an integer or a pair of integers.");
    }
}
