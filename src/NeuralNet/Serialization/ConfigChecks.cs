using System.Text.Json;
using NeuralNet.Layers;

namespace NeuralNet.Serialization;

/// <summary>Readers shared by the configurations of convolution-like layers: sizes, padding, data format.</summary>
internal static class ConfigChecks
{
    /// <summary>The Keras name of a padding mode.</summary>
    public static string PaddingName(Padding padding) => padding switch
    {
        Padding.Same => "same",
        Padding.Causal => "causal",
        _ => "valid",
    };

    /// <summary>Reads <c>"padding"</c>: <c>"valid"</c> (the default) or <c>"same"</c>.</summary>
    public static Padding ReadPadding(Config config) => config.GetString("padding", "valid") switch
    {
        "valid" => Padding.Valid,
        "same" => Padding.Same,
        string other => throw config.Error($"\"padding\" is \"{FormatError.Shorten(other)}\"; expected \"valid\" or \"same\"."),
    };

    /// <summary>Reads <c>"padding"</c> of a 1-D convolution: <c>"valid"</c> (the default), <c>"same"</c> or <c>"causal"</c>.</summary>
    public static Padding ReadCausalPadding(Config config) => config.GetString("padding", "valid") switch
    {
        "valid" => Padding.Valid,
        "same" => Padding.Same,
        "causal" => Padding.Causal,
        string other => throw config.Error($"\"padding\" is \"{FormatError.Shorten(other)}\"; expected \"valid\", \"same\" or \"causal\"."),
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

    /// <summary>Reads a 1-D size such as <c>"kernel_size"</c>: an integer or a one-element list (Keras writes <c>[3]</c>); null when absent.</summary>
    public static int? ReadSingle(Config config, string key)
    {
        if (!config.Contains(key))
        {
            return null;
        }

        if (config.GetNode(key)!.GetValueKind() == JsonValueKind.Number)
        {
            return config.GetInt32(key, minimum: 1);
        }

        int[] single = config.GetInt32Array(key, 1, minimum: 1);
        return single.Length == 1 ? single[0] : throw config.Error($"\"{key}\" must be an integer or a list of one integer.");
    }
}
