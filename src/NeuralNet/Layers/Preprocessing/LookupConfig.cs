using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>Configuration checks shared by <see cref="IntegerLookup"/> and <see cref="Preprocessing.StringLookup"/>: Keras settings this library does not support must hold their defaults.</summary>
internal static class LookupConfig
{
    /// <summary>Refuses sparse outputs, another vocabulary dtype and OOV methods and salts the lookups do not implement.</summary>
    public static void Check(Config config, string vocabularyDtype)
    {
        CategoryEncoder.RequireDense(config);
        string dtype = config.GetString("vocabulary_dtype", vocabularyDtype);
        if (dtype != vocabularyDtype)
        {
            throw config.Error($"\"vocabulary_dtype\" is \"{FormatError.Shorten(dtype)}\"; expected \"{vocabularyDtype}\".");
        }

        // Keras hashes unknown strings with FarmHash whatever oov_method says (SipHash when a salt is set); integers follow
        // oov_method, of which only floormod is implemented here.
        string oovMethod = config.GetString("oov_method", "floormod");
        if (oovMethod is not ("floormod" or "farmhash") || (oovMethod == "farmhash" && vocabularyDtype != "string"))
        {
            throw config.Error($"\"oov_method\" is \"{FormatError.Shorten(oovMethod)}\"; integer lookups support only \"floormod\" and string lookups hash unknown strings with FarmHash.");
        }

        if (config.Contains("salt"))
        {
            throw config.Error("\"salt\" is set; OOV hashing with a salt (SipHash) is not supported by the lookups, it must be null.");
        }
    }

    /// <summary>
    /// What <c>"idf_weights"</c> holds: in TF-IDF mode one weight per entry of the saved vocabulary (special tokens
    /// included, so Keras' <c>set_vocabulary</c> takes them as they are); null otherwise. Floats widen to doubles exactly.
    /// </summary>
    public static JsonArray? IdfWeights(ReadOnlySpan<float> idf)
    {
        if (idf.IsEmpty)
        {
            return null;
        }

        var array = new JsonArray();
        foreach (float weight in idf)
        {
            array.Add((JsonNode)JsonValue.Create((double)weight));
        }

        return array;
    }

    /// <summary>
    /// The path a config's <c>"vocabulary"</c> holds when it is a string (Keras 3 releases before the vocabulary moved to
    /// the archive's assets kept the path given to the layer), else null. The file is read from where the path points
    /// (relative paths from the current directory, as Keras opens them).
    /// </summary>
    public static string? ReadVocabularyFile(Config config) =>
        config.GetNode("vocabulary") is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>A string lookup's <c>"vocabulary"</c>: a list of strings, a file path, or neither (null or absent).</summary>
    /// <exception cref="InvalidDataException">The value is another kind, or the list holds something other than strings.</exception>
    public static (string[]? Vocabulary, string? File) ReadStringVocabulary(Config config)
    {
        if (ReadVocabularyFile(config) is string file)
        {
            return (null, file);
        }

        if (config.GetNode("vocabulary") is not JsonNode node)
        {
            return (null, null);
        }

        if (node is not JsonArray array)
        {
            throw config.Error($"\"vocabulary\" must be an array of strings, a vocabulary file's path or null but is {Config.Describe(node)}.");
        }

        var tokens = new string[array.Count];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = array[i]?.GetValueKind() == JsonValueKind.String
                ? array[i]!.GetValue<string>()
                : throw config.Error(string.Create(CultureInfo.InvariantCulture, $"\"vocabulary\"[{i}] is {Config.Describe(array[i])}; expected a string."));
        }

        return (tokens, null);
    }

    /// <summary>The weights written under <c>"idf_weights"</c> (by this library or Keras), null when absent or null; the layer checks them against its mode and vocabulary.</summary>
    /// <exception cref="InvalidDataException">The value is not an array of finite numbers.</exception>
    public static float[]? ReadIdfWeights(Config config) =>
        config.Contains("idf_weights") ? [.. config.GetDoubleArray("idf_weights").Select(w => (float)w)] : null;
}
