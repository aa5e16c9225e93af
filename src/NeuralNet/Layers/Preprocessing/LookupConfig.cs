using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>Configuration checks shared by <see cref="IntegerLookup"/> and <see cref="Preprocessing.StringLookup"/>: Keras settings this library does not support must hold their defaults.</summary>
internal static class LookupConfig
{
    /// <summary>Refuses sparse outputs, TF-IDF weights, another vocabulary dtype and FarmHash OOV buckets.</summary>
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

        string oovMethod = config.GetString("oov_method", "floormod");
        if (oovMethod != "floormod" || (vocabularyDtype == "string" && config.GetInt64("num_oov_indices", 1) > 1))
        {
            throw config.Error("FarmHash OOV buckets are not supported: \"oov_method\" must be \"floormod\", and string lookups take at most one OOV index.");
        }
    }
}
