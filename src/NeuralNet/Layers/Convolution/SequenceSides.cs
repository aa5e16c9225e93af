using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>Checks, reads and writes Keras' (left, right) amounts of ZeroPadding1D and Cropping1D, and their input's rank.</summary>
internal static class SequenceSides
{
    /// <summary>Throws unless both amounts are non-negative.</summary>
    public static void NonNegative(string layer, (int Left, int Right) sides, string parameter)
    {
        if (sides.Left < 0 || sides.Right < 0)
        {
            throw new ArgumentOutOfRangeException(parameter, sides, $"{layer} expects non-negative amounts. Received: {parameter}={Describe(sides)}.");
        }
    }

    /// <summary>"(left, right)".</summary>
    public static string Describe((int Left, int Right) sides) => string.Create(CultureInfo.InvariantCulture, $"({sides.Left}, {sides.Right})");

    /// <summary>The Keras form [left, right].</summary>
    public static JsonNode ToJson((int Left, int Right) sides) => new JsonArray(sides.Left, sides.Right);

    /// <summary>Reads an integer n (both sides n) or [left, right].</summary>
    public static (int Left, int Right) Read(Config config, string key, (int, int) fallback)
    {
        JsonNode? node = config.GetNode(key);
        if (node is null)
        {
            return fallback;
        }

        if (node.GetValueKind() == JsonValueKind.Number)
        {
            int n = config.GetInt32(key, minimum: 0);
            return (n, n);
        }

        if (node is JsonArray { Count: 2 } array && array[0] is JsonValue left && left.TryGetValue(out int l) && l >= 0
            && array[1] is JsonValue right && right.TryGetValue(out int r) && r >= 0)
        {
            return (l, r);
        }

        throw config.Error($"\"{key}\" must be a non-negative integer or a pair of them.");
    }

    /// <summary>Throws unless <paramref name="inputShape"/> is (steps, channels), as Keras' 1D layers take.</summary>
    public static void Sequence(string layer, TensorShape inputShape)
    {
        if (inputShape.Rank != 2)
        {
            throw new ArgumentException($"{layer} expects input of rank 2 per sample, (steps, channels), but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }
    }
}
