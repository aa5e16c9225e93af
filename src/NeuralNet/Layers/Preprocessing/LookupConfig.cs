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
    /// Refuses a configuration whose <c>"vocabulary"</c> or <c>"idf_weights"</c> is a string, a file path (Keras 3 releases
    /// before the vocabulary moved to the archive's assets kept the path given to the layer): opening it would let a
    /// model file read any file this process can, so loading refuses it, as Keras does in safe mode (keras-team/keras
    /// PR #21751). User code reads a file it trusts with <c>SetVocabularyFile</c> after loading.
    /// </summary>
    /// <param name="config">The layer's configuration.</param>
    /// <param name="className">The layer's class, named in the message with its name.</param>
    /// <param name="defaultName">The name used when the configuration has none.</param>
    /// <exception cref="InvalidDataException">The message names the layer, the key and the path, and how to proceed.</exception>
    public static void RefusePaths(Config config, string className, string defaultName)
    {
        foreach (string key in (ReadOnlySpan<string>)["vocabulary", "idf_weights"])
        {
            if (config.GetNode(key) is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            {
                string owner = $"{className} '{FormatError.Shorten(config.GetString("name", defaultName))}'";
                // The whole path, so that it can be checked and given to SetVocabularyFile; only an absurd one is cut.
                string text = value.GetValue<string>();
                string path = text.Length <= 1024 ? text : FormatError.Shorten(text);
                throw config.Error(key == "vocabulary"
                    ? $"{owner}: \"vocabulary\" is the file path '{path}'. Loading does not open files a model file names (it could name any file on this machine; Keras refuses it too in safe mode). Save the layer again with the tokens inline, or remove the path, load the model and call SetVocabularyFile(\"{path}\") on {owner} yourself if you trust that file."
                    : $"{owner}: \"idf_weights\" is the file path '{path}'. Loading does not open files a model file names (it could name any file on this machine; Keras refuses it too in safe mode); expected the weights as an array of numbers.");
            }
        }
    }

    /// <summary>A string lookup's <c>"vocabulary"</c>: a list of strings, or neither (null or absent). Call <see cref="RefusePaths"/> first.</summary>
    /// <exception cref="InvalidDataException">The value is another kind, or the list holds something other than strings.</exception>
    public static string[]? ReadStringVocabulary(Config config)
    {
        if (config.GetNode("vocabulary") is not JsonNode node)
        {
            return null;
        }

        if (node is not JsonArray array)
        {
            throw config.Error($"\"vocabulary\" must be an array of strings or null but is {Config.Describe(node)}.");
        }

        var tokens = new string[array.Count];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = array[i]?.GetValueKind() == JsonValueKind.String
                ? array[i]!.GetValue<string>()
                : throw config.Error(string.Create(CultureInfo.InvariantCulture, $"\"vocabulary\"[{i}] is {Config.Describe(array[i])}; expected a string."));
        }

        return tokens;
    }

    /// <summary>
    /// Runs a layer's constructor for its <c>from_config</c>: an <see cref="ArgumentException"/> (a setting the
    /// constructor refuses) becomes the <see cref="InvalidDataException"/> of a bad file, naming the configuration,
    /// whether the registry or a caller of <c>FromConfig</c> itself runs it.
    /// </summary>
    public static T Create<T>(Config config, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (ArgumentException e)
        {
            throw config.Error(e.Message, e);
        }
    }

    /// <summary>The weights written under <c>"idf_weights"</c> (by this library or Keras), null when absent or null; the layer checks them against its mode and vocabulary.</summary>
    /// <exception cref="InvalidDataException">The value is not an array of finite numbers.</exception>
    public static float[]? ReadIdfWeights(Config config) =>
        config.Contains("idf_weights") ? [.. config.GetDoubleArray("idf_weights").Select(w => (float)w)] : null;
}
