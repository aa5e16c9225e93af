using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>Configuration checks shared by <see cref="IntegerLookup"/> and <see cref="Preprocessing.StringLookup"/>: Keras settings this library does not support must hold their defaults.</summary>
internal static class LookupConfig
{
    /// <summary>Refuses sparse outputs, TF-IDF weights, another vocabulary dtype and OOV methods and salts the lookups do not implement.</summary>
    public static void Check(Config config, string vocabularyDtype)
    {
        CategoryEncoder.RequireDense(config);
        if (config.Contains("idf_weights"))
        {
            throw config.Error("\"idf_weights\" is set, but the tf_idf output mode is not supported; it must be null.");
        }

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
}
