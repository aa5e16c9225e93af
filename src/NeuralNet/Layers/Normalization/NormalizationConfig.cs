namespace NeuralNet.Layers;

/// <summary>Configuration checks shared by the normalization and activation layers.</summary>
internal static class NormalizationConfig
{
    /// <summary>Keras writes weight constraints; this library has none, so a file may only hold null for them.</summary>
    public static void RequireNoConstraints(Serialization.Config config, params string[] keys)
    {
        foreach (string key in keys)
        {
            if (config.Contains(key))
            {
                throw config.Error($"\"{key}\" is not supported (weight constraints are not implemented); it must be null.");
            }
        }
    }
}
