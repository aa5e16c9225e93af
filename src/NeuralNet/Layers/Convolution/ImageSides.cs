using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>Reads and writes Keras' ((top, bottom), (left, right)) amounts of ZeroPadding2D and Cropping2D.</summary>
internal static class ImageSides
{
    /// <summary>Throws unless every amount is non-negative.</summary>
    public static void NonNegative(string layer, ((int Top, int Bottom) Height, (int Left, int Right) Width) sides, string parameter)
    {
        if (sides.Height.Top < 0 || sides.Height.Bottom < 0 || sides.Width.Left < 0 || sides.Width.Right < 0)
        {
            throw new ArgumentOutOfRangeException(parameter, sides, $"{layer} expects non-negative amounts. Received: {parameter}={Describe(sides)}.");
        }
    }

    /// <summary>"((top, bottom), (left, right))".</summary>
    public static string Describe(((int Top, int Bottom) Height, (int Left, int Right) Width) sides) =>
        string.Create(CultureInfo.InvariantCulture, $"(({sides.Height.Top}, {sides.Height.Bottom}), ({sides.Width.Left}, {sides.Width.Right}))");

    /// <summary>The Keras form [[top, bottom], [left, right]].</summary>
    public static JsonNode ToJson(((int Top, int Bottom) Height, (int Left, int Right) Width) sides) =>
        new JsonArray(new JsonArray(sides.Height.Top, sides.Height.Bottom), new JsonArray(sides.Width.Left, sides.Width.Right));

    /// <summary>Reads an integer n (all sides n), [h, w] (symmetric per axis) or [[top, bottom], [left, right]].</summary>
    public static ((int Top, int Bottom) Height, (int Left, int Right) Width) Read(Config config, string key, ((int, int), (int, int)) fallback)
    {
        JsonNode? node = config.GetNode(key);
        if (node is null)
        {
            return fallback;
        }

        if (node.GetValueKind() == JsonValueKind.Number)
        {
            int n = config.GetInt32(key, minimum: 0);
            return ((n, n), (n, n));
        }

        if (node is JsonArray { Count: 2 } array)
        {
            if (array[0] is JsonArray { Count: 2 } rows && array[1] is JsonArray { Count: 2 } columns)
            {
                return ((Int(rows[0]), Int(rows[1])), (Int(columns[0]), Int(columns[1])));
            }

            int h = Int(array[0]), w = Int(array[1]);
            return ((h, h), (w, w));
        }

        throw config.Error($"\"{key}\" must be an integer, a pair of integers or a pair of pairs of integers.");

        int Int(JsonNode? item) => item is JsonValue value && value.TryGetValue(out int result) && result >= 0
            ? result
            : throw config.Error($"\"{key}\" must hold non-negative integers.");
    }
}
