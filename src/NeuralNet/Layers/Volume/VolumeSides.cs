using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>Reads and writes Keras' ((before, after) × 3) amounts of ZeroPadding3D and Cropping3D.</summary>
internal static class VolumeSides
{
    /// <summary>Throws unless every amount is non-negative.</summary>
    public static void NonNegative(string layer, ((int Before, int After) Depth, (int Before, int After) Height, (int Before, int After) Width) sides, string parameter)
    {
        if (Math.Min(Math.Min(sides.Depth.Before, sides.Depth.After), Math.Min(Math.Min(sides.Height.Before, sides.Height.After), Math.Min(sides.Width.Before, sides.Width.After))) < 0)
        {
            throw new ArgumentOutOfRangeException(parameter, sides, $"{layer} expects non-negative amounts. Received: {parameter}={Describe(sides)}.");
        }
    }

    /// <summary>"((a, b), (c, d), (e, f))".</summary>
    public static string Describe(((int Before, int After) Depth, (int Before, int After) Height, (int Before, int After) Width) sides) =>
        string.Create(CultureInfo.InvariantCulture,
            $"(({sides.Depth.Before}, {sides.Depth.After}), ({sides.Height.Before}, {sides.Height.After}), ({sides.Width.Before}, {sides.Width.After}))");

    /// <summary>The Keras form [[a, b], [c, d], [e, f]].</summary>
    public static JsonNode ToJson(((int Before, int After) Depth, (int Before, int After) Height, (int Before, int After) Width) sides) =>
        new JsonArray(new JsonArray(sides.Depth.Before, sides.Depth.After), new JsonArray(sides.Height.Before, sides.Height.After),
            new JsonArray(sides.Width.Before, sides.Width.After));

    /// <summary>Reads an integer n (all sides n), [d, h, w] (symmetric per axis) or [[a, b], [c, d], [e, f]].</summary>
    public static ((int Before, int After) Depth, (int Before, int After) Height, (int Before, int After) Width) Read(Config config, string key,
        ((int, int), (int, int), (int, int)) fallback)
    {
        JsonNode? node = config.GetNode(key);
        if (node is null)
        {
            return fallback;
        }

        if (node.GetValueKind() == JsonValueKind.Number)
        {
            int n = config.GetInt32(key, minimum: 0);
            return ((n, n), (n, n), (n, n));
        }

        if (node is JsonArray { Count: 3 } array)
        {
            if (array[0] is JsonArray { Count: 2 } depth && array[1] is JsonArray { Count: 2 } height && array[2] is JsonArray { Count: 2 } width)
            {
                return ((Int(depth[0]), Int(depth[1])), (Int(height[0]), Int(height[1])), (Int(width[0]), Int(width[1])));
            }

            int d = Int(array[0]), h = Int(array[1]), w = Int(array[2]);
            return ((d, d), (h, h), (w, w));
        }

        throw config.Error($"\"{key}\" must be an integer, three integers or three pairs of integers.");

        int Int(JsonNode? item) => item is JsonValue value && value.TryGetValue(out int result) && result >= 0
            ? result
            : throw config.Error($"\"{key}\" must hold non-negative integers.");
    }
}
